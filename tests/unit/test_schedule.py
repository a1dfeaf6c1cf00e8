"""Scheduling test files onto workers: longest first onto the least loaded."""

from __future__ import annotations

import random

import pytest

from covsplit import schedule


def test_longest_first_places_every_file_once_and_gives_every_worker_one() -> None:
    seconds = {f"tests/test_{i}.py": float(i % 7) for i in range(20)}  # zeros included
    for workers in (1, 3, 5):
        placed = schedule.longest_first(seconds, workers)
        assert sorted(placed) == sorted(seconds)
        assert set(placed.values()) == set(range(workers))


def test_longest_first_is_within_4_3_of_the_optimum_and_close_with_many_small_files() -> None:
    rng = random.Random(11)
    seconds = {f"t{i}.py": rng.uniform(0.1, 3.0) for i in range(60)}
    for workers in (2, 4, 5):
        placed = schedule.longest_first(seconds, workers)
        loads = schedule.loads(seconds, placed, workers)
        ideal = schedule.ideal_makespan(list(seconds.values()), workers)
        assert max(loads) <= ideal * 4 / 3
        assert max(loads) <= ideal * 1.05


def test_a_file_longer_than_the_share_runs_alone() -> None:
    seconds = {"slow.py": 30.0, **{f"f{i}.py": 1.0 for i in range(7)}}
    placed = schedule.longest_first(seconds, 2)
    alone = [test for test, worker in placed.items() if worker == placed["slow.py"]]
    assert alone == ["slow.py"]
    assert schedule.ideal_makespan(list(seconds.values()), 2, fixed=0.5) == 30.5
    assert max(schedule.loads(seconds, placed, 2, fixed=0.5)) == 30.5


def test_same_input_same_placement() -> None:
    seconds = {f"t{i}.py": 1.0 for i in range(9)}
    assert schedule.longest_first(seconds, 3) == schedule.longest_first(dict(reversed(seconds.items())), 3)
    with pytest.raises(ValueError):
        schedule.longest_first(seconds, 0)
