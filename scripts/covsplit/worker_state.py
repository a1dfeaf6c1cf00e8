"""A worker's final state, and why, from how pytest ended and what it recorded.

The state is what the report, the aggregate and ``make coverage-all`` trust,
so a run that did not reach its end is never called passed or failed: a
timeout, a signal, a conftest that failed to import, a process that exited
in the middle of a test each say so, naming the test that was running.
Standard library only.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Sequence
from dataclasses import dataclass

from covsplit import progress, status
from covsplit.config import Worker
from covsplit.failures import exception_type
from covsplit.junit import ERROR, FAILED, TestResult, count_outcomes
from covsplit.worker_process import PytestRun

# pytest's documented exit codes; anything else (or a signal) is a crash.
PYTEST_OK, PYTEST_NO_TESTS = 0, 5
PYTEST_STOPPED = {2: "interrupted", 3: "internal error", 4: "usage error, see the test output"}


@dataclass(frozen=True)
class Verdict:
    """How the worker's run ended: its state, why, and the results it is judged on."""

    state: str
    message: str
    results: list[TestResult]
    outcomes: dict[str, int] | None  # None: no results to count (pytest wrote none and recorded none)


def verdict(
    run: PytestRun, worker: Worker, results: list[TestResult], junit_problem: str, record: progress.Progress
) -> Verdict:
    """The run's verdict from its JUnit results or, when pytest died before writing them, its progress record."""
    if junit_problem and record.results:
        # pytest died before its JUnit file: the tests that finished, from the record it kept as it went.
        results = record.results
    outcomes = count_outcomes(results) if results or not junit_problem else None
    state, message = final_state(run, outcomes, record, from_junit=not junit_problem)
    message = _join(message, limits_hit(worker, results))
    return Verdict(state, message or junit_problem, results, outcomes)


def final_state(
    run: PytestRun, outcomes: dict[str, int] | None, record: progress.Progress, from_junit: bool
) -> tuple[str, str]:
    """The worker's final state and, for anything but a clean pass, why (naming the test that was running)."""
    during = f" while running {record.running}" if record.running else ""
    finished = f"; {record.finished} test(s) had finished" if record.running and record.finished else ""
    if run.timed_out:
        return status.TIMEOUT, f"pytest was stopped after the worker's timeout{during}{finished}"
    if run.interrupted:
        return status.CRASHED, f"the worker was interrupted (SIGTERM/SIGINT){during}{finished}"
    if run.error:
        return status.CRASHED, run.error
    if run.exit_status is None or run.exit_status < 0:
        return status.CRASHED, f"pytest was killed by {_signal_name(-(run.exit_status or 0))}{during}{finished}"
    if record.conftest_error:
        return status.CRASHED, f"a conftest failed to import, so no test ran: {record.conftest_error}"
    if record.running and not from_junit:
        # Not pytest's own exit: the process ended in the middle of a test (os._exit, a C extension's exit()).
        return status.CRASHED, f"the process exited with status {run.exit_status}{during}{finished}"
    if run.exit_status in PYTEST_STOPPED:
        return status.CRASHED, f"pytest stopped: {PYTEST_STOPPED[run.exit_status]} (exit status {run.exit_status})"
    if run.exit_status == PYTEST_NO_TESTS:
        return status.FAILED, "pytest collected no tests"
    if outcomes is None:
        return status.CRASHED, f"pytest exited with status {run.exit_status} and wrote no JUnit results"
    if outcomes["failed"] or outcomes["errors"] or run.exit_status != PYTEST_OK:
        return status.FAILED, ""
    return status.PASSED, ""


# What pytest-timeout puts in a failure's message when a test outlived `test_timeout`.
_TEST_TIMEOUT = re.compile(r"Timeout \(>[\d.]+s\) from pytest-timeout")


def limits_hit(worker: Worker, results: Sequence[TestResult]) -> str:
    """Which tests hit the worker's per-test time limit or memory limit, from their failures."""
    notes = []
    timed_out = [r.nodeid for r in results if r.outcome in (FAILED, ERROR) and _TEST_TIMEOUT.search(r.message)]
    if timed_out:
        notes.append(f"timed out after test_timeout = {worker.test_timeout:g} s: {', '.join(timed_out)}")
    if worker.memory_limit_mib:
        starved = [r.nodeid for r in results if r.outcome in (FAILED, ERROR) and exception_type(r) == "MemoryError"]
        if starved:
            notes.append(f"ran out of memory under memory_limit = {worker.memory_limit_mib} MiB: {', '.join(starved)}")
    return "; ".join(notes)


def _join(*parts: str) -> str:
    return "; ".join(part for part in parts if part)


def _signal_name(number: int) -> str:
    try:
        return f"{signal.Signals(number).name} ({signal.strsignal(number) or 'signal'})"
    except ValueError:
        return f"signal {number}"
