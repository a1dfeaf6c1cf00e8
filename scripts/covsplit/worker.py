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
import os
import resource
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from covsplit import capacity, durations, fsio, lock, status
from covsplit.config import Config, Worker
from covsplit.failures import categories, render_failure_analysis
from covsplit.junit import JUnitError, TestResult, count_outcomes, per_file, read_junit
from covsplit.layout import WorkerPaths
from covsplit.summary import PENDING, SummaryInput, render_summary

SCRIPTS_DIR = Path(__file__).resolve().parents[1]
# pytest's documented exit codes; anything else (or a signal) is a crash.
PYTEST_OK, PYTEST_NO_TESTS = 0, 5
PYTEST_STOPPED = {2: "interrupted", 3: "internal error", 4: "usage error, see the test output"}
KILL_GRACE_SECONDS = 10.0
# Another run of the same worker holds its lock: this one did nothing.
BUSY_EXIT_STATUS = 3
_PR_SET_PDEATHSIG = 1


def pytest_command(
    cfg: Config,
    worker: Worker,
    junit_path: Path,
    durations_path: Path,
    python: str = sys.executable,
    processes: int = 0,
) -> list[str]:
    """The exact pytest command a worker runs, from the project root.

    Every package under ``project.source`` is measured, not only the owned
    ones, so that the workers' data combine into exactly one serial run.
    No per-test contexts: they cost as much again as the measurement itself
    and nothing in a run needs them.
    """
    sources = [Path(cfg.source_dir, *package.split(".")).as_posix() for package in cfg.source]
    return [
        python,
        "-m",
        "pytest",
        *worker.tests,
        "-p",
        "covsplit.pytest_isolation",
        "-p",
        "covsplit.pytest_durations",
        f"--covsplit-durations={durations_path}",
        "-p",
        "no:cacheprovider",
        "--continue-on-collection-errors",
        f"--junitxml={junit_path}",
        "-o",
        "junit_family=xunit1",
        "-o",
        "junit_duration_report=total",
        # Progress as tests done out of collected ("[120/450]"): the line nox's status board shows.
        "-o",
        "console_output_style=count",
        "--cov-reset",
        *[f"--cov={source}" for source in sources],
        "--cov-branch",
        # No report from pytest-cov: a terminal table analyses every measured
        # file (about a second per worker here); the driver reports the owned ones.
        "--cov-report=",
        "--cov-fail-under=0",
        # pytest-cov combines the xdist processes' data into the worker's one data file.
        *(["-n", str(processes)] if processes > 1 else []),
        *cfg.pytest_args,
    ]


