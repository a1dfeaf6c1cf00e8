"""The rule that runs every test of a path several workers list exactly once, whatever changed since the plan.

For a file cut into pieces (:class:`~covsplit.schedule_file.SharedFile`): a
test runs in the worker whose piece names it (the longest prefix of its
node id); a test no piece names (added since) runs in the file's owner; a
test that no longer exists is simply not there.

For a dealt path (:class:`~covsplit.schedule_file.DealtPath`): its tests,
in node id order, go round-robin to the workers it names (:func:`deal`),
a group kept together as one hand.  Every worker computes the same deal
from the same collection, so none needs to ask another.

Standard library only: the pytest plugin :mod:`covsplit.pytest_schedule`
applies it in each worker, and ``check`` and the planner predict with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from covsplit.node_ids import covers, file_of, prefixes
from covsplit.schedule_file import DealtPath, ScheduleEntry, SharedFile


def entry_for(file: str, entries: Mapping[str, ScheduleEntry]) -> tuple[str, ScheduleEntry] | None:
    """The schedule entry a test file falls under: its own, else the nearest folder's (a dealt folder)."""
    path: str | None = file
    while path:
        if path in entries:
            return path, entries[path]
        path = path.rpartition("/")[0] or None
    for key in (".", ""):
        if key in entries:
            return key, entries[key]
    return None


def assignments(shared: SharedFile) -> dict[str, str]:
    """Node id prefix -> the worker that runs it."""
    return {prefix: worker for worker, prefixes in shared.parts.items() for prefix in prefixes}


def runs_here(node: str, shared: SharedFile, worker: str, assigned: Mapping[str, str] | None = None) -> bool:
    """Whether ``worker`` runs test ``node`` of a shared file: its piece's worker, else the file's owner."""
    assigned = assignments(shared) if assigned is None else assigned
    for prefix in prefixes(node):
        if prefix in assigned:
            return assigned[prefix] == worker
    return shared.owner == worker


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


def deal(tests: Mapping[str, str], entry: DealtPath) -> dict[str, str]:
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
    return {node: entry.dealt_to[index % len(entry.dealt_to)] for index, hand in enumerate(ordered) for node in hand}
