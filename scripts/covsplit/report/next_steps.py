"""The rule that picks the next steps from a computed model: what to run, fix, rebalance or own, in that order."""

from __future__ import annotations

from dataclasses import replace

from covsplit import status
from covsplit.numbers import Gate
from covsplit.report.model import ReportModel
from covsplit.report.steps import (
    AddTests,
    Combine,
    FailureCategory,
    FixFailures,
    GateFails,
    KeepRacesTogether,
    Load,
    MatchSuite,
    NextStep,
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
from covsplit.report.views import FINISHED, FileRow, as_percent

# Enough to act on; the full list is in the aggregate summary and HTML reports.
MAX_FILES_LISTED = 10
# Diagnosed failures named per worker; diagnosis.json and `make diagnose` have them all.
MAX_DIAGNOSED_LISTED = 5


def _below_thresholds(model: ReportModel) -> list[FileRow]:
    """Files under either threshold, most missed statements first.

    Files of a worker that did not finish are left out: they are at 0%
    because nothing ran, and the step that matters is running it.
    """
    unfinished = {w.name for w in model.workers if w.state not in FINISHED}
    if model.combined is not None:
        unfinished.update(m.name for m in model.combined.missing)
    rows: list[FileRow] = []
    for worker in model.workers:
        if worker.name in unfinished:
            continue
        # The combined data when there is some, else the worker's own run.
        candidates = worker.files if any(r.source == "combined" for r in worker.files) else worker.own_files
        for row in candidates:
            low_line = Gate("line", model.line_threshold, row.counts.line_percent).failed
            low_branch = Gate("branch", model.branch_threshold, row.counts.branch_percent).failed
            if low_line or low_branch:
                rows.append(row)
    rows.sort(key=lambda r: (-(r.counts.missed_lines or 0), -(r.counts.missed_branches or 0), r.path))
    return rows


def with_next_steps(model: ReportModel) -> ReportModel:
    """``model`` with its next steps: unfinished workers, failures, the aggregate, gates, coverage, balance, scope.

    The order is the order of the steps: running comes before fixing, and
    fixing before rebalancing or owning more.
    """
    steps = [
        *_run_steps(model),
        *_failure_steps(model),
        *_aggregate_steps(model),
        *_coverage_steps(model),
        *_balance_steps(model),
        *_scope_steps(model),
    ]
    return replace(model, next_steps=tuple(steps))


def _run_steps(model: ReportModel) -> list[NextStep]:
    """Run everything when nothing ran; else wait for, give time to, or rerun each unfinished worker."""
    run = model.invoke
    workers = model.workers
    unfinished = [w for w in workers if w.state not in FINISHED]
    if unfinished and len(unfinished) == len(workers) and all(w.state == status.NOT_RUN for w in workers):
        return [RunAll(run.make("coverage-all"))]
    steps: list[NextStep] = []
    for w in unfinished:
        if w.state == status.RUNNING:
            steps.append(WaitFor(w.name, w.date, run.nox("-s", "aggregate")))
        elif w.state == status.TIMEOUT:
            steps.append(RaiseTimeout(w.name, model.config_name, run.nox("-s", w.name)))
        else:
            steps.append(Rerun(w.name, w.state_label, w.message, run.nox("-s", w.name)))
    return steps


def _failure_steps(model: ReportModel) -> list[NextStep]:
    """Fix the failures of each finished worker whose tests failed (with what diagnose found), then races."""
    run = model.invoke
    steps: list[NextStep] = []
    for w in model.workers:
        if w.state in FINISHED and w.problems:
            assert w.outcomes is not None
            analysis = f"{w.name}_failure_analysis.md"
            diagnosed = model.diagnosed.get(w.name, ())
            steps.append(
                FixFailures(
                    worker=w.name,
                    failed=w.outcomes["failed"],
                    errors=w.outcomes["errors"],
                    tests=w.outcomes["tests"],
                    categories=tuple(
                        FailureCategory(name, count, w.failure_files.get(name, ()))
                        for name, count in w.failure_categories
                    ),
                    analysis=analysis if any(href == analysis for _, href in w.artifacts) else None,
                    command=run.nox("-s", w.name),
                    serial_command=model.serial_command,
                    retry_command=run.make("coverage-all") + " RETRY=1",
                    failures_from=w.failures_from,
                    diagnosed=diagnosed[:MAX_DIAGNOSED_LISTED],
                    diagnosed_more=max(0, len(diagnosed) - MAX_DIAGNOSED_LISTED),
                    diagnosis_note="" if diagnosed else model.diagnosis_note,
                    diagnose_command=run.make("diagnose"),
                )
            )
    if model.races:
        steps.append(KeepRacesTogether(model.races, model.config_name, run.make("plan") + ' ARGS="--by duration"'))
    return steps


def _aggregate_steps(model: ReportModel) -> list[NextStep]:
    """Combine the workers' data, refresh or redo a stale or outdated aggregate, match the suite, pass the gates."""
    run = model.invoke
    combined = model.combined
    if combined is None:
        if any(w.state in FINISHED for w in model.workers):
            return [Combine(model.aggregate_problem, run.nox("-s", "aggregate"))]
        return []
    steps: list[NextStep] = []
    stale = tuple(m for m in combined.missing if m.state == status.STALE)
    if stale:
        steps.append(
            Refresh(stale, run.nox("-s", *(m.name for m in stale), "aggregate", "report"), run.make("coverage-all"))
        )
    if combined.outdated_by:
        steps.append(RerunAggregate(combined.outdated_by, run.nox("-s", "aggregate")))
    if combined.tests_problems:
        steps.append(MatchSuite(combined.tests_problems, run.nox("-s", "plan")))
    steps += [GateFails(gate, not combined.complete) for gate in combined.gates if gate.failed]
    return steps


def _coverage_steps(model: ReportModel) -> list[NextStep]:
    """Add tests for the files below a threshold, the most missed first."""
    below = _below_thresholds(model)
    if not below:
        return []
    return [AddTests(tuple(below[:MAX_FILES_LISTED]), len(below), model.line_threshold, model.branch_threshold)]


def _balance_steps(model: ReportModel) -> list[NextStep]:
    """Rebalance statements or seconds past the tolerance; place tests that were dealt once a run measured them."""
    run = model.invoke
    workers = model.workers
    steps: list[NextStep] = []
    if model.max_mean is not None and model.max_mean > model.allowed_max_mean:
        by_name = {w.name: w for w in workers}
        heavy, light = by_name[model.heaviest or ""], by_name[model.lightest or ""]
        steps.append(
            Rebalance(
                model.max_mean,
                model.balance_tolerance,
                Load(heavy.name, heavy.statements, as_percent(heavy.share)),
                Load(light.name, light.statements, as_percent(light.share)),
                run.nox("-s", "plan"),
                model.floor,
            )
        )
    if model.seconds_max_mean is not None and model.seconds_max_mean > model.allowed_seconds_max_mean:
        slow = max((w for w in workers if w.seconds is not None), key=lambda w: w.seconds or 0)
        steps.append(
            RebalanceTime(
                model.seconds_max_mean,
                model.balance_tolerance,
                slow.name,
                slow.seconds,
                run.make("plan") + ' ARGS="--by duration"',
                model.seconds_floor,
            )
        )
    dealt = [w for w in workers if w.dealt_among]
    if dealt and all(w.state in FINISHED for w in dealt):
        steps.append(PlaceDealt(len(dealt), run.make("plan") + ' ARGS="--by duration"'))
    return steps


def _scope_steps(model: ReportModel) -> list[NextStep]:
    """Give the unowned modules an owner, and the test files no worker runs a worker."""
    steps: list[NextStep] = []
    if model.unowned:
        steps.append(OwnModules(model.unowned, sum(r.counts.statements or 0 for r in model.unowned), model.config_name))
    if model.unrun_test_files:
        run = model.invoke
        steps.append(
            RunTestFiles(model.unrun_test_files[:MAX_FILES_LISTED], len(model.unrun_test_files), run.nox("-s", "plan"))
        )
    return steps
