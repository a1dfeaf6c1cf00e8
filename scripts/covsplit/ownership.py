"""Which worker owns which modules: statements balanced, folders kept whole where the tolerance allows.

Or today's ownership, when it still stands (:func:`kept`): same worker
count, every module owned once, and within the tolerance.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction

from covsplit.folder_packing import coherence, folder_runs, heaviest_load
from covsplit.packing import PlanError, balance, ratio_floor, within_tolerance
from covsplit.plan_inputs import Inputs, OldWorker
from covsplit.source_tree import (
    Node,
    Unit,
    decompose,
    named_children,
    node_files,
    split_one,
    splittable,
    statements_of_node,
)

# A folder lighter than the target is split only when keeping it whole would leave the heaviest
# worker more than this fraction above the ideal (total / N, or the heaviest indivisible piece).
BALANCE_SLACK = 0.02


def own_by_statements(
    inputs: Inputs, tops: Sequence[Node], n: int, notes: list[str]
) -> tuple[list[tuple[tuple[str, ...], tuple[str, ...]]], float]:
    """(modules, files) per worker, statements balanced and folders kept whole where the balance allows;
    and the ideal load (total / N, or the heaviest piece that cannot be cut)."""
    stmts = inputs.statements

    def weight(node: Node) -> int:
        return statements_of_node(node, stmts)

    modules = sum(1 for u in decompose(tops, weight, -1.0, inputs) if weight(u.node) > 0)
    if n > modules:
        raise PlanError(
            f"{n} workers but only {modules} modules with statements: a worker would be empty; "
            f"ask for at most {modules} workers"
        )
    total = sum(weight(top) for top in tops)
    # The best any split can do: the ideal share, or the heaviest piece that cannot be cut.
    atoms = [weight(u.node) for u in decompose(tops, weight, -1.0, inputs)]
    ideal = max(total / n, max(atoms, default=0.0))
    # Folders first: split no more of them than keeping max/mean within the tolerance needs, so a
    # folder is cut up front only when it alone is heavier than the tolerance allows.
    mean = total / n
    allowed = max(ideal * (1 + BALANCE_SLACK), inputs.tolerance * mean)
    units = decompose(tops, weight, allowed, inputs)
    while sum(1 for u in units if weight(u.node) > 0) < n:
        # Heavy unsplittable units can leave fewer pieces than workers: split lighter folders too.
        split = split_one(units, weight, inputs)
        if split is None:
            raise PlanError(f"the source cannot be cut into {n} workers that each own a module")
        units = split
    tightest = pack_units(units, [], n, weight, weight, ideal * (1 + BALANCE_SLACK), inputs)
    # Two ways to keep folders together: pack whole folders and split the heaviest until the balance is
    # within the tolerance; or give each worker a run of the folder order, cut where fewest folders split.
    # The less scattered of those within the tolerance wins.
    candidates = [pack_units(units, [], n, weight, weight, allowed, inputs)]
    run = folder_runs(tops, n, weight, allowed, inputs)
    if run is not None:
        candidates.append(run)
    within = [c for c in candidates if heaviest_load(c, weight) <= allowed + 1e-9] or [tightest]
    coherent = min(within, key=lambda c: (*coherence(c), heaviest_load(c, weight)))
    units, assign = coherent
    (pairs_now, split_now), (pairs_tight, split_tight) = coherence(coherent), coherence(tightest)
    if (pairs_tight, split_tight) > (pairs_now, split_now):
        notes.append(
            f"folders first: max/mean statements {heaviest_load(coherent, weight) / mean:.3f}, the workers drawing on "
            f"{pairs_now} folder slices and {split_now} folder(s) split, within the tolerance {inputs.tolerance:g} "
            f"(thresholds.balance); the tightest balance, {heaviest_load(tightest, weight) / mean:.3f}, would take "
            f"{pairs_tight} slices and split {split_tight}"
        )

    for unit in units:
        if unit.node.is_folder and weight(unit.node) > total / n and not splittable(unit.node, inputs):
            children = named_children(unit.node, inputs)
            unnamed = [c.path for c in children if not inputs.nameable(c.dotted, c.files)]
            notes.append(
                f"{unit.node.path}/ is heavier than the target but is kept whole: "
                f"{', '.join(unnamed)} cannot be named as a module (a dotted name holds letters, digits and _ only)"
            )

    unit_owner = {u.node.path: assign[i] for i, u in enumerate(units)}
    file_owner = {f: assign[i] for i, u in enumerate(units) for f in u.node.files}
    owned_names = _module_names(tops, unit_owner, inputs)
    result = []
    for worker in range(n):
        files = {f for f, w in file_owner.items() if w == worker}
        # Whole folders also own their blank __init__.py files.
        files |= {f for dotted in owned_names[worker] for f in node_files(tops, dotted)}
        result.append((tuple(owned_names[worker]), tuple(sorted(files))))
    return result, ideal


def ownership_stands(old: Sequence[OldWorker], n: int, inputs: Inputs) -> bool:
    """Whether today's ownership stands: same worker count, every module owned once, within the tolerance."""
    if len(old) != n or any(w.missing for w in old):
        return False
    owned = [f for w in old for f in w.files]
    counted = {f for f in inputs.files if inputs.statements.get(f, 0) > 0}
    if len(owned) != len(set(owned)) or not counted <= set(owned):
        return False
    loads = [sum(inputs.statements.get(f, 0) for f in w.files) for w in old]
    # As check counts it, from the floor a module heavier than a share sets: what check passes stands.
    return all(loads) and within_tolerance(loads, inputs.tolerance, split_floor(old, n, inputs))


