"""One seed per run for shuffled suites (covsplit.shuffle): which seed, when a worker reruns, what is said."""

from __future__ import annotations

import pytest

from covsplit import shuffle
from covsplit.commands import Invocation


def test_the_seed_asked_for_wins_then_the_runs_then_a_fresh_one() -> None:
    assert shuffle.run_seed({"COVSPLIT_SEED": "1234", "COVSPLIT_RUN_SEED": "7"}) == 1234
    assert shuffle.run_seed({"COVSPLIT_RUN_SEED": "7"}) == 7
    assert 1 <= shuffle.run_seed({}) < 1_000_000
    assert shuffle.given_seed({"COVSPLIT_SEED": " "}) is None


@pytest.mark.parametrize("value", ["twelve", "-1", "1.5"])
def test_a_seed_that_is_not_a_whole_number_is_refused_with_the_fix(value: str) -> None:
    with pytest.raises(shuffle.SeedError, match=r"SEED=.* is not a seed: give a whole number >= 0"):
        shuffle.given_seed({"COVSPLIT_SEED": value})


def test_only_an_explicit_other_seed_reruns_a_shuffled_worker() -> None:
    assert shuffle.seed_differs(1234, None) == ""
    assert shuffle.seed_differs(1234, 1234) == ""
    assert shuffle.seed_differs(None, 99) == ""  # not shuffled: the seed changes nothing
    assert shuffle.seed_differs(1234, 99) == "it ran with seed 1234, not SEED=99"


def test_a_worker_shuffled_by_pytest_randomly_may_run_a_part_again_with_its_own_seed() -> None:
    randomly = ["pytest-randomly"]
    assert shuffle.whole_run_reason(1234, randomly, {}) == ""
    assert shuffle.whole_run_reason(1234, randomly, {"COVSPLIT_RUN_SEED": "7"}) == ""  # a fresh seed: no reason
    assert shuffle.whole_run_reason(1234, randomly, {"COVSPLIT_SEED": "1234"}) == ""
    assert shuffle.whole_run_reason(1234, randomly, {"COVSPLIT_SEED": "99"}) == "it ran with seed 1234, not SEED=99"
    assert "recorded no seed" in shuffle.whole_run_reason(None, randomly, {})
    both = shuffle.whole_run_reason(1234, [*randomly, "pytest-random-order"], {})
    assert both.startswith("its tests are shuffled by pytest-random-order: a part run again would run in another")


def test_a_suite_nobody_shuffles_says_nothing() -> None:
    records = [{"worker": "worker1", "seed": None, "shuffled_by": []}, {"worker": "worker2"}]
    assert shuffle.describe(records, Invocation().make) == ""


def test_one_seed_is_named_with_the_command_that_repeats_it() -> None:
    records = [{"worker": f"worker{n}", "seed": 1234, "shuffled_by": ["pytest-randomly"]} for n in (1, 2)]
    text = shuffle.describe(records, Invocation("splits/x/workers.toml").make)
    assert "pytest-randomly shuffled, with seed 1234 in every worker" in text
    assert "make coverage-all SEED=1234 CONFIG=splits/x/workers.toml repeats that order" in text
    assert "varies between runs by design" in text


def test_reused_workers_of_another_seed_are_named() -> None:
    records = [
        {"worker": "worker1", "seed": 5, "shuffled_by": ["pytest-randomly"]},
        {"worker": "worker2", "seed": 1234, "shuffled_by": ["pytest-randomly"]},
        {"worker": "worker3", "seed": 1234, "shuffled_by": ["pytest-randomly"]},
    ]
    text = shuffle.describe(records, Invocation().make)
    assert "seeds 5 (worker1); 1234 (worker2, worker3)" in text
    assert "make coverage-all SEED=1234 repeats that order (and runs the workers of other seeds again)" in text
