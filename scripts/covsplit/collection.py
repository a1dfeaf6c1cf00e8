"""What one pytest run collected and kept: the record :mod:`covsplit.pytest_schedule` writes.

Kept apart from :mod:`covsplit.suite` so that the pytest plugin, which runs
inside the project's virtualenv on whatever Python the project uses,
imports nothing but the standard library and :mod:`covsplit.fsio`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from covsplit import fsio

SCHEMA = 1


def file_of(node: str) -> str:
    """The file a node id is in (``tests/snippets/a.txt::a`` -> ``tests/snippets/a.txt``)."""
    return node.partition("::")[0]


def nameable(file: str) -> bool:
    """Whether pytest collects ``file`` named on its command line exactly as it does walking its folder.

    A Python test file by pytest's default rule, yes.  Anything else is
    collected differently once named: a ``.py`` module becomes a test module
    (its ``test_*`` functions run, besides its doctests), and a conftest's
    ``pytest_collect_file`` may make a second item of a named data file
    (pygments' ``tests/examplefiles/rst/functional.rst`` gave ``functional.rst::``
    walked, and that plus ``functional.rst::functional.rst`` named).
    """
    name = file.rpartition("/")[2]
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


@dataclass(frozen=True)
class Collection:
    """What one pytest run collected: ``tests`` in collection order, ``selected`` the ones it kept to run.

    ``errors`` are the files (node ids) it could not collect; ``visited``
    every file it collected, tests or none: a module whose doctests are
    none is still imported by a run with ``--doctest-modules``, and its
    module-level lines counted as covered; ``paths`` the test paths it was
    given.
    """

    paths: tuple[str, ...]
    tests: tuple[str, ...]
    selected: tuple[str, ...]
    errors: tuple[str, ...] = ()
    visited: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "paths": list(self.paths),
            "tests": list(self.tests),
            "selected": list(self.selected),
            "errors": list(self.errors),
            "visited": list(self.visited),
        }


def read_collection(path: Path) -> Collection | None:
    """A ``workerN_collection.json`` (or ``collect``'s), None when missing or not one."""
    data = fsio.read_json(path)
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        return None
    lists = [data.get(key, []) for key in ("paths", "tests", "selected", "errors", "visited")]
    if not all(isinstance(value, list) and all(isinstance(item, str) for item in value) for value in lists):
        return None
    paths, tests, selected, errors, visited = (tuple(value) for value in lists)
    return Collection(paths, tests, selected, errors, visited)
