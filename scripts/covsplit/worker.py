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
whatever pytest did, each atomically.  pytest itself runs as a child
process in covsplit.worker_process; the state the run ends in is decided
in covsplit.worker_state; which files a run clears first is covsplit.artifacts'.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from covsplit import (
    capacity,
    collection,
    digests,
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
from covsplit.commands import TEMP_ROOT, command_line, own_temp_root, pytest_command, pytest_environment
from covsplit.config import Config, Worker
from covsplit.digests import DigestCache
from covsplit.failures import categories, category_files, render_failure_analysis
from covsplit.junit import ERROR, FAILED, JUnitError, TestResult, collection_outcomes, per_file, read_junit
from covsplit.layout import WorkerPaths, partial_path
from covsplit.summary import PENDING, render_summary, summary_input
from covsplit.worker_process import PytestRun, run_pytest
from covsplit.worker_state import PYTEST_NO_TESTS, PYTEST_OK, verdict


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
        return exits.BUSY


@dataclass(frozen=True)
class _Launch:
    """What a run was started with: its pytest command and record, and what it shares the machine with."""

    command: list[str]
    base: dict[str, Any]  # the status record's fields that hold from start to end
    sharing: int  # how many workers share the machine
    cpus: int
    processes: int  # xdist processes (0: none)
    kept: rerun.Kept | None  # the tests kept from the last run, when only some run again


def _run_locked(
    cfg: Config,
    worker: Worker,
    paths: WorkerPaths,
    python: str,
    env: Mapping[str, str] | None,
    concurrent: int | None,
) -> int:
    """One run under the worker's lock: say it is running, run pytest, record what happened whatever it was."""
    launch = _launch(cfg, worker, paths, python, concurrent)
    status.write(paths.status, {**launch.base, "state": status.RUNNING})
    for stale in paths.cleared_before_run():
        stale.unlink(missing_ok=True)
    started, started_ns = time.monotonic(), digests.file_clock_ns(paths.status.parent)
    pytest_env = pytest_environment(cfg, paths.data_file, env)
    # A temporary root the caller chose stays theirs.
    pytest_env.setdefault(TEMP_ROOT, str(own_temp_root(cfg, worker.name)))
    result = run_pytest(
        launch.command, pytest_env, cfg.root, paths.test_output, worker.timeout, worker.memory_limit_mib
    )
    duration = time.monotonic() - started
    if launch.kept and result.exit_status == PYTEST_NO_TESTS and paths.collection.exists():
        # Every test kept from before, none to run: pytest says "no tests ran", the collection was measured.
        result.exit_status = PYTEST_OK
    final = _measured(launch, result, duration)
    try:
        results = _conclude(cfg, worker, paths, launch, result, final, python, pytest_env)
        _record_run(cfg, worker, paths, launch, final, duration, started_ns)
        # A run that did not finish records no inputs: it runs again whatever changed.
        paths.observed.unlink(missing_ok=True)
        _write_artifacts(cfg, worker, paths, final, results)
    except Exception as exc:
        # Whatever broke, the status must not stay "running": say what happened, then fail loudly.
        final.update(state=status.CRASHED, message=f"covsplit could not write the worker's artifacts: {exc!r}")
        status.write(paths.status, {**final, "finished_at": status.now()})
        raise
    finally:
        if launch.kept:
            rerun.discard(launch.kept)
    print(f"{worker.name}: {final['state']}" + (f" ({final['message']})" if final["message"] else ""), file=sys.stderr)
    return exits.OK if final["state"] == status.PASSED else exits.FAILED


