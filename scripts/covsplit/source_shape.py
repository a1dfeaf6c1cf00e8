"""What an edit of a source file changed: its outline, its function bodies, and where its other lines moved.

A module's *outline* is the module with every function body left out: its
imports, constants, classes and ``def`` statements, the code that runs once
per process while collecting, whose results every test importing it shares.
The function bodies run only when called.  So an edit inside bodies that
no test collection ran leaves every test that did not call those functions
as it was, except for line numbers: lines below an edit move.  This module
tells the two apart (:func:`shape`, :func:`shape_change`) and, from a copy
of the source as it was measured, says which lines the edited bodies held
and where every other line now is (:func:`moves`), so that a worker keeps
the data of the test files that never ran an edited function, renumbered.

Standard library only: the driver and ``covsplit pending`` use it.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import hashlib
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from covsplit import fsio, inputs

# Beside a kept source: its outline, bodies and spans, computed once per content (:func:`shape` with a store).
OUTLINE_SUFFIX, OUTLINE_SCHEMA = ".outline.json", 1


def _digest(node: ast.AST | list[ast.stmt]) -> str:
    text = ast.dump(ast.Module(body=node, type_ignores=[]) if isinstance(node, list) else node)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _functions(tree: ast.AST) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """The outermost functions of a module by qualified name (``Class.method``); nested ones are their bodies."""
    found: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = prefix + child.name
                while name in found:  # redefined under one name (an overload, a conditional def)
                    name += "'"
                found[name] = child
            elif isinstance(child, ast.ClassDef):
                walk(child, prefix + child.name + ".")
            else:
                walk(child, prefix)

    walk(tree, "")
    return found


def outline_and_bodies(source: str) -> tuple[str, dict[str, str], dict[str, range]] | None:
    """The module's digest with every function body left out, each body's digest, and each body's lines."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    functions = _functions(tree)
    bodies = {name: _digest(node.body) for name, node in functions.items()}
    spans = {
        name: range(node.body[0].lineno, (node.end_lineno or node.body[-1].lineno) + 1)
        for name, node in functions.items()
    }
    for node in functions.values():
        node.body = [ast.Pass()]
    return _digest(tree), bodies, spans


def shape(source: str, collect_lines: Iterable[int] = (), store: Path | None = None) -> dict[str, Any] | None:
    """A module's outline digest, and the digests of the function bodies that ran while collecting.

    None when it does not parse (then any edit of it runs the worker whole).
    With ``store`` (where :func:`keep` keeps sources), the outline and
    bodies are computed once per content and kept beside the copy: every
    worker records the shape of every file it executed after every run
    (pygments: 319 lexer modules, 6.5 s of CPU a worker), and most did not change.
    """
    found = _outline_kept(store, source) if store is not None else outline_and_bodies(source)
    if found is None:
        return None
    outline, bodies, spans = found
    ran = set(collect_lines)
    return {
        "outline": outline,
        "bodies": {name: bodies[name] for name, span in spans.items() if ran.intersection(span)},
    }


def _name(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:32]


def _outline_kept(store: Path, source: str) -> tuple[str, dict[str, str], dict[str, range]] | None:
    path = store / f"{_name(source)}{OUTLINE_SUFFIX}"
    kept_outline = fsio.read_json(path)
    if isinstance(kept_outline, dict) and kept_outline.get("schema") == OUTLINE_SCHEMA:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            spans = {name: range(int(start), int(stop)) for name, (start, stop) in kept_outline["spans"].items()}
            return str(kept_outline["outline"]), dict(kept_outline["bodies"]), spans
    found = outline_and_bodies(source)
    if found is not None:
        outline, bodies, spans = found
        as_lists = {name: [span.start, span.stop] for name, span in spans.items()}
        fsio.write_json(path, {"schema": OUTLINE_SCHEMA, "outline": outline, "bodies": bodies, "spans": as_lists})
    return found


