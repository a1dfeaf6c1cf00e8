"""Find the source files of a project statically, without importing anything.

coverage.py only reports files it saw imported (or, for ``--source``
folders, files in folders that have an ``__init__.py``).  A report that
must show *every* module therefore needs its own list, and this is it.

Files are named by their path relative to the project root, POSIX style
(``training/distill_kd.py``): the same spelling coverage.py's JSON report
uses when run from that root, so the two can be joined without guessing.
Standard library only.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

_SKIP_DIRS = {"__pycache__", "node_modules"}
_NAME_PART = re.compile(r"[A-Za-z0-9_]+")


def _walk_py(folder: Path) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        relative_parts = path.relative_to(folder).parts[:-1]
        if any(part in _SKIP_DIRS or part.startswith(".") for part in relative_parts):
            continue
        found.append(path)
    return found


def resolve_module(root: Path, source_dir: str, dotted: str) -> list[str] | None:
    """Source files a dotted name stands for, or None when it names nothing.

    ``training`` is a folder: all its ``.py`` files, recursively, whether or
    not sub-folders have an ``__init__.py``.  ``training.losses`` is a file.
    A name that is both (``pkg/mod.py`` and ``pkg/mod/``) means both.
    """
    base = (root / source_dir).resolve()
    parts = dotted.split(".")
    # File names such as 8ball_eval.py are not identifiers but are still modules a worker can own.
    if not all(_NAME_PART.fullmatch(part) for part in parts):
        return None
    candidate = base.joinpath(*parts)
    files: list[Path] = []
    module_file = candidate.with_suffix(".py")
    if module_file.is_file():
        files.append(module_file)
    if candidate.is_dir():
        files.extend(_walk_py(candidate))
    if not files:
        return None
    resolved_root = root.resolve()  # once: resolving it per file cost a second on 2,000 modules
    return [path.relative_to(resolved_root).as_posix() for path in files]


def source_files(root: Path, source_dir: str, packages: tuple[str, ...] | list[str]) -> list[str]:
    """Every source file under the given packages, sorted and without repeats."""
    found: set[str] = set()
    for package in packages:
        found.update(resolve_module(root, source_dir, package) or [])
    return sorted(found)


def is_blank_init(path: Path) -> bool:
    """An ``__init__.py`` with no code (empty, or a docstring alone): not worth a warning."""
    if path.name != "__init__.py":
        return False
    try:
        body = ast.parse(path.read_text(encoding="utf-8")).body
    except SyntaxError:
        return False
    return not body or (
        len(body) == 1
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    )


def test_files(root: Path, test_root: str) -> list[str]:
    """Test files pytest would collect by its default rule (``test_*.py`` / ``*_test.py``)."""
    base = root / test_root
    if base.is_file():
        return [base.relative_to(root).as_posix()]
    return [
        path.relative_to(root).as_posix()
        for path in _walk_py(base)
        if path.name.startswith("test_") or path.name.endswith("_test.py")
    ]


def test_files_in(root: Path, paths: Iterable[str], leave_out: Iterable[str] = ()) -> list[str]:
    """Test files under each of ``paths``, once each, in order; none under ``leave_out`` (files or folders)."""
    skipped = [PurePosixPath(entry.split("::", 1)[0].rstrip("/")) for entry in leave_out]
    found: dict[str, None] = {}
    for path in paths:
        for test in test_files(root, path.split("::", 1)[0]):
            if not any(PurePosixPath(test).is_relative_to(skip) for skip in skipped):
                found.setdefault(test, None)
    return list(found)
