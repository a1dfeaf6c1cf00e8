"""Run one worker: pytest + pytest-cov on its tests, then its status, test and time artifacts.

The driver is standard library only, so the nox session runs it in its own
process: a worker costs one nox process and one pytest, nothing more.
pytest runs with the worker virtualenv's interpreter.  Coverage reports
are not made here: after a full run the aggregate writes each worker's
reports from the combined data (its modules under the whole suite, as the
spec's ``pytest --cov=<modules> tests/`` measured), analysing every file
once; a worker run alone gets its own tests' reports from
``covsplit worker-reports``, labelled as such.

The order of work is what makes a crash visible: the status file says
``running`` before pytest starts, and every artifact is written afterwards
whatever pytest did, each atomically.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import re
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from covsplit import (
    capacity,
    collection,
    durations,
    exits,
    fsio,
    lock,
    progress,
    rerun,
    shuffle,
    status,
    suite,
)
from covsplit.commands import (
    command_line,
    invocation,
    partial_path,
    pytest_command,
    pytest_environment,
    readable,
)
from covsplit.config import Config, Worker
from covsplit.digests import DigestCache
from covsplit.failures import categories, category_files, exception_type, render_failure_analysis
from covsplit.junit import (
    ERROR,
    FAILED,
    JUnitError,
    TestResult,
    collection_outcomes,
    count_outcomes,
    per_file,
    read_junit,
)
from covsplit.layout import WorkerPaths
from covsplit.summary import PENDING, SummaryInput, render_summary

# pytest's documented exit codes; anything else (or a signal) is a crash.
PYTEST_OK, PYTEST_NO_TESTS = 0, 5
PYTEST_STOPPED = {2: "interrupted", 3: "internal error", 4: "usage error, see the test output"}
KILL_GRACE_SECONDS = 10.0
BUSY_EXIT_STATUS = exits.BUSY
_PR_SET_PDEATHSIG = 1


class _Run:
    """pytest's outcome as the driver saw it."""

    def __init__(self) -> None:
        self.exit_status: int | None = None
        # pytest's own resource use, its reaped children included (xdist's processes).
        self.usage: resource.struct_rusage | None = None
        self.timed_out = False
        self.interrupted = False
        self.error = ""


def _run_pytest(
    command: list[str], env: dict[str, str], cwd: Path, log_path: Path, timeout: float, memory_limit_mib: int | None
) -> _Run:
    """Run pytest, echoing and recording its output; kill its whole group on timeout."""
    run = _Run()
    partial = log_path.with_name(f".{log_path.name}.partial")
    deadline = time.monotonic() + timeout
    with open(partial, "wb") as log:
        try:
            process = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=functools.partial(_prepare_child, memory_limit_mib),
            )
        except OSError as exc:
            run.error = f"could not start pytest: {exc}"
            log.write(run.error.encode() + b"\n")
            partial.replace(log_path)
            return run

        def stop(signum: int, _frame: object) -> None:
            # make -j / CI cancelling the job: stop pytest, still record the outcome.
            run.interrupted = True
            _kill_group(process, signal.SIGINT)

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            assert process.stdout is not None
            os.set_blocking(process.stdout.fileno(), False)
            last = b"\n"
            while True:
                chunk = process.stdout.read(65536)
                if chunk:
                    log.write(chunk)
                    sys.stdout.buffer.write(chunk)
                    sys.stdout.flush()
                    last = chunk[-1:]
                    continue
                if _reap(process, run) and not chunk:
                    rest = process.stdout.read() or b""
                    log.write(rest)
                    # A process killed mid-line: the driver's verdict starts on a line of its own.
                    sys.stdout.buffer.write(rest if (rest or last).endswith(b"\n") else rest + b"\n")
                    break
                if time.monotonic() > deadline and not run.timed_out:
                    # SIGINT is pytest's KeyboardInterrupt: it still writes its JUnit
                    # results and pytest-cov saves the data measured so far.
                    run.timed_out = True
                    _kill_group(process, signal.SIGINT)
                    deadline = time.monotonic() + KILL_GRACE_SECONDS
                elif run.timed_out and time.monotonic() > deadline:
                    _kill_group(process, signal.SIGKILL)
                time.sleep(0.05)
            run.exit_status = process.returncode
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    partial.replace(log_path)
    return run


