"""The suite: what one serial ``pytest`` collects over the project's test paths, and the check that a split runs it.

A split is faithful only if its workers together run what one serial run
collects, each test exactly once.  Test files found by name
(``test_*.py``) are not that: a conftest turns ``.txt`` files into items
(``pytest_collect_file``), ``--doctest-modules`` collects source modules,
``collect_ignore`` leaves files out.  So pytest's own collection is the
definition, recorded in ``coverage_output/suite.json``:

* every worker's pytest records what it collected (after the suite's own
  ``collect_ignore`` and deselection options, before covsplit's schedule)
  and what it kept to run (``workerN_collection.json``, written by
  :mod:`covsplit.pytest_schedule`);
* a worker whose test paths hold the whole suite (a dealt split) collected
  all of it: its collection becomes the record;
* a worker that collected part of it refreshes the record for the test
  paths it holds whole (an edited test file is collected again by the
  worker that runs it, for free);
* anything else that changed (a conftest, the configuration, a file no
  worker's paths hold) is collected by ``covsplit collect`` (the ``collect``
  session), which ``make coverage-all`` runs when the record no longer
  fits the tree and no worker will refresh it.

The record keeps content digests of what the collection read (the files
it collected, the conftests, the root's configuration and the install's
inputs) and the names of every other file under the test paths: a data
file edited is the business of the workers whose tests read it, and their
collections refresh the record; one added or removed may be collected, so
it counts.  Files the tests write (:mod:`covsplit.outputs`) are neither.
:func:`tally` then compares what the workers ran with the record.

Standard library only: the driver, ``pending`` and the planner read it.
"""

from __future__ import annotations

import functools
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from covsplit import digests, discover, fsio, inputs, lock, node_ids, outputs, status
from covsplit.collection import Collection, file_of, nameable, read_collection
from covsplit.config import Config, Worker
from covsplit.digests import DigestCache
from covsplit.install_files import install_inputs

SCHEMA = 1
# How many node ids a message names before it counts the rest.
SHOWN_TESTS = 5
# Refreshing the record is quick; several workers finishing at once take turns.
WAIT_FOR_RECORD_S = 60.0


@dataclass(frozen=True)
class Record:
    """The suite's last collection (``suite.json``) and the digests of what it read."""

    tests: tuple[str, ...]
    errors: tuple[str, ...]
    collected_at: str
    by: str
    settings: Mapping[str, Any]
    files: Mapping[str, str]
    # Every file pytest collected, tests in it or none (a module without doctests): a serial run imports them all.
    visited: tuple[str, ...] = ()
    # Every file under the test paths when it was collected: one added or removed may be collected or not.
    listing: tuple[str, ...] = ()

    @functools.cached_property
    def test_files(self) -> tuple[str, ...]:
        """Every file the suite collects (``.py`` or not), with tests, failing to collect, or with no test."""
        # Once per record: the report asks for it per test path, and a record holds thousands of tests.
        return tuple(dict.fromkeys([*map(file_of, self.tests), *map(file_of, self.errors), *self.visited]))

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "about": "The tests one serial pytest run collects over the project's test paths (covsplit.suite): "
            "every run of the split is checked against them.",
            "collected_at": self.collected_at,
            "by": self.by,
            "settings": dict(self.settings),
            "tests": list(self.tests),
            "errors": list(self.errors),
            "visited": list(self.visited),
            "listing": list(self.listing),
            "files": dict(sorted(self.files.items())),
        }


def read(cfg: Config) -> Record | None:
    """The suite's record, parsed once per process while ``suite.json`` is unchanged; None when unusable."""
    try:
        return fsio.parse_once(cfg.layout.suite, _parse)
    except OSError:
        return None


def _parse(path: Path) -> Record | None:
    data = fsio.read_json(path)
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        return None
    lists = [data.get(key, []) for key in ("tests", "errors", "visited", "listing")]
    files = data.get("files")
    if not all(isinstance(value, list) for value in lists) or not isinstance(files, dict):
        return None
    tests, errors, visited, listing = (tuple(str(item) for item in value) for value in lists)
    return Record(
        tests=tests,
        errors=errors,
        visited=visited,
        listing=listing,
        collected_at=str(data.get("collected_at", "")),
        by=str(data.get("by", "")),
        settings=recorded if isinstance(recorded := data.get("settings"), dict) else {},
        files={str(k): str(v) for k, v in files.items()},
    )


