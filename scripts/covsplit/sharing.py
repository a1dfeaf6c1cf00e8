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

Before any run was measured nothing says which tests are slow (dateutil's
slowest file holds 9 of its 3,000 tests and 60% of its seconds), so the
plan deals them: test paths (files or folders) every worker lists, whose
tests, in node id order, go round-robin to the workers the entry names
(:func:`deal`).  Each worker collects them all and keeps its own, so a test
added since is dealt too; a group kept together (``project.keep_together``:
files, or classes of one file) is dealt as one.

Standard library only: the noxfile loads it with the config, and the pytest
plugin :mod:`covsplit.pytest_schedule` applies :func:`runs_here`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from covsplit import fsio

SCHEMA = 1
SUFFIX = ".schedule.json"


@dataclass(frozen=True)
class SharedFile:
    """One test file shared between workers: ``parts`` maps a worker to the node id prefixes it runs.

    Or a test path whose tests are dealt: ``dealt`` names the workers in
    dealing order (``owner`` is the first), ``together`` the groups of its
    files dealt as one.
    """

    owner: str
    parts: Mapping[str, tuple[str, ...]]
    dealt: tuple[str, ...] = ()
    together: tuple[tuple[str, ...], ...] = ()

    @property
    def workers(self) -> set[str]:
        return {self.owner, *self.parts, *self.dealt}

    def as_dict(self) -> dict[str, Any]:
        if self.dealt:
            together = {"together": [list(group) for group in self.together]} if self.together else {}
            return {"dealt": list(self.dealt), **together}
        return {"owner": self.owner, "parts": {name: list(prefixes) for name, prefixes in sorted(self.parts.items())}}


def dealt(workers: Sequence[str], together: Sequence[Sequence[str]] = ()) -> SharedFile:
    """A test path whose tests are dealt to ``workers`` in this order."""
    return SharedFile(workers[0], {}, tuple(workers), tuple(tuple(group) for group in together))


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
        if isinstance(entry, dict) and "dealt" in entry:
            shared[str(file)] = _parse_dealt(file, entry)
            continue
        if not isinstance(entry, dict) or not isinstance(entry.get("owner"), str):
            raise ScheduleError(f"files.{file}: needs an owner")
        parts = entry.get("parts") or {}
        if not isinstance(parts, dict) or not all(
            isinstance(prefixes, list) and all(isinstance(p, str) for p in prefixes) for prefixes in parts.values()
        ):
            raise ScheduleError(f"files.{file}.parts: a table of worker names to lists of node ids")
        shared[str(file)] = SharedFile(entry["owner"], {str(k): tuple(v) for k, v in parts.items()})
    return shared


def _parse_dealt(file: str, entry: dict[str, Any]) -> SharedFile:
    workers, together = entry["dealt"], entry.get("together", [])
    if not isinstance(workers, list) or not workers or not all(isinstance(w, str) for w in workers):
        raise ScheduleError(f"files.{file}.dealt: a list of worker names")
    if not isinstance(together, list) or not all(
        isinstance(group, list) and all(isinstance(f, str) for f in group) for group in together
    ):
        raise ScheduleError(f"files.{file}.together: a list of lists of test files")
    return dealt(workers, together)


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
            "share (workers.toml lists the file for each). A test no part names runs in the owner. Tests of a "
            "dealt path go round-robin, in node id order, to the workers it names.",
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


def prefixes(node: str) -> Iterable[str]:
    """A node id and every coarser piece it belongs to."""
    current: str | None = node
    while current is not None:
        yield current
        current = parent(current)


def assignments(shared: SharedFile) -> dict[str, str]:
    """Node id prefix -> the worker that runs it."""
    return {prefix: worker for worker, prefixes in shared.parts.items() for prefix in prefixes}


def covers(test_path: str, file: str) -> bool:
    """Whether a ``tests`` entry (a file or a folder; not a node id) holds ``file``."""
    if "::" in test_path:
        return False
    base = test_path.rstrip("/")
    return base in (".", "") or file == base or file.startswith(base + "/")


def file_of(member: str) -> str:
    """The test file a ``keep_together`` member is in: the member itself, or a node id's file."""
    return member.partition("::")[0]


def groups_under(path: str, together: Iterable[Sequence[str]]) -> list[tuple[str, ...]]:
    """The groups kept together that a dealt ``path`` must deal as one hand: those with a file under it."""
    return [tuple(group) for group in together if any(covers(path, file_of(member)) for member in group)]


def group_of(node: str, file: str, groups: Mapping[str, int]) -> int | None:
    """The index of the group kept together that test ``node`` (in ``file``) belongs to, if any.

    ``groups`` maps each member (a test file, or a node id prefix such as ``tests/a.py::TestX``) to its group.
    """
    if file in groups:
        return groups[file]
    return next((groups[prefix] for prefix in prefixes(node) if prefix in groups), None)


def entry_for(file: str, shared: Mapping[str, SharedFile]) -> tuple[str, SharedFile] | None:
    """The schedule entry a test file falls under: its own, else the nearest folder's (a dealt folder)."""
    path: str | None = file
    while path:
        if path in shared:
            return path, shared[path]
        path = path.rpartition("/")[0] or None
    for key in (".", ""):
        if key in shared:
            return key, shared[key]
    return None


def deal(tests: Mapping[str, str], entry: SharedFile) -> dict[str, str]:
    """Node id -> the worker of a dealt entry that runs it: round-robin in node id order.

    ``tests`` maps each node id to its file (relative to the project root).
    The order is the node ids' own, not pytest's, so every worker computes
    the same deal whatever reorders its collection (pytest-randomly).  The
    tests of a group kept together (files, or classes of one file) are one
    hand, placed at its first node id.
    """
    members = {member: index for index, group in enumerate(entry.together) for member in group}
    hands: dict[object, list[str]] = {}
    for node in sorted(tests):
        group = group_of(node, tests[node], members)
        hands.setdefault(node if group is None else group, []).append(node)
    ordered = sorted(hands.values(), key=lambda hand: hand[0])
    return {node: entry.dealt[index % len(entry.dealt)] for index, hand in enumerate(ordered) for node in hand}


def runs_here(node: str, shared: SharedFile, worker: str, assigned: Mapping[str, str] | None = None) -> bool:
    """Whether ``worker`` runs test ``node`` of a shared file: its piece's worker, else the file's owner."""
    assigned = assignments(shared) if assigned is None else assigned
    for prefix in prefixes(node):
        if prefix in assigned:
            return assigned[prefix] == worker
    return shared.owner == worker
