"""A worker's coverage data by context, read and edited with SQL: what each test file or test executed.

:mod:`covsplit.file_grain` decides from these which units of a worker run
again; :mod:`covsplit.rerun` takes the re-run units' measurements out of
the data it keeps, and renumbers the lines an edit moved.  coverage.py's
data file is SQLite; this reads its schema directly, because the driver
runs outside the project's virtualenv, where coverage.py is installed, and
because coverage.py's API has no call that deletes one context's data.

Standard library only.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from covsplit.contexts import COLLECT

# coverage.py's data file schema this reads (coverage.sqldata.SCHEMA_VERSION); any other: the worker runs whole.
COVERAGE_SCHEMA = 7
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
    dropped = set(drop)
    with contextlib.closing(sqlite3.connect(data_file)) as db, db:
        ids = [(key,) for key, name in db.execute("select id, context from context") if name in dropped]
        # One pass over each table (context_id has no index of its own), not one per dropped context:
        # a file measured one test at a time drops dozens of them.
        db.execute("create temp table dropped (id integer primary key)")
        db.executemany("insert into dropped (id) values (?)", ids)
        for table in ("arc", "line_bits"):
            db.execute(f"delete from {table} where context_id in (select id from dropped)")


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
