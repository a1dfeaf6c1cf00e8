"""Unit tests of covsplit.plan_table: the table ``plan`` prints, the old split beside the new with their max/mean
ratios, since it is how a person judges a plan before writing it."""

from __future__ import annotations

from covsplit.plan_inputs import OldWorker
from covsplit.plan_model import Plan, PlannedWorker
from covsplit.plan_table import render_balance
from covsplit.schedule import BY_DURATION, BY_STATEMENTS


def worker(name: str, title: str, statements: int, seconds: float = 0.0) -> PlannedWorker:
    return PlannedWorker(name, title, (), (), (), (), statements, seconds)


OLD = [
    OldWorker("worker1", "A", ("a",), ("a/x.py", "a/y.py"), ("tests/a/test_x.py",)),
    OldWorker("worker2", "B", ("b",), ("b/z.py",), ("tests/b/test_z.py", "tests/test_gone.py"), ("b.gone",)),
]
STATEMENTS = {"a/x.py": 60, "a/y.py": 30, "b/z.py": 10}
SECONDS = {"tests/a/test_x.py": 4.0, "tests/b/test_z.py": 1.0}


def test_the_table_sets_the_old_split_beside_the_new() -> None:
    plan = Plan(BY_STATEMENTS, (worker("worker1", "A", 50), worker("worker2", "B", 50)), 100.0, ideal=50.0)
    lines = render_balance(plan, OLD, STATEMENTS, SECONDS, timed=False).splitlines()
    assert lines[0] == "balance by statements: 2 workers, target 50 statements per worker"
    assert lines[2] == f"{'before':<62} | after"
    assert lines[3] == f"{'worker1':<10} {'A':<34} {90:>7} {'':9} | {'worker1':<10} {'A':<34} {50:>7}"
    assert lines[4].startswith(f"{'worker2':<10} {'B':<34} {10:>7} ")
    # Without a timed run there is no seconds column and no seconds ratio.
    assert lines[5] == f"{'max/mean statements':<62} | 1.800 -> 1.000"
    assert lines[6] == (
        "heaviest worker: 50 statements, +0.0% from the ideal 50 "
        "(total / N, or the heaviest piece that cannot be split)"
    )
    assert lines[7] == "modules of the old split that no longer exist: worker2: b.gone"
    assert len(lines) == 8


def test_a_timed_table_shows_seconds_with_each_worker_s_fixed_cost() -> None:
    plan = Plan(BY_DURATION, (worker("worker1", "A", 90, 3.5), worker("worker2", "B", 10, 3.0)), 6.5, ideal=3.25)
    text = render_balance(plan, OLD, STATEMENTS, SECONDS, timed=True, fixed=0.5)
    assert text.splitlines()[0] == "balance by seconds: 2 workers, target 3.2 s per worker"
    # worker1's 4 s and worker2's 1 s (its vanished test file weighs nothing), each plus 0.5 s.
    assert "     4.5s |" in text and "     1.5s |" in text
    assert f"{'max/mean seconds':<62} | 1.500 -> 1.077" in text
    assert "heaviest worker: 3.50 s, +7.7% from the ideal 3.25 s" in text


def test_a_long_title_is_cut_to_its_column_and_a_long_name_too() -> None:
    title = "Training (Large Core Modules) + Models + Conversion"
    plan = Plan(BY_STATEMENTS, (worker("a_very_long_worker_name", title, 1),), 1.0)
    lines = render_balance(plan, [], {}, {}, timed=False).splitlines()
    assert lines[3] == f"{'':62} | a_very_lon {title[:33]}… {1:>7}"
    # Nothing below the ratio: no ideal to compare with, and no old modules gone.
    assert lines[4:] == [f"{'max/mean statements':<62} | - -> 1.000"]


def test_without_an_old_split_the_before_column_is_empty_and_its_ratio_a_dash() -> None:
    plan = Plan(BY_STATEMENTS, (worker("worker1", "A", 5), worker("worker2", "B", 5)), 10.0)
    lines = render_balance(plan, [], {}, {}, timed=True).splitlines()
    assert lines[3].startswith(" " * 62 + " | worker1")
    assert f"{'max/mean statements':<62} | - -> 1.000" in lines
    # Timed: the seconds ratio too, 1.000 where there is nothing to balance.
    assert f"{'max/mean seconds':<62} | - -> 1.000" in lines
    # No ideal known: no heaviest-worker line.
    assert not any(line.startswith("heaviest worker") for line in lines)


def test_an_old_split_with_more_workers_than_the_new_one_keeps_its_rows() -> None:
    plan = Plan(BY_STATEMENTS, (worker("worker1", "AB", 100),), 100.0)
    lines = render_balance(plan, OLD, STATEMENTS, SECONDS, timed=False).splitlines()
    assert lines[3].endswith("| worker1    AB                                     100")
    # The old second worker has no new neighbour: the line ends at the separator, trailing space dropped.
    assert lines[4] == f"{'worker2':<10} {'B':<34} {10:>7} {'':9} |"