def settings(cfg: Config) -> dict[str, Any]:
    """The ``workers.toml`` settings a serial collection depends on."""
    return {
        "tests": list(cfg.test_paths),
        "not_run": list(cfg.not_run),
        "install": [list(group) for group in cfg.install],
        "python": cfg.python,
        "pytest_args": list(cfg.pytest_args),
        "env": dict(sorted(cfg.env.items())),
    }


def in_scope(cfg: Config, node: str) -> bool:
    """Whether a collected test belongs to the suite: under ``project.tests``, not under ``project.not_run``."""
    file = file_of(node)
    return any(node_ids.covers(path, file) for path in cfg.test_paths) and not any(
        node_ids.covers(entry, file) for entry in cfg.not_run
    )


def _listing(cfg: Config, paths: Iterable[str]) -> list[str]:
    """Every file under ``paths`` (project-relative), what the tests write left out: pytest may collect any of them."""
    root, written = str(cfg.root), outputs.known(cfg)
    keys = (inputs.relative_key(root, path) for entry in paths for path in inputs.tree_files(cfg.root, entry))
    return sorted({key for key in keys if key not in written})


def _read_by_collection(cfg: Config, paths: Sequence[str], listing: Iterable[str], files: Iterable[str]) -> list[str]:
    """What a collection of ``paths`` read, by content: the files it collected and the conftests among ``listing``.

    A data file beside them is read by the tests (the worker that runs them
    has it among its inputs, and its collection refreshes theirs); only its
    addition or removal is the record's (:func:`_listing`).  A collection of
    the whole suite also reads the conftests above the test paths, the
    root's configuration and the install's inputs.
    """
    root = cfg.root
    found = [str(root / key) for key in files]
    found += [str(root / key) for key in listing if key.rpartition("/")[2] == "conftest.py"]
    if list(paths) == list(cfg.test_paths):
        found += [str(path) for path in inputs.config_files_for(root, paths)]
        found += [str(path) for path in install_inputs(cfg.install, root)]
    return list(dict.fromkeys(found))


def _digests(cfg: Config, paths: Iterable[str], cache: DigestCache, since_ns: int | None) -> dict[str, str]:
    root = str(cfg.root)
    written = outputs.known(cfg)
    found = {}
    for path in paths:
        key = inputs.relative_key(root, path)
        if key in written:
            continue
        changed = since_ns is not None and digests.modified_since(path, since_ns)
        found[key] = inputs.CHANGED_DURING_RUN if changed else cache.digest(path)
    return found


def changes(cfg: Config, record: Record | None, cache: DigestCache) -> list[str]:
    """The files (project-relative) and settings that differ from what the record's collection read."""
    if record is None:
        return ["the suite was never collected"]
    found = [f"setting {key}" for key, value in settings(cfg).items() if record.settings.get(key) != value]
    root = str(cfg.root)
    # What the tests write is no input of the collection either (covsplit.outputs).
    written = outputs.known(cfg)
    for key, digest in record.files.items():
        if key in written:
            continue
        if digest == inputs.CHANGED_DURING_RUN or cache.digest(inputs.absolute(root, key)) != digest:
            found.append(key)
    now = set(_listing(cfg, cfg.test_paths))
    before = set(record.listing) - written
    found += sorted((now - before) | (before - now))
    return list(dict.fromkeys(found))


def describe(changed: Sequence[str]) -> str:
    """A short account of :func:`changes`."""
    shown = ", ".join(changed[:SHOWN_TESTS])
    more = f" and {len(changed) - SHOWN_TESTS} more" if len(changed) > SHOWN_TESTS else ""
    return shown + more


def walked(cfg: Config, entry: str) -> bool:
    """Whether pytest collects a ``tests`` entry as a serial run does: a folder, or a test file by name."""
    return (cfg.root / entry).is_dir() or nameable(entry)