def _reap(process: subprocess.Popen, run: _Run) -> bool:
    """Whether pytest has exited; reaped with wait4, which also says what it used."""
    if process.returncode is not None:
        return True
    pid, wait_status, usage = os.wait4(process.pid, os.WNOHANG)
    if not pid:
        return False
    process.returncode = os.waitstatus_to_exitcode(wait_status)
    run.usage = usage
    return True


def _prepare_child(memory_limit_mib: int | None) -> None:
    """In the child, before pytest starts: die with the driver, and stay within the worker's memory."""
    _die_with_parent()
    # SIGINT is how the driver stops pytest (a timeout, a cancelled run): started from a background job or
    # nohup, which ignore it, pytest would inherit that and sleep on through the stop.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if memory_limit_mib:
        # The address space: a test asking for 24 GB gets MemoryError and fails alone, instead of the
        # kernel's OOM killer taking the whole run (or the machine's other workers) with it.
        limit = memory_limit_mib * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _die_with_parent() -> None:
    """In the child: get SIGKILL when the driver dies, so a killed worker leaves no orphan pytest.

    pytest runs in its own process group (so a timeout can stop all of it),
    which also shields it from the signal that killed the driver.  Linux
    only; elsewhere an orphan may outlive a SIGKILLed driver.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _kill_group(process: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def _state(run: _Run, outcomes: dict[str, int] | None, record: progress.Progress, from_junit: bool) -> tuple[str, str]:
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


def _limits_hit(worker: Worker, results: Sequence[TestResult]) -> str:
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


def _keep_saved_coverage(python: str, paths: WorkerPaths, root: Path, env: Mapping[str, str]) -> bool:
    """After a crash: combine what pytest-cov's coverage saved during the run into the worker's data file.

    The progress plugin has coverage.py save at test-file boundaries; a
    process that died never combined those pieces.  Combined with the
    worker virtualenv's coverage (the standard library driver has none).
    """
    pieces = sorted(paths.data_file.parent.glob(f"{paths.data_file.name}.*"))
    if not pieces or paths.data_file.exists():
        return False
    command = [python, "-m", "coverage", "combine", f"--data-file={paths.data_file}", *map(str, pieces)]
    done = subprocess.run(command, cwd=root, env=dict(env), capture_output=True, text=True, check=False)
    if done.returncode != 0 or not paths.data_file.exists():
        print(f"could not keep the coverage saved before the crash: {done.stderr.strip()}", file=sys.stderr)
        return False
    return True


def _read_results(junit_partial: Path, paths: WorkerPaths, root: Path) -> tuple[list[TestResult], str]:
    """pytest's results and, when there are none, why."""
    try:
        results = read_junit(junit_partial, root)
    except JUnitError as exc:
        junit_partial.unlink(missing_ok=True)
        return [], str(exc)
    junit_partial.replace(paths.junit)
    return results, ""


def _shuffled(paths: WorkerPaths) -> dict[str, Any]:
    """The seed the tests were shuffled with and by which plugins (covsplit.pytest_seed); None: not shuffled."""
    record = fsio.read_json(paths.shuffle)
    paths.shuffle.unlink(missing_ok=True)
    if not isinstance(record, dict):
        return {"seed": None, "shuffled_by": []}
    seed, used = record.get("seed"), record.get("shuffled_by")
    return {"seed": seed if isinstance(seed, int) else None, "shuffled_by": used if isinstance(used, list) else []}


def _cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run(
    cfg: Config,
    name: str,
    python: str = sys.executable,
    env: Mapping[str, str] | None = None,
    concurrent: int | None = None,
) -> int:
    """Run worker ``name`` and write its artifacts; 0 only when every test passed.

    ``python`` is the worker virtualenv's interpreter and ``env`` the
    environment that virtualenv needs (nox's, when a session calls this).
    ``concurrent`` is how many workers share the machine (default: what
    ``make coverage-all`` says, else 1), which bounds the xdist processes.
    """
    worker = cfg.worker(name)
    paths = cfg.layout.worker(worker.name)
    try:
        with lock.hold(paths.lock, f"worker {worker.name}"):
            return _run_locked(cfg, worker, paths, python, env, concurrent)
    except lock.Busy as exc:
        # Refused before touching anything: the running one's files stay as they are.
        print(f"{worker.name}: not started: {exc}", file=sys.stderr)
        return BUSY_EXIT_STATUS


