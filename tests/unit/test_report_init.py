"""Unit tests of covsplit.report (the package's own functions): the verdict, all_clear, run_started, write_report.

The verdict is what a person reads at the end of ``make coverage-all`` and
``all_clear`` is what CI calls green, so each is checked on small
hand-made models (test_report_next_steps' builders), condition by
condition; ``run_started`` on the environment variable it reads, and
``write_report`` once on the fixture project (test_report.make_project).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import pytest
from test_report import make_project, write_status
from test_report_next_steps import combined, model, worker

from covsplit import status
from covsplit.numbers import Counts, Gate
from covsplit.report import RUN_STARTED, all_clear, render_verdict, run_started, write_report
from covsplit.report.views import EARLIER, MissingWorker
from covsplit.summary import OWN_TESTS


def lines_by_worker(verdict: str) -> dict[str, str]:
    return {line.split()[0]: line for line in verdict.splitlines() if line.startswith("  ") and "combined" not in line}


# --- run_started ------------------------------------------------------------------------------------


def test_no_run_started_when_the_variable_is_unset_or_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(RUN_STARTED, raising=False)
    assert run_started() is None
    monkeypatch.setenv(RUN_STARTED, "")
    assert run_started() is None


def test_a_run_start_that_is_not_a_time_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(RUN_STARTED, "this morning")
    assert run_started() is None


def test_a_run_start_without_a_zone_is_utc_and_one_with_a_zone_keeps_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(RUN_STARTED, "2026-11-24T12:00:00")
    assert run_started() == datetime(2026, 11, 24, 12, tzinfo=UTC)
    monkeypatch.setenv(RUN_STARTED, "2026-11-24T12:00:00+02:00")
    started = run_started()
    assert started is not None and started.utcoffset() == timedelta(hours=2)
    assert started == datetime(2026, 11, 24, 10, tzinfo=UTC)


# --- all_clear --------------------------------------------------------------------------------------


def test_all_clear_when_complete_fresh_passing_and_every_worker_passed() -> None:
    assert all_clear(model())


def test_not_clear_without_combined_data() -> None:
    assert not all_clear(model(combined=None))


def test_not_clear_when_the_combined_data_is_partial_or_stale() -> None:
    missing = (MissingWorker("beta", "stale", "its tests changed"),)
    assert not all_clear(model(combined=combined(complete=False, missing=missing)))
    assert not all_clear(model(combined=combined(outdated_by=("beta",))))


def test_not_clear_when_a_gate_fails_but_a_gate_without_figures_does_not_block() -> None:
    failing = (Gate("line", 80, Fraction(7999, 100)), Gate("branch", 90, Fraction(100)))
    assert not all_clear(model(combined=combined(gates=failing)))
    unknown = (Gate("line", 80, Fraction(100)), Gate("branch", 90, None))
    assert all_clear(model(combined=combined(gates=unknown)))


@pytest.mark.parametrize("state", [status.FAILED, status.CRASHED, status.TIMEOUT, status.RUNNING, status.NOT_RUN])
def test_not_clear_unless_every_worker_passed(state: str) -> None:
    assert not all_clear(model(worker("alpha"), worker("beta", state)))


# --- render_verdict ---------------------------------------------------------------------------------


def test_the_verdict_lists_each_worker_the_gates_and_the_report() -> None:
    verdict = render_verdict(model(), "out/report.html")
    assert verdict.splitlines()[:2] == ["", "covsplit verdict"]
    lines = lines_by_worker(verdict)
    assert lines["alpha"] == (
        "  alpha  completed    4 passed, 0 failed, 0 errors, 10.0 s; its modules: line 100.00%, branch 100.00%"
    )
    assert "  combined: line 100.00% against 80% ok, branch 100.00% against 90% ok; complete" in verdict
    assert verdict.endswith("  report: out/report.html")


def test_worker_names_are_aligned_to_the_longest() -> None:
    verdict = render_verdict(model(worker("a"), worker("longname")), "r.html")
    lines = lines_by_worker(verdict)
    assert lines["a"].startswith("  a         completed") and lines["longname"].startswith("  longname  completed")


def test_a_worker_that_did_not_pass_is_given_the_command_that_reruns_it() -> None:
    crashed = worker("beta", status.CRASHED)
    lines = lines_by_worker(render_verdict(model(worker("alpha"), crashed), "r.html"))
    assert lines["beta"] == (
        "  beta   crashed      no test results; run it again: make beta; its modules: line n/a, branch n/a"
    )
    assert "run it again" not in lines["alpha"]


def test_a_single_error_is_written_as_pytest_writes_it() -> None:
    outcomes = {"tests": 4, "passed": 3, "failed": 0, "errors": 1, "skipped": 0}
    line = lines_by_worker(render_verdict(model(worker("alpha", status.FAILED, outcomes=outcomes)), "r"))["alpha"]
    assert "3 passed, 0 failed, 1 error," in line


def test_the_coverage_scope_is_said_when_it_is_not_the_whole_suite() -> None:
    own = worker("alpha", coverage_scope=OWN_TESTS)
    earlier = worker("beta", coverage_scope=EARLIER)
    lines = lines_by_worker(render_verdict(model(own, earlier), "r"))
    assert lines["alpha"].endswith("branch 100.00% (own tests only)")
    assert lines["beta"].endswith("branch 100.00% (from before its latest run)")


def test_a_worker_of_zero_statements_reads_n_a_not_a_percentage() -> None:
    w = worker("alpha", coverage=Counts(statements=0, covered_lines=0))
    # Zero statements: no percentage at all, never 0% or 100%.
    assert lines_by_worker(render_verdict(model(w), "r"))["alpha"].endswith("line n/a, branch n/a")


def test_a_worker_that_ran_before_this_run_is_marked_reused() -> None:
    since = datetime(2026, 11, 24, 12, 5, tzinfo=UTC)
    before = worker("alpha", ran_at=since - timedelta(minutes=5), date="2026-11-24 12:00:00 UTC")
    after = worker("beta", ran_at=since + timedelta(minutes=5))
    lines = lines_by_worker(render_verdict(model(before, after), "r", since))
    assert "10.0 s, reused from 2026-11-24 12:00:00 UTC;" in lines["alpha"]
    assert "reused" not in lines["beta"]
    # Without a run start nothing is called reused.
    assert "reused" not in render_verdict(model(before, after), "r")


def test_a_reused_failure_says_its_inputs_are_unchanged_and_how_to_run_it_again() -> None:
    since = datetime(2026, 11, 24, 12, 5, tzinfo=UTC)
    outcomes = {"tests": 4, "passed": 2, "failed": 2, "errors": 0, "skipped": 0}
    before = worker("alpha", status.FAILED, ran_at=since - timedelta(minutes=5), date="2026-11-24 12:00:00 UTC")
    before = replace(before, outcomes=outcomes)
    line = lines_by_worker(render_verdict(model(before, worker("beta")), "r", since))["alpha"]
    assert "2 passed, 2 failed" in line
    assert "reused from 2026-11-24 12:00:00 UTC: inputs unchanged; run them again: make coverage-all RETRY=1" in line
    # Failed in this very run: run it again by itself.
    now = replace(before, ran_at=since + timedelta(minutes=1))
    line = lines_by_worker(render_verdict(model(now, worker("beta")), "r", since))["alpha"]
    assert "reused" not in line and "run it again: make alpha" in line


def test_failures_a_partial_run_kept_are_said_reused_with_when_they_ran() -> None:
    since = datetime(2026, 11, 24, 12, 5, tzinfo=UTC)
    outcomes = {"tests": 4, "passed": 3, "failed": 1, "errors": 0, "skipped": 0}
    now = replace(worker("alpha", status.FAILED, ran_at=since + timedelta(minutes=1)), outcomes=outcomes)
    kept = replace(now, failures_from="2026-11-24 11:00:00 UTC")
    line = lines_by_worker(render_verdict(model(kept, worker("beta")), "r", since))["alpha"]
    assert "its failures reused from 2026-11-24 11:00:00 UTC: their inputs unchanged; run them again: make " in line
    assert "RETRY=1" in line and "run it again" not in line
    assert "failures reused" not in lines_by_worker(render_verdict(model(now, worker("beta")), "r", since))["alpha"]


def test_a_worker_that_never_ran_is_not_called_reused() -> None:
    since = datetime(2026, 11, 24, 12, 5, tzinfo=UTC)
    never = worker("alpha", status.NOT_RUN, ran_at=since - timedelta(days=1))
    assert "reused" not in render_verdict(model(never, worker("beta")), "r", since)


def test_the_verdict_without_combined_data_says_why() -> None:
    verdict = render_verdict(model(combined=None, aggregate_problem="aggregate has not run"), "r")
    assert "  combined: none (aggregate has not run)" in verdict


def test_the_verdict_names_a_failed_gate_by_its_shortfall_and_partial_data_by_its_missing_workers() -> None:
    gates = (Gate("line", 80, Fraction(7999, 100)), Gate("branch", 90, None))
    missing = (MissingWorker("beta", "stale", "pkg/b.py changed"), MissingWorker("gamma", "not run", ""))
    verdict = render_verdict(model(combined=combined(gates=gates, complete=False, missing=missing)), "r")
    assert (
        "  combined: line 79.99% against 80% FAILED by 0.01, branch n/a against 90% ok; "
        "PARTIAL: beta stale, gamma not run"
    ) in verdict


def test_the_verdict_of_a_split_without_workers_still_renders() -> None:
    empty = replace(model(), workers=())
    assert render_verdict(empty, "r").splitlines()[1:3] == [
        "covsplit verdict",
        "  combined: line 100.00% against 80% ok, branch 100.00% against 90% ok; complete",
    ]


# --- write_report -----------------------------------------------------------------------------------


def test_write_report_writes_both_documents_and_prints_the_verdict_of_this_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = make_project(tmp_path)
    write_status(cfg, "worker1", finished_at="2026-11-24T12:00:00+00:00")
    monkeypatch.setenv(RUN_STARTED, "2026-11-24T12:05:00")
    assert write_report(cfg) == 0
    md, html = cfg.layout.report_md, cfg.layout.report_html
    assert md.read_text(encoding="utf-8").startswith("#") and html.read_text(encoding="utf-8").startswith("<!DOCTYPE")
    out = capsys.readouterr().out
    assert f"report: wrote {md} and {html}" in out
    # The verdict is given the run's start: worker1's data is from before it.
    assert "reused from 2026-11-24 12:00:00 UTC" in out and f"  report: {html}" in out


def test_the_verdict_labels_each_gate_s_source_and_says_where_to_change_the_defaults() -> None:
    from covsplit.gates import DEFAULT_SOURCE

    defaults = (Gate("line", 80, Fraction(100), DEFAULT_SOURCE), Gate("branch", 90, Fraction(100), DEFAULT_SOURCE))
    verdict = render_verdict(model(combined=combined(gates=defaults)), "r")
    assert "  combined: line 100.00% against 80% (covsplit's default) ok, branch 100.00% against 90% (covsplit's " in (
        verdict
    )
    assert "  gates: covsplit's defaults: set the project's own in [thresholds] of workers.toml" in verdict
    own = (Gate("total", 85, 84.4, "the project's setup.cfg [coverage:report] fail_under", 0, (844, 1000)),)
    verdict = render_verdict(model(combined=combined(gates=own)), "r")
    assert (
        "  combined: total 84.40% against 85% (the project's setup.cfg [coverage:report] fail_under) FAILED by 0.60"
    ) in verdict
    assert "gates: covsplit's defaults" not in verdict
