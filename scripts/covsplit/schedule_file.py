"""The schedule file ``plan`` writes beside ``workers.toml`` and workers read: which worker runs which tests
of a test path several workers list.

``workers.toml`` stays what a person reads: each worker lists the test
files and folders it runs.  When several workers list one path, which of
its tests each runs lives here, in ``workers.schedule.json`` (named after
the config), generated, so that node ids never bury the split.  It holds
two kinds of entry, one class each:

* :class:`SharedFile`: a test file heavier than a worker's share, cut by
  the plan into pieces (classes, tests, parametrisations: node id
  prefixes) that several workers run;
* :class:`DealtPath`: before any run was measured nothing says which tests
  are slow (dateutil's slowest file holds 9 of its 3,000 tests and 60% of
  its seconds), so the plan lists the suite's paths in every worker and
  deals their tests round-robin.

Which worker runs a given test follows from an entry by the rule in
:mod:`covsplit.run_once`.  Standard library only: the noxfile loads this
with the config, and the pytest plugin :mod:`covsplit.pytest_schedule`
reads it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from covsplit import fsio

SCHEMA = 1
SUFFIX = ".schedule.json"


@dataclass(frozen=True)
class SharedFile:
    """A test file cut into pieces: ``parts`` maps a worker to the node id prefixes it runs; the owner the rest.

    The owner also runs every test that no piece names, so a test added
    since the schedule was made runs exactly once.
    """

    owner: str
    parts: Mapping[str, tuple[str, ...]]

    @property
    def workers(self) -> set[str]:
        return {self.owner, *self.parts}

    def as_dict(self) -> dict[str, Any]:
        return {"owner": self.owner, "parts": {name: list(prefixes) for name, prefixes in sorted(self.parts.items())}}


@dataclass(frozen=True)
class DealtPath:
    """A test path (a file or a folder) whose tests are dealt round-robin, in node id order, to ``dealt_to``.

    Each worker collects them all and keeps its own, so a test added since
    is dealt too.  ``together`` are the groups kept together
    (``project.keep_together``: files, or classes of one file) with a file
    under the path: each is dealt as one hand.
    """

    dealt_to: tuple[str, ...]
    together: tuple[tuple[str, ...], ...] = ()

    @classmethod
    def among(cls, workers: Sequence[str], together: Sequence[Sequence[str]] = ()) -> DealtPath:
        """A path whose tests are dealt to ``workers`` in this order, ``together`` each as one hand."""
        return cls(tuple(workers), tuple(tuple(group) for group in together))

    @property
    def workers(self) -> set[str]:
        return set(self.dealt_to)

    def as_dict(self) -> dict[str, Any]:
        together = {"together": [list(group) for group in self.together]} if self.together else {}
        return {"dealt": list(self.dealt_to), **together}


# What the schedule says of one test path.
ScheduleEntry = SharedFile | DealtPath


def path_for(config_path: Path) -> Path:
    """``workers.toml`` -> ``workers.schedule.json`` beside it."""
    return config_path.with_name(config_path.stem + SUFFIX)


class ScheduleError(ValueError):
    """The schedule file cannot be used; the message says why."""


def parse(data: Any) -> dict[str, ScheduleEntry]:
    """The entries of a schedule file's JSON, by test path; ScheduleError when it is not one."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("files"), dict):
        raise ScheduleError(f"not a covsplit schedule of schema {SCHEMA}")
    entries: dict[str, ScheduleEntry] = {}
    for file, entry in data["files"].items():
        if isinstance(entry, dict) and "dealt" in entry:
            entries[str(file)] = _parse_dealt(file, entry)
            continue
        if not isinstance(entry, dict) or not isinstance(entry.get("owner"), str):
            raise ScheduleError(f"files.{file}: needs an owner")
        parts = entry.get("parts") or {}
        if not isinstance(parts, dict) or not all(
            isinstance(prefixes, list) and all(isinstance(p, str) for p in prefixes) for prefixes in parts.values()
        ):
            raise ScheduleError(f"files.{file}.parts: a table of worker names to lists of node ids")
        entries[str(file)] = SharedFile(entry["owner"], {str(k): tuple(v) for k, v in parts.items()})
    return entries


def _parse_dealt(file: str, entry: dict[str, Any]) -> DealtPath:
    workers, together = entry["dealt"], entry.get("together", [])
    if not isinstance(workers, list) or not workers or not all(isinstance(w, str) for w in workers):
        raise ScheduleError(f"files.{file}.dealt: a list of worker names")
    if not isinstance(together, list) or not all(
        isinstance(group, list) and all(isinstance(f, str) for f in group) for group in together
    ):
        raise ScheduleError(f"files.{file}.together: a list of lists of test files")
    return DealtPath.among(workers, together)


def read(path: Path) -> dict[str, ScheduleEntry]:
    """The entries in ``path``; none when it does not exist."""
    if not path.exists():
        return {}
    data = fsio.read_json(path)
    if data is None:
        raise ScheduleError("unreadable JSON")
    return parse(data)


def write(path: Path, entries: Mapping[str, ScheduleEntry]) -> None:
    """Write the schedule, or remove it when no test path is shared."""
    if not entries:
        path.unlink(missing_ok=True)
        return
    fsio.write_json(
        path,
        {
            "schema": SCHEMA,
            "about": "Written by `make plan`: which worker runs which part of a test file that several workers "
            "share (workers.toml lists the file for each). A test no part names runs in the owner. Tests of a "
            "dealt path go round-robin, in node id order, to the workers it names.",
            "files": {file: entries[file].as_dict() for file in sorted(entries)},
        },
    )