def _run_locked(
    cfg: Config,
    worker: Worker,
    paths: WorkerPaths,
    python: str,
    env: Mapping[str, str] | None,
    concurrent: int | None,
) -> int:
    cfg.layout.output_dir.mkdir(parents=True, exist_ok=True)
    junit_partial, durations_partial = partial_path(paths.junit), partial_path(paths.durations)
    sharing = concurrent or capacity.concurrent_workers()
    cpus = os.cpu_count() or 1
    processes = capacity.xdist_processes(worker.xdist, cpus, sharing)
    seed = shuffle.run_seed(os.environ) if shuffle.installed(python) else None
    kept = rerun.prepare(cfg, worker)
    rerun_list = kept.rerun_list if kept else None
    command = pytest_command(cfg, worker, junit_partial, durations_partial, python, processes, seed, rerun_list)
    shown = command_line(cfg, command, paths.data_file)
    base: dict[str, Any] = {
        "worker": worker.name,
        "title": worker.title,
        "modules": list(worker.modules),
        "files": list(worker.files),
        "tests": list(worker.tests),
        "root": str(cfg.root),
        "config": str(cfg.path),
        "pid": os.getpid(),
        "host": status.host(),
        "started_at": status.now(),
        "command": command,
        "command_line": shown,
        "artifacts": paths.artifacts(),
    }
    status.write(paths.status, {**base, "state": status.RUNNING})
    # A fresh measurement: stale data from an earlier run must not leak in.  pytest-cov
    # combines every `<data file>.*` it finds, so a killed run's suffixed pieces go too.
    for stale in [paths.data_file, *paths.data_file.parent.glob(f"{paths.data_file.name}.*")]:
        stale.unlink(missing_ok=True)
    outputs = (paths.progress, paths.inputs, paths.observed, paths.shuffle, paths.collection)
    for stale in (junit_partial, durations_partial, *outputs):
        stale.unlink(missing_ok=True)

    started = time.monotonic()
    started_ns = time.time_ns()
    pytest_env = pytest_environment(cfg, paths.data_file, env)
    result = _run_pytest(command, pytest_env, cfg.root, paths.test_output, worker.timeout, worker.memory_limit_mib)
    duration = time.monotonic() - started
    if kept and result.exit_status == PYTEST_NO_TESTS and paths.collection.exists():
        # Every test kept from before, none to run: pytest says "no tests ran", the collection was measured.
        result.exit_status = PYTEST_OK
    usage = result.usage
    final: dict[str, Any] = {
        **base,
        "duration_s": round(duration, 3),
        "pytest_cpu_s": round(usage.ru_utime + usage.ru_stime, 3) if usage else None,
        # The largest resident size of pytest or a process it waited for (kilobytes on Linux).
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1) if usage else None,
        "processes": max(1, processes),
        "exit_status": result.exit_status,
    }
    try:
        results, junit_problem = _read_results(junit_partial, paths, cfg.root)
        merged = ""
        if (
            kept
            and not junit_problem
            and not result.timed_out
            and not result.interrupted
            and result.exit_status in (0, 1)
        ):
            merged = rerun.merge(cfg, worker, kept, python, pytest_env) or "merged"
            if merged == "merged":
                results, junit_problem = _read_results(paths.junit, paths, cfg.root)
        record = progress.read(paths.progress, cfg.root)
        if junit_problem and record.results:
            # pytest died before its JUnit file: the tests that finished, from the record it kept as it went.
            results = record.results
        outcomes = count_outcomes(results) if results or not junit_problem else None
        state, message = _state(result, outcomes, record, from_junit=not junit_problem)
        message = _join(message, _limits_hit(worker, results))
        if junit_problem and not message:
            message = junit_problem
        if junit_problem and _keep_saved_coverage(python, paths, cfg.root, pytest_env):
            message += "; coverage measured up to the last save before it is kept (partial)"
        final.update(state=state, message=message, outcomes=outcomes, collection_outcomes=collection_outcomes(results))
        final.update(_shuffled(paths))
        contention = capacity.contention(sharing, processes, cpus)
        cpu = final["pytest_cpu_s"] / max(1, processes) if final["pytest_cpu_s"] is not None else None
        durations.record(durations_partial, paths.durations, cfg.root, worker.name, duration, cpu, contention)
        if kept and merged == "merged":
            rerun.merge_durations(cfg, worker, kept)
            final["rerun"] = {
                "ran": list(kept.partial.run),
                "why": list(kept.partial.why),
                "kept_from": kept.started_at,
            }
        elif kept and merged:
            state, message = status.CRASHED, merged
            final.update(state=state, message=message)
        if state in (status.PASSED, status.FAILED):
            rerun.record_inputs(cfg, worker, base["started_at"], started_ns, kept)
            _refresh_suite(cfg, worker, paths, started_ns)
        # A run that did not finish records no inputs: it runs again whatever changed.
        paths.observed.unlink(missing_ok=True)
        _write_artifacts(cfg, worker, paths, final, results)
    except Exception as exc:
        # Whatever broke, the status must not stay "running": say what happened, then fail loudly.
        final.update(state=status.CRASHED, message=f"covsplit could not write the worker's artifacts: {exc!r}")
        status.write(paths.status, {**final, "finished_at": status.now()})
        raise
    finally:
        if kept:
            rerun.discard(kept)
    print(f"{worker.name}: {final['state']}" + (f" ({final['message']})" if final["message"] else ""), file=sys.stderr)
    return exits.OK if final["state"] == status.PASSED else exits.FAILED


