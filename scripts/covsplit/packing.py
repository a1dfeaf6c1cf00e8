"""Packing weights onto workers: the planner's algorithms, pure (weights in, assignment out).

Kept apart from the planner's reading of code, tests and TOML, as
pytest-split keeps its ``algorithms.py``, so each rule can be tested with
plain numbers.  Two ways to keep folders together are here:

* :func:`balance`: items (whole folders or modules, each with its folder
  as its group) placed longest first, then improved, preferring the
  assignment that scatters folders least among those within a hair of the
  best makespan;
* :func:`partition`: items in folder order cut into one run per worker,
  exactly (dynamic programming), with the fewest cuts inside folders.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import PurePosixPath

# How much heavier than the best balance found (as a fraction) the heaviest worker may get to
# keep folders together; never beyond what plain greedy longest-first achieves.
COHERENCE_SLACK = 0.01
_EPS = 1e-9


class PlanError(Exception):
    """The split asked for cannot be made (e.g. more workers than modules)."""


class _Packing:
    """Loads, folder counts and module counts of an assignment, updated incrementally."""

    def __init__(self, weights: Sequence[float], groups: Sequence[str | None], anchors: Sequence[bool], n: int) -> None:
        self.weights = weights
        self.groups = groups
        self.anchors = anchors
        self.n = n
        self.assign = [-1] * len(weights)
        self.loads = [0.0] * n
        self.folders: list[Counter[str]] = [Counter() for _ in range(n)]
        self.folder_weight: list[defaultdict[str, float]] = [defaultdict(float) for _ in range(n)]
        self.anchored = [0] * n
        self.members: list[set[int]] = [set() for _ in range(n)]

    def place(self, item: int, worker: int) -> None:
        old = self.assign[item]
        if old >= 0:
            self._remove(item, old)
        self.assign[item] = worker
        self.loads[worker] += self.weights[item]
        self.members[worker].add(item)
        group = self.groups[item]
        if group is not None:
            self.folders[worker][group] += 1
            self.folder_weight[worker][group] += self.weights[item]
        if self.anchors[item]:
            self.anchored[worker] += 1

    def _remove(self, item: int, worker: int) -> None:
        self.loads[worker] -= self.weights[item]
        self.members[worker].discard(item)
        group = self.groups[item]
        if group is not None:
            self.folders[worker][group] -= 1
            self.folder_weight[worker][group] -= self.weights[item]
            if not self.folders[worker][group]:
                del self.folders[worker][group]
                del self.folder_weight[worker][group]
        if self.anchors[item]:
            self.anchored[worker] -= 1

    def makespan(self) -> float:
        return max(self.loads)

    def scatter(self) -> int:
        """How many (worker, folder) pairs there are: the fewer, the more coherent the split."""
        return sum(len(folders) for folders in self.folders)

    def move_delta(self, item: int, dest: int) -> int:
        group = self.groups[item]
        if group is None:
            return 0
        src = self.assign[item]
        return (1 if not self.folders[dest][group] else 0) - (1 if self.folders[src][group] == 1 else 0)

    def swap_delta(self, a: int, b: int) -> int:
        ga, gb = self.groups[a], self.groups[b]
        if ga == gb:
            return 0
        return self.move_delta(a, self.assign[b]) + self.move_delta(b, self.assign[a])

    def may_leave(self, item: int, incoming_anchor: bool = False) -> bool:
        """Whether taking ``item`` out keeps its worker owning at least one module."""
        return not self.anchors[item] or incoming_anchor or self.anchored[self.assign[item]] > 1

    def copy_assign(self) -> list[int]:
        return list(self.assign)


def balance(
    weights: Sequence[float],
    n: int,
    groups: Sequence[str | None] | None = None,
    anchors: Sequence[bool] | None = None,
) -> list[int]:
    """Worker index (0..n-1) per item, minimising the heaviest worker, then the folders per worker.

    ``groups`` names each item's folder (None: no folder, e.g. an end-to-end
    test file).  ``anchors`` marks the modules: every worker gets at least
    one, so no worker is ever empty.  Never worse than greedy longest-first.
    """
    count = len(weights)
    groups = list(groups) if groups is not None else [None] * count
    anchors = list(anchors) if anchors is not None else [True] * count
    if n < 1:
        raise PlanError(f"cannot split into {n} workers: ask for at least 1")
    modules = sum(1 for a in anchors if a)
    if n > modules:
        raise PlanError(
            f"{n} workers but only {modules} modules to own: a worker would be empty; ask for at most {modules}"
        )
    order = sorted(range(count), key=lambda i: (-weights[i], i))
    total = sum(weights)
    bound = max(total / n, max(weights, default=0.0))
    plain = _greedy(order, weights, groups, anchors, n, False, bound)
    greedy_makespan = plain.makespan()
    candidates = [
        plain,
        _greedy(order, weights, groups, anchors, n, True, bound),
        _contiguous(weights, groups, anchors, n, bound),
    ]
    for packing in candidates:
        _ensure_modules(packing)
        _improve(packing)
    best = min(p.makespan() for p in candidates)
    # Folder coherence may spend a little balance, never beyond what plain greedy achieves.
    limit = max(best, min(greedy_makespan, best * (1 + COHERENCE_SLACK)))
    for packing in candidates:
        _gather(packing, limit)
    fitting = [p for p in candidates if p.makespan() <= limit * (1 + _EPS)]
    chosen = min(fitting or candidates, key=lambda p: (p.scatter(), _rounded(p.makespan(), total)))
    return chosen.copy_assign()


def _rounded(value: float, scale: float) -> float:
    # Float sums of the same loads in another order differ in the last bits; compare at 1e-9.
    return round(value / scale, 9) if scale else 0.0


def _greedy(
    order: Sequence[int],
    weights: Sequence[float],
    groups: Sequence[str | None],
    anchors: Sequence[bool],
    n: int,
    affinity: bool,
    bound: float,
) -> _Packing:
    packing = _Packing(weights, groups, anchors, n)
    for item in order:
        group = groups[item]
        chosen = None
        if weights[item] <= 0 and group is not None:
            # Weightless: join the worker holding most of its folder; it costs nothing anywhere.
            holders = [w for w in range(n) if packing.folders[w][group]]
            if holders:
                chosen = max(holders, key=lambda w: (packing.folder_weight[w][group], -w))
        elif affinity and group is not None:
            fits = [w for w in range(n) if packing.loads[w] + weights[item] <= bound * (1 + _EPS)]
            same = [w for w in fits if packing.folders[w][group]]
            if same:
                chosen = max(same, key=lambda w: (packing.folder_weight[w][group], -packing.loads[w], -w))
        if chosen is None:
            # Longest-first onto the lightest worker; among equals, the one with fewest modules.
            chosen = min(range(n), key=lambda w: (packing.loads[w], packing.anchored[w], w))
        packing.place(item, chosen)
    return packing


def _contiguous(
    weights: Sequence[float], groups: Sequence[str | None], anchors: Sequence[bool], n: int, bound: float
) -> _Packing:
    """Fill workers one after the other in folder order: the most coherent start, if not the best balanced.

    The capacity is the smallest (to 0.1%) for which n workers suffice.
    """
    first: dict[str | None, int] = {}
    for index, group in enumerate(groups):
        first.setdefault(group, index if group is not None else len(groups))
    sequence = sorted(range(len(weights)), key=lambda i: (first[groups[i]], -weights[i], i))

    def fill(capacity: float) -> list[int] | None:
        assign, worker, load = [0] * len(weights), 0, 0.0
        for item in sequence:
            if load > 0 and load + weights[item] > capacity * (1 + _EPS):
                worker, load = worker + 1, 0.0
                if worker == n:
                    return None
            assign[item] = worker
            load += weights[item]
        return assign

    low, high = bound, max(bound, sum(weights))
    best = fill(high)
    while best is not None and high - low > 1e-3 * max(bound, _EPS):
        middle = (low + high) / 2
        trial = fill(middle)
        if trial is None:
            low = middle
        else:
            high, best = middle, trial
    packing = _Packing(weights, groups, anchors, n)
    for item, worker in enumerate(best or [0] * len(weights)):
        packing.place(item, worker)
    return packing


def _ensure_modules(packing: _Packing) -> None:
    """Give every worker a module, taking the one whose move hurts the balance least."""
    for worker in range(packing.n):
        if packing.anchored[worker]:
            continue
        movable = [i for i in range(len(packing.weights)) if packing.anchors[i] and packing.may_leave(i)]
        if not movable:
            raise PlanError("not enough modules to give every worker one")
        item = min(movable, key=lambda i: (packing.loads[worker] + packing.weights[i], packing.weights[i], i))
        packing.place(item, worker)


def _improve(packing: _Packing) -> None:
    """Lower the heaviest worker by moving or swapping items with another, until nothing helps."""
    limit = 20 * len(packing.weights) + 100
    for _ in range(limit):
        loads = packing.loads
        top = max(range(packing.n), key=lambda w: (loads[w], -w))
        best: tuple[float, int, int, int, int] | None = None  # (new pair max, folder delta, kind, a, b)
        for dest in range(packing.n):
            gap = loads[top] - loads[dest]
            if dest == top or gap <= _EPS * max(1.0, loads[top]):
                continue
            for a in sorted(packing.members[top]):
                wa = packing.weights[a]
                if 0 < wa < gap and packing.may_leave(a):
                    key = (max(loads[top] - wa, loads[dest] + wa), packing.move_delta(a, dest), 0, a, dest)
                    best = key if best is None or key < best else best
                for b in sorted(packing.members[dest]):
                    diff = wa - packing.weights[b]
                    if not 0 < diff < gap:
                        continue
                    if packing.anchors[a] != packing.anchors[b] and not (
                        packing.may_leave(a, packing.anchors[b]) and packing.may_leave(b, packing.anchors[a])
                    ):
                        continue
                    key = (max(loads[top] - diff, loads[dest] + diff), packing.swap_delta(a, b), 1, a, b)
                    best = key if best is None or key < best else best
        if best is None or best[0] >= loads[top] - _EPS * max(1.0, loads[top]):
            return
        _, _, kind, a, b = best
        if kind == 0:
            packing.place(a, b)
        else:
            dest = packing.assign[b]
            packing.place(b, packing.assign[a])
            packing.place(a, dest)


def _gather(packing: _Packing, limit: float) -> None:
    """Bring folders together with moves and swaps that keep every worker within ``limit``."""
    limit = max(limit, packing.makespan()) * (1 + _EPS) + _EPS
    items = range(len(packing.weights))
    changed = True
    while changed:
        changed = False
        for a in items:
            if packing.groups[a] is None:
                continue
            src = packing.assign[a]
            wa = packing.weights[a]
            for dest in range(packing.n):
                if dest == src:
                    continue
                if packing.move_delta(a, dest) < 0 and packing.loads[dest] + wa <= limit and packing.may_leave(a):
                    packing.place(a, dest)
                    changed = True
                    break
                swapped = False
                for b in sorted(packing.members[dest]):
                    diff = wa - packing.weights[b]
                    if (
                        packing.swap_delta(a, b) < 0
                        and packing.loads[dest] + diff <= limit
                        and packing.loads[src] - diff <= limit
                        and (
                            packing.anchors[a] == packing.anchors[b]
                            or (packing.may_leave(a, packing.anchors[b]) and packing.may_leave(b, packing.anchors[a]))
                        )
                    ):
                        packing.place(b, src)
                        packing.place(a, dest)
                        swapped = changed = True
                        break
                if swapped:
                    break


def ratio(loads: Sequence[float]) -> float:
    """max/mean of the workers' loads: 1.0 is a perfect split."""
    if not loads:
        return 1.0
    mean = sum(loads) / len(loads)
    return max(loads) / mean if mean > 0 else 1.0


