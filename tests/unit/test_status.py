"""Unit tests of covsplit.status: a reader always learns what happened to a worker, truthfully."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from covsplit import status


def test_a_status_round_trips_with_its_schema(tmp_path: Path) -> None:
    path = tmp_path / "w_status.json"
    status.write(path, {"state": status.PASSED, "worker": "w"})
    assert status.read(path) == {"state": status.PASSED, "worker": "w", "schema": status.SCHEMA}


def test_no_file_is_not_run(tmp_path: Path) -> None:
    record = status.read(tmp_path / "w_status.json")
    assert record["state"] == status.NOT_RUN and "w_status.json" in record["message"]


def test_a_truncated_or_foreign_file_is_named_not_misread(tmp_path: Path) -> None:
    path = tmp_path / "w_status.json"
    path.write_text("[1, 2]")
    assert status.read(path)["state"] == status.CRASHED
    path.write_text('{"schema": 0, "state": "passed"}')
    record = status.read(path)
    assert record["state"] == status.NOT_RUN and "another version" in record["message"]
    status.write(path, {"state": "exploded"})
    assert status.read(path)["state"] == status.CRASHED


def test_running_stays_running_while_its_process_lives(tmp_path: Path) -> None:
    path = tmp_path / "w_status.json"
    status.write(path, {"state": status.RUNNING, "host": status.host(), "pid": status.os.getpid()})
    assert status.read(path)["state"] == status.RUNNING


def test_running_with_a_dead_process_on_this_host_crashed(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    path = tmp_path / "w_status.json"
    status.write(path, {"state": status.RUNNING, "host": status.host(), "pid": int(done.stdout), "started_at": "t0"})
    record = status.read(path)
    assert record["state"] == status.CRASHED and "pid" in record["message"] and "t0" in record["message"]
    status.write(path, {"state": status.RUNNING, "host": status.host(), "pid": "not a pid"})
    assert status.read(path)["state"] == status.CRASHED


def test_running_on_another_host_cannot_be_checked_and_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "w_status.json"
    status.write(path, {"state": status.RUNNING, "host": status.host() + "-elsewhere", "pid": 1})
    assert status.read(path)["state"] == status.RUNNING


def test_now_is_utc_to_the_second() -> None:
    assert status.now().endswith("+00:00") and "." not in status.now()