def summary_input(
    cfg: Config,
    worker: Worker,
    record: Mapping[str, Any],
    results: Sequence[TestResult],
    coverage: dict[str, Any] | None,
    scope: str,
) -> SummaryInput:
    """The summary's input from a worker's status record, its results and a coverage report of its modules."""
    paths = cfg.layout.worker(worker.name)
    return SummaryInput(
        worker=worker,
        state=record.get("state", status.CRASHED),
        command_line=readable(cfg, record.get("command_line", "")),
        started_at=record.get("started_at", ""),
        finished_at=record.get("finished_at", ""),
        duration_s=float(record.get("duration_s") or 0.0),
        exit_status=record.get("exit_status"),
        coverage=coverage,
        coverage_scope=scope,
        results=results,
        artifacts=paths.artifacts(),
        line_threshold=cfg.line_threshold,
        branch_threshold=cfg.branch_threshold,
        message=record.get("message", ""),
        invoke=invocation(cfg),
        config=str(cfg.path),
    )


def _refresh_suite(cfg: Config, worker: Worker, paths: WorkerPaths, started_ns: int) -> None:
    """What this run collected refreshes the suite's record (covsplit.suite) for the test paths it holds."""
    collected = collection.read_collection(paths.collection)
    if collected is None:
        return
    cache = DigestCache(cfg.layout.digest_cache)
    suite.update(cfg, collected, worker.name, started_ns, cache)
    cache.save()


def _write_artifacts(
    cfg: Config, worker: Worker, paths: WorkerPaths, final: dict[str, Any], results: list[TestResult]
) -> None:
    """Summary and failure analysis, and the final status last."""
    final["finished_at"] = status.now()
    fsio.write_text(paths.summary, render_summary(summary_input(cfg, worker, final, results, None, PENDING)))
    fsio.write_text(paths.failure_analysis, render_failure_analysis(worker.name, worker.title, results))
    final.update(
        test_files=per_file(results),
        failure_categories=categories(results),
        # Which files each category's failures are in: the report's next steps name them.
        failure_files=category_files(results),
        # Everything this session spent: nox, the driver, installs, pytest.
        session_cpu_s=round(_cpu_seconds(resource.RUSAGE_SELF) + _cpu_seconds(resource.RUSAGE_CHILDREN), 3),
    )
    status.write(paths.status, final)