def shape_change(root: Path, key: str, recorded: Mapping[str, Any]) -> str:
    """What changed in a source file beyond the bodies of functions only tests ran; "" when nothing did."""
    try:
        now = Path(inputs.absolute(str(root), key)).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return "it cannot be read"
    found = outline_and_bodies(now)
    if found is None:
        return "it does not parse"
    if found[0] != recorded.get("outline"):
        return "its module-level code"
    moved = [name for name, digest in dict(recorded.get("bodies", {})).items() if found[1].get(name, "") != digest]
    return f"the body of {moved[0]}(), which ran while collecting" if moved else ""


def same_shape(root: Path, key: str, recorded: Mapping[str, Any]) -> bool:
    """Whether a source file's outline and its bodies run while collecting are as recorded: only other bodies moved."""
    return not shape_change(root, key, recorded)


def keep(store: Path, source: str) -> str:
    """Keep a copy of a source as measured, named by its content, in ``store``; the name."""
    name = _name(source)
    path = store / f"{name}.py.txt"
    try:
        os.utime(path)  # in use again: not one of the unused copies :func:`forget` removes
    except FileNotFoundError:
        fsio.write_text(path, source)
    return name


def forget(store: Path, used: Iterable[str], idle_s: float = 3600.0) -> None:
    """Remove the copies no record names any more, unless kept in the last ``idle_s`` (a run not yet recorded)."""
    names = set(used)
    now = time.time()
    for path in store.glob("*.py.txt"):
        with contextlib.suppress(OSError):
            name = path.name.removesuffix(".py.txt")
            if name not in names and now - path.stat().st_mtime > idle_s:
                path.unlink()
                (store / f"{name}{OUTLINE_SUFFIX}").unlink(missing_ok=True)


def kept(store: Path, name: object) -> str | None:
    """The copy :func:`keep` named ``name``; None when there is none (then an edit re-runs every user)."""
    if not isinstance(name, str) or not name.isalnum():
        return None
    try:
        return (store / f"{name}.py.txt").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


@dataclass(frozen=True)
class Moves:
    """An edit inside function bodies: the old lines of the edited bodies, and old line -> new line elsewhere."""

    edited: tuple[str, ...]
    edited_lines: frozenset[int]
    mapping: Mapping[int, int]


def moves(old: str, new: str) -> Moves | None:
    """Where ``old``'s lines are in ``new``, when only function bodies differ; None otherwise.

    Lines are matched by text (difflib), the edited bodies by their AST: a
    line of an edited body is never carried over, even when its text is
    unchanged, because what it did may have changed with its neighbours.
    """
    before, after = outline_and_bodies(old), outline_and_bodies(new)
    if before is None or after is None or before[0] != after[0]:
        return None
    edited = tuple(sorted(name for name, digest in before[1].items() if after[1].get(name) != digest))
    edited_lines = frozenset(line for name in edited for line in before[2][name])
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
    mapping = {
        first + offset + 1: second + offset + 1
        for first, second, size in matcher.get_matching_blocks()
        for offset in range(size)
        if first + offset + 1 not in edited_lines
    }
    # coverage.py names a code object's entry and exit by its first line, negated, and a module's first line is
    # always 1: -1 stays -1 (covsplit.context_data.move_lines).  A function or class that starts on line 1 too,
    # moved down, would share that -1 with the module: such an edit is not followed.
    if mapping.get(1) != 1 and _code_on_line_one(old):
        return None
    return Moves(edited, edited_lines, mapping)


# The nodes that compile to a code object of their own, named in coverage.py's arcs by their first line.
_CODE_OBJECTS = (
    ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.GeneratorExp, ast.ListComp, ast.SetComp,
    ast.DictComp,
)  # fmt: skip


def _code_on_line_one(source: str) -> bool:
    """Whether a code object other than the module's starts on line 1 (a def, class, lambda or comprehension)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, _CODE_OBJECTS):
            decorators = getattr(node, "decorator_list", [])
            if min([node.lineno, *(d.lineno for d in decorators)]) == 1:
                return True
    return False
