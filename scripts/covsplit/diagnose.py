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
(:class:`PytestRunner`, :func:`serial_order`) runs pytest in a virtualenv
with the project installed, with the project's ``pytest_args`` and ``env``,
from its root.  Runs are what costs, so they are saved:

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

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from covsplit import commands, durations, exits, fsio, junit, status, suite
from covsplit.config import Config
from covsplit.digests import DigestCache
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


def failing_tests(cfg: Config) -> tuple[dict[str, str], dict[str, str]]:
    """The tests that failed or errored in the workers' latest finished runs (test -> worker), and those runs.

    From each worker's JUnit results, never its console.  Files that failed
    to import are not tests of the serial order, and are left out.
    """
    failing: dict[str, str] = {}
    runs: dict[str, str] = {}
    for worker in cfg.workers:
        paths = cfg.layout.worker(worker.name)
        record = status.read(paths.status)
        if record.get("state") != status.FAILED:
            continue
        try:
            results = junit.read_junit(paths.junit, cfg.root)
        except junit.JUnitError:
            continue
        bad = [r.nodeid for r in results if r.outcome in (junit.FAILED, junit.ERROR) and r.phase != junit.COLLECTION]
        if bad:
            runs[worker.name] = str(record.get("started_at", ""))
            failing.update(dict.fromkeys(bad, worker.name))
    return failing, runs


def due(cfg: Config, budget: float) -> bool:
    """Whether ``make coverage-all`` should diagnose by itself: a budget, and failed runs not yet diagnosed."""
    if budget <= 0:
        return False
    failing, runs = failing_tests(cfg)
    if not failing:
        return False
    diagnosis = read(path_for(cfg))
    return diagnosis is None or any(diagnosis.runs.get(name) != started for name, started in runs.items())


def estimate_seconds(order: Sequence[str], last: str, measured: durations.Measured) -> float:
    """What the first run (the serial order up to ``last``) should take, from the seconds earlier runs measured."""
    seconds = measured.fixed_per_worker
    files: set[str] = set()
    for node in order:
        file = file_of(node)
        files.add(file)
        seconds += measured.tests.get(file, {}).get(node, 0.0)
        if node == last:
            break
    return seconds + sum(measured.collect.get(file, 0.0) for file in files)


# ---------------------------------------------------------------------------
# Running pytest (the I/O edge)


def _order_args(seed: str | None) -> list[str]:
    # Shuffling plugins would undo the serial order: off, unless the run used a seed (then the same seed).
    return [f"--randomly-seed={seed}"] if seed else ["-p", "no:randomly"]


def serial_order(cfg: Config, python: str, env: Mapping[str, str], seed: str | None = None) -> list[str]:
    """The suite's serial order: what ``pytest --collect-only`` collects over the project's test paths.

    With the project's ``pytest_args`` and ``env``, from its root, in the
    virtualenv ``python`` belongs to; the ids come from covsplit.pytest_order
    (relative to the root, as the workers' results are), not from console text.
    """
    with tempfile.TemporaryDirectory(prefix="covsplit-collect-") as scratch:
        out = Path(scratch) / "collected.json"
        command = [
            python, "-m", "pytest", "--collect-only", "-q", *cfg.test_paths,
            "-p", "covsplit.pytest_order", f"--covsplit-collected={out}",
            "-p", "no:cacheprovider", "--continue-on-collection-errors", *_order_args(seed), *cfg.pytest_args,
        ]  # fmt: skip
        done = subprocess.run(
            command,
            cwd=cfg.root,
            env=commands.pytest_environment(cfg, Path(scratch) / ".coverage", env),
            capture_output=True,
            text=True,
            check=False,
        )
        if not out.is_file():
            raise RuntimeError(
                f"pytest --collect-only wrote no collection (exit status {done.returncode}): "
                + (done.stdout + done.stderr)[-2000:]
            )
        return [str(node) for node in json.loads(out.read_text(encoding="utf-8"))]


class PytestRunner:
    """Runs exactly the given tests, in the given order, in a fresh pytest process; outcomes from JUnit XML."""

    def __init__(
        self, cfg: Config, python: str, env: Mapping[str, str], scratch: Path, seed: str | None = None
    ) -> None:
        self.cfg, self.python, self.env, self.scratch, self.seed = cfg, python, env, scratch, seed
        self.timeout = max((w.timeout for w in cfg.workers), default=3600.0)

    def __call__(self, tests: Sequence[str]) -> Outcomes:
        order, report = self.scratch / "order.json", self.scratch / "junit.xml"
        order.write_text(json.dumps(list(tests)), encoding="utf-8")
        report.unlink(missing_ok=True)
        files = list(dict.fromkeys(file_of(node) for node in tests))
        command = [
            self.python, "-m", "pytest", *files, "-p", "covsplit.pytest_order", f"--covsplit-order={order}",
            "-p", "no:cacheprovider", "--continue-on-collection-errors", f"--junitxml={report}",
            "-o", "junit_family=xunit1", "-q", *_order_args(self.seed), *self.cfg.pytest_args,
        ]  # fmt: skip
        try:
            subprocess.run(
                command,
                cwd=self.cfg.root,
                env=commands.pytest_environment(self.cfg, self.scratch / ".coverage", self.env),
                capture_output=True,
                check=False,
                timeout=self.timeout,
            )
            results = junit.read_junit(report, self.cfg.root)
        except (subprocess.TimeoutExpired, junit.JUnitError):
            return {}
        outcomes: dict[str, str] = {}
        for result in results:
            if result.outcome in (junit.FAILED, junit.ERROR) or result.nodeid not in outcomes:
                outcomes[result.nodeid] = result.outcome
        return outcomes


