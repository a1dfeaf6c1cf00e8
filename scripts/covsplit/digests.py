"""Content digests of files, cached by size and modification time as git's index caches them.

Deciding whether a worker's data is still valid means comparing the
content of every file its run depended on with the tree as it is now: on a
project of 10,000 files, hashing them all each time would cost more than
the check is worth.  So a digest is kept beside the outputs with the
file's size, modification time and inode, and a file is hashed again only
when one of them differs.

A modification within the same clock tick as the hashing would keep size
and time (git calls this "racily clean"): an entry is trusted only when
the file was last modified well before it was hashed.  Standard library
only: the worker driver and ``covsplit pending`` run without coverage.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from stat import S_ISREG

from covsplit import fsio
from covsplit.fsio import RACY_NS

# The digest of a file that does not exist, or cannot be read: a value no content hashes to.
ABSENT = "absent"


def hash_bytes(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def hash_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class DigestCache:
    """Digests of files by path, re-hashing only what may have changed since the cache last saw it."""

    VERSION = 1

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._entries: dict[str, list] = {}
        self._dirty = False
        data = fsio.read_json(path) if path is not None else None
        if isinstance(data, dict) and data.get("version") == self.VERSION and isinstance(data.get("files"), dict):
            self._entries = data["files"]

    def digest(self, path: str | os.PathLike[str]) -> str:
        """The content digest of ``path``, or :data:`ABSENT` when there is no readable file."""
        # Strings, one stat: this runs once per input file on every check (pathlib costs more than the stat).
        key = os.fspath(path)
        try:
            stat = os.stat(key)
        except OSError:
            return ABSENT
        if not S_ISREG(stat.st_mode):
            return ABSENT
        entry = self._entries.get(key)
        # Trusted only when the file was last modified well before it was hashed (not "racily clean").
        if isinstance(entry, list) and len(entry) == 5 and fsio.unchanged_since(stat, entry[:3], entry[3]):
            return str(entry[4])
        hashed_at = time.time_ns()
        try:
            value = hash_file(key)
        except OSError:
            return ABSENT
        self._entries[key] = [*fsio.signature(stat), hashed_at, value]
        self._dirty = True
        return value

    def save(self) -> None:
        """Write the cache back (atomically; two writers at once lose entries, never correctness)."""
        if self.path is None or not self._dirty:
            return
        try:
            fsio.write_text(self.path, json.dumps({"version": self.VERSION, "files": self._entries}))
        except OSError:
            return
        self._dirty = False


def file_clock_ns(folder: str | os.PathLike[str]) -> int:
    """Now, as the file system would stamp a file modified now: the start of a run that files are compared with.

    ``time.time_ns()`` will not do: Linux stamps files from a coarse clock
    that lags it by up to a tick, so a file written just after reading
    ``time.time_ns()`` can be stamped before it, and a change made during
    the run would pass for one made before.  A file made here is stamped by
    that same clock (and with the same granularity on a coarse file system).
    When ``folder`` cannot be written, the clock less :data:`RACY_NS`: a
    change then counts as made during the run, which costs a rerun, never
    a wrong result.
    """
    try:
        handle, name = tempfile.mkstemp(prefix=".clock-", dir=folder)
    except OSError:
        return time.time_ns() - RACY_NS
    try:
        return os.fstat(handle).st_mtime_ns
    finally:
        os.close(handle)
        os.unlink(name)


def modified_since(path: str | os.PathLike[str], since_ns: int) -> bool:
    """Whether ``path`` was modified at or after ``since_ns``, a :func:`file_clock_ns` (a missing file was not)."""
    try:
        return os.stat(path).st_mtime_ns >= since_ns
    except OSError:
        return False


def installed(site_dirs: Iterable[Path]) -> str:
    """A digest of what is installed in these site-packages folders: each distribution's name and version.

    Read from the folder names (``name-version.dist-info``) and the ``.pth``
    files (editable installs), which is what pip and uv change on every
    install; no metadata file is parsed, so the check stays cheap.
    """
    entries = []
    for folder in site_dirs:
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            entries.append(f"{folder}: unreadable")
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                entries.append(name)
            elif name.endswith(".pth"):
                try:
                    entries.append(f"{name}:{hash_file(Path(folder, name))}")
                except OSError:
                    entries.append(f"{name}: unreadable")
    return hash_bytes("\n".join(entries).encode())
