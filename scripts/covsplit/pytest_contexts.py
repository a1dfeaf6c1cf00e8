"""pytest plugin: one coverage.py context per test file, so a worker can re-run some of its files and keep the rest.

Per-test contexts (pytest-cov's ``--cov-context=test``) doubled the cost
of measuring: coverage.py flushes its data at every switch and stores each
file's lines once per context.  A worker only needs to know what each *test
file* executed (:mod:`covsplit.file_grain`), so the context changes at
test-file boundaries, where the progress plugin already saves the data:
a few hundred switches in a run, not tens of thousands.

The contexts:

* ``covsplit:collect``: importing conftests and test modules, collecting
  (module-level code of whatever they import).  A partial run collects
  every file again, so this part is always measured anew;
* ``covsplit:session-fixtures``: setting up session- and package-scoped
  fixtures, whose result every later test shares: a file they executed is
  an input of the whole worker;
* the test file's path, relative to the root (its node id's file part):
  everything its tests ran, module- and class-scoped fixtures included;
* for a file named with ``--covsplit-per-test`` (one the schedule shares
  between workers), each test's node id instead, and ``<file>::`` for its
  module- and class-scoped fixtures (:mod:`covsplit.contexts`);
* ``""`` (coverage.py's default): nothing, unless a subprocess measured
  itself: such data cannot be attributed to a test file, and the worker
  then always runs whole.

Loaded with ``-p covsplit.pytest_contexts`` (with ``--covsplit-contexts``)
by the worker driver, for workers that run in one process: under xdist each
process's data file would be written early, and pytest-cov's start in a
sibling process erases every parallel data file it finds.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from covsplit.contexts import COLLECT, SESSION_FIXTURES, file_of, fixtures_of, unit_of

_SHARED_SCOPES = ("session", "package")
_FILE_SCOPES = ("module", "class")


class _Contexts:
    def __init__(self) -> None:
        self.current: str | None = None
        self.per_test: frozenset[str] = frozenset()

    def switch(self, context: str) -> None:
        if context == self.current:
            return
        try:
            import coverage
        except ImportError:
            return
        cov = coverage.Coverage.current()
        if cov is None:
            return
        try:
            cov.switch_context(context)
        except Exception:  # not started (no --cov): nothing to attribute
            return
        self.current = context

    def pytest_sessionstart(self) -> None:
        # When measuring had not started at the first chance (pytest-cov loaded another way), collection's
        # own part is told apart from here on.
        if self.current is None:
            self.switch(COLLECT)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        self.switch(unit_of(item.nodeid, self.per_test))
        return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef: pytest.FixtureDef[object]) -> Generator[None, object, object]:
        current = self.current
        if current is None or current == SESSION_FIXTURES:
            return (yield)
        if fixturedef.scope in _SHARED_SCOPES:
            target = SESSION_FIXTURES
        elif fixturedef.scope in _FILE_SCOPES and "::" in current and not current.endswith("::"):
            # Measured one test at a time: what every test of the file shares is its own context.
            target = fixtures_of(file_of(current))
        else:
            return (yield)
        previous = current
        self.switch(target)
        try:
            return (yield)
        finally:
            self.switch(previous)


_PLUGIN = _Contexts()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--covsplit-contexts", action="store_true", help="one coverage context per test file")
    parser.addoption(
        "--covsplit-per-test", action="append", default=[], help="a test file measured one context per test"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    # After pytest-cov started measuring and before the initial conftests are imported: pytest-cov's hook is
    # tryfirst too, and its plugin, loaded from its entry point after `-p` named this one, is called first.
    # (As trylast, this came after pytest's own import of a tests/conftest.py: sqlparse's and its
    # tests/__init__.py were measured in no context, as if a subprocess had measured them.)
    if early_config.known_args_namespace.covsplit_contexts:
        _PLUGIN.per_test = frozenset(early_config.known_args_namespace.covsplit_per_test)
        early_config.pluginmanager.register(_PLUGIN, "covsplit-contexts")
        _PLUGIN.switch(COLLECT)