def ratio_floor(total: float, workers: int, heaviest_piece: float, fixed: float = 0.0) -> Fraction:
    """The lowest max/mean any split can reach: 1.0, unless one indivisible piece outweighs an even share.

    attrs' ``attr/_make.py`` alone holds 1,142 of 1,831 statements: with five
    workers no split gets below 3.12, so a tolerance is counted from there
    (``check`` and the report) rather than asking for a plan that cannot exist.
    ``fixed`` is what every worker pays whatever it runs (by duration).
    Exact, so a worker that owns just that piece is never "above" it by a rounding.
    A piece less than 1% over a share sets no floor: the tolerance covers it, and
    a floor that reads "1.00" would explain nothing.
    """
    if workers < 1 or total <= 0:
        return Fraction(1)
    share = Fraction(fixed) + Fraction(total) / workers
    floor = (Fraction(fixed) + Fraction(heaviest_piece)) / share
    return floor if floor >= _FLOOR_NOTICED else Fraction(1)


_FLOOR_NOTICED = Fraction(101, 100)


def allowed_max_mean(tolerance: float, floor: Fraction | None = None) -> Fraction:
    """The highest max/mean a split may reach: ``thresholds.balance``, times the floor when there is one.

    The one rule of the tolerance, for plan (does today's split stand?),
    check and the report.  Exact, with the tolerance as written: 1.1 is
    11/10, so loads of 11 and 9 statements are within it, not above the
    float just below or above 1.1.
    """
    return Fraction(repr(float(tolerance))) * (floor if floor is not None else 1)


