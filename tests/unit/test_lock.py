"""Locks: one holder at a time, a message that names it, and a dead holder's lock free again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from covsplit import lock

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
HOLD = (
    "import sys, time; from pathlib import Path; from covsplit import lock\n"
    "with lock.hold(Path(sys.argv[1]), 'worker w1'):\n    print('held', flush=True); time.sleep(60)\n"
)


def holder(path: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)],
        env={**os.environ, "PYTHONPATH": str(SCRIPTS)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def test_a_second_holder_is_refused_with_the_first_ones_name(tmp_path: Path) -> None:
    path = tmp_path / ".w1.lock"
    process = holder(path)
    try:
        started = time.monotonic()
        refused = pytest.raises(lock.Busy, match=rf"worker w1 is already running \(pid {process.pid} on .+ since ")
        with refused, lock.hold(path, "worker w1", wait=0.5):
            pass
        assert time.monotonic() - started >= 0.5  # it waited as long as asked
    finally:
        process.kill()
        process.wait()


def test_a_killed_holders_lock_is_taken_over(tmp_path: Path) -> None:
    path = tmp_path / ".w1.lock"
    process = holder(path)
    process.send_signal(signal.SIGKILL)
    process.wait()
    with lock.hold(path, "worker w1"):
        assert f'"pid": {os.getpid()}' in path.read_text()
