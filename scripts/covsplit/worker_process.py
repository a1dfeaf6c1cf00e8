"""pytest as the worker driver's child: started, its output echoed and kept, stopped on time, reaped.

pytest runs in a process group of its own, so a timeout or a cancelled run
stops all of it (xdist's processes too), and it dies with the driver.  Its
exit status and resource use are what the driver's verdict is made from
(covsplit.worker_state).  Standard library only.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

KILL_GRACE_SECONDS = 10.0
_PR_SET_PDEATHSIG = 1


class PytestRun:
    """pytest's outcome as the driver saw it."""

    def __init__(self) -> None:
        self.exit_status: int | None = None
        # pytest's own resource use, its reaped children included (xdist's processes).
        self.usage: resource.struct_rusage | None = None
        self.timed_out = False
        self.interrupted = False
        self.error = ""


def run_pytest(
    command: list[str], env: dict[str, str], cwd: Path, log_path: Path, timeout: float, memory_limit_mib: int | None
) -> PytestRun:
    """Run pytest, echoing and recording its output; kill its whole group on timeout."""
    run = PytestRun()
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


def _reap(process: subprocess.Popen, run: PytestRun) -> bool:
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