def split_floor(old: Sequence[OldWorker], n: int, inputs: Inputs) -> Fraction:
    """The lowest max/mean any split of today's modules reaches (packing.ratio_floor)."""
    weights = [inputs.statements.get(f, 0) for w in old for f in w.files]
    return ratio_floor(sum(weights), n, max(weights, default=0))


def pack_units(
    units: list[Unit],
    free_weights: Sequence[float],
    n: int,
    weight: Callable[[Node], float],
    statements_of: Callable[[Node], float],
    good_enough: float,
    inputs: Inputs,
) -> tuple[list[Unit], list[int]]:
    """Balance the units; split more folders, heaviest first, only while the heaviest worker is above ``good_enough``.

    Whole folders are the coherent answer, but four equal packages cannot be
    balanced on three workers: a folder is split only when keeping folders
    whole leaves the heaviest worker above ``good_enough`` (the tolerance
    ``thresholds.balance`` allows, or just above the ideal for the tightest split).
    """
    best: tuple[float, list[Unit], list[int]] | None = None
    while True:
        weights = [float(weight(u.node)) for u in units] + list(free_weights)
        groups: list[str | None] = [u.group for u in units] + [None] * len(free_weights)
        anchors = [statements_of(u.node) > 0 for u in units] + [False] * len(free_weights)
        assign = balance(weights, n, groups, anchors)
        span = max(sum(w for w, a in zip(weights, assign, strict=True) if a == k) for k in range(n))
        if best is None or span < best[0] * (1 - 1e-9):
            best = (span, units, assign)
        if span <= good_enough:
            break
        split = split_one(units, weight, inputs)
        if split is None:
            break
        units = split
    return best[1], best[2]


def _module_names(tops: Sequence[Node], unit_owner: Mapping[str, int], inputs: Inputs) -> dict[int, list[str]]:
    """The dotted names each worker owns: a folder whole when one worker owns all of it."""
    names: dict[int, list[str]] = defaultdict(list)

    def owners(node: Node) -> set[int]:
        if node.path in unit_owner:
            return {unit_owner[node.path]}
        found: set[int] = set()
        for child in named_children(node, inputs):
            found |= owners(child)
        return found

    def emit(node: Node) -> None:
        if node.path in unit_owner:
            names[unit_owner[node.path]].append(node.dotted)
            return
        held = owners(node)
        if len(held) == 1:
            names[held.pop()].append(node.dotted)
            return
        for child in named_children(node, inputs):
            emit(child)

    for top in tops:
        emit(top)
    return names
