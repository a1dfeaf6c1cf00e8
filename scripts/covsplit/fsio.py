"""Atomic file output: a reader sees the old file or the new one, never half of one.

Workers are killed, time out and crash; whatever they leave behind is read by
``aggregate`` and ``report``.  Every artifact is therefore written to a
temporary file beside its target and renamed into place.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
# A file modified less than this before it was read may have changed again within the same tick of a coarse
# file system clock, keeping its size and time ("racily clean", as git calls it): it is not trusted unread.
RACY_NS = 2_000_000_000


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _publish(tmp: str | Path, path: Path, mode: int) -> None:
    # mkstemp/mkdtemp create private (0600/0700) entries; artifacts are for everyone to read.
    os.chmod(tmp, mode & ~_umask())
    os.replace(tmp, path)


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (same-folder temp file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        _publish(tmp, path, 0o666)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _json_default(value: Any) -> Any:
    # Percentages are exact fractions in memory; JSON readers get floats.
    if isinstance(value, Fraction):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def write_json(path: Path, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2, default=_json_default) + "\n")


def read_json(path: Path) -> Any | None:
    """The parsed file, or None when it is missing or unreadable (a crashed writer)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def produce_file(path: Path, write: Callable[[Path], object]) -> None:
    """Let ``write`` fill a temp file (e.g. coverage.py's json_report), then rename it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        _publish(tmp, path, 0o666)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def produce_dir(path: Path, write: Callable[[Path], object], *, update: bool = False) -> None:
    """Let ``write`` fill a temp folder, then swap it in for ``path``.

    The old folder is only removed once the new one is complete, so a failed
    report leaves the previous one readable.  With ``update`` the temp folder
    starts as a copy of the old one, for writers that redo only what changed
    (coverage.py's HTML report skips pages whose source and data are the same).
    Its temp folder has a fixed name, since coverage.py counts the output
    folder among the settings that invalidate every page.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if update:
        tmp = path.with_name(f".{path.name}.next")
        shutil.rmtree(tmp, ignore_errors=True)
        if path.is_dir():
            # Copies, not links: the writer rewrites files in place.
            shutil.copytree(path, tmp)
        else:
            tmp.mkdir()
    else:
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        write(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if path.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old.", dir=path.parent))
        os.replace(path, old / "d")
    _publish(tmp, path, 0o777)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def signature(stat: os.stat_result) -> tuple[int, int, int]:
    """What marks a file as changed: its size, modification time and inode (a rename replaced it)."""
    return (stat.st_size, stat.st_mtime_ns, stat.st_ino)


def unchanged_since(stat: os.stat_result, seen: Any, seen_at_ns: int) -> bool:
    """Whether a file whose ``signature`` was ``seen`` when read at ``seen_at_ns`` is still what was read.

    Not when it was modified within :data:`RACY_NS` of that read: a second
    edit within the same clock tick could have kept its size and time.
    """
    return tuple(seen) == signature(stat) and stat.st_mtime_ns < seen_at_ns - RACY_NS


# What parse_once parsed, by file and parser: (the file's signature when parsed, when, the result).
_parsed: dict[tuple[str, Callable[..., Any], tuple[Any, ...]], tuple[tuple[int, int, int], int, Any]] = {}


def parse_once(path: Path, parse: Callable[..., T], *args: Any) -> T:
    """``parse(path, *args)``, parsed again in this process only when the file changed since.

    An aggregate and its report read each worker's JUnit file and the
    suite's record several times (for the summaries, the slowest tests, each
    test path's files): a few hundred ms each on a suite of thousands of
    tests.  A new inode, size or modification time marks a change; a file
    modified within :data:`RACY_NS` of its parse is parsed again, since a
    second edit within the same clock tick could keep all three.  What
    ``parse`` raises is raised again, never kept.
    """
    stat = os.stat(path)
    key = (os.fspath(path), parse, args)
    kept = _parsed.get(key)
    if kept is not None and unchanged_since(stat, kept[0], kept[1]):
        return kept[2]
    parsed_at = time.time_ns()
    value = parse(path, *args)
    _parsed[key] = (signature(stat), parsed_at, value)
    return value
