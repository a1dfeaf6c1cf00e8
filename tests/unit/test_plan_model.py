"""Unit tests of covsplit.plan_model: a plan's loads, ratio and target follow the measure it balances, since
the table, check and the report all read a plan through them."""

from __future__ import annotations

import pytest

from covsplit.plan_model import Plan, PlannedWorker
from covsplit.schedule import BY_DURATION, BY_STATEMENTS


def worker(statements: int, seconds: float) -> PlannedWorker:
    return PlannedWorker("w", "W", (), (), (), (), statements, seconds)


WORKERS = (worker(30, 1.0), worker(10, 3.0))


def test_a_statements_plan_is_weighed_in_statements() -> None:
    plan = Plan(BY_STATEMENTS, WORKERS, 40.0)
    assert plan.loads == [30, 10]
    assert plan.ratio == pytest.approx(1.5)
    assert plan.target == 20.0


def test_a_duration_plan_is_weighed_in_seconds() -> None:
    plan = Plan(BY_DURATION, WORKERS, 4.0)
    assert plan.loads == [1.0, 3.0]
    assert plan.ratio == pytest.approx(1.5)
    assert plan.target == 2.0


def test_a_plan_with_nothing_to_balance_is_perfect() -> None:
    plan = Plan(BY_STATEMENTS, (worker(0, 0.0), worker(0, 0.0)), 0.0)
    assert plan.ratio == 1.0
    assert plan.target == 0.0


def test_a_new_plan_shares_no_file_and_keeps_no_title() -> None:
    plan = Plan(BY_STATEMENTS, WORKERS, 40.0)
    assert (plan.notes, plan.ideal, dict(plan.shared)) == ((), 0.0, {})
    assert (WORKERS[0].survives, WORKERS[0].title_kept) == (None, False)
