"""pytest plugin: run only this worker's part of the test files it shares with other workers.

A test file heavier than a worker's share is cut by the plan into node id
prefixes, listed in the schedule file (:mod:`covsplit.sharing`).  Every
worker that shares the file collects all of it; this plugin deselects the
tests another worker runs, by the one rule that makes each test run
exactly once: the worker whose piece names it, else the file's owner.
Tests of files that are not shared are left alone.

A worker names its test files on the command line, and pytest collects a
file named there even when the suite's own conftest leaves it out of a
directory's collection (``collect_ignore``, ``collect_ignore_glob``; attrs
ignores ``test_forward_references.py`` below Python 3.14, where its test
fails).  This plugin deselects those too, so that the workers together run
one serial collection of the suite, not more.

Loaded with ``-p covsplit.pytest_schedule --covsplit-schedule=PATH
--covsplit-worker=NAME`` by the worker driver; without them it does nothing.
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
    if not schedule or not worker:
        return
    # Asked through pytest's own hook, once per file.
    ignored: dict[Path, bool] = {}

    def collected_by_a_serial_run(item: pytest.Item) -> bool:
        path = Path(item.path)
        if path not in ignored:
            ignored[path] = bool(item.ihook.pytest_ignore_collect(collection_path=path, config=config))
        return not ignored[path]

    _keep(config, items, collected_by_a_serial_run)
    shared = sharing.read(Path(schedule))
    if not shared:
        return
    assigned = {file: sharing.assignments(entry) for file, entry in shared.items()}
    # The schedule names files relative to the project root, where the worker runs pytest.
    root = Path(os.getcwd())

    def runs_here(item: pytest.Item) -> bool:
        try:
            file = Path(item.path).relative_to(root).as_posix()
        except ValueError:
            file = ""
        entry = shared.get(file)
        return entry is None or sharing.runs_here(item.nodeid, entry, worker, assigned[file])

    _keep(config, items, runs_here)


def _keep(config: pytest.Config, items: list[pytest.Item], wanted: Callable[[pytest.Item], bool]) -> None:
    """Deselect the items ``wanted`` refuses, as ``-k`` and ``--deselect`` do (reported as deselected)."""
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        (kept if wanted(item) else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
