"""Unit tests of covsplit.report.next_steps: the rule that picks what to do, on small hand-made models.

Each test builds a :class:`ReportModel` from plain views (no files, no
config) and checks which steps the rule picks, in which order, with which
commands: the golden files pin how the steps read, these pin why they are
there.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Any

from covsplit import status
from covsplit.commands import Invocation
from covsplit.numbers import Counts, Gate
from covsplit.outputs import Race
from covsplit.report.model import ReportModel
from covsplit.report.next_steps import MAX_FILES_LISTED, with_next_steps
from covsplit.report.steps import (
    AddTests,
    Combine,
    FailureCategory,
    FixFailures,
    GateFails,
    KeepRacesTogether,
    Load,
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
from covsplit.report.views import CombinedModel, FileRow, HeavyModule, MissingWorker, SlowFile, WorkerModel

PASSING = {"tests": 4, "passed": 4, "failed": 0, "errors": 0, "skipped": 0}
FULL = Counts(statements=10, covered_lines=10, branches=2, covered_branches=2)


def worker(name: str, state: str = status.PASSED, **fields: Any) -> WorkerModel:
    """A worker of 100 statements (an even share) that ran, passed and fully covered its one file."""
    finished = state in (status.PASSED, status.FAILED)
    values: dict[str, Any] = {
        "name": name,
        "title": name.title(),
        "modules": (f"pkg.{name}",),
        "folders": ("pkg/",),
        "tests": (f"tests/test_{name}.py",),
        "test_files": 1,
        "files": (FileRow(f"pkg/{name}.py", name, FULL, "combined"),),
        "statements": 100,
        "uncounted": 0,
        "share": Fraction(1),
        "balance": "Balanced",
        "seconds": 10.0 if finished else None,
        "state": state,
        "message": "",
        "date": "2026-11-24 12:00:09 UTC",
        "exit_status": 0 if finished else None,
        "outcomes": dict(PASSING) if finished else None,
        "coverage": FULL if finished else None,
        "coverage_scope": "whole suite" if finished else "",
        "own_files": (),
        "well_covered": (),
        "uncovered": (),
        "failure_categories": (),
        "artifacts": (),
        "html_href": None,
        "analysis_href": None,
        "command": "",
        "command_ran": finished,
    }
    values.update(fields)
    return WorkerModel(**values)


def combined(**fields: Any) -> CombinedModel:
    """A complete aggregate, newer than every worker, passing both gates."""
    values: dict[str, Any] = {
        "generated_at": "2026-11-24 12:01:00 UTC",
        "complete": True,
        "missing": (),
        "files": 2,
        "coverage": Counts.total([FULL, FULL]),
        "gates": (Gate("line", 80, Fraction(100)), Gate("branch", 90, Fraction(100))),
        "outdated_by": (),
        "html_href": None,
    }
    values.update(fields)
    return CombinedModel(**values)


def model(*workers: WorkerModel, **fields: Any) -> ReportModel:
    """Two even, passing, fully covered workers under a complete aggregate, unless overridden."""
    workers = workers or (worker("alpha"), worker("beta"))
    values: dict[str, Any] = {
        "generated_at": "2026-11-24 12:02:00 UTC",
        "config_name": "workers.toml",
        "line_threshold": 80.0,
        "branch_threshold": 90.0,
        "balance_tolerance": 1.25,
        "total_statements": sum(w.statements for w in workers),
        "counts_source": "coverage.py's static analysis",
        "uncounted_files": (),
        "target": Fraction(100),
        "modules": len(workers),
        "test_root": "tests/",
        "test_files": len(workers),
        "workers": workers,
        "unowned": (),
        "max_mean": Fraction(1),
        "floor": None,
        "heaviest": workers[0].name,
        "lightest": workers[-1].name,
        "seconds_mean": None,
        "seconds_max_mean": None,
        "seconds_floor": None,
        "seconds_missing": (),
        "combined": combined(),
        "aggregate_problem": "",
        "next_steps": (),
        "warnings": (),
        "combined_html_href": "combined/index.html",
        "invoke": Invocation(),
        "serial_command": "cd /project && python -m pytest tests",
    }
    values.update(fields)
    return ReportModel(**values)


def steps(m: ReportModel) -> tuple[Any, ...]:
    return with_next_steps(m).next_steps


def test_all_good_needs_nothing() -> None:
    assert steps(model()) == ()


def test_the_rule_keeps_every_other_figure() -> None:
    m = model(worker("alpha", status.CRASHED), worker("beta"))
    assert replace(with_next_steps(m), next_steps=()) == m


def test_nothing_run_yet_is_one_step_run_all() -> None:
    m = model(worker("alpha", status.NOT_RUN), worker("beta", status.NOT_RUN), combined=None)
    assert steps(m) == (RunAll("make coverage-all"),)


def test_commands_name_the_config_they_came_from() -> None:
    m = model(
        worker("alpha", status.NOT_RUN),
        worker("beta", status.NOT_RUN),
        combined=None,
        invoke=Invocation("/x/workers.toml"),
    )
    assert steps(m) == (RunAll("make coverage-all CONFIG=/x/workers.toml"),)


def test_each_unfinished_worker_gets_the_step_its_state_needs() -> None:
    m = model(
        worker("alpha", status.RUNNING, date="2026-11-24 12:00:00 UTC"),
        worker("beta", status.TIMEOUT),
        worker("gamma", status.CRASHED, message="pytest exited with status 3"),
        worker("delta", status.NOT_RUN, message="no status recorded"),
        worker("omega"),
    )
    assert steps(m) == (
        WaitFor("alpha", "2026-11-24 12:00:00 UTC", "nox -s aggregate"),
        RaiseTimeout("beta", "workers.toml", "nox -s beta"),
        Rerun("gamma", "crashed", "pytest exited with status 3", "nox -s gamma"),
        Rerun("delta", "not run", "no status recorded", "nox -s delta"),
    )


def test_one_worker_not_run_is_rerun_not_run_all() -> None:
    m = model(worker("alpha", status.NOT_RUN), worker("beta"))
    assert [type(s) for s in steps(m)] == [Rerun]


def test_a_failed_worker_lists_its_categories_and_where_they_are() -> None:
    failed = worker(
        "alpha",
        status.FAILED,
        outcomes={"tests": 5, "passed": 2, "failed": 2, "errors": 1, "skipped": 0},
        failure_categories=(("AssertionError", 2), ("ImportError", 1)),
        failure_files={"AssertionError": ("tests/test_alpha.py",)},
        artifacts=(("Failure analysis", "alpha_failure_analysis.md"),),
    )
    (step,) = steps(model(failed, worker("beta")))
    assert step == FixFailures(
        worker="alpha",
        failed=2,
        errors=1,
        tests=5,
        categories=(
            FailureCategory("AssertionError", 2, ("tests/test_alpha.py",)),
            FailureCategory("ImportError", 1, ()),
        ),
        analysis="alpha_failure_analysis.md",
        command="nox -s alpha",
        serial_command="cd /project && python -m pytest tests",
        retry_command="make coverage-all RETRY=1",
        diagnose_command="make diagnose",
    )
    # Only the categories whose files are known are listed one by one.
    assert step.items == (FailureCategory("AssertionError", 2, ("tests/test_alpha.py",)),)


def test_a_failure_analysis_that_was_not_written_is_not_linked() -> None:
    failed = worker("alpha", status.FAILED, outcomes={"tests": 1, "passed": 0, "failed": 1, "errors": 0, "skipped": 0})
    (step,) = steps(model(failed, worker("beta")))
    assert isinstance(step, FixFailures) and step.analysis is None


def test_finished_workers_without_an_aggregate_are_combined() -> None:
    m = model(combined=None, aggregate_problem="aggregate has not run")
    assert steps(m) == (Combine("aggregate has not run", "nox -s aggregate"),)


def test_no_aggregate_and_nothing_finished_asks_for_no_combine() -> None:
    m = model(worker("alpha", status.CRASHED), worker("beta", status.RUNNING), combined=None)
    assert not any(isinstance(s, Combine) for s in steps(m))


def test_a_stale_worker_is_refreshed_with_the_aggregate_and_the_report() -> None:
    stale = MissingWorker("beta", status.STALE, "its inputs changed since it ran")
    crashed = MissingWorker("gamma", status.CRASHED, "no coverage data")
    m = model(combined=combined(complete=False, missing=(stale, crashed)))
    assert steps(m) == (Refresh((stale,), "nox -s beta aggregate report", "make coverage-all"),)
    assert steps(m)[0].items == (stale,)


def test_workers_newer_than_the_aggregate_ask_for_it_again() -> None:
    m = model(combined=combined(outdated_by=("alpha",)))
    assert steps(m) == (RerunAggregate(("alpha",), "nox -s aggregate"),)


def test_a_failing_gate_says_whether_the_data_was_partial() -> None:
    low = Gate("line", 80, Fraction(70))
    complete = model(combined=combined(gates=(low, Gate("branch", 90, None))))
    partial = model(combined=combined(gates=(low,), complete=False))
    assert GateFails(low, False) in steps(complete)
    assert GateFails(low, True) in steps(partial)
    # Nothing to measure (no branches) is not a failure.
    assert not any(isinstance(s, GateFails) and s.gate.name == "branch" for s in steps(complete))


def low_file(path: str, owner: str, covered: int) -> FileRow:
    return FileRow(path, owner, Counts(statements=10, covered_lines=covered), "combined")


def test_files_under_a_threshold_most_missed_first() -> None:
    alpha = worker("alpha", files=(low_file("pkg/a1.py", "alpha", 7), low_file("pkg/a2.py", "alpha", 2)))
    # 80% of lines is at the threshold: not under it.
    at_threshold = low_file("pkg/edge.py", "beta", 8)
    beta = worker(
        "beta", files=(low_file("pkg/b.py", "beta", 5), at_threshold, FileRow("pkg/ok.py", "beta", FULL, "combined"))
    )
    (step,) = steps(model(alpha, beta))
    assert isinstance(step, AddTests)
    assert [r.path for r in step.items] == ["pkg/a2.py", "pkg/b.py", "pkg/a1.py"]
    assert (step.total, step.line_threshold, step.branch_threshold) == (3, 80.0, 90.0)


def test_files_of_an_unfinished_worker_are_not_asked_for_tests() -> None:
    crashed = worker("alpha", status.CRASHED, files=(low_file("pkg/a.py", "alpha", 0),))
    missing = worker("beta", files=(low_file("pkg/b.py", "beta", 0),))
    m = model(crashed, missing, combined=combined(missing=(MissingWorker("beta", status.CRASHED, ""),)))
    assert not any(isinstance(s, AddTests) for s in steps(m))


def test_without_combined_rows_a_workers_own_run_counts() -> None:
    own = low_file("pkg/a.py", "alpha", 1)
    alpha = worker("alpha", files=(FileRow("pkg/a.py", "alpha", Counts(statements=10)),), own_files=(own,))
    m = model(alpha, worker("beta", files=(), own_files=()), combined=None, aggregate_problem="not yet")
    assert steps(m) == (Combine("not yet", "nox -s aggregate"), AddTests((own,), 1, 80.0, 90.0))


def test_the_list_of_low_files_is_cut_but_the_total_is_not() -> None:
    files = tuple(low_file(f"pkg/m{i:02d}.py", "alpha", 0) for i in range(MAX_FILES_LISTED + 3))
    (step,) = steps(model(worker("alpha", files=files), worker("beta")))
    assert isinstance(step, AddTests)
    assert (len(step.listed), step.total) == (MAX_FILES_LISTED, MAX_FILES_LISTED + 3)


def uneven(**fields: Any) -> ReportModel:
    """alpha 160 statements, beta 40: max/mean 1.6 against a tolerance of 1.25."""
    heavy = worker("alpha", statements=160, share=Fraction(8, 5))
    light = worker("beta", statements=40, share=Fraction(2, 5))
    return model(heavy, light, max_mean=Fraction(8, 5), heaviest="alpha", lightest="beta", **fields)


def test_loads_further_apart_than_the_tolerance_ask_for_a_plan() -> None:
    assert steps(uneven()) == (
        Rebalance(
            Fraction(8, 5),
            1.25,
            Load("alpha", 160, Fraction(160)),
            Load("beta", 40, Fraction(40)),
            "nox -s plan",
            None,
        ),
    )


def test_the_tolerance_counts_from_a_module_no_split_can_divide() -> None:
    # One module of 140 statements: no split gets below 1.4, so 1.6 is within 1.25 x 1.4 = 1.75.
    assert steps(uneven(floor=HeavyModule("pkg/big.py", 140, Fraction(7, 5)))) == ()
    (step,) = steps(uneven(floor=HeavyModule("pkg/big.py", 120, Fraction(6, 5))))
    assert isinstance(step, Rebalance) and step.floor == HeavyModule("pkg/big.py", 120, Fraction(6, 5))


def test_seconds_further_apart_than_the_tolerance_ask_for_a_plan_by_duration() -> None:
    slow = worker("alpha", seconds=30.0)
    fast = worker("beta", seconds=10.0)
    m = model(slow, fast, seconds_mean=20.0, seconds_max_mean=1.5)
    assert steps(m) == (RebalanceTime(1.5, 1.25, "alpha", 30.0, 'make plan ARGS="--by duration"', None),)
    # A test file of 28 of the 40 seconds: no schedule gets below 1.4, and 1.5 is within 1.25 x 1.4.
    floor = SlowFile("tests/test_alpha.py", 28.0, Fraction(7, 5))
    assert steps(replace(m, seconds_floor=floor)) == ()


def test_unowned_files_and_unrun_test_files_come_last() -> None:
    unowned = (FileRow("pkg/x.py", None, Counts(statements=7)), FileRow("pkg/y.py", None, Counts(statements=None)))
    unrun = tuple(f"tests/test_{i:02d}.py" for i in range(MAX_FILES_LISTED + 1))
    m = model(worker("alpha", status.CRASHED), worker("beta"), unowned=unowned, unrun_test_files=unrun)
    assert steps(m)[-2:] == (
        OwnModules(unowned, 7, "workers.toml"),
        RunTestFiles(unrun[:MAX_FILES_LISTED], MAX_FILES_LISTED + 1, "nox -s plan"),
    )
    assert steps(m)[-2].items == unowned


def test_steps_come_in_the_order_they_should_be_taken() -> None:
    m = replace(
        uneven(unowned=(FileRow("pkg/x.py", None, Counts(statements=1)),)),
        workers=(
            worker("alpha", status.CRASHED, statements=160, share=Fraction(8, 5)),
            worker(
                "beta",
                status.FAILED,
                statements=40,
                share=Fraction(2, 5),
                outcomes={"tests": 1, "passed": 0, "failed": 1, "errors": 0, "skipped": 0},
                files=(low_file("pkg/b.py", "beta", 0),),
            ),
        ),
        combined=combined(outdated_by=("beta",), gates=(Gate("line", 80, Fraction(50)),)),
    )
    assert [s.kind for s in steps(m)] == [
        "rerun",
        "fix_failures",
        "rerun_aggregate",
        "gate_fails",
        "add_tests",
        "rebalance",
        "own_modules",
    ]


def test_dealt_tests_once_measured_are_placed_by_duration() -> None:
    both = model(worker("alpha", dealt_among=2), worker("beta", dealt_among=2))
    assert steps(both) == (PlaceDealt(2, 'make plan ARGS="--by duration"'),)
    # Not while a dealt worker has not measured its tests yet: rerunning it comes first.
    waiting = model(worker("alpha", dealt_among=2), worker("beta", status.CRASHED, dealt_among=2))
    assert not any(isinstance(step, PlaceDealt) for step in steps(waiting))


def test_tests_racing_on_one_file_are_kept_together_then_planned_again() -> None:
    race = Race(("tests/record.txt",), ("tests/test_alpha.py", "tests/test_beta.py"), ("alpha", "beta"))
    assert steps(model(races=(race,))) == (
        KeepRacesTogether((race,), "workers.toml", 'make plan ARGS="--by duration"'),
    )
