"""The coverage.py context names a worker's data is measured under: one per test file, and two of its own.

A test file the schedule cuts into pieces for several workers is heavier
than a worker's share, and most of its tests execute little of what the
others do (pygments' ``test_basic_api.py`` instantiates every lexer, one
test each): one context for the whole file would make an edit of any lexer
re-run every worker's piece.  Such a file is measured one context per test
(its node id: its *unit*), plus one for what its module- and class-scoped
fixtures execute, which all its tests share.

Shared by the pytest plugin that switches them (:mod:`covsplit.pytest_contexts`,
run in the project's virtualenv) and the driver that reads them
(:mod:`covsplit.file_grain`); standard library only, nothing else imported.
"""

from __future__ import annotations

from collections.abc import Container

# Importing conftests and test modules, collecting: module-level code of whatever they import.
COLLECT = "covsplit:collect"
# Setting up session- and package-scoped fixtures, whose results later tests share.
SESSION_FIXTURES = "covsplit:session-fixtures"
# Contexts that are no test file's.
OWN = (COLLECT, SESSION_FIXTURES)


def file_of(nodeid: str) -> str:
    """The test file of a node id (or of a unit), the node id's file part."""
    return nodeid.split("::", 1)[0]


def unit_of(nodeid: str, per_test: Container[str] = ()) -> str:
    """The context of a test: its test file, or its node id when its file is measured one test at a time."""
    file = file_of(nodeid)
    return nodeid if file in per_test else file


def fixtures_of(file: str) -> str:
    """The context of what a per-test file's module- and class-scoped fixtures execute (no node id ends so)."""
    return file + "::"
