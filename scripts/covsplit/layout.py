"""Where every artifact lives, in one place, so no module spells a path twice.

A run's outputs sit beside its ``workers.toml``: ``coverage_output/`` for
data, results and documents, ``htmlcov/`` for the HTML reports.  Standard
library only: the worker driver runs without coverage.py installed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from covsplit.artifacts import ARTIFACTS, BY_NAME, FILE, HTML, LINKED, PARTIAL, PIECES

OUTPUT_DIR_NAME = "coverage_output"
HTML_DIR_NAME = "htmlcov"
DURATIONS_SUFFIX = BY_NAME["durations"].pattern.removeprefix("{name}")


def partial_path(path: Path) -> Path:
    """The hidden name pytest writes a JUnit or durations file under, renamed once read.

    pytest writes them at the very end, not atomically: a reader never sees half a file.
    """
    return path.with_name(f".{path.name}.partial")


@dataclass(frozen=True)
class WorkerPaths:
    """Every file one worker writes, each where its row of covsplit.artifacts puts it."""

    output_dir: Path
    html_root: Path
    name: str

    def path_of(self, name: str) -> Path:
        """The path of artifact ``name`` for this worker."""
        artifact = BY_NAME[name]
        folder = self.html_root if artifact.where == HTML else self.output_dir
        return folder / artifact.relative(self.name)

    # One property per row of the table (a unit test holds them to it), so callers read `paths.junit`.
    @property
    def data_file(self) -> Path:
        return self.path_of("data_file")

    @property
    def coverage_json(self) -> Path:
        return self.path_of("coverage_json")

    @property
    def test_output(self) -> Path:
        return self.path_of("test_output")

    @property
    def summary(self) -> Path:
        return self.path_of("summary")

    @property
    def failure_analysis(self) -> Path:
        return self.path_of("failure_analysis")

    @property
    def status(self) -> Path:
        return self.path_of("status")

    @property
    def junit(self) -> Path:
        return self.path_of("junit")

    @property
    def durations(self) -> Path:
        return self.path_of("durations")

    @property
    def progress(self) -> Path:
        return self.path_of("progress")

    @property
    def inputs(self) -> Path:
        return self.path_of("inputs")

    @property
    def observed(self) -> Path:
        return self.path_of("observed")

    @property
    def collection(self) -> Path:
        return self.path_of("collection")

    @property
    def shuffle(self) -> Path:
        return self.path_of("shuffle")

    @property
    def html(self) -> Path:
        return self.path_of("html")

    @property
    def lock(self) -> Path:
        return self.path_of("lock")

    @property
    def kept_data(self) -> Path:
        return self.path_of("kept_data")

    @property
    def kept_junit(self) -> Path:
        return self.path_of("kept_junit")

    @property
    def rerun_list(self) -> Path:
        return self.path_of("rerun_list")

    @property
    def fresh_data(self) -> Path:
        return self.path_of("fresh_data")

    @property
    def moved_data(self) -> Path:
        return self.path_of("moved_data")

    @property
    def html_dir(self) -> Path:
        """The folder of its HTML report (coverage.py writes the whole folder)."""
        return self.html.parent

    def artifacts(self) -> dict[str, str]:
        """The linked artifacts' names and paths relative to the output folder (for links in markdown)."""
        return {artifact.name: os.path.relpath(self.path_of(artifact.name), self.output_dir) for artifact in LINKED}

    def cleared_before_run(self) -> list[Path]:
        """What a run removes before pytest starts: a fresh measurement, nothing of an earlier run leaks in."""
        found: list[Path] = []
        for artifact in ARTIFACTS:
            path = self.path_of(artifact.name)
            if artifact.cleared == FILE:
                found.append(path)
            elif artifact.cleared == PARTIAL:
                found.append(partial_path(path))
            elif artifact.cleared == PIECES:
                # A killed run's suffixed pieces too: pytest-cov would combine them into this one.
                found += [path, *sorted(path.parent.glob(f"{path.name}.*"))]
        return found


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
    def measured_sources(self) -> Path:
        """The sources the workers measured, by content (covsplit.source_shape): where an edit moved their lines."""
        return self.output_dir / ".measured_sources"

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