def pytest_environment(cfg: Config, data_file: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment pytest runs in: the caller's, the config's, and the worker's data file.

    ``COVERAGE_FILE`` gives each worker its own data file, so workers running
    at once in one tree never read or overwrite each other's ``.coverage``.
    """
    env = dict(os.environ if base is None else base)
    env.update(cfg.env)
    env["COVERAGE_FILE"] = str(data_file)
    env["PYTHONPATH"] = _pythonpath(env.get("PYTHONPATH", ""))
    return env


def _pythonpath(current: str) -> str:
    # The isolation plugin lives beside this package: first, once; the rest kept in order.
    rest = [p for p in current.split(os.pathsep) if p and p != str(SCRIPTS_DIR)]
    return os.pathsep.join([str(SCRIPTS_DIR), *rest])


def command_line(cfg: Config, command: Sequence[str], data_file: Path) -> str:
    """A shell line that reproduces the run by hand, environment included."""
    assignments = {
        **cfg.env,
        "COVERAGE_FILE": str(data_file),
        "PYTHONPATH": _pythonpath(cfg.env.get("PYTHONPATH", "")),
    }
    env_text = " ".join(f"{name}={shlex.quote(value)}" for name, value in assignments.items())
    return f"cd {shlex.quote(str(cfg.root))} && {env_text} {shlex.join(command)}"


class _Run:
    """pytest's outcome as the driver saw it."""

    def __init__(self) -> None:
        self.exit_status: int | None = None
        # pytest's own resource use, its reaped children included (xdist's processes).
        self.usage: resource.struct_rusage | None = None
        self.timed_out = False
        self.interrupted = False
        self.error = ""


def _run_pytest(command: list[str], env: dict[str, str], cwd: Path, log_path: Path, timeout: float) -> _Run:
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
                preexec_fn=_die_with_parent,
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
            while True:
                chunk = process.stdout.read(65536)
                if chunk:
                    log.write(chunk)
                    sys.stdout.buffer.write(chunk)
                    sys.stdout.flush()
                    continue
                if _reap(process, run) and not chunk:
                    rest = process.stdout.read()
                    if rest:
                        log.write(rest)
                        sys.stdout.buffer.write(rest)
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


def _state(run: _Run, outcomes: dict[str, int] | None) -> tuple[str, str]:
    """The worker's final state and, for anything but a clean pass, why."""
    if run.timed_out:
        return status.TIMEOUT, "pytest was killed after the worker's timeout"
    if run.interrupted:
        return status.CRASHED, "the worker was interrupted (SIGTERM/SIGINT) before pytest finished"
    if run.error:
        return status.CRASHED, run.error
    if run.exit_status is None or run.exit_status < 0:
        return status.CRASHED, f"pytest died from signal {-(run.exit_status or 0)}"
    if run.exit_status in PYTEST_STOPPED:
        return status.CRASHED, f"pytest stopped: {PYTEST_STOPPED[run.exit_status]} (exit status {run.exit_status})"
    if run.exit_status == PYTEST_NO_TESTS:
        return status.FAILED, "pytest collected no tests"
    if outcomes is None:
        return status.CRASHED, f"pytest exited with status {run.exit_status} and wrote no JUnit results"
    if outcomes["failed"] or outcomes["errors"] or run.exit_status != PYTEST_OK:
        return status.FAILED, ""
    return status.PASSED, ""


def _partial(path: Path) -> Path:
    # pytest writes the JUnit and durations files at the very end, not atomically:
    # they get a hidden name and are renamed once read.
    return path.with_name(f".{path.name}.partial")


def planned_command(cfg: Config, worker: Worker, python: str = "python") -> str:
    """The shell line ``nox -s NAME`` runs, for reports on workers that have not run yet."""
    paths = cfg.layout.worker(worker.name)
    command = pytest_command(cfg, worker, _partial(paths.junit), _partial(paths.durations), python)
    return command_line(cfg, command, paths.data_file)


def _read_results(junit_partial: Path, paths: WorkerPaths, root: Path) -> tuple[list[TestResult], str]:
    """pytest's results and, when there are none, why."""
    try:
        results = read_junit(junit_partial, root)
    except JUnitError as exc:
        junit_partial.unlink(missing_ok=True)
        return [], str(exc)
    junit_partial.replace(paths.junit)
    return results, ""


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
    cfg.output_dir.mkdir(parents=True, exist_ok=True)
    junit_partial, durations_partial = _partial(paths.junit), _partial(paths.durations)
    sharing = concurrent or capacity.concurrent_workers()
    processes = capacity.xdist_processes(worker.xdist, os.cpu_count() or 1, sharing)
    command = pytest_command(cfg, worker, junit_partial, durations_partial, python, processes)
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
    for stale in (junit_partial, durations_partial):
        stale.unlink(missing_ok=True)

    started = time.monotonic()
    result = _run_pytest(
        command, pytest_environment(cfg, paths.data_file, env), cfg.root, paths.test_output, worker.timeout
    )
    duration = time.monotonic() - started
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
        outcomes = count_outcomes(results) if not junit_problem else None
        state, message = _state(result, outcomes)
        if junit_problem and not message:
            message = junit_problem
        final.update(state=state, message=message, outcomes=outcomes)
        durations.record(durations_partial, paths.durations, cfg.root, worker.name, duration)
        _write_artifacts(cfg, worker, paths, final, results)
    except Exception as exc:
        # Whatever broke, the status must not stay "running": say what happened, then fail loudly.
        final.update(state=status.CRASHED, message=f"covsplit could not write the worker's artifacts: {exc!r}")
        status.write(paths.status, {**final, "finished_at": status.now()})
        raise
    print(f"{worker.name}: {final['state']}" + (f" ({final['message']})" if final["message"] else ""), file=sys.stderr)
    return 0 if final["state"] == status.PASSED else 1


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
        command_line=record.get("command_line", ""),
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
    )


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
        # Everything this session spent: nox, the driver, installs, pytest.
        session_cpu_s=round(_cpu_seconds(resource.RUSAGE_SELF) + _cpu_seconds(resource.RUSAGE_CHILDREN), 3),
    )
    status.write(paths.status, final)
