"""The planner's packing algorithms on plain numbers (covsplit.packing is pure)."""

from __future__ import annotations

import random
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from covsplit import packing
from covsplit.packing import PlanError, balance, ratio

REPO = Path(__file__).resolve().parents[2]


def test_balance_keeps_groups_together_when_the_balance_allows() -> None:
    # Two folders of two equal modules on two workers: each worker one folder, perfectly balanced.
    assign = packing.balance([5, 5, 5, 5], 2, groups=["a", "a", "b", "b"])
    assert assign[0] == assign[1] and assign[2] == assign[3] and assign[0] != assign[2]


def test_balance_refuses_more_workers_than_modules() -> None:
    with pytest.raises(packing.PlanError, match="3 workers but only 2 modules"):
        packing.balance([1, 1], 3)


def test_partition_cuts_between_folders_first() -> None:
    # a/1 a/2 | b/1 b/2: the one cut that splits no folder is also perfectly balanced.
    paths = ["a/1.py", "a/2.py", "b/1.py", "b/2.py"]
    costs = [0] + [packing.cut_cost(paths[i - 1], paths[i]) for i in range(1, 4)]
    assert costs == [0, 1, 0, 1]
    cut = packing.partition([3, 3, 3, 3], costs, 2, cap=6)
    assert cut == packing.Partition(cuts=(0, 2), splits=0, heaviest=6)


def test_partition_trades_balance_for_fewer_splits_within_the_cap() -> None:
    # a: 4+4, b: 2: the tightest cut (4 | 4+2) splits folder a; within a cap of 8, (4+4 | 2) splits nothing.
    paths = ["a/x.py", "a/y.py", "b/z.py"]
    costs = [0] + [packing.cut_cost(paths[i - 1], paths[i]) for i in range(1, 3)]
    assert packing.partition([4, 4, 2], costs, 2, cap=None) == packing.Partition(cuts=(0, 1), splits=1, heaviest=6)
    assert packing.partition([4, 4, 2], costs, 2, cap=8) == packing.Partition(cuts=(0, 2), splits=0, heaviest=8)
    assert packing.partition([4, 4, 2], costs, 2, cap=5) is None


def test_checking_a_split_does_not_load_the_toml_editor() -> None:
    code = "import sys, covsplit.check; print('tomlkit' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], env={"PYTHONPATH": str(REPO / "scripts")}, capture_output=True, text=True
    )
    assert done.stdout.strip() == "False", done.stderr


def test_the_ratio_floor_is_one_unless_a_piece_outweighs_a_share() -> None:
    assert packing.ratio_floor(300, 3, 100) == 1
    assert packing.ratio_floor(300, 3, 60) == 1
    # attrs: 1,142 of 1,831 statements in one module, five workers.
    assert packing.ratio_floor(1831, 5, 1142) == Fraction(5710, 1831)
    # By duration every worker pays the fixed cost too: (2 + 40) / (2 + 60 / 3).
    assert packing.ratio_floor(60.0, 3, 40.0, fixed=2.0) == Fraction(42, 22)
    assert packing.ratio_floor(0, 3, 0) == 1 and packing.ratio_floor(10, 0, 10) == 1
    # dateutil's rrule.py, 996 statements against a share of 992.5: within any tolerance, so no floor.
    assert packing.ratio_floor(3970, 4, 996) == 1
    assert packing.ratio_floor(400, 4, 101) == Fraction(101, 100)


def test_the_tolerance_is_counted_exactly_as_written() -> None:
    # 11/10 exactly: loads of 11 and 9 are at the tolerance, not above a float that rounds either way.
    assert packing.allowed_max_mean(1.1) == Fraction(11, 10)
    assert packing.within_tolerance([11, 9], 1.1)
    assert packing.within_tolerance([13, 7], 1.3)  # Fraction(1.3) alone is below 13/10
    assert not packing.within_tolerance([111, 89], 1.1)
    assert packing.within_tolerance([0, 0], 1.0)


def test_the_tolerance_counts_from_the_floor() -> None:
    floor = packing.ratio_floor(total=10, workers=2, heaviest_piece=8)
    assert floor == Fraction(8, 5)
    assert packing.allowed_max_mean(1.25, floor) == 2
    assert packing.within_tolerance([8, 2], 1.0, floor)  # the best any split can do
    assert not packing.within_tolerance([8, 2], 1.0)


