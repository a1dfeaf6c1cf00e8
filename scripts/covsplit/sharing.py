"""Test files shared between workers: the schedule file ``plan`` writes beside ``workers.toml`` and workers read.

When one test file holds more seconds than a worker's share, the plan
cuts it into pieces (classes, tests, parametrisations: node id prefixes)
and gives them to several workers.  ``workers.toml`` stays what a person
reads: each of those workers lists the file in its ``tests``.  Which
pieces each runs lives here, in ``workers.schedule.json`` (named after the
config), generated, so that node ids never bury the split.

The rule that makes every test run exactly once, whatever changed since the
schedule was made: a test runs in the worker whose piece names it (the
longest prefix of its node id); a test no piece names (added since) runs in
the file's owner; a test that no longer exists is simply not there.

Standard library only: the noxfile loads it with the config, and the pytest
plugin :mod:`covsplit.pytest_schedule` applies :func:`runs_here`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from covsplit import fsio

SCHEMA = 1
SUFFIX = ".schedule.json"


@dataclass(frozen=True)
class SharedFile:
    """One test file shared between workers: ``parts`` maps a worker to the node id prefixes it runs."""

    owner: str
    parts: Mapping[str, tuple[str, ...]]

    @property
    def workers(self) -> set[str]:
        return {self.owner, *self.parts}

    def as_dict(self) -> dict[str, Any]:
        return {"owner": self.owner, "parts": {name: list(prefixes) for name, prefixes in sorted(self.parts.items())}}


def path_for(config_path: Path) -> Path:
    """``workers.toml`` -> ``workers.schedule.json`` beside it."""
    return config_path.with_name(config_path.stem + SUFFIX)


class ScheduleError(ValueError):
    """The schedule file cannot be used; the message says why."""


def parse(data: Any) -> dict[str, SharedFile]:
    """The shared files of a schedule file's JSON; ScheduleError when it is not one."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("files"), dict):
        raise ScheduleError(f"not a covsplit schedule of schema {SCHEMA}")
    shared = {}
    for file, entry in data["files"].items():
        if not isinstance(entry, dict) or not isinstance(entry.get("owner"), str):
            raise ScheduleError(f"files.{file}: needs an owner")
        parts = entry.get("parts") or {}
        if not isinstance(parts, dict) or not all(
            isinstance(prefixes, list) and all(isinstance(p, str) for p in prefixes) for prefixes in parts.values()
        ):
            raise ScheduleError(f"files.{file}.parts: a table of worker names to lists of node ids")
        shared[str(file)] = SharedFile(entry["owner"], {str(k): tuple(v) for k, v in parts.items()})
    return shared


def read(path: Path) -> dict[str, SharedFile]:
    """The shared files in ``path``; none when it does not exist."""
    if not path.exists():
        return {}
    data = fsio.read_json(path)
    if data is None:
        raise ScheduleError("unreadable JSON")
    return parse(data)


def write(path: Path, shared: Mapping[str, SharedFile]) -> None:
    """Write the schedule, or remove it when no file is shared."""
    if not shared:
        path.unlink(missing_ok=True)
        return
    fsio.write_json(
        path,
        {
            "schema": SCHEMA,
            "about": "Written by `make plan`: which worker runs which part of a test file that several workers "
            "share (workers.toml lists the file for each). A test no part names runs in the owner.",
            "files": {file: shared[file].as_dict() for file in sorted(shared)},
        },
    )


def parent(node: str) -> str | None:
    """The next coarser piece a node id belongs to: ``f::C::t[1]`` -> ``f::C::t`` -> ``f::C`` -> ``f`` -> None."""
    # A parameter's id may itself hold "::" or brackets ("t[a::b]"): it starts at the first bracket.
    named = node.partition("[")[0]
    if node.endswith("]") and "::" in named:
        return named
    head, sep, _ = node.rpartition("::")
    return head if sep else None


def _prefixes(node: str) -> Iterable[str]:
    """A node id and every coarser piece it belongs to."""
    current: str | None = node
    while current is not None:
        yield current
        current = parent(current)


def assignments(shared: SharedFile) -> dict[str, str]:
    """Node id prefix -> the worker that runs it."""
    return {prefix: worker for worker, prefixes in shared.parts.items() for prefix in prefixes}


def runs_here(node: str, shared: SharedFile, worker: str, assigned: Mapping[str, str] | None = None) -> bool:
    """Whether ``worker`` runs test ``node`` of a shared file: its piece's worker, else the file's owner."""
    assigned = assignments(shared) if assigned is None else assigned
    for prefix in _prefixes(node):
        if prefix in assigned:
            return assigned[prefix] == worker
    return shared.owner == worker
