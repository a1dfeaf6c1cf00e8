"""Unit tests of covsplit.planner: make_plan's choices on small hand-made inputs (which ownership it keeps or
computes, which measure it balances, what each planned worker carries), beside test_plan.py's larger suites."""

from __future__ import annotations

from dataclasses import replace

import pytest
from plan_helpers import conventional_tests, inputs_for

from covsplit import schedule, schedule_file
from covsplit.packing import PlanError
from covsplit.plan_inputs import OldWorker
from covsplit.planner import make_plan

MODULES = {"a/x.py": 30, "a/y.py": 10, "b/z.py": 40}
TESTS = conventional_tests(MODULES)


def old(*groups: tuple[str, ...]) -> list[OldWorker]:
    def dotted(files: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(f.removesuffix(".py").replace("/", ".") for f in files)

    tests = {f: f"tests/{f.rpartition('/')[0]}/test_{f.rpartition('/')[2]}" for f in MODULES}
    return [
        OldWorker(f"worker{i}", f"Old {i}", dotted(files), files, tuple(tests[f] for f in files))
        for i, files in enumerate(groups, 1)
    ]


def test_an_unknown_measure_or_no_worker_is_refused() -> None:
    with pytest.raises(PlanError, match="unknown measure 'lines'"):
        make_plan(inputs_for(MODULES, TESTS), 2, "lines")
    with pytest.raises(PlanError, match="cannot split into 0 workers"):
        make_plan(inputs_for(MODULES, TESTS), 0)


def test_more_workers_than_test_files_is_refused() -> None:
    with pytest.raises(PlanError, match="3 workers but only 2 test files: a worker would run nothing"):
        make_plan(inputs_for(MODULES, TESTS[:2]), 3)


def test_a_statements_plan_carries_each_worker_s_modules_tests_and_loads() -> None:
    plan = make_plan(inputs_for(MODULES, TESTS, fixed=0.25), 2)
    assert plan.by == schedule.BY_STATEMENTS
    # No test measured yet: both list the whole suite, whose tests are dealt to them in this order.
    assert [(w.name, w.modules, w.tests, w.files, w.statements) for w in plan.workers] == [
        ("worker1", ("a",), ("tests",), ("a/x.py", "a/y.py"), 40),
        ("worker2", ("b",), ("tests",), ("b/z.py",), 40),
    ]
    assert [w.test_files for w in plan.workers] == [tuple(sorted(TESTS))] * 2
    assert plan.shared == {"tests": schedule_file.DealtPath.among(["worker1", "worker2"])}
    # A second per test file, dealt evenly, plus each worker's fixed cost.
    assert [w.seconds for w in plan.workers] == [1.75, 1.75]
    assert (plan.total, plan.ideal, plan.ratio) == (80.0, 40.0, 1.0)


def test_a_single_worker_owns_and_runs_everything() -> None:
    plan = make_plan(inputs_for(MODULES, TESTS), 1)
    (only,) = plan.workers
    assert (only.modules, only.tests, only.statements) == (("a", "b"), ("tests",), 80)


def test_a_split_within_the_tolerance_is_kept_as_it_stands() -> None:
    # 40 / 40 by hand, worker names and titles as written; the plan keeps it and says why.
    kept = old(("a/x.py", "a/y.py"), ("b/z.py",))
    plan = make_plan(inputs_for(MODULES, TESTS), 2, old=kept)
    assert [(w.name, w.files, w.survives) for w in plan.workers] == [
        ("worker1", ("a/x.py", "a/y.py"), "worker1"),
        ("worker2", ("b/z.py",), "worker2"),
    ]
    assert plan.notes[0] == (
        "ownership kept as in workers.toml: max/mean statements 1.000 is within the tolerance 1.1 "
        "(thresholds.balance); no module moves without a gain above it"
    )
    assert plan.ideal == 40.0


def test_a_split_beyond_the_tolerance_is_planned_anew() -> None:
    plan = make_plan(inputs_for(MODULES, TESTS), 2, old=old(("a/x.py", "a/y.py", "b/z.py"), ()))
    assert not any(note.startswith("ownership kept") for note in plan.notes)
    assert sorted(w.statements for w in plan.workers) == [40, 40]


def test_by_duration_keeps_the_ownership_and_balances_measured_seconds() -> None:
    # The old ownership is far off balance; by duration it is kept anyway, and only the tests move.
    seconds = {"tests/a/test_x.py": 6.0, "tests/a/test_y.py": 1.0, "tests/b/test_z.py": 1.0}
    inputs = inputs_for(MODULES, TESTS, durations=seconds, fixed=0.5)
    written = old(("a/x.py",), ("a/y.py", "b/z.py"))
    # Modules as a person wrote them, out of order: the plan writes them sorted.
    written[1] = OldWorker("worker2", "Old 2", ("b.z", "a.y"), written[1].files, written[1].tests)
    plan = make_plan(inputs, 2, schedule.BY_DURATION, written)
    assert [(w.modules, w.files) for w in plan.workers] == [
        (("a.x",), ("a/x.py",)),
        (("a.y", "b.z"), ("a/y.py", "b/z.py")),
    ]
    assert plan.notes[0] == "ownership kept as in workers.toml; test files rescheduled by measured seconds"
    assert sorted(w.test_files for w in plan.workers) == [
        ("tests/a/test_x.py",),
        ("tests/a/test_y.py", "tests/b/test_z.py"),
    ]
    assert sorted(w.seconds for w in plan.workers) == [2.5, 6.5]
    # The total and the ideal are in seconds, each worker's fixed cost included.
    assert plan.total == pytest.approx(9.0)
    assert plan.ideal == pytest.approx(6.5)
    assert plan.loads == [w.seconds for w in plan.workers]


def test_by_duration_with_another_worker_count_plans_ownership_anew() -> None:
    seconds = dict.fromkeys(TESTS, 1.0)
    inputs = inputs_for(MODULES, TESTS, durations=seconds)
    plan = make_plan(inputs, 2, schedule.BY_DURATION, old(("a/x.py", "a/y.py", "b/z.py")))
    assert not any(note.startswith("ownership kept") for note in plan.notes)
    assert sorted(w.statements for w in plan.workers) == [40, 40]


def test_measured_seconds_schedule_the_tests_of_a_statements_plan_too() -> None:
    seconds = {"tests/a/test_x.py": 6.0, "tests/a/test_y.py": 1.0}
    plan = make_plan(inputs_for(MODULES, TESTS, durations=seconds), 2)
    # The unmeasured file weighs the mean of the measured ones (3.5 s).
    assert any(note.startswith("test seconds balanced: 7.00 s measured (2 test files") for note in plan.notes)
    assert sorted(w.seconds for w in plan.workers) == [4.5, 6.0]
    # Ownership and its ideal stay in statements.
    assert (plan.total, plan.ideal) == (80.0, 40.0)


def test_a_shared_file_is_named_by_the_planned_workers() -> None:
    big = "tests/a/test_x.py"
    nodes = {f"{big}::test_{i}": 3.0 for i in range(4)}
    seconds = {big: 12.0, "tests/a/test_y.py": 1.0, "tests/b/test_z.py": 1.0}
    inputs = replace(inputs_for(MODULES, TESTS, durations=seconds), tests={big: nodes})
    plan = make_plan(inputs, 2, schedule.BY_DURATION)
    assert set(plan.shared) == {big}
    names = {w.name for w in plan.workers}
    assert plan.shared[big].workers == names
    # The owner runs what no part names; the other worker its parts.
    owner = plan.shared[big].owner
    assert set(plan.shared[big].parts) == names - {owner}
    # Both workers list the shared file itself, never a folder holding it.
    assert all(big in w.tests and "tests/a" not in w.tests for w in plan.workers)
