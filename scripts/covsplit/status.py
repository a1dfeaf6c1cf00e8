"""Where a worker's artifacts live, and the machine-readable status it leaves.

The status file is written twice: as ``running`` before pytest starts, and
with the outcome after it ends.  A worker that is killed in between leaves
``running`` behind with a pid that no longer exists, which readers turn
into ``crashed``; a worker that never started leaves no file, ``not run``.
So ``aggregate`` and ``report`` can always name what happened.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypedDict, cast

from covsplit import fsio

SCHEMA = 1

# Final states a worker can record, and the two that readers derive.
PASSED = "passed"  # every test passed (skips allowed)
FAILED = "failed"  # pytest ran; some tests failed or errored
CRASHED = "crashed"  # pytest could not run to the end (internal error, signal, no results)
TIMEOUT = "timeout"  # killed after the worker's timeout
RUNNING = "running"  # written at start; still running, or killed without a trace
NOT_RUN = "not run"  # no status file at all
# Derived by the aggregate, never recorded: the worker's data was measured against other versions of its inputs.
STALE = "stale"
STATES = (PASSED, FAILED, CRASHED, TIMEOUT, RUNNING)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class WorkerStatus(TypedDict, total=False):
    """What a worker records in ``workerN_status.json``: the file a CI fleet's machines pass on.

    Written with ``schema``; a reader refuses a status of another schema
    rather than misreading it (a machine on an older checkout).
    """

    schema: int
    worker: str
    title: str
    modules: list[str]
    files: list[str]
    tests: list[str]
    root: str
    config: str
    pid: int
    host: str
    started_at: str
    finished_at: str
    command: list[str]
    command_line: str
    artifacts: dict[str, str]
    state: str
    message: str
    duration_s: float
    pytest_cpu_s: float | None
    peak_rss_mib: float | None
    processes: int
    exit_status: int | None
    outcomes: dict[str, int] | None
    # Outcomes of collecting files (junit.collection_outcomes): counted once in the project's totals.
    collection_outcomes: dict[str, list[str]]
    test_files: dict[str, Any]
    failure_categories: dict[str, int]
    failure_files: dict[str, list[str]]
    session_cpu_s: float
    coverage: dict[str, Any]
    coverage_scope: str
    # The seed the tests were shuffled with (covsplit.shuffle), None when no plugin shuffles them.
    seed: int | None
    shuffled_by: list[str]


def write(path: Path, status: Mapping[str, Any]) -> None:
    fsio.write_json(path, {**status, "schema": SCHEMA})


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A killed process nobody has reaped yet (common in containers) still answers kill(0).
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] != "Z"


def read(path: Path) -> WorkerStatus:
    """The worker's status with ``state`` made truthful for a reader.

    ``running`` stays ``running`` only while its process is alive on this
    host; otherwise the worker died without writing its outcome.  A status
    from another host (a CI fleet) cannot be checked and is kept as written.
    """
    data = fsio.read_json(path)
    if data is None:
        return {"state": NOT_RUN, "message": f"no status file {path.name}: the worker did not run"}
    if not isinstance(data, dict):
        return {"state": CRASHED, "message": f"{path.name} is not a JSON object: its writer was interrupted"}
    if data.get("schema") != SCHEMA:
        return {
            "state": NOT_RUN,
            "message": f"{path.name} has schema {data.get('schema')!r}, this covsplit reads schema {SCHEMA}: "
            "it was written by another version; run the worker again with this checkout",
        }
    if data.get("state") not in STATES:
        return {"state": CRASHED, "message": f"{path.name} records no known state ({data.get('state')!r})"}
    if data.get("state") == RUNNING and data.get("host") == socket.gethostname():
        pid = data.get("pid")
        if not isinstance(pid, int) or not _pid_alive(pid):
            data = {
                **data,
                "state": CRASHED,
                "message": "the worker was killed before it recorded an outcome "
                f"(started {data.get('started_at', '?')}, pid {pid} is gone)",
            }
    return cast(WorkerStatus, data)


def host() -> str:
    return socket.gethostname()
