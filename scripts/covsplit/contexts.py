"""The coverage.py context names a worker's data is measured under: one per test file, and two of its own.

Shared by the pytest plugin that switches them (:mod:`covsplit.pytest_contexts`,
run in the project's virtualenv) and the driver that reads them
(:mod:`covsplit.file_grain`); standard library only, nothing else imported.
"""

from __future__ import annotations

# Importing conftests and test modules, collecting: module-level code of whatever they import.
COLLECT = "covsplit:collect"
# Setting up session- and package-scoped fixtures, whose results later tests share.
SESSION_FIXTURES = "covsplit:session-fixtures"
# Contexts that are no test file's.
OWN = (COLLECT, SESSION_FIXTURES)


def file_of(nodeid: str) -> str:
    """The context of a test: its test file, the node id's file part."""
    return nodeid.split("::", 1)[0]
