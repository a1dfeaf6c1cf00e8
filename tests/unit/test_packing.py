"""The planner's packing algorithms on plain numbers (covsplit.packing is pure)."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from covsplit import packing

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
