"""``covsplit diagnose``: whether a worker's failures are the project's own or caused by the split, and the fix.

A worker runs a subset of the suite.  A test that passes in one serial run
but fails in its worker depends on a test the serial run ran before it and
the worker did not (docutils' ``test_publisher.py`` needs the writer module
an earlier file imports; pyparsing has a class that enables a cache for the
class after it).  Finding that test by hand is a bisection: this module does
it, as detect-test-pollution does for the opposite case (there, the test
that *breaks* another; here, the test another *needs*).

The search is pure (:func:`diagnose`, over a ``run(tests) -> outcomes``
callable), so it is tested on a real tiny pytest project; the I/O edge
(covsplit.diagnose_run: the command, its ``PytestRunner`` and the serial
order) runs pytest in a virtualenv with the project installed, with the
project's ``pytest_args`` and ``env``, from its root.  Runs are what costs, so they are saved:

* one run of the serial order up to the last failing test says, for every
  failure at once, whether it passes serially; only those that do are
  searched further;
* providers found for one failure are tried first for the next (two tests
  of one file usually need the same thing);
* the search narrows a prefix of the serial order (the providers are
  *before* the test), so each provider costs about log2(n) runs; tests keep
  their serial order in every run, so a test that needs several others in
  order still passes.

The result, ``coverage_output/diagnosis.json``, is keyed by each diagnosed
worker's run (its status ``started_at``): the report shows a worker's
findings only while that run is the worker's latest.  ``plan
--keep-diagnosed`` adds the groups that fix split-caused failures to
``project.keep_together`` (:func:`merge_groups`).

Standard library only, except what the project's virtualenv provides.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from covsplit import fsio, junit
from covsplit.config import Config
from covsplit.node_ids import file_of

SCHEMA = 1

# Verdicts, one per kind of answer.
SERIAL = "serial"  # fails in a serial run too: the project's own failure
SPLIT = "split"  # passes after the tests it needs, which its worker did not run: caused by the split
ALONE = "alone"  # passes alone and serially: its worker's run breaks it (an earlier test, a race with another worker)
NOT_COLLECTED = "not collected"  # not in a serial collection of the suite
NOT_RUN = "not run"  # the serial run gave it no outcome (pytest crashed or timed out): nothing can be said
UNCLEAR = "unclear"  # passes serially, but no subset of the tests before it makes it pass again (flaky?)
UNFINISHED = "unfinished"  # the time budget ran out before this test was diagnosed

# Diagnosis states.
DONE = "done"
SKIPPED = "skipped"  # an automatic diagnosis whose first run alone would exceed the budget

Outcomes = Mapping[str, str]
Runner = Callable[[Sequence[str]], Outcomes]


@dataclass(frozen=True)
class Finding:
    """What one failing test is, and what fixes it when the split is the cause."""

    test: str
    worker: str
    verdict: str
    needs: tuple[str, ...] = ()  # the tests it passes after, in serial order
    group: tuple[str, ...] = ()  # the project.keep_together group that keeps them in one worker
    runs: int = 0  # pytest runs this test's search took (the shared serial run not counted)
    seconds: float = 0.0


@dataclass
class Diagnosis:
    """A diagnosis of the failures of some workers' runs (``runs``: worker -> started_at)."""

    runs: dict[str, str]
    state: str = DONE
    note: str = ""
    findings: list[Finding] = field(default_factory=list)
    total_runs: int = 0
    seconds: float = 0.0
    started_at: str = ""
    finished_at: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA, **asdict(self)}


class OutOfTime(Exception):
    """The diagnosis's deadline passed before the next run."""


def passed(outcome: str | None) -> bool:
    """Whether a test's outcome counts as passing: passed or skipped; never run counts as not passing."""
    return outcome in (junit.PASSED, junit.SKIPPED)


class _Counted:
    """A runner that counts its runs and seconds, and refuses to start one after the deadline."""

    def __init__(self, run: Runner, clock: Callable[[], float], deadline: float | None) -> None:
        self.run, self.clock, self.deadline = run, clock, deadline
        self.runs, self.seconds = 0, 0.0

    def __call__(self, tests: Sequence[str]) -> Outcomes:
        if self.deadline is not None and self.clock() > self.deadline:
            raise OutOfTime
        started = self.clock()
        try:
            return self.run(tests)
        finally:
            self.runs += 1
            self.seconds += self.clock() - started


