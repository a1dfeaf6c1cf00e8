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
(:mod:`covsplit.source_shape`).  An edit inside bodies re-runs the test
files that ran an edited body; the others keep their data, its lines
renumbered to where the edit moved them (the source as measured is kept
for this); an edit of the outline, or of a body that ran while collecting
(a decorator's, a registry's), runs the whole worker.

The worker runs whole, as before, when independence cannot be known: a
conftest, a configuration file, the install, the worker's settings or a
test helper changed (a module no test file's context executed: test-side
code is not measured); a file that session- or package-scoped fixtures
executed or that was read outside any test changed; a file changed while
it ran; a subprocess measured data no test file's context holds; its tests
are dealt with other workers, or shuffled by a plugin under which a part
does not run as it does in the whole (:data:`covsplit.shuffle.SUBSET_FAITHFUL`),
or with another seed than ``SEED=n``; its last run crashed.

Standard library only: the driver and ``covsplit pending`` use it.
"""

from __future__ import annotations

import ast
import contextlib
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from covsplit import collection, inputs, source_shape
from covsplit.config import Config, Worker
from covsplit.contexts import COLLECT, OWN, SESSION_FIXTURES
from covsplit.schedule_file import DealtPath

# coverage.py's data file schema this reads (coverage.sqldata.SCHEMA_VERSION); any other: the worker runs whole.
COVERAGE_SCHEMA = 7
# The record's key in the worker's inputs record (covsplit.inputs).
KEY = "grain"
# An arc's end that is a module's entry or exit: coverage.py's -(first line), and a module's first line is 1.
MODULE_ENTRY = -1


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


def _lines_numbits(lines: Iterable[int]) -> bytes:
    # coverage.numbits.nums_to_numbits, without importing coverage.py into the driver.
    found = sorted(lines)
    bits = bytearray(found[-1] // 8 + 1 if found else 0)
    for line in found:
        bits[line // 8] |= 1 << (line % 8)
    return bytes(bits)


def lines_by_context(data_file: Path, path: str) -> dict[str, set[int]] | None:
    """The lines of one measured file each context executed (arcs' ends too, but a module's -1); None: unreadable."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{data_file}?mode=ro", uri=True)) as db:
            found: dict[str, set[int]] = {}
            for context, numbits in db.execute(
                "select c.context, l.numbits from line_bits l join file f on f.id = l.file_id "
                "join context c on c.id = l.context_id where f.path = ?",
                (path,),
            ):
                found.setdefault(context, set()).update(_numbits_lines(numbits))
            for context, start, end in db.execute(
                "select c.context, a.fromno, a.tono from arc a join file f on f.id = a.file_id "
                "join context c on c.id = a.context_id where f.path = ?",
                (path,),
            ):
                found.setdefault(context, set()).update(abs(n) for n in (start, end) if n and n != MODULE_ENTRY)
    except (sqlite3.Error, TypeError):
        return None
    return found


def move_lines(data_file: Path, path: str, mapping: Mapping[int, int]) -> None:
    """Renumber one measured file's lines and arcs in a data file (a copy: the caller's) after an edit moved them.

    An arc's negative end names a code object by its first line, so it
    moves with its sign; a module's, always -1, stays.  Only lines the plan found in ``mapping`` are kept
    here (:func:`plan` runs again every test file that executed any other).
    """

    def moved(line: int) -> int | None:
        if line == MODULE_ENTRY:
            return line
        target = mapping.get(abs(line))
        return None if target is None else (target if line > 0 else -target)

    with contextlib.closing(sqlite3.connect(data_file)) as db, db:
        row = db.execute("select id from file where path = ?", (path,)).fetchone()
        if row is None:
            return
        (file_id,) = row
        for context_id, numbits in db.execute(
            "select context_id, numbits from line_bits where file_id = ?", (file_id,)
        ).fetchall():
            lines = {mapping[line] for line in _numbits_lines(numbits) if line in mapping}
            db.execute(
                "update line_bits set numbits = ? where file_id = ? and context_id = ?",
                (_lines_numbits(lines), file_id, context_id),
            )
        arcs = db.execute("select context_id, fromno, tono from arc where file_id = ?", (file_id,)).fetchall()
        db.execute("delete from arc where file_id = ?", (file_id,))
        renumbered = [(file_id, context, moved(start), moved(end)) for context, start, end in arcs]
        db.executemany(
            "insert or ignore into arc (file_id, context_id, fromno, tono) values (?, ?, ?, ?)",
            [row for row in renumbered if row[2] is not None and row[3] is not None],
        )


def read_source(root: Path, key: str) -> str | None:
    try:
        return Path(inputs.absolute(str(root), key)).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


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
        source = read_source(cfg.root, key) if key.endswith(".py") and not key.startswith("/") else None
        found = source_shape.shape(source, collect_lines.get(key, ())) if source is not None else None
        if source is not None and found is not None:
            found["source"] = source_shape.keep(cfg.layout.measured_sources, source)
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
    # Source files edited inside function bodies: old line -> new line, for the data the run keeps.
    moved: Mapping[str, Mapping[int, int]] = field(default_factory=dict)

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
        return "its last run measured no test file apart (it ran under xdist or COVSPLIT_NO_FILE_GRAIN, or no test ran)"
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
    moved: dict[str, dict[int, int]] = {}
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
        dependents = users.get(key, set())
        if key in shapes and kind == inputs.CHANGED:
            change = source_shape.shape_change(cfg.root, key, shapes[key])
            if change:
                return f"{key} changed: {change}, which every test importing it shares"
            callers = _callers(cfg, worker, key, shapes[key], set(tests))
            if callers is not None:
                dependents, moved[key], edited = callers
                names = ", ".join(f"{name}()" for name in edited[: inputs.SHOWN_CHANGES]) or "no function body"
                why.append(f"{key} changed in {names} ({len(dependents)} test files ran it)")
                run.update(dependents)
                continue
        elif key not in users or kind != inputs.CHANGED:
            return f"{key} {kind}"
        run.update(dependents)
        why.append(f"{key} changed ({len(dependents)} test files depend on it)")
    run -= removed
    return Partial(tuple(sorted(run)), tuple(sorted(removed)), tuple(why), moved)


def _callers(
    cfg: Config, worker: Worker, key: str, recorded: Mapping[str, Any], test_files: set[str]
) -> tuple[set[str], dict[int, int], tuple[str, ...]] | None:
    """For a source file edited inside function bodies: the test files that ran an edited body, and the line moves.

    Every other test file keeps its data, renumbered; a test file whose
    lines cannot all be followed into the new source runs again.  None
    (every test file that executed the file runs again) when the source as
    measured was not kept or the data cannot be read.
    """
    old = source_shape.kept(cfg.layout.measured_sources, recorded.get("source"))
    new = read_source(cfg.root, key)
    found = source_shape.moves(old, new) if old is not None and new is not None else None
    if found is None:
        return None
    data = lines_by_context(cfg.layout.worker(worker.name).data_file, inputs.absolute(str(cfg.root), key))
    if data is None:
        return None
    callers = set()
    for context, lines in data.items():
        if context == COLLECT:
            continue  # measured again by every run, partial or not
        if lines & found.edited_lines or not lines <= found.mapping.keys():
            if context not in test_files:
                return None
            callers.add(context)
    return callers, dict(found.mapping), found.edited
