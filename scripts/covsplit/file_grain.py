"""Test-file grain inside a worker: which of its test files must run again, and what the others keep.

A worker's data is measured with one coverage context per test file
(:mod:`covsplit.pytest_contexts`), so after a run it is known what each
test file executed.  With the files each test read (the audit hook of
:mod:`covsplit.pytest_inputs`), that is each test file's own inputs.  When
only such inputs changed, the worker runs again only the test files that
depended on them, collects every file as before, and keeps the other
files' coverage (their contexts), outcomes and durations: the same results
a full run of the worker gives, for a fraction of its time.

A file's content is not all a test depends on: module-level code runs once
per process, while collecting, and what it defines (constants, classes,
decorators' results) is shared by every test that imports it, executed in
their contexts or not.  So a source file is split into its *outline* (the
module with every function body left out) and its function bodies
(:func:`shape`).  An edit inside bodies re-runs the test files that
executed the file; an edit of the outline, or of a body that ran while
collecting (a decorator's, a registry's), runs the whole worker.

The worker runs whole, as before, when independence cannot be known: a
conftest, a configuration file, the install, the worker's settings or a
test helper changed (a module no test file's context executed: test-side
code is not measured); a file that session- or package-scoped fixtures
executed or that was read outside any test changed; a file changed while
it ran; a subprocess measured data no test file's context holds; its tests
are shuffled or dealt with other workers; its last run crashed.

Standard library only: the driver and ``covsplit pending`` use it.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from covsplit import collection, inputs
from covsplit.config import Config, Worker
from covsplit.contexts import COLLECT, OWN, SESSION_FIXTURES
from covsplit.schedule_file import DealtPath

# coverage.py's data file schema this reads (coverage.sqldata.SCHEMA_VERSION); any other: the worker runs whole.
COVERAGE_SCHEMA = 7
# The record's key in the worker's inputs record (covsplit.inputs).
KEY = "grain"


@dataclass(frozen=True)
class Measured:
    """What a data file says about contexts: the files each executed, and the lines run while collecting."""

    by_context: dict[str, set[str]]
    collect_lines: dict[str, set[int]]


def _numbits_lines(numbits: bytes) -> set[int]:
    # coverage.numbits: bit i of byte j is line j * 8 + i.
    return {index * 8 + bit for index, byte in enumerate(numbits) for bit in range(8) if byte & (1 << bit)}


def measured(data_file: Path) -> Measured | None:
    """The contexts of a coverage.py data file, read with SQL; None when it is not the schema this knows."""
    if not data_file.exists():
        return None
    try:
        with contextlib.closing(sqlite3.connect(f"file:{data_file}?mode=ro", uri=True)) as db:
            (version,) = db.execute("select version from coverage_schema").fetchone()
            if version != COVERAGE_SCHEMA:
                return None
            by_context: dict[str, set[str]] = {}
            collect: dict[str, set[int]] = {}
            rows = db.execute(
                "select distinct c.context, f.path from arc a join file f on f.id = a.file_id "
                "join context c on c.id = a.context_id"
            )
            for context, path in rows:
                by_context.setdefault(context, set()).add(path)
            for path, start, end in db.execute(
                "select f.path, a.fromno, a.tono from arc a join file f on f.id = a.file_id "
                "join context c on c.id = a.context_id where c.context = ?",
                (COLLECT,),
            ):
                collect.setdefault(path, set()).update(n for n in (start, end) if n > 0)
            for context, path, numbits in db.execute(
                "select c.context, f.path, l.numbits from line_bits l join file f on f.id = l.file_id "
                "join context c on c.id = l.context_id"
            ):
                by_context.setdefault(context, set()).add(path)
                if context == COLLECT:
                    collect.setdefault(path, set()).update(_numbits_lines(numbits))
    except (sqlite3.Error, TypeError):
        return None
    return Measured(by_context, collect)


def prune(data_file: Path, drop: Iterable[str]) -> None:
    """Delete the measurements of these contexts from a data file (a copy: the caller's)."""
    dropped = list(drop)
    with contextlib.closing(sqlite3.connect(data_file)) as db, db:
        for table in ("arc", "line_bits"):
            db.executemany(
                f"delete from {table} where context_id in (select id from context where context = ?)",
                [(name,) for name in dropped],
            )


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


def _outline_and_bodies(source: str) -> tuple[str, dict[str, str], dict[str, range]] | None:
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


def shape(source: str, collect_lines: Iterable[int] = ()) -> dict[str, Any] | None:
    """A module's outline digest, and the digests of the function bodies that ran while collecting.

    None when it does not parse (then any edit of it runs the worker whole).
    """
    found = _outline_and_bodies(source)
    if found is None:
        return None
    outline, bodies, spans = found
    ran = set(collect_lines)
    return {
        "outline": outline,
        "bodies": {name: bodies[name] for name, span in spans.items() if ran.intersection(span)},
    }


def _shape_of(root: Path, key: str, lines: Iterable[int] = ()) -> dict[str, Any] | None:
    try:
        source = Path(inputs.absolute(str(root), key)).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return shape(source, lines)


def shape_change(root: Path, key: str, recorded: Mapping[str, Any]) -> str:
    """What changed in a source file beyond the bodies of functions only tests ran; "" when nothing did."""
    try:
        now = Path(inputs.absolute(str(root), key)).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return "it cannot be read"
    found = _outline_and_bodies(now)
    if found is None:
        return "it does not parse"
    if found[0] != recorded.get("outline"):
        return "its module-level code"
    moved = [name for name, digest in dict(recorded.get("bodies", {})).items() if found[1].get(name, "") != digest]
    return f"the body of {moved[0]}(), which ran while collecting" if moved else ""


def same_shape(root: Path, key: str, recorded: Mapping[str, Any]) -> bool:
    """Whether a source file's outline and its bodies run while collecting are as recorded: only other bodies moved."""
    return not shape_change(root, key, recorded)


def build(
    cfg: Config,
    data: Measured,
    reads: Mapping[str, Iterable[str]],
    test_files: Iterable[str],
    kept: Mapping[str, Any] | None = None,
    rerun: set[str] | None = None,
) -> dict[str, Any]:
    """The per-file part of a worker's inputs record, from its data's contexts and the files its tests read.

    ``reads`` maps a test file ("" outside any test) to the project files its
    tests opened; ``kept``: the per-file record of the previous run, whose
    files other than ``rerun`` this run kept (their entries carry over).
    """
    root = str(cfg.root)
    keys = {context: {inputs.relative_key(root, path) for path in files} for context, files in data.by_context.items()}
    tests: dict[str, set[str]] = {}
    for file in test_files:
        tests[file] = {file, *keys.get(file, set()), *reads.get(file, ())}
    # Read outside any test: a data file collection or a session fixture reads.  Not the test files and
    # modules collection imports: those are the test files' own inputs, and the imported modules' shapes.
    read_outside = {key for key in reads.get("", ()) if key not in tests and not key.endswith(".py")}
    shared = {*keys.get(SESSION_FIXTURES, set()), *read_outside}
    if kept:
        for file, deps in (kept.get("tests") or {}).items():
            if file in tests and file not in (rerun or set()):
                tests[file].update(deps)
        shared.update(kept.get("shared") or ())
    unattributed = sorted(keys.get("", set()))
    collect_lines = {inputs.relative_key(root, path): lines for path, lines in data.collect_lines.items()}
    executed = set().union(*keys.values()) if keys else set()
    shapes = {}
    for key in sorted(executed):
        if key.endswith(".py") and not key.startswith("/"):
            found = _shape_of(cfg.root, key, collect_lines.get(key, ()))
            if found is not None:
                shapes[key] = found
    return {
        "tests": {file: sorted(deps) for file, deps in sorted(tests.items())},
        "shared": sorted(shared),
        "shapes": shapes,
        # Data no test file's context holds (a subprocess that measured itself): it cannot be kept apart.
        "unattributed": unattributed[: inputs.SHOWN_CHANGES],
        "contexts": sorted(context for context in data.by_context if context and context not in OWN),
    }


@dataclass(frozen=True)
class Partial:
    """Which test files a worker runs again (``run``), which it drops (removed), and why."""

    run: tuple[str, ...]
    removed: tuple[str, ...] = ()
    why: tuple[str, ...] = field(default=())

    def describe(self, total: int) -> str:
        reasons = ", ".join(self.why[: inputs.SHOWN_CHANGES])
        if len(self.why) > inputs.SHOWN_CHANGES:
            reasons += f" and {len(self.why) - inputs.SHOWN_CHANGES} more"
        return f"{len(self.run)} of {total} test files ({reasons})"


def _importers(root: Path, changed: str, test_files: Iterable[str]) -> set[str]:
    """The test files that import the test module ``changed`` (a base class's tests run in their subclasses)."""
    stem = Path(changed).stem
    found = set()
    for file in test_files:
        if file == changed or not file.endswith(".py"):
            continue
        try:
            text = (root / file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if stem not in text:
            continue
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            found.add(file)
            continue
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or "", *(alias.name for alias in node.names)]
            if any(stem in name.split(".") for name in names):
                found.add(file)
                break
    return found


def plan(
    cfg: Config,
    worker: Worker,
    recorded: Mapping[str, Any] | None,
    file_changes: Sequence[tuple[str, str]],
    other_changes: Sequence[str],
    retry: Iterable[str] = (),
) -> Partial | str:
    """The test files to run again, or why the worker runs whole.

    ``file_changes`` are :func:`covsplit.inputs.changed_files`' (key, kind)
    pairs, ``other_changes`` the rest (settings, environment); ``retry``:
    failed test files to run again too (``RETRY=1``).
    """
    if other_changes:
        return other_changes[0]
    grain = (recorded or {}).get(KEY)
    if not isinstance(grain, Mapping):
        return "its last run kept no per-test-file record"
    if not grain.get("contexts"):
        return "its last run measured no test file apart (it ran under xdist, or no test ran)"
    if grain.get("unattributed"):
        return "a subprocess measured data no test file holds: " + ", ".join(grain["unattributed"])
    if any(worker.name in entry.workers and isinstance(entry, DealtPath) for entry in cfg.shared.values()):
        return "it shares dealt test paths with other workers"
    tests: Mapping[str, list[str]] = grain.get("tests") or {}
    shapes: Mapping[str, Any] = grain.get("shapes") or {}
    shared = set(grain.get("shared") or ())
    users: dict[str, set[str]] = {}
    for file, deps in tests.items():
        for dep in deps:
            users.setdefault(dep, set()).add(file)
    trees = [entry.split("::", 1)[0].rstrip("/") for entry in worker.tests]
    run: set[str] = set(retry)
    removed: set[str] = set()
    why: list[str] = [f"{file} failed (RETRY=1)" for file in sorted(retry)]
    for key, kind in file_changes:
        if kind == inputs.DURING_RUN:
            return f"{key} changed while it ran"
        if key in shared:
            return f"{key} {kind}: a session fixture or collection read it"
        if key in tests:
            (removed if kind == inputs.REMOVED else run).add(key)
            run.update(_importers(cfg.root, key, tests))
            why.append(f"{key} {kind}")
            continue
        if kind == inputs.ADDED:
            inside = any(key == tree or key.startswith(tree + "/") or tree in ("", ".") for tree in trees)
            if collection.nameable(key) and inside:
                run.add(key)
                why.append(f"{key} added")
                continue
            return f"{key} added"
        if key in shapes and kind == inputs.CHANGED:
            change = shape_change(cfg.root, key, shapes[key])
            if change:
                return f"{key} changed: {change}, which every test importing it shares"
        elif key not in users or kind != inputs.CHANGED:
            return f"{key} {kind}"
        dependents = users.get(key, set())
        run.update(dependents)
        why.append(f"{key} changed ({len(dependents)} test files depend on it)")
    run -= removed
    return Partial(tuple(sorted(run)), tuple(sorted(removed)), tuple(why))