def diagnose(
    order: Sequence[str],
    failing: Mapping[str, str],
    run: Runner,
    *,
    clock: Callable[[], float] = time.monotonic,
    deadline: float | None = None,
) -> tuple[list[Finding], int, float]:
    """Each failing test's verdict; also the runs and seconds spent in all.

    ``order`` is the suite's serial order (node ids), ``failing`` maps each
    test that failed in a worker to that worker, ``run`` runs exactly the
    tests it is given, in that order, and returns their outcomes.  Past
    ``deadline`` (of ``clock``) no run starts: the tests not yet diagnosed
    are :data:`UNFINISHED`.
    """
    position = {node: index for index, node in enumerate(order)}
    findings: dict[str, Finding] = {}
    for test, worker in failing.items():
        if test not in position:
            findings[test] = Finding(test, worker, NOT_COLLECTED)
    collected = sorted((t for t in failing if t in position), key=position.__getitem__)
    counted = _Counted(run, clock, deadline)
    if collected:
        try:
            serial = counted(order[: position[collected[-1]] + 1])
        except OutOfTime:
            serial = None
        known: list[tuple[str, ...]] = []
        for test in collected:
            worker = failing[test]
            if serial is None:
                findings[test] = Finding(test, worker, UNFINISHED)
            elif test not in serial:
                findings[test] = Finding(test, worker, NOT_RUN)
            elif not passed(serial.get(test)):
                findings[test] = Finding(test, worker, SERIAL)
            else:
                mine = _Counted(counted, clock, None)
                try:
                    findings[test] = _search(test, worker, order[: position[test]], mine, known)
                except OutOfTime:
                    findings[test] = Finding(test, worker, UNFINISHED, runs=mine.runs, seconds=round(mine.seconds, 3))
                if findings[test].needs:
                    known.append(findings[test].needs)
    ordered = [findings[t] for t in sorted(failing, key=lambda t: (position.get(t, len(position)), t))]
    return ordered, counted.runs, round(counted.seconds, 3)


def _search(test: str, worker: str, before: Sequence[str], run: _Counted, known: Sequence[tuple[str, ...]]) -> Finding:
    """The tests ``test`` needs among ``before`` (its serial prefix, after which it passes)."""

    def passes(tests: Sequence[str]) -> bool:
        return passed(run([*tests, test]).get(test))

    def finding(verdict: str, needs: Sequence[str] = ()) -> Finding:
        group = keep_together_group(test, needs) if needs else ()
        return Finding(test, worker, verdict, tuple(needs), group, run.runs, round(run.seconds, 3))

    earlier = set(before)
    for needs in known:
        if set(needs) <= earlier and passes(needs):
            return finding(SPLIT, needs)
    if passes(()):
        return finding(ALONE)
    needed: list[str] = []
    pool = list(before)
    while pool:
        # Invariant: pool + needed makes the test pass (the serial run said so first); needed alone does not.
        low, high = 0, len(pool)
        while high - low > 1:
            middle = (low + high) // 2
            if passes([*pool[:middle], *needed]):
                high = middle
            else:
                low = middle
        needed.insert(0, pool[high - 1])
        pool = pool[: high - 1]
        if passes(needed):
            return finding(SPLIT, needed)
    return finding(UNCLEAR)


# ---------------------------------------------------------------------------
# The fix: project.keep_together groups

_PARAMETERS = re.compile(r"\[.*\]$")


def keep_together_group(test: str, needs: Sequence[str]) -> tuple[str, ...]:
    """The ``project.keep_together`` group that runs ``test`` with the tests it ``needs``, in one worker.

    Tests of other files: the files, in serial order (a worker lists its
    files in that order).  Tests of one file: the classes (or functions)
    they are in, so that the rest of a heavy file may still be shared; the
    full node ids, parameters dropped, where they are in one class.
    """
    members = [*needs, test]
    files = list(dict.fromkeys(file_of(node) for node in members))
    if len(files) > 1:
        return tuple(files)

    def unit(node: str, depth: int) -> str:
        parts = _PARAMETERS.sub("", node).split("::")
        return "::".join(parts[: depth + 1])

    units = list(dict.fromkeys(unit(node, 1) for node in members))
    if len(units) == 1:
        units = list(dict.fromkeys(unit(node, 99) for node in members))
    return tuple(units)