def within_tolerance(loads: Sequence[float], tolerance: float, floor: Fraction | None = None) -> bool:
    """Whether the loads' max/mean, computed exactly, is within :func:`allowed_max_mean`."""
    exact = [Fraction(load) for load in loads]
    total = sum(exact, Fraction(0))
    if total <= 0:
        return True  # as ratio() says: nothing to balance is a perfect split
    return max(exact) * len(exact) / total <= allowed_max_mean(tolerance, floor)


@dataclass(frozen=True)
class Partition:
    """Ordered units cut into one run per worker: where the cuts fall, the folders they split, the heaviest load."""

    cuts: tuple[int, ...]  # the start index of each worker's run, the first being 0
    splits: int  # cuts that fall inside a folder
    heaviest: float


def cut_cost(before: str, after: str) -> int:
    """How many folder levels a cut between two neighbouring units splits (0 between two top folders)."""
    left, right = PurePosixPath(before).parent.parts, PurePosixPath(after).parent.parts
    shared = 0
    for a, b in zip(left, right, strict=False):
        if a != b:
            break
        shared += 1
    return shared


def partition(weights: Sequence[float], costs: Sequence[int], n: int, cap: float | None) -> Partition | None:
    """Cut ``weights`` into ``n`` non-empty runs of at most ``cap``: fewest folder splits, then lightest heaviest run.

    ``costs[i]`` is what a cut before unit ``i`` splits.  With ``cap`` None,
    the heaviest run comes first and the splits second: the tightest balance.
    Exact (dynamic programming over cut positions); None when nothing fits.
    """
    m = len(weights)
    prefix = [0.0]
    for w in weights:
        prefix.append(prefix[-1] + w)
    inf = (math.inf, math.inf)
    # best[k][i]: the best way to cut the first i units into k runs; back[k][i]: where the last run starts.
    best = [[inf] * (m + 1) for _ in range(n + 1)]
    back = [[-1] * (m + 1) for _ in range(n + 1)]
    best[0][0] = (0, 0.0)
    for k in range(1, n + 1):
        for i in range(k, m - (n - k) + 1):
            for j in range(k - 1, i):
                previous = best[k - 1][j]
                if previous == inf:
                    continue
                load = prefix[i] - prefix[j]
                if load <= 0 or (cap is not None and load > cap + 1e-9):
                    continue
                splits = previous[0] + (1 if j > 0 and costs[j] > 0 else 0)
                heaviest = max(previous[1], load)
                key = (splits, heaviest) if cap is not None else (heaviest, splits)
                current = best[k][i] if cap is not None else (best[k][i][1], best[k][i][0])
                if key < current:
                    best[k][i] = (splits, heaviest)
                    back[k][i] = j
    if best[n][m] == inf:
        return None
    cuts, i = [], m
    for k in range(n, 0, -1):
        i = back[k][i]
        cuts.append(i)
    return Partition(cuts=tuple(reversed(cuts)), splits=int(best[n][m][0]), heaviest=float(best[n][m][1]))