def _launch(cfg: Config, worker: Worker, paths: WorkerPaths, python: str, concurrent: int | None) -> _Launch:
    """The pytest command and the status record's fixed fields, with the xdist processes the machine allows."""
    cfg.layout.output_dir.mkdir(parents=True, exist_ok=True)
    sharing = concurrent or capacity.concurrent_workers()
    cpus = os.cpu_count() or 1
    processes = capacity.xdist_processes(worker.xdist, cpus, sharing)
    kept = rerun.prepare(cfg, worker)
    seed = None
    if shuffle.installed(python):
        # A partial run keeps data shuffled with the last run's seed: the files it runs again take the same one.
        seed = kept.seed if kept and kept.seed is not None else shuffle.run_seed(os.environ)
    rerun_list = kept.rerun_list if kept else None
    junit_partial, durations_partial = partial_path(paths.junit), partial_path(paths.durations)
    contexts = not os.environ.get(rerun.NO_GRAIN_ENV)
    command = pytest_command(
        cfg, worker, junit_partial, durations_partial, python, processes, seed, rerun_list, contexts
    )
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
        "command_line": command_line(cfg, command, paths.data_file),
        "artifacts": paths.artifacts(),
    }
    return _Launch(command, base, sharing, cpus, processes, kept)


def _measured(launch: _Launch, result: PytestRun, duration: float) -> dict[str, Any]:
    """The status record with what the run cost: its time, pytest's CPU and memory, and its exit status."""
    usage = result.usage
    return {
        **launch.base,
        "duration_s": round(duration, 3),
        "pytest_cpu_s": round(usage.ru_utime + usage.ru_stime, 3) if usage else None,
        # The largest resident size of pytest or a process it waited for (kilobytes on Linux).
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1) if usage else None,
        "processes": max(1, launch.processes),
        "exit_status": result.exit_status,
    }


def _conclude(
    cfg: Config,
    worker: Worker,
    paths: WorkerPaths,
    launch: _Launch,
    result: PytestRun,
    final: dict[str, Any],
    python: str,
    pytest_env: dict[str, str],
) -> list[TestResult]:
    """The run's verdict into ``final``, its kept tests' results joined in; return the results it is judged on."""
    kept = launch.kept
    results, junit_problem = _read_results(partial_path(paths.junit), paths, cfg.root)
    merged = ""
    if kept and not junit_problem and not result.timed_out and not result.interrupted and result.exit_status in (0, 1):
        merged = rerun.merge(cfg, worker, kept, python, pytest_env) or "merged"
        if merged == "merged":
            results, junit_problem = _read_results(paths.junit, paths, cfg.root)
    judged = verdict(result, worker, results, junit_problem, progress.read(paths.progress, cfg.root))
    message = judged.message
    if junit_problem and _keep_saved_coverage(python, paths, cfg.root, pytest_env):
        message += "; coverage measured up to the last save before it is kept (partial)"
    final.update(
        state=judged.state,
        message=message,
        outcomes=judged.outcomes,
        collection_outcomes=collection_outcomes(judged.results),
    )
    final.update(_shuffled(paths))
    if kept and merged == "merged":
        final["rerun"] = {"ran": list(kept.partial.run), "why": list(kept.partial.why), "kept_from": kept.started_at}
        failed = [r.nodeid for r in judged.results if r.outcome in (FAILED, ERROR)]
        if failed and not any(kept.partial.runs(node) for node in failed):
            # Every failure is a kept result, reused as a reused worker's is: the verdict says when it ran.
            final["rerun"]["failures_from"] = kept.failures_from
    elif kept and merged:
        final.update(state=status.CRASHED, message=merged)
    return judged.results


def _record_run(
    cfg: Config,
    worker: Worker,
    paths: WorkerPaths,
    launch: _Launch,
    final: dict[str, Any],
    duration: float,
    started_ns: int,
) -> None:
    """What the next plan and the next run read: measured seconds, and for a finished run its inputs and tests."""
    contention = capacity.contention(launch.sharing, launch.processes, launch.cpus)
    cpu = final["pytest_cpu_s"] / max(1, launch.processes) if final["pytest_cpu_s"] is not None else None
    durations_partial = partial_path(paths.durations)
    durations.record(durations_partial, paths.durations, cfg.root, worker.name, duration, cpu, contention)
    if launch.kept and "rerun" in final:  # the kept tests' results were joined in: their seconds too
        rerun.merge_durations(cfg, worker, launch.kept)
    if final["state"] in (status.PASSED, status.FAILED):
        rerun.record_inputs(cfg, worker, launch.base["started_at"], started_ns, launch.kept)
        _refresh_suite(cfg, worker, paths, started_ns)


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
