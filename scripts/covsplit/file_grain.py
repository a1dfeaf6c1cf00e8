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

A test file the schedule cuts into pieces for several workers is measured
one test at a time (:func:`per_test_files`): its *units* are its tests, so
an edit re-runs the tests that ran it, not every sharing worker's piece.

Standard library only: the driver and ``covsplit pending`` use it.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from covsplit import collection, context_data, inputs, source_shape
from covsplit.config import Config, Worker
from covsplit.contexts import COLLECT, OWN, SESSION_FIXTURES, file_of, fixtures_of
from covsplit.schedule_file import DealtPath, SharedFile

# The record's key in the worker's inputs record (covsplit.inputs).
KEY = "grain"


def per_test_files(cfg: Config, worker: Worker) -> tuple[str, ...]:
    """The test files a worker measures one context per test: with ``project.per_test_contexts``, those cut.

    The planner cuts a file only when it is heavier than a worker's share,
    so these are few and heavy, and an edit that some of their tests ran
    re-runs those tests, not each sharing worker's whole piece.  (A folder
    the schedule shares is left as it is: each of its files is a unit already.)
    Off by default: coverage.py flushes its data at every switch and keeps
    each test's lines apart, which made babel's full run 35% slower.
    """
    if not cfg.per_test_contexts:
        return ()
    return tuple(
        sorted(
            path
            for path, entry in cfg.shared.items()
            if isinstance(entry, SharedFile) and worker.name in entry.workers and (cfg.root / path).is_file()
        )
    )


def read_source(root: Path, key: str) -> str | None:
    try:
        return Path(inputs.absolute(str(root), key)).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def build(
    cfg: Config,
    data: context_data.Measured,
    reads: Mapping[str, Iterable[str]],
    units: Iterable[str],
    kept: Mapping[str, Any] | None = None,
    rerun: set[str] | None = None,
    per_test: Sequence[str] = (),
) -> dict[str, Any]:
    """The per-file part of a worker's inputs record, from its data's contexts and the files its tests read.

    ``units`` are the worker's test files, and the node ids of the tests of
    its ``per_test`` files (:func:`covsplit.contexts.unit_of`).  ``reads``
    maps a test file ("" outside any test) to the project files its tests
    opened (a per-test file's tests each depend on all of them); ``kept``:
    the per-file record of the previous run, whose units other than
    ``rerun`` this run kept (their entries carry over).
    """
    root = str(cfg.root)
    keys = {context: {inputs.relative_key(root, path) for path in files} for context, files in data.by_context.items()}
    tests: dict[str, set[str]] = {}
    for unit in units:
        file = file_of(unit)
        shared_by_file = keys.get(fixtures_of(file), set()) if unit != file else set()
        tests[unit] = {file, *keys.get(unit, set()), *shared_by_file, *reads.get(file, ())}
    # Read outside any test: a data file collection or a session fixture reads.  Not the test files and
    # modules collection imports: those are the test files' own inputs, and the imported modules' shapes.
    read_outside = {key for key in reads.get("", ()) if key not in tests and not key.endswith(".py")}
    shared = {*keys.get(SESSION_FIXTURES, set()), *read_outside}
    if kept:
        for file, deps in (kept.get("tests") or {}).items():
            if file in tests and not {file, file_of(file)} & (rerun or set()):
                tests[file].update(deps)
        shared.update(kept.get("shared") or ())
    unattributed = sorted(keys.get("", set()))
    collect_lines = {inputs.relative_key(root, path): lines for path, lines in data.collect_lines.items()}
    executed = set().union(*keys.values()) if keys else set()
    shapes = {}
    store = cfg.layout.measured_sources
    for key in sorted(executed):
        source = read_source(cfg.root, key) if key.endswith(".py") and not key.startswith("/") else None
        found = source_shape.shape(source, collect_lines.get(key, ()), store) if source is not None else None
        if source is not None and found is not None:
            found["source"] = source_shape.keep(store, source)
            shapes[key] = found
    return {
        "tests": {file: sorted(deps) for file, deps in sorted(tests.items())},
        "shared": sorted(shared),
        "shapes": shapes,
        # Data no test file's context holds (a subprocess that measured itself): it cannot be kept apart.
        "unattributed": unattributed[: inputs.SHOWN_CHANGES],
        "contexts": sorted(context for context in data.by_context if context and context not in OWN),
        "per_test": sorted(per_test),
    }