# ---------------------------------------------------------------------------
# The command


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


def _seed(cfg: Config, workers: Iterable[str]) -> str | None:
    for name in workers:
        seed = dict(status.read(cfg.layout.worker(name).status)).get("seed")
        if seed is not None:
            return str(seed)
    return None


def _recorded_order(cfg: Config) -> list[str]:
    """The serial order the suite's record holds (covsplit.suite), while it still fits the tree; else none."""
    record = suite.read(cfg)
    cache = DigestCache(cfg.layout.digest_cache)
    current = record is not None and not suite.changes(cfg, record, cache)
    cache.save()
    return list(record.tests) if record is not None and current else []


def run(cfg: Config, *, budget: float | None = None, auto: bool = False, again: bool = False) -> int:
    """Diagnose the failures of the workers' latest runs; write ``diagnosis.json`` and print the verdicts.

    ``auto`` (after ``make coverage-all``): within ``budget`` seconds, and
    not at all when the first run alone would take longer by the measured
    seconds.  A diagnosis of the same runs is reused unless ``again``.
    Runs in the interpreter that runs this (the ``diagnose`` session's
    virtualenv, with the project installed).
    """
    failing, runs = failing_tests(cfg)
    invoke = commands.invocation(cfg)
    if not failing:
        print("covsplit diagnose: no worker's latest run has failed tests: nothing to diagnose")
        return exits.OK
    target = path_for(cfg)
    previous = read(target)
    if (
        not again
        and previous is not None
        and previous.state == DONE
        and previous.runs == runs
        and not any(f.verdict == UNFINISHED for f in previous.findings)
    ):
        print(f"covsplit diagnose: {target} already diagnoses these runs (--again runs it anew)")
        _print(previous, invoke)
        return exits.OK

    started_at, started = status.now(), time.monotonic()
    env = dict(os.environ)
    seed = _seed(cfg, runs)
    try:
        order = _recorded_order(cfg) or serial_order(cfg, sys.executable, env, seed)
    except RuntimeError as exc:
        print(f"covsplit diagnose: {exc}", file=sys.stderr)
        return exits.FAILED
    diagnosis = Diagnosis(runs=runs, started_at=started_at)
    collected = [t for t in failing if t in set(order)]
    if auto and budget is not None and collected:
        last = max(collected, key=order.index)
        expected = estimate_seconds(order, last, durations.read(cfg.layout.output_dir))
        if expected > budget:
            diagnosis.state = SKIPPED
            diagnosis.note = (
                f"not diagnosed by itself: its first run, the serial order up to {last}, takes about "
                f"{expected:.0f} s, above diagnose_budget = {budget:g} s"
            )
    if diagnosis.state == DONE:
        cfg.layout.output_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".diagnose-", dir=cfg.layout.output_dir) as scratch:
            runner = PytestRunner(cfg, sys.executable, env, Path(scratch), seed)
            deadline = started + budget if budget is not None else None
            findings, total_runs, seconds = diagnose(order, failing, runner, deadline=deadline)
        diagnosis.findings, diagnosis.total_runs, diagnosis.seconds = findings, total_runs, seconds
    diagnosis.finished_at = status.now()
    fsio.write_json(target, diagnosis.as_json())
    _print(diagnosis, invoke)
    print(f"wrote {target}")
    return exits.OK


def _print(diagnosis: Diagnosis, invoke: commands.Invocation) -> None:
    if diagnosis.note:
        print(f"{diagnosis.note}: {invoke.make('diagnose')} diagnoses them")
    for finding in diagnosis.findings:
        print(f"{finding.test} ({finding.worker}): {describe(finding)}")
        if finding.group:
            print(f"  fix: project.keep_together gets {json.dumps(list(finding.group))}")
    if diagnosis.findings:
        print(f"{diagnosis.total_runs} pytest runs, {diagnosis.seconds:.0f} s")
    if any(f.group for f in diagnosis.findings):
        print(
            f"next: {invoke.make('diagnose')} ARGS=--apply adds them to project.keep_together and plans again "
            f"(or: {invoke.make('plan')} ARGS=--keep-diagnosed)"
        )
    elif any(f.verdict == UNFINISHED for f in diagnosis.findings):
        print(f"next: {invoke.make('diagnose')} (no time budget) diagnoses the rest")
