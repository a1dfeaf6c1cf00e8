"""pytest plugin: a record written as the run goes, so a worker that dies still says what it was doing.

pytest writes its JUnit XML, and pytest-cov its coverage data, when the
session ends.  A test that calls ``os._exit``, segfaults or is killed
leaves neither: the worker could say only "pytest died", and the tests
that had passed lost their outcomes and their coverage.  So this plugin
appends one JSON line when each test starts, one per result and one when
it ends, each with
a single ``write`` on an ``O_APPEND`` descriptor (a line is whole or
absent, and no buffer dies with the process).  The test that started and
never ended is the one that was running.

At test-file boundaries, at most every ``FLUSH_INTERVAL_S``, it also has
coverage.py save what it measured so far (the public ``Coverage.save``,
into pytest-cov's own data file), so that the driver can keep the
coverage of every test file that finished before a crash.

Loaded with ``-p covsplit.pytest_progress --covsplit-progress=PATH`` by
the worker driver; without the option it does nothing.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from collections.abc import Generator
from pathlib import Path

import pytest

from covsplit.progress import CONFTEST, END, REPORT, START

# Seconds between coverage saves: a crash loses at most this much measuring, and a save costs
# a few milliseconds (it also lists the source files never imported).
FLUSH_INTERVAL_S = 5.0


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--covsplit-progress", default=None, help="append each test's start and result to this file")


class _Progress:
    def __init__(self, path: Path, rootpath: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
        self.rootpath = rootpath
        # The first test file's end saves at once; later ones at most every FLUSH_INTERVAL_S.
        self.last_save: float | None = None

    def write(self, record: dict[str, object]) -> None:
        os.write(self.fd, (json.dumps(record) + "\n").encode())

    def pytest_runtest_logstart(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        self.write({"event": START, "nodeid": nodeid, "file": str(self.rootpath / location[0])})

    def pytest_runtest_logfinish(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        self.write({"event": END, "nodeid": nodeid, "file": str(self.rootpath / location[0])})

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # A passing setup or teardown says nothing a reader needs.
        if report.when != "call" and report.passed:
            return
        crash = getattr(report.longrepr, "reprcrash", None)
        if crash is not None:
            message = crash.message
        elif isinstance(report.longrepr, tuple):  # a skip: (file, line, reason)
            message = str(report.longrepr[2])
        else:
            message = str(report.longrepr or "")
        self.write(
            {
                "event": REPORT,
                "nodeid": report.nodeid,
                "file": str(self.rootpath / report.location[0]),
                "when": report.when,
                "outcome": report.outcome,
                "xfail": hasattr(report, "wasxfail"),
                "duration": round(report.duration, 6),
                "message": message[:4000],
            }
        )

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> Generator[None, object, object]:
        try:
            return (yield)
        finally:
            if nextitem is not None and nextitem.path != item.path:
                self._save_coverage()

    def _save_coverage(self) -> None:
        if self.last_save is not None and time.monotonic() - self.last_save < FLUSH_INTERVAL_S:
            return
        try:
            import coverage
            from coverage.exceptions import CoverageWarning
        except ImportError:
            return
        cov = coverage.Coverage.current()
        if cov is None:
            return
        # Mid-run, "never imported" and "no data" warnings are premature; the final save gives them.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CoverageWarning)
            cov.save()
        self.last_save = time.monotonic()

    def pytest_unconfigure(self) -> None:
        os.close(self.fd)


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> Generator[None, object, object]:
    # A conftest that fails to import stops pytest before any test or JUnit file: record which one.
    try:
        return (yield)
    except Exception as exc:
        destination = early_config.known_args_namespace.covsplit_progress
        if destination:
            path = getattr(exc, "path", None)
            cause = getattr(exc, "cause", None) or exc.__cause__ or exc
            record = {"event": CONFTEST, "file": str(path or ""), "message": f"{type(cause).__name__}: {cause}"}
            with open(destination, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")
        raise


def pytest_configure(config: pytest.Config) -> None:
    destination = config.getoption("--covsplit-progress")
    if destination:
        config.pluginmanager.register(_Progress(Path(destination), config.rootpath), "covsplit-progress")