def merge_groups(
    existing: Sequence[Sequence[str]], new: Iterable[Sequence[str]]
) -> tuple[tuple[tuple[str, ...], ...], list[tuple[str, ...]]]:
    """``existing`` keep_together groups with ``new`` ones merged in; also the new groups that changed anything.

    Groups that share a file (or a node id) become one: keep_together
    holds disjoint groups.  A file group that takes in a file makes the
    node id groups of that file redundant (the whole file runs in one
    worker), so they go; a node id group whose file is already kept whole
    adds nothing.
    """
    groups = [list(group) for group in existing]
    added: list[tuple[str, ...]] = []
    for group in map(list, new):
        if any(set(group) <= set(g) for g in groups):
            continue
        if all("::" in member for member in group):
            whole = {m for g in groups for m in g if "::" not in m}
            if file_of(group[0]) in whole:
                continue
            touching = [g for g in groups if set(g) & set(group)]
            merged = list(dict.fromkeys([*(m for g in touching for m in g), *group]))
        else:
            files = set(group)
            touching = [g for g in groups if any(file_of(m) in files for m in g)]
            merged = list(dict.fromkeys([*(m for g in touching for m in g if "::" not in m), *group]))
        groups = [g for g in groups if g not in touching] + [merged]
        added.append(tuple(group))
    return tuple(tuple(g) for g in groups), added


# ---------------------------------------------------------------------------
# The diagnosis on disk, and what it says about the current runs


def path_for(cfg: Config) -> Path:
    return cfg.layout.diagnosis_json


def read(path: Path) -> Diagnosis | None:
    """The diagnosis written there, or None when there is none (or it is of another schema, or unreadable)."""
    data = fsio.read_json(path)
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("runs"), dict):
        return None
    try:
        findings = [
            Finding(
                str(f["test"]),
                str(f["worker"]),
                str(f["verdict"]),
                tuple(map(str, f.get("needs", ()))),
                tuple(map(str, f.get("group", ()))),
                int(f.get("runs", 0)),
                float(f.get("seconds", 0.0)),
            )
            for f in data.get("findings", [])
        ]
        return Diagnosis(
            runs={str(k): str(v) for k, v in data["runs"].items()},
            state=str(data.get("state", DONE)),
            note=str(data.get("note", "")),
            findings=findings,
            total_runs=int(data.get("total_runs", 0)),
            seconds=float(data.get("seconds", 0.0)),
            started_at=str(data.get("started_at", "")),
            finished_at=str(data.get("finished_at", "")),
        )
    except (KeyError, TypeError, ValueError):
        return None


def current_findings(diagnosis: Diagnosis | None, started: Mapping[str, str]) -> dict[str, list[Finding]]:
    """The findings of each worker whose latest run (``started``: worker -> started_at) is the one diagnosed."""
    if diagnosis is None:
        return {}
    found: dict[str, list[Finding]] = {}
    for finding in diagnosis.findings:
        if finding.worker in started and diagnosis.runs.get(finding.worker) == started[finding.worker]:
            found.setdefault(finding.worker, []).append(finding)
    return found


def describe(finding: Finding) -> str:
    """One finding as the command and the report say it."""
    if finding.verdict == SERIAL:
        return "fails in a serial run too: the project's own failure"
    if finding.verdict == SPLIT:
        return (
            f"caused by the split: passes after {', '.join(finding.needs)}; "
            f"found in {finding.runs} runs, {finding.seconds:.0f} s"
        )
    if finding.verdict == ALONE:
        return (
            "passes alone and in a serial run: something else in its worker's run breaks it "
            "(a test the worker ran before it, or another worker writing the same file at once)"
        )
    if finding.verdict == NOT_RUN:
        return "the serial run gave it no outcome (pytest crashed or timed out before it)"
    if finding.verdict == NOT_COLLECTED:
        return "not in a serial collection of the suite"
    if finding.verdict == UNCLEAR:
        return "passes in a serial run, but no subset of the tests before it makes it pass again (flaky?)"
    return "not diagnosed: the time budget ran out"
