"""pytest plugin: the seconds each test file really costs a worker, collection included.

JUnit XML times only the tests themselves.  On an ML project a worker's
tests took 2.6-4.6 s of 55-98 s of worker time: the rest was importing
heavy modules while collecting.  Balancing on JUnit time alone balanced an
assumption.  So this plugin times, per test file, collecting it (importing
it and whatever it imports first) and running its tests (setup, call and
teardown), and writes them as JSON when the session ends.  What no file
accounts for (interpreter start, plugins, coverage start and save) is the
worker's fixed cost; the driver derives it from the whole run's time.

Loaded with ``-p covsplit.pytest_durations --covsplit-durations=PATH`` by
the worker driver; without the option it does nothing.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Generator
from pathlib import Path

import pytest

DURATIONS_SCHEMA = 1


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--covsplit-durations", default=None, help="write per-test-file seconds to this JSON file")


class _Clock:
    def __init__(self, destination: Path) -> None:
        self.destination = destination
        self.collect: dict[str, float] = defaultdict(float)
        self.tests: dict[str, float] = defaultdict(float)
        # Each test's own seconds, by file and node id: what lets a plan share a slow file between workers.
        self.per_test: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.started = time.perf_counter()

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Generator[None, object, object]:
        started = time.perf_counter()
        try:
            return (yield)
        finally:
            # Only modules: a package's or directory's time is its children's, counted there.
            if isinstance(collector, pytest.Module):
                self.collect[str(collector.path)] += time.perf_counter() - started

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        started = time.perf_counter()
        try:
            return (yield)
        finally:
            elapsed = time.perf_counter() - started
            self.tests[str(item.path)] += elapsed
            self.per_test[str(item.path)][item.nodeid] += elapsed

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self) -> None:
        files = sorted(set(self.collect) | set(self.tests))
        record = {
            "schema": DURATIONS_SCHEMA,
            "session_s": round(time.perf_counter() - self.started, 6),
            "files": {
                path: {
                    "collect_s": round(self.collect.get(path, 0.0), 6),
                    "tests_s": round(self.tests.get(path, 0.0), 6),
                }
                for path in files
            },
            "tests": {
                path: {node: round(seconds, 6) for node, seconds in sorted(nodes.items())}
                for path, nodes in sorted(self.per_test.items())
            },
        }
        # Atomic: the driver reads it after pytest exits, whatever killed pytest.
        self.destination.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.destination.name}.", dir=self.destination.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
        os.replace(tmp, self.destination)


def pytest_configure(config: pytest.Config) -> None:
    destination = config.getoption("--covsplit-durations")
    if destination:
        config.pluginmanager.register(_Clock(Path(destination)), "covsplit-durations-clock")