# Moved unchanged from test_plan.py: packing.balance on its own.


def makespan(assign: list[int], weights: list[float], n: int) -> float:
    return max(sum(w for w, a in zip(weights, assign, strict=True) if a == k) for k in range(n))


def lpt(weights: list[float], n: int) -> float:
    loads = [0.0] * n
    for weight in sorted(weights, reverse=True):
        loads[loads.index(min(loads))] += weight
    return max(loads)


def test_one_module_heavier_than_target_gets_a_worker_of_its_own() -> None:
    weights = [100.0, 10, 10, 10, 10, 10, 10]
    assign = balance(weights, 3)
    heavy = assign[0]
    assert [i for i, a in enumerate(assign) if a == heavy] == [0]
    light = [sum(w for w, a in zip(weights, assign, strict=True) if a == k) for k in range(3) if k != heavy]
    assert light == [30, 30]
    assert ratio([100, 30, 30]) == pytest.approx(100 / (160 / 3))


def test_more_workers_than_modules_is_a_clear_error() -> None:
    with pytest.raises(PlanError, match="3 workers but only 2 modules"):
        balance([5.0, 5.0], 3)
    with pytest.raises(PlanError, match="at least 1"):
        balance([5.0], 0)


def test_no_worker_is_ever_empty() -> None:
    # Weightless modules and heavy non-module items (end-to-end tests) must not leave a worker without a module.
    assign = balance([10.0, 0.0, 0.0, 0.0], 3)
    assert sorted(set(assign)) == [0, 1, 2]
    anchors = [True, True, False, False]
    assign = balance([1.0, 1.0, 50.0, 50.0], 2, anchors=anchors)
    for worker in (0, 1):
        assert any(a == worker and anchors[i] for i, a in enumerate(assign))
    assert makespan(assign, [1.0, 1.0, 50.0, 50.0], 2) == 51


def test_never_worse_than_greedy_longest_first() -> None:
    rng = random.Random(4)
    for _ in range(150):
        n = rng.randint(2, 7)
        weights = [float(rng.choice([rng.randint(1, 30), rng.randint(1, 400)])) for _ in range(rng.randint(n, 40))]
        groups = [f"pkg{rng.randint(0, 3)}" for _ in weights]
        assign = balance(weights, n, groups)
        assert sorted(set(assign)) == list(range(n))
        assert makespan(assign, weights, n) <= lpt(weights, n) + 1e-9


def scatter(assign: list[int], groups: list[str], n: int) -> int:
    return sum(len({g for g, a in zip(groups, assign, strict=True) if a == k}) for k in range(n))


def test_improvement_reaches_what_greedy_starts_miss() -> None:
    # Every greedy start leaves 22 / 20 here; moves and swaps off the heaviest worker find 21 / 21.
    weights, groups = [2.0, 11, 7, 5, 9, 8], ["a", "b", "b", "b", "a", "a"]
    assert makespan(balance(weights, 2, groups), weights, 2) == 21


def test_folders_are_gathered_without_losing_balance() -> None:
    weights, groups = [8.0, 8, 7, 3, 4], ["a", "b", "b", "b", "a"]
    assign = balance(weights, 3, groups)
    assert makespan(assign, weights, 3) == 11
    assert scatter(assign, groups, 3) == 4  # 5 without the gathering pass


def test_folder_aware_start_wins_when_it_is_as_good() -> None:
    # Plain greedy (even improved) ends at 19 with 5 (worker, folder) pairs; the folder-aware start: 18 and 4.
    weights, groups = [3.0, 5, 4, 4, 1, 7, 12], ["a", "a", "b", "b", "a", "a", "c"]
    assign = balance(weights, 2, groups)
    assert (makespan(assign, weights, 2), scatter(assign, groups, 2)) == (18, 4)


def test_greedy_that_prefers_the_folder_already_there() -> None:
    # Same makespan (23) either way; only the folder-preferring greedy start gets 4 pairs instead of 5.
    weights, groups = [2.0, 8, 4, 12, 2, 7, 10], ["c", "a", "b", "a", "b", "c", "a"]
    assign = balance(weights, 2, groups)
    assert (makespan(assign, weights, 2), scatter(assign, groups, 2)) == (23, 4)
