"""Unit tests of covsplit.worker_reports: a worker's JSON, HTML and summary from real coverage data, on a tiny project.

The reports are labelled with the data set they come from, and the summary
is written only for a worker that has run; these tests write a real
coverage.py data file for one worker of the two-worker fixture project
(test_report.make_project) and read back what :func:`run_alone` and
:func:`write` produced.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from coverage import CoverageData
from test_report import make_project, write_status

from covsplit import config, coverage_data, status, worker_reports
from covsplit.summary import OWN_TESTS, WHOLE_SUITE


@pytest.fixture
def cfg(tmp_path: Path) -> config.Config:
    return make_project(tmp_path)


def measure_half_of_a(cfg: config.Config) -> None:
    """worker1's data file: the first 50 of pkg/a.py's 100 one-line statements ran (branch data, as pytest-cov's)."""
    paths = cfg.layout.worker("worker1")
    paths.data_file.parent.mkdir(parents=True, exist_ok=True)
    data = CoverageData(basename=str(paths.data_file))
    arcs = [(-1, 1), *((line, line + 1) for line in range(1, 50))]
    data.add_arcs({str(cfg.root / "pkg" / "a.py"): arcs})
    data.write()


def test_run_alone_writes_the_reports_and_records_the_own_tests_figures(cfg: config.Config) -> None:
    measure_half_of_a(cfg)
    write_status(cfg, "worker1")
    assert worker_reports.run_alone(cfg, "worker1") == 0
    paths = cfg.layout.worker("worker1")
    report = json.loads(paths.coverage_json.read_text(encoding="utf-8"))
    assert list(report["files"]) == ["pkg/a.py"]
    assert (report["totals"]["num_statements"], report["totals"]["covered_lines"]) == (100, 50)
    assert (paths.html_dir / "index.html").is_file()
    record = status.read(paths.status)
    assert record["coverage_scope"] == OWN_TESTS
    assert (record["coverage"]["statements"], record["coverage"]["covered_lines"]) == (100, 50)
    # The rest of the record is kept as the worker wrote it.
    assert (record["state"], record["duration_s"]) == (status.PASSED, 9.0)


def test_the_html_title_says_which_data_it_shows(cfg: config.Config) -> None:
    measure_half_of_a(cfg)
    write_status(cfg, "worker1")
    worker_reports.run_alone(cfg, "worker1")
    index = (cfg.layout.worker("worker1").html_dir / "index.html").read_text(encoding="utf-8")
    assert f"worker1: Alpha ({OWN_TESTS})" in index


def test_the_summary_is_written_for_a_worker_that_ran(cfg: config.Config) -> None:
    measure_half_of_a(cfg)
    write_status(cfg, "worker1")
    worker_reports.run_alone(cfg, "worker1")
    summary = cfg.layout.worker("worker1").summary.read_text(encoding="utf-8")
    assert "worker1" in summary and "50.00%" in summary


def test_a_worker_that_has_not_run_gets_reports_but_no_summary_and_no_status(cfg: config.Config) -> None:
    measure_half_of_a(cfg)
    assert worker_reports.run_alone(cfg, "worker1") == 0
    paths = cfg.layout.worker("worker1")
    assert paths.coverage_json.is_file()
    assert not paths.summary.exists()
    assert not paths.status.exists()


def test_a_running_worker_gets_no_summary_and_its_status_is_left_alone(cfg: config.Config) -> None:
    measure_half_of_a(cfg)
    # Another host's running worker: status.read cannot check its pid and keeps it running.
    write_status(cfg, "worker1", state=status.RUNNING, coverage=None, outcomes=None)
    before = cfg.layout.worker("worker1").status.read_text(encoding="utf-8")
    worker_reports.run_alone(cfg, "worker1")
    paths = cfg.layout.worker("worker1")
    assert not paths.summary.exists()
    assert paths.status.read_text(encoding="utf-8") == before


def test_a_crashed_worker_gets_a_summary_of_what_its_data_holds(cfg: config.Config) -> None:
    measure_half_of_a(cfg)
    write_status(cfg, "worker1", state=status.CRASHED, message="pytest died", outcomes=None)
    worker_reports.run_alone(cfg, "worker1")
    paths = cfg.layout.worker("worker1")
    assert paths.summary.is_file()
    record = status.read(paths.status)
    assert (record["state"], record["coverage"]["covered_lines"]) == (status.CRASHED, 50)


def test_without_a_data_file_every_module_reads_as_never_run(cfg: config.Config) -> None:
    # pytest died before pytest-cov saved anything: the modules are still reported, at 0%.
    write_status(cfg, "worker2")
    worker_reports.run_alone(cfg, "worker2")
    report = json.loads(cfg.layout.worker("worker2").coverage_json.read_text(encoding="utf-8"))
    assert sorted(report["files"]) == ["pkg/b.py", "pkg/c.py"]
    assert (report["totals"]["num_statements"], report["totals"]["covered_lines"]) == (100, 0)


def test_an_unreadable_junit_file_still_gives_a_summary(cfg: config.Config) -> None:
    measure_half_of_a(cfg)
    write_status(cfg, "worker1")
    paths = cfg.layout.worker("worker1")
    paths.junit.write_text("<testsuites><testsuite", encoding="utf-8")
    worker_reports.run_alone(cfg, "worker1")
    assert paths.summary.is_file()


def test_write_returns_the_figures_and_labels_the_scope_it_is_given(cfg: config.Config) -> None:
    measure_half_of_a(cfg)
    write_status(cfg, "worker1")
    worker = cfg.worker("worker1")
    cov = coverage_data.worker_data(cfg, cfg.layout.worker("worker1").data_file, worker.files)
    figures = worker_reports.write(cfg, worker, cov, WHOLE_SUITE)
    assert (figures.files, figures.statements, figures.covered_lines) == (1, 100, 50)
    paths = cfg.layout.worker("worker1")
    assert f"worker1: Alpha ({WHOLE_SUITE})" in (paths.html_dir / "index.html").read_text(encoding="utf-8")
    # write() leaves the status to its caller: only run_alone records the figures.
    assert status.read(paths.status)["coverage"]["covered_lines"] == 100