@dataclass(frozen=True)
class Partial:
    """Which units a worker runs again (``run``), which it drops (removed), and why.

    A unit is a test file, or a test of a per-test file (its node id); a
    per-test file that runs whole is in ``run`` itself, beside its units,
    so that a test added to it runs too.
    """

    run: tuple[str, ...]
    removed: tuple[str, ...] = ()
    why: tuple[str, ...] = field(default=())
    # Source files edited inside function bodies: old line -> new line, for the data the run keeps.
    moved: Mapping[str, Mapping[int, int]] = field(default_factory=dict)

    @functools.cached_property
    def _chosen(self) -> frozenset[str]:
        return frozenset(self.run)

    def runs(self, unit: str) -> bool:
        """Whether this run measures ``unit`` (or a test of it) again."""
        return unit in self._chosen or file_of(unit) in self._chosen

    def describe(self, total: int) -> str:
        reasons = ", ".join(self.why[: inputs.SHOWN_CHANGES])
        if len(self.why) > inputs.SHOWN_CHANGES:
            reasons += f" and {len(self.why) - inputs.SHOWN_CHANGES} more"
        whole = {unit for unit in self.run if "::" not in unit}
        shown = [unit for unit in self.run if "::" not in unit or file_of(unit) not in whole]
        if len(shown) == len(whole):
            return f"{len(whole)} of {total} test files ({reasons})"
        return f"{_count(shown)}, of {total} test files and tests ({reasons})"


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
    if list(grain.get("per_test") or []) != list(per_test_files(cfg, worker)):
        return "the test files it measures one test at a time are others now"
    tests: Mapping[str, list[str]] = grain.get("tests") or {}
    shapes: Mapping[str, Any] = grain.get("shapes") or {}
    shared = set(grain.get("shared") or ())
    users, units_of = _index(tests)

    def whole(file: str) -> set[str]:
        # The file itself selects every test it holds now; its units name the contexts to drop.
        return {file, *units_of.get(file, ())}

    trees = [entry.split("::", 1)[0].rstrip("/") for entry in worker.tests]
    run: set[str] = set().union(*(whole(file) for file in retry))
    removed: set[str] = set()
    why: list[str] = [f"{file} failed (RETRY=1)" for file in sorted(retry)]
    moved: dict[str, dict[int, int]] = {}
    for key, kind in file_changes:
        if kind == inputs.DURING_RUN:
            return f"{key} changed while it ran"
        if key in shared:
            return f"{key} {kind}: a session fixture or collection read it"
        if key in units_of:
            (removed if kind == inputs.REMOVED else run).update(whole(key))
            for importer in _importers(cfg.root, key, units_of):
                run.update(whole(importer))
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
            callers = _callers(cfg, worker, key, shapes[key], units_of)
            if callers is not None:
                dependents, moved[key], edited = callers
                names = ", ".join(f"{name}()" for name in edited[: inputs.SHOWN_CHANGES]) or "no function body"
                why.append(f"{key} changed in {names} ({_count(dependents)} ran it)")
                run.update(dependents)
                continue
        elif key not in users or kind != inputs.CHANGED:
            return f"{key} {kind}"
        run.update(dependents)
        why.append(f"{key} changed ({_count(dependents)} read or ran it)")
    run -= removed
    return Partial(tuple(sorted(run)), tuple(sorted(removed)), tuple(why), moved)


def _index(tests: Mapping[str, Iterable[str]]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """The recorded units by each input they depend on, and by test file."""
    users: dict[str, set[str]] = {}
    units_of: dict[str, set[str]] = {}
    for unit, deps in tests.items():
        units_of.setdefault(file_of(unit), set()).add(unit)
        for dep in deps:
            users.setdefault(dep, set()).add(unit)
    return users, units_of


def _count(units: Iterable[str]) -> str:
    found = list(units)
    tests = sum(1 for unit in found if "::" in unit)
    files = len(found) - tests
    return ", ".join(
        [*([f"{files} test file" + ("s" * (files != 1))] if files or not tests else []),
         *([f"{tests} test" + ("s" * (tests != 1))] if tests else [])]
    )  # fmt: skip


def _callers(
    cfg: Config, worker: Worker, key: str, recorded: Mapping[str, Any], units_of: Mapping[str, set[str]]
) -> tuple[set[str], dict[int, int], tuple[str, ...]] | None:
    """For a source file edited inside function bodies: the units that ran an edited body, and the line moves.

    Every other unit keeps its data, renumbered; a unit whose lines cannot
    all be followed into the new source runs again, and so does every test
    of a per-test file whose shared fixtures ran it.  None (every unit that
    executed the file runs again) when the source as measured was not kept
    or the data cannot be read.
    """
    old = source_shape.kept(cfg.layout.measured_sources, recorded.get("source"))
    new = read_source(cfg.root, key)
    found = source_shape.moves(old, new) if old is not None and new is not None else None
    if found is None:
        return None
    data = context_data.lines_by_context(cfg.layout.worker(worker.name).data_file, inputs.absolute(str(cfg.root), key))
    if data is None:
        return None
    callers = set()
    for context, lines in data.items():
        if context == COLLECT:
            continue  # measured again by every run, partial or not
        if lines & found.edited_lines or not lines <= found.mapping.keys():
            if context.endswith("::") and context[:-2] in units_of:
                callers.update(units_of[context[:-2]])
            elif context in units_of.get(file_of(context), ()):
                callers.add(context)
            else:
                return None
    return callers, dict(found.mapping), found.edited