def holds_whole_suite(cfg: Config, worker: Worker) -> bool:
    """Whether the worker's test paths hold every test path of the project (a dealt worker's do)."""
    return all(any(node_ids.covers(entry, path.rstrip("/")) for entry in worker.tests) for path in cfg.test_paths)


def refreshed_by(cfg: Config, changed: Sequence[str], workers: Iterable[Worker]) -> bool:
    """Whether runs of ``workers`` refresh every changed entry: each is a file under one of their test paths.

    Settings, the root's configuration, the install's inputs and conftests
    above the test paths change the collection of everything below them,
    so only a collection of the whole suite refreshes those.
    """
    workers = list(workers)
    if any(holds_whole_suite(cfg, worker) for worker in workers):
        return True
    paths = [entry for worker in workers for entry in worker.tests if "::" not in entry and walked(cfg, entry)]
    return all(
        not key.startswith("setting ") and any(node_ids.covers(entry, key) for entry in paths) for key in changed
    )


def update(cfg: Config, collection: Collection, by: str, started_ns: int | None, cache: DigestCache) -> bool:
    """Refresh the record from a pytest run's ``collection``; False when it could not.

    A collection of every test path replaces the record.  One of some test
    paths replaces, for each path it was given (a file or a folder, not a
    node id), what the record held under that path; the rest of the record
    stays as it was, with its digests, so whatever changed elsewhere still
    shows.  A partial collection cannot start a record.
    """
    paths = [entry.rstrip("/") or "." for entry in collection.paths if "::" not in entry]
    whole = all(any(node_ids.covers(entry, path.rstrip("/")) for entry in paths) for path in cfg.test_paths)
    with lock.hold(cfg.layout.suite_lock, "the suite record", wait=WAIT_FOR_RECORD_S):
        record = read(cfg)
        # A path named on the command line may not be collected as a serial run collects it: a file by another
        # name than pytest's rule, or one the serial run passed over (collect_ignore).  It tells nothing.
        skipped = passed_over(cfg, record)
        paths = [path for path in paths if walked(cfg, path) and not only_passed_over(cfg, path, skipped)]

        named = node_ids.covering(paths)

        def told(node: str) -> bool:
            return whole or named(file_of(node))

        tests = [node for node in collection.tests if in_scope(cfg, node) and told(node)]
        errors = [node for node in collection.errors if in_scope(cfg, node) and told(node)]
        visited = [file for file in collection.visited if in_scope(cfg, file) and told(file)]
        if whole:
            listing = _listing(cfg, cfg.test_paths)
            digested = _read_by_collection(cfg, cfg.test_paths, listing, [*map(file_of, tests), *errors, *visited])
            files = _digests(cfg, digested, cache, started_ns)
        elif record is None or record.settings != settings(cfg):
            return False
        else:

            def elsewhere(node: str) -> bool:
                return not named(file_of(node))

            tests = _merged([n for n in record.tests if elsewhere(n)], tests)
            errors = [*[e for e in record.errors if elsewhere(e)], *errors]
            visited = [*[v for v in record.visited if elsewhere(v)], *visited]
            files = {key: value for key, value in record.files.items() if elsewhere(key)}
            # Only what lies under its paths: a conftest above them changes files it did not collect.
            below = _listing(cfg, paths)
            listing = sorted({*(key for key in record.listing if elsewhere(key)), *below})
            collected = [file_of(node) for node in [*collection.tests, *collection.errors]] + list(collection.visited)
            digested = _read_by_collection(cfg, paths, below, [f for f in collected if not elsewhere(f)])
            files.update(_digests(cfg, digested, cache, started_ns))
        new = Record(
            tuple(tests), tuple(errors), status.now(), by, settings(cfg), files, tuple(visited), tuple(listing)
        )
        fsio.write_json(cfg.layout.suite, new.as_dict())
    return True


