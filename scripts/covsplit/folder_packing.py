"""The folder-first packing rules: a worker owns a run of the folder order, and splits are judged by scatter.

:func:`folder_runs` gives each worker a run of the folder order, cut
where fewest folders split; :func:`coherence` and :func:`heaviest_load` say how
scattered and how heavy a packing is, so :mod:`covsplit.ownership` can
pick the least scattered one within the tolerance.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import PurePosixPath

from covsplit.packing import cut_cost, partition
from covsplit.plan_inputs import Inputs
from covsplit.source_tree import Node, Unit, decompose, named_children


def folder_order(
    tops: Sequence[Node], atoms: Sequence[Unit], weight: Callable[[Node], float], inputs: Inputs
) -> list[Unit]:
    """The units in folder order: biggest folder first, and inside a folder its biggest parts first.

    A worker then owns a run of this order: whole folders, or a folder's
    largest modules (its "Large Core Modules") and the next worker the rest.
    """
    by_path = {u.node.path: u for u in atoms}
    ordered: list[Unit] = []

    def walk(node: Node) -> None:
        if node.path in by_path:
            ordered.append(by_path[node.path])
            return
        for child in sorted(named_children(node, inputs), key=lambda c: (-weight(c), c.path)):
            walk(child)

    for top in sorted(tops, key=lambda t: (-weight(t), t.path)):
        walk(top)
    return ordered


def folder_runs(
    tops: Sequence[Node], n: int, weight: Callable[[Node], float], cap: float, inputs: Inputs
) -> tuple[list[Unit], list[int]] | None:
    """Each worker a run of the folder order, cut where fewest folders split (None: no run fits ``cap``)."""
    atoms = decompose(tops, weight, -1.0, inputs)
    ordered = folder_order(tops, atoms, weight, inputs)
    weights = [float(weight(u.node)) for u in ordered]
    costs = [0] + [cut_cost(ordered[i - 1].node.path, ordered[i].node.path) for i in range(1, len(ordered))]
    cut = partition(weights, costs, n, cap)
    if cut is None:
        return None
    assign = [sum(1 for start in cut.cuts if start <= index) - 1 for index in range(len(ordered))]
    return ordered, assign


def coherence(packed: tuple[list[Unit], list[int]]) -> tuple[int, int]:
    """How scattered a split is: the (worker, folder) pairs it makes, then the folders it splits."""
    units, assign = packed
    folder = _folder_of(units)
    pairs = {(worker, folder(unit)) for unit, worker in zip(units, assign, strict=False)}
    return len(pairs), len(_folders_split(units, assign))


def _folders_split(units: Sequence[Unit], assign: Sequence[int]) -> list[str]:
    """The folders whose modules went to more than one worker."""
    folder = _folder_of(units)
    holders: dict[str, set[int]] = defaultdict(set)
    for unit, worker in zip(units, assign, strict=False):
        holders[folder(unit)].add(worker)
    return sorted(name for name, workers in holders.items() if len(workers) > 1)


def _folder_of(units: Sequence[Unit]) -> Callable[[Unit], str]:
    """The folder a unit belongs to for coherence: its top folder, or, in a single-package project
    (``markdown_it``, ``click``), the sub-folder under it (``markdown_it/rules_block``)."""
    level = 1 if len({u.node.top or u.node.path for u in units}) == 1 else 0

    def folder(unit: Unit) -> str:
        parts = PurePosixPath(unit.node.path).parts
        if unit.node.is_folder:
            return "/".join(parts[: level + 1])
        return "/".join(parts[: min(level + 1, len(parts) - 1)]) or parts[0]

    return folder


def heaviest_load(packed: tuple[list[Unit], list[int]], weight: Callable[[Node], float]) -> float:
    units, assign = packed
    loads: dict[int, float] = defaultdict(float)
    for unit, worker in zip(units, assign, strict=False):
        loads[worker] += weight(unit.node)
    return max(loads.values(), default=0.0)
