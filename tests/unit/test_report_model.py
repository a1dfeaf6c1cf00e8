"""Unit tests of the report's model: the readers, the figures, the views and :func:`build_model`, in memory.

``build_model`` takes every input as data (a :class:`ReportInputs` of statuses, aggregate,
counts, test files, the links that exist), so these tests hand it small
dictionaries and read the model back, without writing a status file or
rendering a page; test_report.py goes through the disk and the templates.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from test_report import make_project

from covsplit import config, schedule_file, status
from covsplit.numbers import Counts, percent_text
from covsplit.report.build import ReportInputs, build_model
from covsplit.report.figures import (
    format_amount,
    format_count,
    format_ratio,
    format_seconds,
    format_threshold,
    format_time,
    outcome_word,
)
from covsplit.report.model import ReportModel
from covsplit.report.readers import as_dict, float_field, int_field, parse_time
from covsplit.report.views import EARLIER, CombinedModel, HeavyModule, WorkerModel, as_percent
from covsplit.summary import OWN_TESTS, WHOLE_SUITE

COUNTS = {"pkg/__init__.py": 0, "pkg/a.py": 100, "pkg/b.py": 60, "pkg/c.py": 40}
TESTS = {
    "tests": ["tests/sub/test_c.py", "tests/test_a.py", "tests/test_b.py"],
    "tests/test_a.py": ["tests/test_a.py"],
    "tests/test_b.py": ["tests/test_b.py"],
    "tests/sub": ["tests/sub/test_c.py"],
}


def record(state: str = status.PASSED, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "state": state,
        "started_at": "2026-11-24T12:00:00+00:00",
        "finished_at": "2026-11-24T12:00:09+00:00",
        "duration_s": 9.0,
        "exit_status": 0,
        "outcomes": {"tests": 2, "passed": 2, "failed": 0, "errors": 0, "skipped": 0},
        "message": "",
    }
    values.update(fields)
    return values


def aggregate(**fields: Any) -> dict[str, Any]:
    """aggregate.json over the three modules, fully covered, made after both workers finished."""
    rows = {
        path: {"statements": n, "covered_lines": n, "branches": 2, "covered_branches": 2}
        for path, n in COUNTS.items()
        if n
    }
    values: dict[str, Any] = {
        "generated_at": "2026-11-24T12:05:00+00:00",
        "complete": True,
        "missing": [],
        "totals": {"files": 3, "statements": 200, "covered_lines": 200, "branches": 6, "covered_branches": 6},
        "workers": [
            {"name": "worker1", "coverage": {"statements": 100, "covered_lines": 100}},
            {"name": "worker2", "coverage": {"statements": 100, "covered_lines": 100}},
        ],
        "files": rows,
    }
    values.update(fields)
    return values


@pytest.fixture
def cfg(tmp_path: Path) -> config.Config:
    return make_project(tmp_path)


def build(cfg: config.Config, statuses: dict[str, Any], agg: dict[str, Any] | None, **options: Any) -> ReportModel:
    options.setdefault("all_files", list(COUNTS))
    options.setdefault("test_files", TESTS)
    options.setdefault("existing", [])
    options.setdefault("generated_at", "2026-11-24T12:10:00+00:00")
    return build_model(cfg, ReportInputs(statuses, agg, options.pop("counts", COUNTS), **options))


# --- readers: a field of the wrong type is missing, never an exception --------------------------------


def test_readers_take_only_the_type_they_read() -> None:
    data = {"n": 3, "flag": True, "x": 1.5, "text": "3"}
    assert [int_field(data, k) for k in ("n", "flag", "x", "text", "absent")] == [3, None, None, None, None]
    assert [float_field(data, k) for k in ("n", "flag", "x", "text")] == [3.0, None, 1.5, None]
    assert int_field(None, "n") is None and int_field([1], "n") is None  # type: ignore[arg-type]
    assert as_dict({"a": 1}) == {"a": 1} and as_dict([1]) == {} and as_dict(None) == {}


def test_times_without_a_zone_are_utc() -> None:
    assert parse_time("2026-11-24T12:00:00") == datetime(2026, 11, 24, 12, tzinfo=UTC)
    assert parse_time("2026-11-24T13:00:00+01:00") == datetime(2026, 11, 24, 12, tzinfo=UTC)
    assert parse_time("yesterday") is None and parse_time(17) is None


# --- figures ------------------------------------------------------------------------------------------


def test_figures_read_as_the_report_writes_them() -> None:
    assert format_ratio(Fraction(12499, 10000)) == "1.24"  # floored: never 1.25 against a tolerance of 1.25
    assert percent_text(Fraction(2, 3) * 100) == "66.67%" and percent_text(None) == "n/a"
    assert format_count(1234567) == "1,234,567" and format_count(None) == "?"
    assert format_amount(Fraction(8661, 5)) == "1,732.20" and format_amount(Fraction(7, 1)) == "7"
    assert format_amount(Fraction(2, 3)) == "0.66" and format_amount(None) == "n/a"
    assert format_threshold(80.0) == "80" and format_threshold(92.5) == "92.5"
    assert format_seconds(1234.5) == "1,234.50 s" and format_seconds(None) == "n/a"
    assert format_time("2026-11-24T13:00:00+01:00") == "2026-11-24 12:00:00 UTC" and format_time(None) == "n/a"
    assert [outcome_word("errors", 1), outcome_word("errors", 2), outcome_word("failed", 1)] == [
        "error",
        "errors",
        "failed",
    ]


# --- the model's own rules ----------------------------------------------------------------------------


def test_the_tolerance_counts_from_the_floor(cfg: config.Config) -> None:
    model = build(cfg, {}, None)
    assert model.floor is None and model.allowed_max_mean == Fraction(5, 4)
    heavy = build(cfg, {}, None, counts={**COUNTS, "pkg/a.py": 150, "pkg/b.py": 30, "pkg/c.py": 20})
    assert heavy.floor == HeavyModule("pkg/a.py", 150, Fraction(3, 2))
    assert heavy.allowed_max_mean == Fraction(5, 4) * Fraction(3, 2)
    # High above 125% of the target, low below 100 / 1.25 = 80%.
    assert (model.high_above, model.low_below) == (125, 80)


def test_shares_and_balance_labels(cfg: config.Config) -> None:
    model = build(cfg, {}, None, counts={**COUNTS, "pkg/a.py": 150, "pkg/b.py": 30, "pkg/c.py": 20})
    w1, w2 = model.workers
    assert (model.target, model.total_statements, model.max_mean) == (100, 200, Fraction(3, 2))
    assert (w1.share, w1.share_percent, w1.balance) == (Fraction(3, 2), 150, "High")
    assert (w2.share_percent, w2.balance) == (50, "Low")
    assert (model.heaviest, model.lightest) == ("worker1", "worker2")
    assert as_percent(None) is None


def test_a_worker_without_a_status_has_not_run(cfg: config.Config) -> None:
    model = build(cfg, {"worker1": record()}, None)
    w1, w2 = model.workers
    assert (w1.state, w1.finished, w1.state_label, w1.state_heading) == (
        status.PASSED,
        True,
        "completed",
        "✅ COMPLETED",
    )
    assert (w2.state, w2.finished, w2.state_label, w2.message) == (
        status.NOT_RUN,
        False,
        "not run",
        "no status recorded: the worker did not run",
    )
    assert model.no_test_results == ("worker2",)
    assert model.aggregate_problem == "aggregate has not run" and model.combined is None


def test_a_state_that_is_not_text_reads_as_crashed(cfg: config.Config) -> None:
    model = build(cfg, {"worker1": record(state=7), "worker2": record()}, None)
    assert model.workers[0].state == status.CRASHED


def test_outcomes_add_up_and_problems_are_failures_and_errors(cfg: config.Config) -> None:
    failed = record(status.FAILED, outcomes={"tests": 5, "passed": 2, "failed": 2, "errors": 1, "skipped": True})
    model = build(cfg, {"worker1": failed, "worker2": record()}, None)
    w1 = model.workers[0]
    # A JSON true is not a count: the skipped tally reads 0.
    assert w1.outcomes == {"tests": 5, "passed": 2, "failed": 2, "errors": 1, "skipped": 0}
    assert w1.problems == 3
    assert model.test_totals == {"passed": 4, "failed": 2, "errors": 1, "skipped": 0, "tests": 7}


def test_counts_fall_back_to_the_aggregate_then_a_workers_json(cfg: config.Config) -> None:
    worker_json = {"worker2": {"files": {"pkg/c.py": {"summary": {"num_statements": 41}}}}}
    agg = aggregate(files={"pkg/b.py": {"statements": 61}})
    model = build(cfg, {}, agg, counts={"pkg/a.py": 100}, worker_coverage=worker_json)
    assert [w.statements for w in model.workers] == [100, 102]
    # pkg/__init__.py is counted nowhere: it is named as uncounted rather than taken as 0.
    assert model.uncounted_files == ("pkg/__init__.py",)


def test_combined_data_is_gated_by_todays_thresholds(cfg: config.Config) -> None:
    totals = {"files": 3, "statements": 200, "covered_lines": 159, "branches": 10, "covered_branches": 9}
    model = build(cfg, {"worker1": record(), "worker2": record()}, aggregate(totals=totals))
    c = model.combined
    assert isinstance(c, CombinedModel) and c.complete and c.outdated_by == ()
    assert [(g.name, g.failed) for g in c.gates] == [("line", True), ("branch", False)]
    assert c.gate_counts == {"line": (159, 200), "branch": (9, 10)}
    assert c.generated_at == "2026-11-24 12:05:00 UTC"


def test_an_aggregate_with_missing_workers_or_without_true_is_partial(cfg: config.Config) -> None:
    missing = [{"worker": "worker2", "state": status.STALE, "reason": "its tests changed"}]
    c = build(cfg, {}, aggregate(complete=True, missing=missing)).combined
    assert c is not None and not c.complete and c.missing[0].name == "worker2"
    c = build(cfg, {}, aggregate(complete="yes")).combined
    assert c is not None and not c.complete


def test_a_worker_that_finished_after_the_aggregate_makes_it_stale(cfg: config.Config) -> None:
    later = record(finished_at="2026-11-24T12:06:00+00:00")
    model = build(cfg, {"worker1": record(), "worker2": later}, aggregate())
    assert model.combined is not None and model.combined.outdated_by == ("worker2",)
    # Its coverage is its own run's, not the older aggregate's figure for its modules.
    assert [w.coverage_scope for w in model.workers] == [WHOLE_SUITE, ""]


def test_coverage_scope_whole_suite_own_tests_or_earlier(cfg: config.Config) -> None:
    own = record(coverage={"statements": 100, "covered_lines": 50}, coverage_scope=OWN_TESTS)
    model = build(cfg, {"worker1": own, "worker2": record()}, None)
    w1, w2 = model.workers
    assert (w1.coverage_scope, w1.coverage) == (OWN_TESTS, Counts(statements=100, covered_lines=50))
    assert (w2.coverage_scope, w2.coverage) == ("", None)

    # Only the coverage JSON on disk is left: its figure is from before the latest run.
    data = {"files": {"pkg/a.py": {"summary": {"num_statements": 100, "covered_lines": 30}}}}
    model = build(cfg, {"worker1": record()}, None, worker_coverage={"worker1": data})
    w1 = model.workers[0]
    assert (w1.coverage_scope, w1.coverage) == (EARLIER, Counts(files=1, statements=100, covered_lines=30))


def test_a_file_the_tests_never_imported_is_uncovered_not_unknown(cfg: config.Config) -> None:
    data = {"files": {"pkg/b.py": {"summary": {"num_statements": 60, "covered_lines": 60}}}}
    model = build(cfg, {"worker2": record()}, None, worker_coverage={"worker2": data})
    w2 = model.workers[1]
    assert [(r.path, r.counts.covered_lines, r.source) for r in w2.own_files] == [
        ("pkg/b.py", 60, "worker"),
        ("pkg/c.py", 0, "worker"),
    ]
    assert [r.path for r in w2.well_covered] == ["pkg/b.py"]
    assert [r.path for r in w2.uncovered] == ["pkg/c.py"]


def test_rows_prefer_combined_data_and_lead_with_the_largest(cfg: config.Config) -> None:
    model = build(cfg, {"worker1": record(), "worker2": record()}, aggregate())
    assert [(r.path, r.source) for r in model.workers[1].files] == [("pkg/b.py", "combined"), ("pkg/c.py", "combined")]
    assert model.owned_files == 3  # pkg/__init__.py is in no worker's modules


def test_only_links_that_exist_are_shown(cfg: config.Config) -> None:
    links = cfg.layout.worker("worker1").artifacts()
    model = build(cfg, {"worker1": record()}, None, existing=[links["html"]])
    w1 = model.workers[0]
    assert w1.artifacts == (("HTML coverage report", links["html"]),)
    assert (w1.html_href, w1.analysis_href) == (links["html"], None)


def test_a_worker_shows_the_command_it_ran_else_the_one_it_would_run(cfg: config.Config) -> None:
    ran = record(command_line=f"cd {cfg.root} && python -m pytest tests/test_a.py")
    model = build(cfg, {"worker1": ran}, None, planned_commands={"worker2": "python -m pytest tests/sub"})
    w1, w2 = model.workers
    assert w1.command_ran and w1.command.endswith("python -m pytest tests/test_a.py")
    assert not w2.command_ran and w2.command.endswith("python -m pytest tests/sub")


def test_test_files_in_scope_run_by_workers_and_left_unrun(cfg: config.Config) -> None:
    tests = {**TESTS, "tests/sub": []}
    model = build(cfg, {}, None, test_files=tests)
    assert model.test_files == 3 and model.test_root == "tests/"
    assert [w.test_files for w in model.workers] == [1, 1]
    assert model.unrun_test_files == ("tests/sub/test_c.py",)


def test_seconds_max_mean_over_the_workers_that_have_seconds(cfg: config.Config) -> None:
    model = build(cfg, {"worker1": record(duration_s=30.0), "worker2": record(duration_s=10.0)}, None)
    assert (model.seconds_mean, model.seconds_max_mean, model.seconds_missing) == (20.0, 1.5, ())
    model = build(cfg, {"worker1": record(duration_s=30.0)}, None)
    assert (model.seconds_mean, model.seconds_max_mean, model.seconds_missing) == (30.0, 1.0, ("worker2",))


def test_the_model_holds_its_next_steps(cfg: config.Config) -> None:
    assert [s.kind for s in build(cfg, {}, None).next_steps] == ["run_all"]


def test_worker_views_are_frozen(cfg: config.Config) -> None:
    w1 = build(cfg, {}, None).workers[0]
    assert isinstance(w1, WorkerModel)
    with pytest.raises(AttributeError):
        w1.name = "other"  # type: ignore[misc]


def test_a_file_every_worker_collects_counts_its_collection_outcomes_once(cfg: config.Config) -> None:
    # Both workers collect tests/test_opt.py (dealt or shared): its module-level skip is in each JUnit file,
    # once in a serial run; and tests/test_bad.py fails to import in both.
    collected = {"tests/test_opt.py": ["skipped"], "tests/test_bad.py": ["errors"]}
    one = record(status.FAILED, outcomes={"tests": 5, "passed": 3, "failed": 0, "errors": 1, "skipped": 1})
    two = record(status.FAILED, outcomes={"tests": 4, "passed": 2, "failed": 0, "errors": 1, "skipped": 1})
    model = build(
        cfg,
        {"worker1": {**one, "collection_outcomes": collected}, "worker2": {**two, "collection_outcomes": collected}},
        None,
    )
    assert model.test_totals == {"passed": 5, "failed": 0, "errors": 1, "skipped": 1, "tests": 7}
    # A worker's own counts stay what its run saw.
    assert model.workers[1].outcomes == {"tests": 4, "passed": 2, "failed": 0, "errors": 1, "skipped": 1}


def test_a_worker_whose_tests_are_dealt_says_so_and_one_that_is_not_does_not(cfg: config.Config) -> None:
    dealt = replace(cfg, shared={"tests": schedule_file.DealtPath.among(["worker1", "worker2"])})
    model = build(dealt, {"worker1": record(), "worker2": record()}, None)
    assert [w.dealt_among for w in model.workers] == [2, 2]
    assert [w.dealt_among for w in build(cfg, {"worker1": record()}, None).workers] == [0, 0]