def _merged(kept: Sequence[str], fresh: Sequence[str]) -> list[str]:
    """Two node id lists in collection order: files in pytest's order (path parts sorted), each file's own order."""
    by_file: dict[str, list[str]] = {}
    for node in [*kept, *fresh]:
        by_file.setdefault(file_of(node), []).append(node)
    return [node for file in sorted(by_file, key=lambda f: f.split("/")) for node in by_file[file]]


@dataclass(frozen=True)
class Tally:
    """The tests the workers selected against the suite: none missing, none twice, none the suite lacks."""

    suite: int
    ran: int
    missing: tuple[str, ...]
    doubled: tuple[str, ...]
    extra: tuple[str, ...]

    @property
    def exact(self) -> bool:
        return not (self.missing or self.doubled or self.extra)

    def problems(self) -> list[str]:
        """One sentence per kind of mismatch, naming the first few tests and the count."""
        found = []
        for tests, what in (
            (self.missing, "run by no worker"),
            (self.doubled, "run by more than one worker"),
            (self.extra, "run by a worker but not collected by a serial run"),
        ):
            if tests:
                found.append(f"{len(tests)} of the suite's tests {what}: {describe(tests)}")
        return found

    def as_dict(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "ran": self.ran,
            "missing": list(self.missing[:SHOWN_TESTS]),
            "missing_count": len(self.missing),
            "doubled": list(self.doubled[:SHOWN_TESTS]),
            "doubled_count": len(self.doubled),
            "extra": list(self.extra[:SHOWN_TESTS]),
            "extra_count": len(self.extra),
        }


def tally(suite: Sequence[str], selections: Mapping[str, Sequence[str]]) -> Tally:
    """Compare what each worker selected (name -> node ids) with the suite's node ids."""
    counts: Counter[str] = Counter(node for selected in selections.values() for node in selected)
    known = set(suite)
    return Tally(
        suite=len(known),
        ran=sum(counts.values()),
        missing=tuple(node for node in suite if node not in counts),
        doubled=tuple(node for node, count in counts.items() if count > 1),
        extra=tuple(node for node in counts if node not in known),
    )


def paths_for_collect(cfg: Config) -> list[str]:
    """The arguments a serial collection gets: the test paths, and ``--ignore`` for what no worker runs."""
    return [*cfg.test_paths, *[f"--ignore={os.path.normpath(entry)}" for entry in cfg.not_run]]


@dataclass(frozen=True)
class Check:
    """What the aggregate says of the tests a run ran: a tally against the suite, or why it could not make one."""

    tally: Tally | None
    unverified: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            **(self.tally.as_dict() if self.tally else {}),
            "exact": self.exact,
            "problems": self.problems(),
            "unverified": self.unverified,
        }

    @property
    def exact(self) -> bool:
        return self.tally is not None and self.tally.exact

    def problems(self) -> list[str]:
        return self.tally.problems() if self.tally else []


def check_run(cfg: Config, workers: Iterable[str], cache: DigestCache) -> Check:
    """Whether the runs of ``workers`` (each's latest) selected the suite's tests, each exactly once.

    Unverified, and said so, when the record no longer fits the tree or a
    run recorded no collection (one of an older covsplit).
    """
    record = read(cfg)
    changed = changes(cfg, record, cache)
    if record is None or changed:
        return Check(None, f"the suite's collection no longer fits the tree ({describe(changed)})")
    selections = {}
    for name in workers:
        collected = read_collection(cfg.layout.worker(name).collection)
        if collected is None:
            return Check(None, f"{name}'s run recorded no collection (a run of an older covsplit)")
        selections[name] = collected.selected
    return Check(tally(record.tests, selections))


def only_passed_over(cfg: Config, entry: str, skipped: set[str]) -> bool:
    """Whether every file a tests entry names by pytest's rule is one the last collection passed over."""
    return bool(named := discover.test_files_in(cfg.root, [entry])) and all(file in skipped for file in named)


def passed_over(cfg: Config, record: Record | None) -> set[str]:
    """Files under the test paths the last collection saw and did not collect (none: ids not from the root)."""
    if record is None or not any((cfg.root / file).is_file() for file in record.test_files[:20]):
        return set()
    return set(record.listing).difference(record.test_files)
