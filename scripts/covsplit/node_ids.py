"""pytest's node ids and the test paths of ``workers.toml``, read as text: which pieces a test belongs to.

A node id names a test by where it is: ``tests/a.py::TestX::test_y[1]``.
Every coarser prefix (``tests/a.py::TestX::test_y``, ``tests/a.py::TestX``,
``tests/a.py``) names a piece holding it, also a test added later; so the
plan cuts files into pieces by prefix, a schedule names pieces by prefix,
and ``keep_together`` names classes by prefix.  A ``tests`` entry is a file
or a folder, never a node id, and holds every file under it.

Pure functions of strings, standard library only: the noxfile, the pytest
plugins and the planner all read node ids the same way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable


def parent(node: str) -> str | None:
    """The next coarser piece a node id belongs to: ``f::C::t[1]`` -> ``f::C::t`` -> ``f::C`` -> ``f`` -> None."""
    # A parameter's id may itself hold "::" or brackets ("t[a::b]"): it starts at the first bracket.
    named = node.partition("[")[0]
    if node.endswith("]") and "::" in named:
        return named
    head, sep, _ = node.rpartition("::")
    return head if sep else None


def prefixes(node: str) -> Iterable[str]:
    """A node id and every coarser piece it belongs to."""
    current: str | None = node
    while current is not None:
        yield current
        current = parent(current)


def file_of(member: str) -> str:
    """The test file a node id (or a ``keep_together`` member, which may be a file) is in."""
    return member.partition("::")[0]


def covering(test_paths: Iterable[str]) -> Callable[[str], bool]:
    """Whether any of these ``tests`` entries holds a file: :func:`covers` for many entries and many files.

    A worker lists hundreds of entries and a suite holds thousands of node
    ids (pygments: 5,193, against 300 entries, was 1.5 million calls of
    :func:`covers` a run): a file's folders are looked up in a set instead.
    """
    bases = {path.rstrip("/") for path in test_paths if "::" not in path}
    if bases & {".", ""}:
        return lambda file: True

    @functools.cache
    def holds(file: str) -> bool:
        if file in bases:
            return True
        parts = file.split("/")
        return any("/".join(parts[:end]) in bases for end in range(1, len(parts)))

    return holds


def covers(test_path: str, file: str) -> bool:
    """Whether a ``tests`` entry (a file or a folder; not a node id) holds ``file``."""
    if "::" in test_path:
        return False
    base = test_path.rstrip("/")
    return base in (".", "") or file == base or file.startswith(base + "/")
