"""Which test paths ``init`` writes: do they hold every test file pytest collects at the project root?

A graph library keeps its tests in 25 ``tests/`` folders under its package
(265 test files); init chose the first, ``<package>/tests`` (9 files), and
said nothing, while ``pytest`` run at the root collects them all.  The
suite is what one serial ``pytest`` collects, so init's choice is checked
against that, found statically by pytest's own rules as the project
configures them: ``python_files`` (default ``test_*.py`` and
``*_test.py``), ``norecursedirs`` (pytest's defaults, or the project's,
which replace them), folders that are virtualenvs.  ``testpaths``, when
declared, is what a root run collects, so a choice read from it is not
second-guessed.  Items a conftest collects from other files are not
counted here: they need pytest itself.

Pure: a folder and the project's ini options in, paths and counts out.
"""

from __future__ import annotations

import fnmatch
import os
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

# pytest's own defaults (``pytest --help``: python_files, norecursedirs).
DEFAULT_PYTHON_FILES = ("test_*.py", "*_test.py")
DEFAULT_NORECURSEDIRS = ("*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv", "{arch}")
# Folder names that hold a project's tests; a list of them reads better than a whole package, while it is short.
TEST_FOLDERS = frozenset({"tests", "test", "testing"})
# More entries than this in `project.tests` would be a list nobody reads: a wider path is written instead.
MAX_LISTED = 6


def _patterns(value: Any, default: Sequence[str]) -> list[str]:
    if isinstance(value, str):
        return shlex.split(value) or list(default)
    if isinstance(value, list) and value:
        return [str(item) for item in value]
    return list(default)


def _matches(patterns: Sequence[str], relative: str) -> bool:
    # pytest's fnmatch_ex: a pattern without a separator matches the name, one with a separator the path's end.
    name = relative.rsplit("/", 1)[-1]
    for pattern in patterns:
        if "/" not in pattern:
            if fnmatch.fnmatch(name, pattern):
                return True
        elif fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(relative, f"*/{pattern}"):
            return True
    return False


def _is_virtualenv(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, "pyvenv.cfg"))


def collected_files(root: os.PathLike[str] | str, ini: Mapping[str, Any]) -> list[str]:
    """The test files ``pytest`` run at ``root`` collects (POSIX paths relative to it, sorted), by its rules."""
    python_files = _patterns(ini.get("python_files"), DEFAULT_PYTHON_FILES)
    norecurse = _patterns(ini.get("norecursedirs"), DEFAULT_NORECURSEDIRS)
    base = os.fspath(root)
    found = []
    for folder, dirs, files in os.walk(base):
        relative_folder = os.path.relpath(folder, base).replace(os.sep, "/")
        prefix = "" if relative_folder == "." else f"{relative_folder}/"
        dirs[:] = sorted(
            d
            for d in dirs
            if d != "__pycache__"
            and not _matches(norecurse, prefix + d)
            and not _is_virtualenv(os.path.join(folder, d))
        )
        found += [prefix + name for name in files if name.endswith(".py") and _matches(python_files, prefix + name)]
    return sorted(found)


def _under(path: str, entry: str) -> bool:
    entry = entry.strip("/")
    return entry in ("", ".") or path == entry or PurePosixPath(path).is_relative_to(entry)


def held(collected: Sequence[str], paths: Sequence[str]) -> list[str]:
    """The collected files that lie under one of ``paths``."""
    return [path for path in collected if any(_under(path, entry) for entry in paths)]


def _test_folder(path: str) -> str | None:
    """The outermost folder named like a test folder that holds ``path``, if any."""
    parts = PurePosixPath(path).parts[:-1]
    for depth, part in enumerate(parts):
        if part in TEST_FOLDERS:
            return "/".join(parts[: depth + 1])
    return None


def paths_holding_all(collected: Sequence[str]) -> list[str] | None:
    """Short test paths that hold every collected file, or None when no short list does.

    The test folders themselves when there are few (``tests``, ``pkg/tests``);
    else the top-level folders (and root files) the files are in (``pkg``).
    """
    if not collected:
        return None
    folders = [_test_folder(path) for path in collected]
    if all(folders):
        listed = sorted({folder for folder in folders if folder})
        if len(listed) <= MAX_LISTED:
            return listed
    top = sorted({PurePosixPath(path).parts[0] for path in collected})
    return top if len(top) <= MAX_LISTED else None


@dataclass(frozen=True)
class Verdict:
    """init's test paths against the root collection: the paths to write and what to say."""

    paths: list[str]
    why: str
    guess: bool
    # The `# check:` text for the line, when a person should look at it.
    mark: str = ""


def compare(root: os.PathLike[str] | str, ini: Mapping[str, Any], chosen: Sequence[str]) -> Verdict | None:
    """None when ``chosen`` holds every test file a root run collects; else what to write instead, and why."""
    collected = collected_files(root, ini)
    inside = held(collected, chosen)
    if len(inside) >= len(collected):
        return None
    counts = f"{', '.join(chosen)} holds {len(inside)} of {len(collected)} test files pytest collects at the root"
    wider = paths_holding_all(collected)
    if wider is None:
        return Verdict(list(chosen), f"{counts}, and no short list of paths holds them all", True, counts)
    why = (
        f"{', '.join(wider)}: they hold all {len(collected)} test files pytest collects at the root "
        f"(the first guess, {', '.join(chosen)}, held {len(inside)})"
    )
    return Verdict(wider, why, False)
