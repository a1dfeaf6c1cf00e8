"""Which worker runs which test file: longest first onto the least loaded worker.

Scheduling is separate from ownership.  Who owns which modules is
organisation (folders, statements, readable titles); which worker runs
which test file only decides how long the run takes.  On a library where
21 of 25 test files execute its one big module, tying tests to the module's
owner left one worker at 22 s and four at 4 s.  So test files are placed
by their measured seconds alone, with the classic greedy LPT rule
(pytest-split's ``least_duration``), which is within 4/3 of the optimum
and, with many small files, close to it.

Pure functions: seconds in, placement out.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from covsplit import node_ids, run_once

# What a plan balances: statements owned (organisation) or measured seconds (scheduling).
BY_STATEMENTS = "statements"
BY_DURATION = "duration"
MEASURES = (BY_STATEMENTS, BY_DURATION)


def ideal_makespan(seconds: Sequence[float], workers: int, fixed: float = 0.0) -> float:
    """The shortest any placement could take: an even share, or the longest single file if that is more."""
    if not seconds:
        return fixed
    return fixed + max(sum(seconds) / workers, max(seconds))


# --------------------------------------------------------------------------- below the test file
#
# One test file often holds most of a suite's time; placed whole, it sets the
# wall time of the run while `pytest -n auto`, handing out single tests,
# finishes first.  So a file heavier than a worker's share is cut into
# pieces at its natural seams (classes, then test functions, then
# parametrisations) and the pieces are placed like files.  A piece is a node
# id prefix: ``tests/a.py::TestX`` holds every test of that class, also one
# added later.  Every worker that runs part of a file collects all of it,
# so each pays the file's collection once, and a file is cut only when that
# pays.


@dataclass(frozen=True)
class Piece:
    """Part of a test file: every test whose node id starts with ``prefix`` (the file's path for all of it)."""

    file: str
    prefix: str
    seconds: float


@dataclass(frozen=True)
class SharedPieces:
    """A test file run by several workers: each runs the pieces listed for it; the owner runs the rest.

    The owner also runs every test of the file that no piece names, so a
    test added since the schedule was made runs exactly once.
    """

    owner: int
    parts: Mapping[int, tuple[str, ...]]


@dataclass(frozen=True)
class Placement:
    whole: dict[str, int]  # test file -> the worker that runs all of it
    shared: dict[str, SharedPieces]  # test file -> how its tests are shared
    loads: list[float]  # each worker's predicted seconds, its fixed cost included
    ideal: float  # the larger of an even share and the longest single test with its file's collection, fixed included


def pieces(file: str, tests: Mapping[str, float], limit: float, atoms: Collection[str] = ()) -> list[Piece]:
    """Cut a file's tests into pieces no heavier than ``limit`` where its structure allows, as coarse as possible.

    ``tests`` maps each test's node id to its measured seconds.  A group
    (the file, a class, a test function with its parametrisations) heavier
    than ``limit`` is replaced by its sub-groups, down to single tests;
    the node ids in ``atoms`` are never cut.
    """
    children: dict[str, set[str]] = defaultdict(set)
    weight: dict[str, float] = defaultdict(float)
    for node, seconds in tests.items():
        current: str | None = node
        weight[node] += seconds
        while current is not None and current != file:
            parent = node_ids.parent(current)
            if parent is None:
                break
            children[parent].add(current)
            weight[parent] += seconds
            current = parent
    found: list[Piece] = []

    def visit(node: str) -> None:
        if weight[node] > limit and children.get(node) and node not in atoms:
            for child in sorted(children[node]):
                visit(child)
        else:
            found.append(Piece(file, node, weight[node]))

    if file in children:
        visit(file)
    return found


def _kept_together(cut: Sequence[Piece], members: Mapping[str, int]) -> list[tuple[Piece, ...]]:
    """The pieces of one file as placement units: pieces holding tests of one group kept together form one unit.

    ``members`` maps node id prefixes kept together to their group.  A
    piece belongs to a group when it lies inside a member or holds one (a
    class too light to cut); a piece touching two groups joins them.
    """
    joined = list(range(max(members.values(), default=-1) + 1))

    def root(group: int) -> int:
        while joined[group] != group:
            group = joined[group]
        return group

    touched: list[set[int]] = []
    for piece in cut:
        inside = {members[p] for p in node_ids.prefixes(piece.prefix) if p in members}
        holds = {group for member, group in members.items() if piece.prefix in node_ids.prefixes(member)}
        groups = inside | holds
        for group in groups:
            joined[root(group)] = root(min(groups))
        touched.append(groups)
    units: dict[object, list[Piece]] = {}
    for piece, groups in zip(cut, touched, strict=True):
        units.setdefault(root(min(groups)) if groups else piece.prefix, []).append(piece)
    return [tuple(unit) for unit in units.values()]


def place(
    files: Mapping[str, float],
    tests: Mapping[str, Mapping[str, float]],
    collect: Mapping[str, float],
    workers: int,
    fixed: float = 0.0,
    together: Sequence[Sequence[str]] = (),
) -> Placement:
    """Place test files, and pieces of the ones heavier than a share, longest first onto the least loaded worker.

    ``files`` are each test file's seconds (collection included), ``tests``
    each file's tests' seconds by node id (where measured), ``collect`` the
    seconds collecting a file costs every worker that runs part of it.
    Files in one ``together`` group are never cut and run in one worker;
    a group of node ids (classes of one file) runs in one worker, while the
    rest of its file may be cut.  The same input gives the same placement.
    """
    if workers < 1:
        raise ValueError(f"cannot schedule onto {workers} workers")
    grouped = {file: tuple(group) for group in together for file in group if file in files}
    kept = _kept_by_file(together)
    share = sum(files.values()) / workers
    ideal = fixed + max(share, *_undivided(files, tests, collect, grouped, kept))
    longest_test = max((s for by_node in tests.values() for s in by_node.values()), default=0.0)
    # Cut below a share, so that the pieces pack: a piece a quarter of a share fits beside others.
    limit = max(share / 4, longest_test)
    units = _units(files, tests, collect, grouped, kept, share, limit)
    loads, assigned = _longest_first(units, collect, workers, fixed)
    whole, shared = _whole_or_shared(assigned)
    return Placement(whole=whole, shared=shared, loads=[round(load, 6) for load in loads], ideal=ideal)


def _kept_by_file(together: Sequence[Sequence[str]]) -> dict[str, dict[str, int]]:
    """Node id prefixes kept together, by the file they are in, to their group: never cut, placed as one unit."""
    kept: dict[str, dict[str, int]] = defaultdict(dict)
    for index, group in enumerate(together):
        for member in group:
            if "::" in member:
                kept[node_ids.file_of(member)][member] = index
    return kept


def _undivided(
    files: Mapping[str, float],
    tests: Mapping[str, Mapping[str, float]],
    collect: Mapping[str, float],
    grouped: Mapping[str, tuple[str, ...]],
    kept: Mapping[str, Mapping[str, int]],
) -> list[float]:
    """The seconds of what no schedule divides: a single test with its file's collection, a file whose tests
    were not measured, a group kept together."""
    # No worker runs a test without collecting its file first: attrs' 3.1 s test needs test_make.py's
    # 0.9 s collection (bytecode not written) beside it, whatever the schedule.  Never more than the whole
    # file, though: timed apart, a test and its collection can add up to a hair more than the file measured.
    longest_run = max(
        (
            min(files.get(file, math.inf), collect.get(file, 0.0) + s)
            for file, by_node in tests.items()
            for s in by_node.values()
        ),
        default=0.0,
    )
    whole_units = [
        sum(files.get(f, 0.0) for f in grouped.get(file, (file,)))
        for file in files
        if file in grouped or not tests.get(file)
    ]
    for file, in_file in kept.items():
        weights: dict[int, float] = defaultdict(float)
        for node, test_seconds in tests.get(file, {}).items():
            kept_in = run_once.group_of(node, file, in_file)
            if kept_in is not None:
                weights[kept_in] += test_seconds
        whole_units += [collect.get(file, 0.0) + weight for weight in weights.values()]
    return [longest_run, *whole_units]


# A placement unit: its seconds, its name (for a stable order) and the pieces it holds.
_Unit = tuple[float, str, tuple[Piece, ...]]


def _units(
    files: Mapping[str, float],
    tests: Mapping[str, Mapping[str, float]],
    collect: Mapping[str, float],
    grouped: Mapping[str, tuple[str, ...]],
    kept: Mapping[str, Mapping[str, int]],
    share: float,
    limit: float,
) -> list[_Unit]:
    """What is placed: whole files (a group kept together as one), and the pieces of a file heavier than a share."""
    units: list[_Unit] = []
    seen: set[str] = set()
    for file in sorted(files):
        if file in seen:
            continue
        group = grouped.get(file, (file,))
        seen.update(group)
        measured = tests.get(file) or {}
        cut = (
            pieces(file, measured, limit, atoms=kept.get(file, {}))
            if len(group) == 1 and files[file] > share and measured
            else []
        )
        if len(cut) > 1:
            # What the file costs beyond its measured tests and its collection (which every worker running a
            # piece pays, below) goes with its first piece.
            extra = max(0.0, files[file] - sum(p.seconds for p in cut) - collect.get(file, 0.0))
            for index, unit in enumerate(_kept_together(cut, kept.get(file, {}))):
                seconds = sum(p.seconds for p in unit) + (extra if index == 0 else 0.0)
                units.append((seconds, unit[0].prefix, unit))
        else:
            members = tuple(Piece(f, f, files[f]) for f in group if f in files)
            units.append((sum(p.seconds for p in members), group[0], members))
    return units


def _longest_first(
    units: Sequence[_Unit], collect: Mapping[str, float], workers: int, fixed: float
) -> tuple[list[float], dict[str, list[tuple[int, Piece]]]]:
    """Each unit, longest first, onto the least loaded worker: the loads, and each file's (worker, piece) pairs.

    Ties go to the worker with fewer units, then the lower index, and equal
    units are taken in name order, so the same input always gives the same
    placement and every worker gets a unit while there are enough of them.
    """
    loads = [fixed] * workers
    counts = [0] * workers
    runs: list[set[str]] = [set() for _ in range(workers)]
    assigned: dict[str, list[tuple[int, Piece]]] = defaultdict(list)
    for seconds, _name, members in sorted(units, key=lambda u: (-u[0], u[1])):
        file = members[0].file

        def cost(w: int, seconds: float = seconds, file: str = file, whole: bool = members[0].prefix == file) -> float:
            # Collecting a cut file again costs a worker that does not run any of it yet.
            return loads[w] + seconds + (0.0 if whole or file in runs[w] else collect.get(file, 0.0))

        worker = min(range(workers), key=lambda w: (cost(w), counts[w], w))
        loads[worker] = cost(worker)
        counts[worker] += 1
        for piece in members:
            runs[worker].add(piece.file)
            assigned[piece.file].append((worker, piece))
    return loads, assigned


def _whole_or_shared(
    assigned: Mapping[str, Sequence[tuple[int, Piece]]],
) -> tuple[dict[str, int], dict[str, SharedPieces]]:
    """Each file run by one worker, and each file shared: its owner the worker with the most of its seconds."""
    whole: dict[str, int] = {}
    shared: dict[str, SharedPieces] = {}
    for file, placed in assigned.items():
        holders = {worker for worker, _ in placed}
        if len(holders) == 1:
            whole[file] = holders.pop()
            continue
        by_worker: dict[int, float] = defaultdict(float)
        for worker, piece in placed:
            by_worker[worker] += piece.seconds
        owner = min(by_worker, key=lambda w: (-by_worker[w], w))
        parts = {
            worker: tuple(sorted(p.prefix for w, p in placed if w == worker))
            for worker in sorted(holders)
            if worker != owner
        }
        shared[file] = SharedPieces(owner, parts)
    return whole, shared


def simulate(
    files: Mapping[str, float],
    tests: Mapping[str, Mapping[str, float]],
    collect: Mapping[str, float],
    workers: int,
    fixed: float = 0.0,
) -> tuple[float, float]:
    """The heaviest worker and the ideal for ``workers`` workers, from measured seconds alone (no run needed)."""
    placement = place(files, tests, collect, workers, fixed)
    return max(placement.loads), placement.ideal
