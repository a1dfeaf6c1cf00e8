"""One writer at a time: a worker's artifacts, and the combined outputs.

Two ``nox -s worker3`` started 0.3 s apart (two people or agents on one
slice) used to delete each other's data mid-run: pytest died on a missing
coverage table and the status said "passed" from the other run.  Each
worker therefore holds a lock on its own files for the whole run, and the
aggregate and report hold one on the combined outputs; different workers
still run at once, as the spec's people and agents work side by side.

The locks are ``flock`` locks on small files in ``coverage_output/``: the
kernel releases one when its process dies, however it dies, so a lock left
by a killed run is simply free again.  The file also records who holds it
(pid, host, since when), for the message the next one reads.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

from covsplit import status


class Busy(Exception):
    """Someone else holds the lock: the message names them."""


def _holder(path: Path) -> str:
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict) or "pid" not in data:
        return "another process"
    return (
        f"pid {data.get('pid')} on {data.get('host', '?')}, "
        f"running {data.get('what', '?')} since {data.get('since', '?')}"
    )


@contextlib.contextmanager
def hold(path: Path, what: str, wait: float = 0.0) -> Iterator[None]:
    """Hold the lock at ``path`` while the block runs.

    Waits up to ``wait`` seconds for another holder to finish, then raises
    :class:`Busy` naming it.  Nothing else is touched before the lock is held.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Busy(f"{what} is already running ({_holder(path)}); lock {path}") from None
                time.sleep(0.2)
        record = {"pid": os.getpid(), "host": status.host(), "since": status.now(), "what": what}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        yield
    finally:
        # Closing the descriptor releases the lock; the file stays for the next holder.
        os.close(fd)
