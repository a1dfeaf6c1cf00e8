"""A worker's coverage reports: its modules' JSON and HTML, and the summary that shows them.

Written from one of two data sets, and always labelled with which:

* the combined data of every worker (``aggregate``): the worker's modules
  under the whole suite, the figure the spec's per-worker command
  ``pytest --cov=<its modules> tests/`` measured, without running the suite
  once per worker;
* the worker's own data (``covsplit worker-reports``, when a worker runs
  alone): what its own tests execute in its modules.
"""

from __future__ import annotations

from pathlib import Path

from covsplit import coverage_data, exits, fsio, lock, status
from covsplit.config import Config, Worker
from covsplit.junit import JUnitError, TestResult, read_junit
from covsplit.layout import WorkerPaths
from covsplit.numbers import Counts
from covsplit.summary import OWN_TESTS, coverage_figures, render_summary, summary_input


def _results(cfg: Config, paths: WorkerPaths) -> list[TestResult]:
    try:
        return read_junit(paths.junit, cfg.root)
    except JUnitError:
        return []


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None


def write(cfg: Config, worker: Worker, cov: coverage_data.Coverage, scope: str) -> Counts:
    """Write the worker's JSON and HTML reports from ``cov`` and, if it has run, its summary; return the figures."""
    paths = cfg.layout.worker(worker.name)
    report = coverage_data.write_module_reports(
        cfg, cov, worker.files, paths.coverage_json, paths.html_dir, f"{worker.name}: {worker.title} ({scope})"
    )
    record = status.read(paths.status)
    if record["state"] not in (status.NOT_RUN, status.RUNNING):
        text = render_summary(summary_input(cfg, worker, record, _results(cfg, paths), report, scope))
        # Unchanged, it is not written again: its time stamp tells when its content last changed.
        if _read(paths.summary) != text:
            fsio.write_text(paths.summary, text)
    return coverage_figures(report)


def run_alone(cfg: Config, name: str) -> int:
    """Reports of what worker ``name``'s own tests covered, after it ran on its own."""
    worker = cfg.worker(name)
    paths = cfg.layout.worker(worker.name)
    with lock.hold(paths.lock, f"worker {worker.name} (reports)", wait=60.0):
        cov = coverage_data.worker_data(cfg, paths.data_file, worker.files)
        figures = write(cfg, worker, cov, OWN_TESTS)
        record = status.read(paths.status)
        if record["state"] not in (status.NOT_RUN, status.RUNNING):
            status.write(paths.status, {**record, "coverage": figures.as_dict(), "coverage_scope": OWN_TESTS})
    return exits.OK
