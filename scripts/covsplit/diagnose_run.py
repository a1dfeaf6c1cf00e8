"""``covsplit diagnose``, the command: which failures to diagnose, the pytest runs the search makes, the verdicts.

covsplit.diagnose is the search itself, pure over a ``run(tests) ->
outcomes`` callable, and the record it leaves (``diagnosis.json``); this
module is its I/O edge: the workers' failed tests from their JUnit results,
the suite's serial order, a :class:`PytestRunner` that runs exactly a list
of tests in order in the project's virtualenv, and the budget that decides
whether ``make coverage-all`` diagnoses by itself.  Standard library only,
except what the project's virtualenv provides.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from covsplit import commands, durations, exits, file_grain, fsio, junit, status, suite
from covsplit.config import Config
from covsplit.diagnose import (
    DONE,
    SKIPPED,
    UNFINISHED,
    Diagnosis,
    Outcomes,
    describe,
    diagnose,
    path_for,
    read,
)
from covsplit.digests import DigestCache
from covsplit.node_ids import file_of


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


def carry_forward(cfg: Config) -> bool:
    """Move the diagnosis on to the workers' runs that kept its failures, without a pytest run; whether it moved.

    A partial run (covsplit.rerun) keeps a failing test's result when none
    of its inputs changed: the failure is the one diagnosed, and so is its
    verdict.  Without this, each edit elsewhere in a failing worker made
    ``make coverage-all`` diagnose the same failure again (8-10 s on babel,
    more than the edit's own run), and the report dropped the findings.
    It moves only when every failing test of such a run was diagnosed in
    the run its results were kept from, and none ran again.
    """
    target = path_for(cfg)
    previous = read(target)
    if previous is None or previous.state != DONE or any(f.verdict == UNFINISHED for f in previous.findings):
        return False
    failing, runs = failing_tests(cfg)
    if not failing or runs == previous.runs:
        return False
    diagnosed = {(finding.worker, finding.test) for finding in previous.findings}
    for name, started in runs.items():
        if previous.runs.get(name) == started:
            continue
        rerun = status.read(cfg.layout.worker(name).status).get("rerun")
        if not isinstance(rerun, Mapping) or rerun.get("kept_from") != previous.runs.get(name):
            return False
        ran = file_grain.Partial(tuple(rerun.get("ran") or ()))
        mine = [test for test, worker in failing.items() if worker == name]
        if any(ran.runs(test) or (name, test) not in diagnosed for test in mine):
            return False
    findings = [finding for finding in previous.findings if failing.get(finding.test) == finding.worker]
    fsio.write_json(target, dataclasses.replace(previous, runs=runs, findings=findings).as_json())
    return True


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
    carry_forward(cfg)
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
