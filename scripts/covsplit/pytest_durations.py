"""pytest plugin: the seconds each test file really costs a worker, collection included.

JUnit XML times only the tests themselves.  On an ML project a worker's
tests took 2.6-4.6 s of 55-98 s of worker time: the rest was importing
heavy modules while collecting.  Balancing on JUnit time alone balanced an
assumption.  So this plugin times, per test file, collecting it (importing
it and whatever it imports first) and running its tests (setup, call and
teardown), and writes them as JSON when the session ends.  What no file
accounts for (interpreter start, plugins, coverage start and save) is the
worker's fixed cost; the driver derives it from the whole run's time.

Each span is timed twice: wall seconds, and the seconds of CPU this process
used (``time.process_time``).  Five workers on two cores each wait for a
core most of the time, so their wall seconds measure the crowd as much as
the tests; the driver uses the CPU seconds to take that wait out again
(``durations.uncontended``).

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
from typing import Any

import pytest

DURATIONS_SCHEMA = 1
_WORKEROUTPUT_KEY = "covsplit_durations"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--covsplit-durations", default=None, help="write per-test-file seconds to this JSON file")


class _Clock:
    def __init__(self, destination: Path) -> None:
        self.destination = destination
        self.collect: dict[str, float] = defaultdict(float)
        self.tests: dict[str, float] = defaultdict(float)
        # Each test's own seconds, by file and node id: what lets a plan share a slow file between workers.
        self.per_test: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        # The same spans in CPU seconds of this process.
        self.collect_cpu: dict[str, float] = defaultdict(float)
        self.tests_cpu: dict[str, float] = defaultdict(float)
        self.per_test_cpu: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.started = time.perf_counter()
        self.started_cpu = time.process_time()
        # What each xdist process measured, when this is their controller.
        self.from_processes: list[dict[str, Any]] = []

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Generator[None, object, object]:
        started, started_cpu = time.perf_counter(), time.process_time()
        try:
            return (yield)
        finally:
            # Only modules: a package's or directory's time is its children's, counted there.
            if isinstance(collector, pytest.Module):
                self.collect[str(collector.path)] += time.perf_counter() - started
                self.collect_cpu[str(collector.path)] += time.process_time() - started_cpu

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        started, started_cpu = time.perf_counter(), time.process_time()
        try:
            return (yield)
        finally:
            elapsed, used = time.perf_counter() - started, time.process_time() - started_cpu
            self.tests[str(item.path)] += elapsed
            self.per_test[str(item.path)][item.nodeid] += elapsed
            self.tests_cpu[str(item.path)] += used
            self.per_test_cpu[str(item.path)][item.nodeid] += used

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: object, error: object) -> None:
        # The controller of pytest-xdist: each process measured its own tests (and collected every file).
        self.from_processes.append((getattr(node, "workeroutput", None) or {}).get(_WORKEROUTPUT_KEY) or {})

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        workeroutput = getattr(session.config, "workeroutput", None)
        if workeroutput is not None:
            # An xdist process: the controller writes the file.
            workeroutput[_WORKEROUTPUT_KEY] = self.record()
            return
        record = merge([self.record(), *self.from_processes])
        record["session_s"] = round(time.perf_counter() - self.started, 6)
        # Atomic: the driver reads it after pytest exits, whatever killed pytest.
        self.destination.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.destination.name}.", dir=self.destination.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
        os.replace(tmp, self.destination)

    def record(self) -> dict[str, Any]:
        files = sorted(set(self.collect) | set(self.tests))
        return {
            "schema": DURATIONS_SCHEMA,
            "session_s": round(time.perf_counter() - self.started, 6),
            "session_cpu_s": round(time.process_time() - self.started_cpu, 6),
            "files": {
                path: {
                    "collect_s": round(self.collect.get(path, 0.0), 6),
                    "tests_s": round(self.tests.get(path, 0.0), 6),
                    "collect_cpu_s": round(self.collect_cpu.get(path, 0.0), 6),
                    "tests_cpu_s": round(self.tests_cpu.get(path, 0.0), 6),
                }
                for path in files
            },
            "tests": _rounded(self.per_test),
            "tests_cpu": _rounded(self.per_test_cpu),
        }


def merge(records: list[dict[str, Any]]) -> dict[str, Any]:
    """One record from the controller's and each xdist process's.

    Every process collects every file, so a file costs its slowest
    collection once (the processes collect at the same time); tests ran in
    one process each and add up.  CPU seconds add up across processes.
    """
    merged: dict[str, Any] = {"schema": DURATIONS_SCHEMA, "files": {}, "tests": {}, "tests_cpu": {}}
    merged["session_cpu_s"] = round(sum(float(r.get("session_cpu_s", 0.0)) for r in records), 6)
    for record in records:
        for path, entry in (record.get("files") or {}).items():
            into = merged["files"].setdefault(
                path, {"collect_s": 0.0, "tests_s": 0.0, "collect_cpu_s": 0.0, "tests_cpu_s": 0.0}
            )
            into["collect_s"] = max(into["collect_s"], float(entry.get("collect_s", 0.0)))
            into["collect_cpu_s"] = max(into["collect_cpu_s"], float(entry.get("collect_cpu_s", 0.0)))
            into["tests_s"] = round(into["tests_s"] + float(entry.get("tests_s", 0.0)), 6)
            into["tests_cpu_s"] = round(into["tests_cpu_s"] + float(entry.get("tests_cpu_s", 0.0)), 6)
        for key in ("tests", "tests_cpu"):
            for path, nodes in (record.get(key) or {}).items():
                merged[key].setdefault(path, {}).update(nodes)
    return merged


def _rounded(per_test: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    return {path: {node: round(s, 6) for node, s in sorted(nodes.items())} for path, nodes in sorted(per_test.items())}


def pytest_configure(config: pytest.Config) -> None:
    destination = config.getoption("--covsplit-durations")
    if destination:
        config.pluginmanager.register(_Clock(Path(destination)), "covsplit-durations-clock")
