"""pytest plugin: run only this worker's part of the test files it shares with other workers.

A test file heavier than a worker's share is cut by the plan into node id
prefixes, listed in the schedule file (:mod:`covsplit.schedule_file`).  Every
worker that shares the file collects all of it; this plugin deselects the
tests another worker runs, by the one rule that makes each test run
exactly once (:mod:`covsplit.run_once`): the worker whose piece names it,
else the file's owner.
Before anything was measured, the plan deals whole test paths instead:
every worker collects the same tests and keeps every N-th in node id
order (:func:`covsplit.run_once.deal`).  Tests of files that are not shared
are left alone.

A worker names its test files on the command line, and pytest collects a
file named there even when the suite's own conftest leaves it out of a
directory's collection (``collect_ignore``, ``collect_ignore_glob``; attrs
ignores ``test_forward_references.py`` below Python 3.14, where its test
fails).  This plugin deselects those too, so that the workers together run
one serial collection of the suite, not more.

It also records what the run collected, for the check that the workers
together run one serial collection (:mod:`covsplit.suite`): the tests
left after the suite's own ``collect_ignore`` and deselection options
(``-m``, ``-k`` in its addopts), in the order pytest collected them, before
any plugin reordered them (pytest-randomly), and the ones this run kept.

Loaded with ``-p covsplit.pytest_schedule --covsplit-worker=NAME
[--covsplit-schedule=PATH] --covsplit-collection=PATH`` by the worker
driver (the schedule only when there is one), and with
``--covsplit-collection`` alone by ``covsplit collect``; with neither it
does nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from covsplit import collection, fsio, run_once, schedule_file

# The node ids a serial run would keep (the suite's own options and collect_ignore applied), before the schedule.
_SERIAL = pytest.StashKey[list[str]]()
# The node ids a full run of the worker keeps, when this run re-runs only some of its files (covsplit.file_grain).
_FULL_RUN = pytest.StashKey[list[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--covsplit-schedule", default=None, help="the schedule of test files shared between workers")
    parser.addoption("--covsplit-worker", default=None, help="the worker this run is")
    parser.addoption("--covsplit-collection", default=None, help="where to record what this run collected")
    parser.addoption(
        "--covsplit-rerun", default=None, help="a JSON list of the test files and tests to run; the rest is kept"
    )


def pytest_configure(config: pytest.Config) -> None:
    destination = config.getoption("--covsplit-collection")
    if destination:
        config.pluginmanager.register(_Recorder(config, Path(destination)), "covsplit-collection")


class _Recorder:
    """Writes what the run collected and kept (:class:`covsplit.collection.Collection`) once collection is done."""

    def __init__(self, config: pytest.Config, destination: Path) -> None:
        self.config = config
        self.destination = destination
        self.order: dict[str, int] = {}
        self.errors: list[str] = []
        self.visited: list[str] = []

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.errors.append(report.nodeid)
        elif report.nodeid and "::" not in report.nodeid and (self.config.rootpath / report.nodeid).is_file():
            self.visited.append(report.nodeid)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> object:
        # Outermost: the order pytest collected in, before a plugin shuffles it.
        self.order = {item.nodeid: index for index, item in enumerate(items)}
        return (yield)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        serial = self.config.stash.get(_SERIAL, [item.nodeid for item in session.items])
        collected = sorted(serial, key=lambda node: self.order.get(node, len(self.order)))
        full_run: list[str] = self.config.stash.get(_FULL_RUN, [item.nodeid for item in session.items])
        kept = set(full_run)
        paths = tuple(str(arg) for arg in self.config.args)
        record = collection.Collection(
            paths, tuple(collected), tuple(n for n in collected if n in kept), tuple(self.errors), tuple(self.visited)
        )
        fsio.write_json(self.destination, record.as_dict())


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    schedule, worker = config.getoption("--covsplit-schedule"), config.getoption("--covsplit-worker")
    if not worker and not config.getoption("--covsplit-collection"):
        return
    # Asked through pytest's own hook, once per file.
    ignored: dict[Path, bool] = {}

    def collected_by_a_serial_run(item: pytest.Item) -> bool:
        path = Path(item.path)
        if path not in ignored:
            ignored[path] = bool(item.ihook.pytest_ignore_collect(collection_path=path, config=config))
        return not ignored[path]

    _keep(config, items, collected_by_a_serial_run)
    config.stash[_SERIAL] = [item.nodeid for item in items]
    shared = schedule_file.read(Path(schedule)) if schedule and worker else {}
    if shared:
        _keep_scheduled(items, shared, worker, config)
    rerun = config.getoption("--covsplit-rerun")
    if rerun:
        # Collected whole, as a full run is (its collection is measured and recorded); only these test files,
        # and these tests of files measured one test at a time, run.
        units = set(fsio.read_json(Path(rerun)) or [])
        config.stash[_FULL_RUN] = [item.nodeid for item in items]
        _keep(config, items, lambda item: item.nodeid in units or item.nodeid.partition("::")[0] in units)


def _keep_scheduled(
    items: list[pytest.Item], shared: dict[str, schedule_file.ScheduleEntry], worker: str, config: pytest.Config
) -> None:
    # The schedule names files relative to the project root, where the worker runs pytest.
    root = Path(os.getcwd())
    entries: dict[str, tuple[str, schedule_file.ScheduleEntry] | None] = {}
    files: dict[str, str] = {}
    for item in items:
        try:
            file = Path(item.path).relative_to(root).as_posix()
        except ValueError:
            file = ""
        files[item.nodeid] = file
        if file not in entries:
            entries[file] = run_once.entry_for(file, shared)
    dealt = _deal(items, files, entries)
    assigned = {
        key: run_once.assignments(entry) for key, entry in shared.items() if isinstance(entry, schedule_file.SharedFile)
    }

    def runs_here(item: pytest.Item) -> bool:
        found = entries[files[item.nodeid]]
        if found is None:
            return True
        key, entry = found
        if isinstance(entry, schedule_file.DealtPath):
            return dealt[item.nodeid] == worker
        return run_once.runs_here(item.nodeid, entry, worker, assigned[key])

    _keep(config, items, runs_here)


def _deal(
    items: list[pytest.Item], files: dict[str, str], entries: dict[str, tuple[str, schedule_file.ScheduleEntry] | None]
) -> dict[str, str]:
    """Node id -> worker for every test under a dealt path, dealt together with every path dealt to the same workers."""
    hands: dict[tuple[str, ...], dict[str, str]] = {}
    together: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for item in items:
        found = entries[files[item.nodeid]]
        entry = found[1] if found is not None else None
        if isinstance(entry, schedule_file.DealtPath):
            hands.setdefault(entry.dealt_to, {})[item.nodeid] = files[item.nodeid]
            groups = together.setdefault(entry.dealt_to, [])
            groups += [group for group in entry.together if group not in groups]
    dealt: dict[str, str] = {}
    for workers, tests in hands.items():
        dealt.update(run_once.deal(tests, schedule_file.DealtPath.among(workers, together[workers])))
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
