"""Unit tests of covsplit.report.worker_view: one worker's part of the report, from small hand-made inputs.

:func:`worker_model` is called directly, on the two-worker fixture project
(test_report.make_project) and plain dictionaries for the status record,
the aggregate's rows and the worker's coverage JSON, so each rule (which
data a row comes from, the balance label at its boundaries, the coverage
scope, which links are shown, what a crashed worker's record yields) is
checked on its own; :func:`whole_suite_coverage` likewise.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from test_report import make_project
from test_report_model import aggregate, record

from covsplit import config, status
from covsplit.numbers import Counts
from covsplit.report.views import EARLIER, WorkerModel
from covsplit.report.worker_view import whole_suite_coverage, worker_model
from covsplit.summary import OWN_TESTS, WHOLE_SUITE

COUNTS = {"pkg/a.py": 100, "pkg/b.py": 60, "pkg/c.py": 40}


@pytest.fixture
def cfg(tmp_path: Path) -> config.Config:
    return make_project(tmp_path)


def view(
    cfg: config.Config,
    name: str = "worker2",
    rec: dict[str, Any] | None = None,
    *,
    counts: dict[str, int] = COUNTS,
    rows: dict[str, Any] | None = None,
    own: dict[str, Any] | None = None,
    target: Fraction | None = Fraction(100),
    existing: list[str] | None = None,
    planned: str | None = None,
    whole_suite: dict[str, Any] | None = None,
    worker: config.Worker | None = None,
) -> WorkerModel:
    return worker_model(
        cfg,
        worker or cfg.worker(name),
        record() if rec is None else rec,
        counts,
        rows or {},
        own,
        target,
        ["tests/test_b.py", "tests/sub/test_c.py"],
        frozenset(existing) if existing is not None else None,
        planned,
        whole_suite,
    )


@pytest.mark.parametrize(
    ("statements", "balance"),
    [(126, "High"), (125, "Balanced"), (100, "Balanced"), (80, "Balanced"), (79, "Low"), (0, "Low")],
)
def test_the_balance_label_turns_at_the_tolerance_and_its_inverse(
    cfg: config.Config, statements: int, balance: str
) -> None:
    # The tolerance is 1.25: High above 125% of the target, Low below 100 / 1.25 = 80%.
    w = view(cfg, "worker1", counts={"pkg/a.py": statements})
    assert (w.statements, w.balance) == (statements, balance)
    assert w.share == Fraction(statements, 100)


def test_without_a_target_there_is_no_share_nor_balance(cfg: config.Config) -> None:
    w = view(cfg, target=None)
    assert (w.share, w.balance) == (None, "n/a")


def test_a_file_without_a_static_count_is_counted_as_uncounted_not_as_zero(cfg: config.Config) -> None:
    w = view(cfg, counts={"pkg/b.py": 60})
    assert (w.statements, w.uncounted) == (60, 1)


def test_folders_name_a_package_by_itself_and_a_module_by_its_parent(cfg: config.Config) -> None:
    assert view(cfg).folders == ("pkg/",)  # pkg.b and pkg.c: one folder, named once
    package = replace(cfg.worker("worker2"), modules=("pkg",), files=("pkg/__init__.py", "pkg/b.py"))
    assert view(cfg, worker=package).folders == ("pkg/",)
    top = replace(cfg.worker("worker2"), modules=("setup",), files=("setup.py",))
    assert view(cfg, worker=top).folders == ("./",)


def test_rows_come_from_the_aggregate_then_the_own_json_then_the_static_count(cfg: config.Config) -> None:
    rows = {"pkg/b.py": {"statements": 60, "covered_lines": 30}}
    own = {"files": {"pkg/b.py": {"summary": {"num_statements": 60, "covered_lines": 6}}}}
    w = view(cfg, rows=rows, own=own)
    assert [(r.path, r.source, r.counts.covered_lines) for r in w.files] == [
        ("pkg/b.py", "combined", 30),
        ("pkg/c.py", "worker", 0),  # absent from its own JSON: never imported
    ]
    bare = view(cfg, rec=record(status.CRASHED))
    assert [(r.path, r.source, r.counts) for r in bare.files] == [
        ("pkg/b.py", "", Counts(statements=60)),
        ("pkg/c.py", "", Counts(statements=40)),
    ]


def test_a_row_without_a_statement_count_takes_the_static_one(cfg: config.Config) -> None:
    w = view(cfg, rows={"pkg/b.py": {"covered_lines": 12}})
    assert w.files[0].counts.statements == 60 and w.files[0].counts.covered_lines == 12


def test_rows_lead_with_the_largest_then_by_path(cfg: config.Config) -> None:
    w = view(cfg, counts={"pkg/b.py": 10, "pkg/c.py": 40})
    assert [r.path for r in w.files] == ["pkg/c.py", "pkg/b.py"]
    w = view(cfg, counts={"pkg/b.py": 40, "pkg/c.py": 40})
    assert [r.path for r in w.files] == ["pkg/b.py", "pkg/c.py"]


def test_a_crashed_worker_without_outcomes_or_coverage_reads_as_having_none(cfg: config.Config) -> None:
    crashed = {"state": status.CRASHED, "message": "pytest died", "started_at": "2026-11-24T12:00:00+00:00"}
    w = view(cfg, rec=crashed)
    assert (w.state, w.outcomes, w.coverage, w.coverage_scope, w.own_files) == (status.CRASHED, None, None, "", ())
    assert (w.seconds, w.exit_status, w.message) == (None, None, "pytest died")
    # It never finished: the date is when it started.
    assert w.date == "2026-11-24 12:00:00 UTC" and w.ran_at is not None and w.ran_at.hour == 12


def test_a_record_without_a_text_state_reads_as_crashed(cfg: config.Config) -> None:
    assert view(cfg, rec={"state": None}).state == status.CRASHED
    assert view(cfg, rec={}).state == status.CRASHED


def test_outcomes_that_are_not_a_table_are_none_and_missing_tallies_zero(cfg: config.Config) -> None:
    assert view(cfg, rec=record(outcomes=[1, 2])).outcomes is None
    assert view(cfg, rec=record(outcomes={"tests": 3, "failed": "2"})).outcomes == {
        "tests": 3,
        "passed": 0,
        "failed": 0,
        "errors": 0,
        "skipped": 0,
    }


def test_the_coverage_figure_is_the_whole_suites_else_the_records_else_the_reports_on_disk(
    cfg: config.Config,
) -> None:
    whole = {"statements": 100, "covered_lines": 90}
    own = {"statements": 100, "covered_lines": 40}
    w = view(cfg, rec=record(coverage=own, coverage_scope=OWN_TESTS), whole_suite=whole)
    assert (w.coverage_scope, w.coverage) == (WHOLE_SUITE, Counts(statements=100, covered_lines=90))
    w = view(cfg, rec=record(coverage=own, coverage_scope=OWN_TESTS))
    assert (w.coverage_scope, w.coverage) == (OWN_TESTS, Counts(statements=100, covered_lines=40))
    # A record with figures but no scope is from a worker that ran alone.
    assert view(cfg, rec=record(coverage=own)).coverage_scope == OWN_TESTS
    data = {"files": {"pkg/b.py": {"summary": {"num_statements": 60, "covered_lines": 60}}}}
    w = view(cfg, rec=record(), own=data)
    assert w.coverage_scope == EARLIER
    # pkg/c.py is absent from that JSON (never imported): its 40 statements count as missed.
    assert w.coverage is not None and (w.coverage.statements, w.coverage.covered_lines) == (100, 60)


def test_well_covered_files_pass_the_line_gate_and_uncovered_ones_ran_no_line(cfg: config.Config) -> None:
    # The line threshold is 80: 48 of 60 is exactly 80% and passes; 31 of 40 does not.
    data = {
        "files": {
            "pkg/b.py": {"summary": {"num_statements": 60, "covered_lines": 48}},
            "pkg/c.py": {"summary": {"num_statements": 40, "covered_lines": 31}},
        }
    }
    w = view(cfg, own=data)
    assert [r.path for r in w.well_covered] == ["pkg/b.py"] and w.uncovered == ()
    data["files"]["pkg/c.py"]["summary"]["covered_lines"] = 0
    assert [r.path for r in view(cfg, own=data).uncovered] == ["pkg/c.py"]


def test_a_file_with_no_statements_is_neither_well_covered_nor_uncovered(cfg: config.Config) -> None:
    # An empty module has no percentage at all: it is not listed as a success or a gap.
    data = {"files": {"pkg/b.py": {"summary": {"num_statements": 0, "covered_lines": 0}}}}
    w = view(cfg, counts={"pkg/b.py": 0, "pkg/c.py": 40}, own=data)
    assert "pkg/b.py" not in [r.path for r in (*w.well_covered, *w.uncovered)]


def test_failure_categories_most_frequent_first_and_only_real_counts(cfg: config.Config) -> None:
    categories = {"TypeError": 2, "AssertionError": 5, "KeyError": 2, "Zero": 0, "Bad": "3", "Less": -1}
    files = {"TypeError": ["tests/test_b.py"], "KeyError": "tests/test_b.py"}
    w = view(cfg, rec=record(status.FAILED, failure_categories=categories, failure_files=files))
    assert w.failure_categories == (("AssertionError", 5), ("KeyError", 2), ("TypeError", 2))
    assert w.failure_files == {"TypeError": ("tests/test_b.py",)}


def test_a_json_true_is_not_a_count_of_failures(cfg: config.Config) -> None:
    w = view(cfg, rec=record(status.FAILED, failure_categories={"TypeError": 2, "Flag": True}))
    assert w.failure_categories == (("TypeError", 2),)


def test_links_are_the_existing_ones_or_all_once_the_worker_ran(cfg: config.Config) -> None:
    links = cfg.layout.worker("worker2").artifacts()
    everything = view(cfg)
    assert [href for _, href in everything.artifacts] == list(links.values())
    assert everything.html_href == links["html"] and everything.analysis_href == links["failure_analysis"]
    assert view(cfg, rec={"state": status.NOT_RUN}).artifacts == ()
    some = view(cfg, existing=[links["summary"], "elsewhere.html"])
    assert some.artifacts == (("Summary report", links["summary"]),)
    assert (some.html_href, some.analysis_href) == (None, None)


def test_the_command_is_the_one_that_ran_unless_the_worker_never_ran(cfg: config.Config) -> None:
    ran = view(cfg, rec=record(command_line=f"python -m pytest --junitxml={cfg.layout.output_dir}/w.xml"))
    assert ran.command_ran and ran.command == "python -m pytest --junitxml=coverage_output/w.xml"
    planned = view(cfg, rec={"state": status.NOT_RUN, "command_line": "stale"}, planned="python -m pytest tests")
    assert (planned.command, planned.command_ran) == ("python -m pytest tests", False)
    assert (view(cfg, rec=record()).command, view(cfg, rec=record()).command_ran) == ("", False)


def test_whole_suite_coverage_is_taken_for_workers_that_did_not_run_again_since() -> None:
    agg = aggregate()
    records = {"worker1": record(), "worker2": record(finished_at="2026-11-24T12:06:00+00:00")}
    assert list(whole_suite_coverage(agg, records)) == ["worker1"]
    # Finished in the same second the aggregate was made: the aggregate holds that run.
    same = {"worker1": record(finished_at="2026-11-24T12:05:00+00:00")}
    assert list(whole_suite_coverage(agg, same)) == ["worker1", "worker2"]
    # A worker with no record, or a record without a time, cannot have run since.
    assert list(whole_suite_coverage(agg, {})) == ["worker1", "worker2"]
    # Without the aggregate's own time, nothing is known to be newer.
    assert list(whole_suite_coverage({**agg, "generated_at": None}, records)) == ["worker1", "worker2"]


def test_whole_suite_coverage_skips_entries_without_a_coverage_table() -> None:
    agg = aggregate(workers=[{"name": "worker1"}, "junk", {"name": "worker2", "coverage": [1]}])
    assert whole_suite_coverage(agg, {}) == {}
    assert whole_suite_coverage(None, {}) == {}
