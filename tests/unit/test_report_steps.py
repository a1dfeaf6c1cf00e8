"""Unit tests of covsplit.report.steps: the next steps as data, and what each lists item by item.

``templates/steps.j2`` phrases each step by its ``kind`` and lists its
``items`` one per line; these tests check that every step has its own
kind, that the union names them all, and what each step's ``items`` holds,
on small hand-made steps.
"""

from __future__ import annotations

import typing
from dataclasses import FrozenInstanceError
from fractions import Fraction

import pytest

from covsplit.numbers import Counts, Gate
from covsplit.outputs import Race
from covsplit.report import steps
from covsplit.report.steps import (
    AddTests,
    Combine,
    FailureCategory,
    FixFailures,
    GateFails,
    KeepRacesTogether,
    Load,
    MatchSuite,
    OwnModules,
    PlaceDealt,
    RaiseTimeout,
    Rebalance,
    RebalanceTime,
    Refresh,
    Rerun,
    RerunAggregate,
    RunAll,
    RunTestFiles,
    WaitFor,
)
from covsplit.report.views import FileRow, MissingWorker

ROW_A = FileRow("pkg/a.py", "alpha", Counts(statements=10, covered_lines=2))
ROW_B = FileRow("pkg/b.py", None, Counts(statements=5))


def every_step() -> list[steps.NextStep]:
    load = Load("alpha", 150, Fraction(150))
    return [
        RunAll("make coverage-all"),
        WaitFor("alpha", "12:00", "nox -s aggregate"),
        RaiseTimeout("alpha", "workers.toml", "nox -s alpha"),
        Rerun("alpha", "crashed", "pytest died", "nox -s alpha"),
        FixFailures("alpha", 1, 0, 4, (), None, "nox -s alpha"),
        KeepRacesTogether((), "workers.toml", 'make plan ARGS="--by duration"'),
        Combine("aggregate has not run", "nox -s aggregate"),
        Refresh((), "nox -s alpha", "nox"),
        RerunAggregate(("alpha",), "nox -s aggregate"),
        GateFails(Gate("line", 80, Fraction(70)), partial=False),
        AddTests((ROW_A,), 1, 80.0, 90.0),
        Rebalance(Fraction(3, 2), 1.25, load, load, "make plan"),
        RebalanceTime(1.5, 1.25, "alpha", 30.0, "make plan"),
        PlaceDealt(2, 'make plan ARGS="--by duration"'),
        OwnModules((ROW_B,), 5, "workers.toml"),
        RunTestFiles(("tests/test_x.py",), 1, "workers.toml"),
        MatchSuite(("1 of the suite's tests run by no worker: tests/a.txt::a",), "nox -s plan"),
    ]


def test_each_kind_of_step_has_its_own_kind_and_the_union_names_them_all() -> None:
    made = every_step()
    kinds = [step.kind for step in made]
    assert len(set(kinds)) == len(kinds)
    assert {type(step) for step in made} == set(typing.get_args(steps.NextStep))


def test_a_step_of_one_sentence_lists_nothing() -> None:
    listing = {"fix_failures", "refresh", "add_tests", "own_modules", "keep_races_together"}
    assert all(step.items == () for step in every_step() if step.kind not in listing)


def test_a_failing_worker_lists_only_the_categories_whose_files_are_known() -> None:
    known = FailureCategory("TypeError", 2, ("tests/test_a.py",))
    unknown = FailureCategory("KeyError", 1, ())
    step = FixFailures("alpha", 3, 0, 10, (known, unknown), "alpha_failure_analysis.md", "nox -s alpha")
    assert step.items == (known,)
    assert step.serial_command == ""  # set only when the report knows the project's serial command


def test_a_refresh_lists_each_worker_left_out() -> None:
    left_out = (
        MissingWorker("alpha", "stale", "pkg/a.py changed"),
        MissingWorker("beta", "stale", "its tests changed"),
    )
    assert Refresh(left_out, "nox -s alpha beta", "nox").items == left_out


def test_add_tests_lists_the_files_it_names_not_its_total() -> None:
    step = AddTests((ROW_A,), 7, 80.0, 90.0)
    assert step.items == (ROW_A,) and step.total == 7


def test_own_modules_lists_the_unowned_files() -> None:
    assert OwnModules((ROW_A, ROW_B), 15, "workers.toml").items == (ROW_A, ROW_B)


def test_rebalancing_names_no_floor_unless_one_is_given() -> None:
    load = Load("alpha", 150, None)
    assert Rebalance(Fraction(3, 2), 1.25, load, load, "make plan").floor is None
    assert RebalanceTime(1.5, 1.25, "alpha", None, "make plan").floor is None


def test_steps_are_frozen() -> None:
    step = RunAll("make coverage-all")
    with pytest.raises(FrozenInstanceError):
        step.command = "other"  # type: ignore[misc]


def test_tests_racing_on_one_file_are_listed_race_by_race() -> None:
    race = Race(("tests/record.txt",), ("tests/test_a.py", "tests/test_b.py"), ("alpha", "beta"))
    assert KeepRacesTogether((race,), "workers.toml", "make plan").items == (race,)
