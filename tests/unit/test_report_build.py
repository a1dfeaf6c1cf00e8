"""Unit tests of covsplit.report.build: the rules build_model applies beyond one worker's view, on small inputs.

test_report_model.py reads the model back for the common cases; these pin
build's own rules at their edges: which statement count wins, a project
of zero statements, the combined data's links, partial and stale rules,
the seconds floor from measured tests, unowned modules and the serial
command.  Same small builders (test_report_model.build, .record,
.aggregate) over the two-worker fixture project, no rendering.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from test_report import make_project
from test_report_model import COUNTS, aggregate, build, record

from covsplit import config, durations, status
from covsplit.numbers import Counts
from covsplit.report.views import MissingWorker, SlowFile


@pytest.fixture
def cfg(tmp_path: Path) -> config.Config:
    return make_project(tmp_path)


def test_a_static_count_wins_over_the_artifacts(cfg: config.Config) -> None:
    agg = aggregate(files={"pkg/a.py": {"statements": 999}})
    worker_json = {"worker1": {"files": {"pkg/a.py": {"summary": {"num_statements": 998}}}}}
    model = build(cfg, {}, agg, worker_coverage=worker_json)
    assert model.workers[0].statements == 100 and model.total_statements == 200


def test_the_aggregates_count_wins_over_a_workers_json(cfg: config.Config) -> None:
    agg = aggregate(files={"pkg/a.py": {"statements": 90}})
    worker_json = {"worker1": {"files": {"pkg/a.py": {"summary": {"num_statements": 80}}}}}
    model = build(cfg, {}, agg, counts={}, worker_coverage=worker_json)
    assert model.workers[0].statements == 90


def test_a_count_that_is_not_a_whole_number_is_not_taken(cfg: config.Config) -> None:
    agg = aggregate(files={"pkg/a.py": {"statements": "100"}, "pkg/b.py": {"statements": 60.0}})
    model = build(cfg, {}, agg, counts={"pkg/c.py": 40, "pkg/a.py": "many"})
    assert model.uncounted_files == ("pkg/__init__.py", "pkg/a.py", "pkg/b.py")
    assert model.total_statements == 40


def test_a_project_of_zero_statements_has_no_target_ratio_or_heaviest(cfg: config.Config) -> None:
    zero = dict.fromkeys(COUNTS, 0)
    model = build(cfg, {}, None, counts=zero)
    assert (model.total_statements, model.target, model.max_mean) == (0, None, None)
    assert (model.heaviest, model.lightest, model.floor) == (None, None, None)
    assert [(w.share, w.balance) for w in model.workers] == [(None, "n/a"), (None, "n/a")]


def test_the_floor_is_set_by_the_heaviest_module_only_when_it_outweighs_a_share(cfg: config.Config) -> None:
    # 120 of 250 statements over two workers: under one share (125), so no floor.
    model = build(cfg, {}, None, counts={"pkg/__init__.py": 0, "pkg/a.py": 10, "pkg/b.py": 120, "pkg/c.py": 120})
    assert model.floor is None
    # 300 of 330: a share is 165, and no split gets below 300 / 165.
    model = build(cfg, {}, None, counts={"pkg/__init__.py": 0, "pkg/a.py": 10, "pkg/b.py": 300, "pkg/c.py": 20})
    assert model.floor is not None
    assert (model.floor.path, model.floor.statements, model.floor.ratio) == ("pkg/b.py", 300, Fraction(300, 165))


def test_the_combined_link_is_given_only_when_the_page_exists(cfg: config.Config) -> None:
    href = "../htmlcov/combined/index.html"
    assert build(cfg, {}, aggregate(), existing=[]).combined.html_href is None  # type: ignore[union-attr]
    assert build(cfg, {}, aggregate(), existing=[href]).combined.html_href == href  # type: ignore[union-attr]
    # Nothing said about what exists: the link is given.
    assert build(cfg, {}, aggregate(), existing=None).combined.html_href == href  # type: ignore[union-attr]
    assert build(cfg, {}, None).combined_html_href == href


def test_missing_workers_are_read_leniently_and_make_the_data_partial(cfg: config.Config) -> None:
    agg = aggregate(missing=[{"worker": "worker2"}, "junk", {"state": "stale", "reason": 3}])
    c = build(cfg, {}, agg).combined
    assert c is not None and not c.complete
    assert c.missing == (MissingWorker("worker2", "?", ""), MissingWorker("?", "stale", "3"))


def test_an_aggregate_without_totals_has_gates_without_figures(cfg: config.Config) -> None:
    c = build(cfg, {}, aggregate(totals=None)).combined
    assert c is not None and c.coverage == Counts() and c.files is None
    assert [(g.name, g.actual, g.passed) for g in c.gates] == [("line", None, None), ("branch", None, None)]


def test_the_gates_use_todays_thresholds(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    cfg.path.write_text(cfg.path.read_text().replace("line = 80", "line = 99.5"))
    # 199 of 200 is exactly 99.5%: it passes; 198 does not.
    totals = {"files": 3, "statements": 200, "covered_lines": 199, "branches": 6, "covered_branches": 6}
    c = build(config.load(cfg.path), {}, aggregate(totals=totals)).combined
    assert c is not None and [(g.threshold, g.passed) for g in c.gates] == [(99.5, True), (90, True)]
    totals["covered_lines"] = 198
    c = build(config.load(cfg.path), {}, aggregate(totals=totals)).combined
    assert c is not None and c.gates[0].passed is False


def test_a_worker_that_finished_when_the_aggregate_was_made_is_not_stale(cfg: config.Config) -> None:
    same = record(finished_at="2026-11-24T12:05:00+00:00")
    later = record(finished_at="2026-11-24T12:05:01+00:00")
    c = build(cfg, {"worker1": same, "worker2": later}, aggregate()).combined
    assert c is not None and c.outdated_by == ("worker2",)
    # An aggregate without its own time cannot be called stale.
    c = build(cfg, {"worker1": same, "worker2": later}, aggregate(generated_at="")).combined
    assert c is not None and c.outdated_by == () and c.generated_at == "n/a"


def test_the_aggregate_problem_given_is_kept_and_none_is_made_up_when_there_is_data(cfg: config.Config) -> None:
    assert build(cfg, {}, None, aggregate_problem="aggregate.json is unreadable").aggregate_problem == (
        "aggregate.json is unreadable"
    )
    assert build(cfg, {}, aggregate()).aggregate_problem == ""


def test_the_seconds_floor_counts_measured_tests_as_pieces_of_their_file(cfg: config.Config) -> None:
    # tests/test_a.py's tests were measured one by one: its pieces are its tests, and none outweighs a share.
    measured = durations.Measured(
        files={"tests/test_a.py": 30.0, "tests/test_b.py": 5.0, "tests/sub/test_c.py": 5.0},
        tests={"tests/test_a.py": {"tests/test_a.py::t1": 15.0, "tests/test_a.py::t2": 15.0}},
    )
    assert build(cfg, {}, None, measured=measured).seconds_floor is None
    # Measured only as a whole, the same file cannot be divided: 30 of 40 seconds over two workers.
    whole = durations.Measured(files=measured.files)
    assert build(cfg, {}, None, measured=whole).seconds_floor == SlowFile("tests/test_a.py", 30.0, Fraction(3, 2))


def test_the_seconds_floor_is_none_when_nothing_the_workers_run_was_measured(cfg: config.Config) -> None:
    assert build(cfg, {}, None, measured=durations.Measured(files={"tests/other.py": 50.0})).seconds_floor is None
    assert build(cfg, {}, None).seconds_floor is None


def test_seconds_statistics_are_none_when_no_worker_has_seconds(cfg: config.Config) -> None:
    model = build(cfg, {"worker1": record(duration_s=None), "worker2": record(duration_s="9")}, None)
    assert (model.seconds_mean, model.seconds_max_mean, model.seconds_missing) == (None, None, ("worker1", "worker2"))


def test_unowned_modules_are_listed_with_their_counts(cfg: config.Config) -> None:
    (cfg.root / "pkg" / "d.py").write_text("x = 1\ny = 2\n")
    cfg = config.load(cfg.path)
    model = build(cfg, {}, None, all_files=[*COUNTS, "pkg/d.py"], counts={**COUNTS, "pkg/d.py": 2})
    assert [(r.path, r.owner, r.counts.statements) for r in model.unowned] == [("pkg/d.py", None, 2)]


def test_the_serial_command_runs_the_projects_tests_from_its_root_quoted(tmp_path: Path) -> None:
    root = tmp_path / "my project"
    root.mkdir()
    cfg = make_project(root)
    assert build(cfg, {}, None).serial_command == f"cd '{root}' && python -m pytest tests"


def test_inputs_the_model_only_carries_are_kept_in_order(cfg: config.Config) -> None:
    slowest = [("tests/test_a.py::t", "worker1", 9.0), ("tests/test_b.py::t", "worker2", 1.0)]
    model = build(cfg, {}, None, warnings=["w1", "w2"], slowest_tests=slowest, counts_source="the artifacts")
    assert (model.warnings, model.slowest_tests, model.counts_source) == (("w1", "w2"), tuple(slowest), "the artifacts")
    assert (model.config_name, model.generated_at) == ("workers.toml", "2026-11-24T12:10:00+00:00")


def test_a_worker_without_a_status_is_said_not_to_have_run(cfg: config.Config) -> None:
    model = build(cfg, {"worker1": "garbage"}, None)
    assert [w.state for w in model.workers] == [status.NOT_RUN, status.NOT_RUN]
