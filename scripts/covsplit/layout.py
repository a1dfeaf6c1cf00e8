"""Where every artifact lives, in one place, so no module spells a path twice.

A run's outputs sit beside its ``workers.toml``: ``coverage_output/`` for
data, results and documents, ``htmlcov/`` for the HTML reports.  Standard
library only: the worker driver runs without coverage.py installed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

OUTPUT_DIR_NAME = "coverage_output"
HTML_DIR_NAME = "htmlcov"
DURATIONS_SUFFIX = "_durations.json"


@dataclass(frozen=True)
class WorkerPaths:
    """Every file one worker writes."""

    output_dir: Path
    html_root: Path
    name: str

    @property
    def data_file(self) -> Path:
        return self.output_dir / f".coverage.{self.name}"

    @property
    def coverage_json(self) -> Path:
        return self.output_dir / f"{self.name}_coverage.json"

    @property
    def test_output(self) -> Path:
        return self.output_dir / f"{self.name}_test_output.txt"

    @property
    def summary(self) -> Path:
        return self.output_dir / f"{self.name}_summary.md"

    @property
    def failure_analysis(self) -> Path:
        return self.output_dir / f"{self.name}_failure_analysis.md"

    @property
    def status(self) -> Path:
        return self.output_dir / f"{self.name}_status.json"

    @property
    def junit(self) -> Path:
        return self.output_dir / f"{self.name}_junit.xml"

    @property
    def durations(self) -> Path:
        return self.output_dir / f"{self.name}{DURATIONS_SUFFIX}"

    @property
    def progress(self) -> Path:
        """Each test's start, result and end, appended as pytest goes (covsplit.pytest_progress)."""
        return self.output_dir / f"{self.name}_progress.jsonl"

    @property
    def inputs(self) -> Path:
        """Content digests of everything the run depended on (covsplit.inputs): whether its data is still valid."""
        return self.output_dir / f"{self.name}_inputs.json"

    @property
    def observed(self) -> Path:
        """What pytest executed and imported, as covsplit.pytest_inputs saw it; read and removed by the driver."""
        return self.output_dir / f".{self.name}_observed.json"

    @property
    def collection(self) -> Path:
        """What its pytest collected and kept (covsplit.collection): checked against the suite's record."""
        return self.output_dir / f"{self.name}_collection.json"

    @property
    def shuffle(self) -> Path:
        """The seed the run's shuffling plugins used, as covsplit.pytest_seed saw it; read and removed by the driver."""
        return self.output_dir / f".{self.name}_shuffle.json"

    @property
    def html_dir(self) -> Path:
        return self.html_root / self.name

    @property
    def lock(self) -> Path:
        """Held while the worker runs (covsplit.lock): one run of a worker at a time."""
        return self.output_dir / f".{self.name}.lock"

    def artifacts(self) -> dict[str, str]:
        """Artifact names as paths relative to the output folder (for links in markdown)."""
        rel = os.path.relpath
        return {
            "html": rel(self.html_dir / "index.html", self.output_dir),
            "coverage_json": self.coverage_json.name,
            "test_output": self.test_output.name,
            "summary": self.summary.name,
            "failure_analysis": self.failure_analysis.name,
            "junit": self.junit.name,
            "durations": self.durations.name,
            "progress": self.progress.name,
            "status": self.status.name,
        }


@dataclass(frozen=True)
class Layout:
    """The outputs of one config: its workers' files and the combined ones."""

    output_dir: Path
    html_dir: Path

    @classmethod
    def beside(cls, suite_dir: Path) -> Layout:
        return cls(output_dir=suite_dir / OUTPUT_DIR_NAME, html_dir=suite_dir / HTML_DIR_NAME)

    def worker(self, name: str) -> WorkerPaths:
        return WorkerPaths(output_dir=self.output_dir, html_root=self.html_dir, name=name)

    @property
    def combined_data(self) -> Path:
        return self.output_dir / ".coverage.combined"

    @property
    def combined_json(self) -> Path:
        return self.output_dir / "combined_coverage.json"

    @property
    def coverage_xml(self) -> Path:
        return self.output_dir / "coverage.xml"

    @property
    def combined_html(self) -> Path:
        return self.html_dir / "combined"

    @property
    def aggregate_json(self) -> Path:
        return self.output_dir / "aggregate.json"

    @property
    def aggregate_summary(self) -> Path:
        return self.output_dir / "aggregate_summary.md"

    @property
    def report_md(self) -> Path:
        return self.output_dir / "report.md"

    @property
    def report_html(self) -> Path:
        return self.output_dir / "report.html"

    @property
    def diagnosis_json(self) -> Path:
        """Which failed tests fail serially too, and which the split causes (covsplit.diagnose)."""
        return self.output_dir / "diagnosis.json"

    @property
    def bench_json(self) -> Path:
        return self.output_dir / "bench.json"

    @property
    def bench_md(self) -> Path:
        return self.output_dir / "bench.md"

    @property
    def suite(self) -> Path:
        """The suite's last serial collection (covsplit.suite), every run is checked against."""
        return self.output_dir / "suite.json"

    @property
    def suite_lock(self) -> Path:
        return self.output_dir / ".suite.lock"

    @property
    def collect_output(self) -> Path:
        """What ``covsplit collect`` collected, before it becomes the suite's record."""
        return self.output_dir / "collect_collection.json"

    @property
    def digest_cache(self) -> Path:
        """File digests by size and modification time (covsplit.digests), shared by every reader."""
        return self.output_dir / ".digests.json"

    @property
    def aggregate_cost(self) -> Path:
        """The wall and CPU seconds of the last aggregate and report (read by ``make bench``)."""
        return self.output_dir / "aggregate_cost.json"

    @property
    def report_cache(self) -> Path:
        """What coverage.py computed per source file, for the next aggregate (covsplit.report_cache)."""
        return self.output_dir / ".report_cache.json"

    @property
    def report_keys(self) -> Path:
        """The key each coverage report was last written from (covsplit.report_cache)."""
        return self.output_dir / ".report_keys.json"

    @property
    def combined_lock(self) -> Path:
        """Held by the aggregate and the report while they write the combined outputs."""
        return self.output_dir / ".combined.lock"

    def durations_files(self) -> list[Path]:
        """Every worker's measured durations, including workers no longer in the config."""
        return sorted(self.output_dir.glob(f"*{DURATIONS_SUFFIX}"))
