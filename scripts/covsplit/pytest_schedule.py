"""pytest plugin: run only this worker's part of the test files it shares with other workers.

A test file heavier than a worker's share is cut by the plan into node id
prefixes, listed in the schedule file (:mod:`covsplit.sharing`).  Every
worker that shares the file collects all of it; this plugin deselects the
tests another worker runs, by the one rule that makes each test run
exactly once: the worker whose piece names it, else the file's owner.
Before anything was measured, the plan deals whole test paths instead:
every worker collects the same tests and keeps every N-th in node id
order (:func:`covsplit.sharing.deal`).  Tests of files that are not shared
are left alone.

A worker names its test files on the command line, and pytest collects a
file named there even when the suite's own conftest leaves it out of a
directory's collection (``collect_ignore``, ``collect_ignore_glob``; attrs
ignores ``test_forward_references.py`` below Python 3.14, where its test
fails).  This plugin deselects those too, so that the workers together run
one serial collection of the suite, not more.

Loaded with ``-p covsplit.pytest_schedule --covsplit-worker=NAME
[--covsplit-schedule=PATH]`` by the worker driver (the schedule only when
there is one); without a worker's name it does nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from covsplit import sharing


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--covsplit-schedule", default=None, help="the schedule of test files shared between workers")
    parser.addoption("--covsplit-worker", default=None, help="the worker this run is")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    schedule, worker = config.getoption("--covsplit-schedule"), config.getoption("--covsplit-worker")
    if not worker:
        return
    # Asked through pytest's own hook, once per file.
    ignored: dict[Path, bool] = {}

    def collected_by_a_serial_run(item: pytest.Item) -> bool:
        path = Path(item.path)
        if path not in ignored:
            ignored[path] = bool(item.ihook.pytest_ignore_collect(collection_path=path, config=config))
        return not ignored[path]

    _keep(config, items, collected_by_a_serial_run)
    shared = sharing.read(Path(schedule)) if schedule else {}
    if not shared:
        return
    # The schedule names files relative to the project root, where the worker runs pytest.
    root = Path(os.getcwd())
    entries: dict[str, tuple[str, sharing.SharedFile] | None] = {}
    files: dict[str, str] = {}
    for item in items:
        try:
            file = Path(item.path).relative_to(root).as_posix()
        except ValueError:
            file = ""
        files[item.nodeid] = file
        if file not in entries:
            entries[file] = sharing.entry_for(file, shared)
    dealt = _deal(items, files, entries)
    assigned = {key: sharing.assignments(entry) for key, entry in shared.items() if not entry.dealt}

    def runs_here(item: pytest.Item) -> bool:
        found = entries[files[item.nodeid]]
        if found is None:
            return True
        key, entry = found
        if entry.dealt:
            return dealt[item.nodeid] == worker
        return sharing.runs_here(item.nodeid, entry, worker, assigned[key])

    _keep(config, items, runs_here)


def _deal(
    items: list[pytest.Item], files: dict[str, str], entries: dict[str, tuple[str, sharing.SharedFile] | None]
) -> dict[str, str]:
    """Node id -> worker for every test under a dealt path, dealt together with every path dealt to the same workers."""
    hands: dict[tuple[str, ...], dict[str, str]] = {}
    together: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for item in items:
        found = entries[files[item.nodeid]]
        if found is not None and found[1].dealt:
            entry = found[1]
            hands.setdefault(entry.dealt, {})[item.nodeid] = files[item.nodeid]
            groups = together.setdefault(entry.dealt, [])
            groups += [group for group in entry.together if group not in groups]
    dealt: dict[str, str] = {}
    for workers, tests in hands.items():
        dealt.update(sharing.deal(tests, sharing.dealt(workers, together[workers])))
    return dealt


def _keep(config: pytest.Config, items: list[pytest.Item], wanted: Callable[[pytest.Item], bool]) -> None:
    """Deselect the items ``wanted`` refuses, as ``-k`` and ``--deselect`` do (reported as deselected)."""
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        (kept if wanted(item) else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
