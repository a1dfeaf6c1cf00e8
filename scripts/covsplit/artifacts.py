"""Every file one worker writes, in one table, so adding one is one row here.

Each row says where the file lives (covsplit.layout turns it into a path),
how the report and the summary link it, whether a run clears it before
pytest starts, and what the README's artifacts table says of it; a unit
test holds the README to this table.  Standard library only: the worker
driver runs without coverage.py installed.
"""

from __future__ import annotations

from dataclasses import dataclass

# Where a file lives: the worker's output folder, or its own folder of the HTML reports.
OUTPUT = "output"
HTML = "html"

# What a run clears before pytest starts, so nothing from an earlier run leaks into this one.
KEPT = "kept"  # not cleared: rewritten atomically at the end, or not the run's to clear
FILE = "file"  # the file itself
PARTIAL = "partial"  # the hidden file pytest writes at the end, before the driver renames it
PIECES = "pieces"  # the file and its suffixed pieces: pytest-cov combines every `<data file>.*` it finds

# What the README's file column calls a worker and the HTML folder.
README_WORKER = "workerN"
README_HTML_DIR = "htmlcov"


@dataclass(frozen=True)
class Artifact:
    """One file a worker's run writes or holds."""

    name: str  # its key in the status record's "artifacts" and its WorkerPaths property
    pattern: str  # its path in its folder, `{name}` standing for the worker's name
    where: str = OUTPUT
    # The report's link label, beside the file's name; "": not linked from the report or the summary.
    label: str = ""
    # The summary's link text, where the text is all a reader sees, so it says the format; "": the summary's own file.
    link_text: str = ""
    cleared: str = KEPT
    readme: str = ""  # the README row's description; "": a working file of the driver, not for readers

    def relative(self, worker: str) -> str:
        """Its path inside its folder, for ``worker``."""
        return self.pattern.format(name=worker)

    def readme_row(self) -> str:
        """Its row of the README's artifacts table."""
        file = self.relative(README_WORKER)
        shown = f"{README_HTML_DIR}/{file}" if self.where == HTML else file
        return f"| `{shown}` | {self.readme} |"


ARTIFACTS: tuple[Artifact, ...] = (
    Artifact(
        "html",
        "{name}/index.html",
        where=HTML,
        label="HTML coverage report",
        link_text="HTML coverage report",
        readme="coverage.py's HTML report of the modules the worker owns",
    ),
    Artifact(
        "coverage_json",
        "{name}_coverage.json",
        label="JSON coverage report",
        link_text="Coverage data (JSON)",
        readme="coverage.py's JSON report of the owned modules (every one, also never-imported ones at 0%)",
    ),
    Artifact(
        "test_output",
        "{name}_test_output.txt",
        label="Test output",
        link_text="Test output (console)",
        readme="the full pytest console output",
    ),
    Artifact(
        "summary",
        "{name}_summary.md",
        label="Summary report",
        readme="command, duration, statements, line % and branch %, test outcomes, per-file and per-test-file "
        "tables, files to improve first",
    ),
    Artifact(
        "failure_analysis",
        "{name}_failure_analysis.md",
        label="Failure analysis",
        link_text="Failure analysis",
        readme="failures grouped by exception type, identical messages clustered, per test file",
    ),
    Artifact(
        "junit",
        "{name}_junit.xml",
        label="JUnit XML",
        link_text="Test results (JUnit XML)",
        cleared=PARTIAL,
        readme="pytest's JUnit results",
    ),
    Artifact(
        "durations",
        "{name}_durations.json",
        label="Measured durations",
        link_text="Measured seconds per test file (JSON)",
        cleared=PARTIAL,
        readme="measured seconds per test file (collecting it, imports included, plus its tests) and the "
        "worker's fixed cost; they add up to pytest's wall time",
    ),
    Artifact(
        "progress",
        "{name}_progress.jsonl",
        label="Test progress",
        link_text="Each test's start and end, as pytest went (JSON lines)",
        cleared=FILE,
        readme="each test's start, result and end, written as pytest goes: what a worker's "
        "status relies on when pytest dies before its JUnit file",
    ),
    Artifact(
        "status",
        "{name}_status.json",
        label="Status file",
        link_text="Status (JSON)",
        readme="machine-readable status (state, outcome counts, coverage figures, duration, exit status, command)",
    ),
    Artifact(
        "data_file",
        ".coverage.{name}",
        cleared=PIECES,
        readme="the coverage data (one data file per worker)",
    ),
    Artifact(
        "inputs",
        "{name}_inputs.json",
        cleared=FILE,
        readme='content digests of everything the run depended on (see "Re-running what changed"): whether '
        "its data still fits the tree",
    ),
    Artifact(
        "collection",
        "{name}_collection.json",
        cleared=FILE,
        readme='the tests its pytest collected and the ones it kept to run, by node id (see "Every test exactly once")',
    ),
    # What pytest executed and imported, as covsplit.pytest_inputs saw it; read and removed by the driver.
    Artifact("observed", ".{name}_observed.json", cleared=FILE),
    # The seed the run's shuffling plugins used, as covsplit.pytest_seed saw it; read and removed by the driver.
    Artifact("shuffle", ".{name}_shuffle.json", cleared=FILE),
    # Held while the worker runs (covsplit.lock): one run of a worker at a time.
    Artifact("lock", ".{name}.lock"),
    # When only some test files run again (covsplit.rerun): the last run's data and results, set aside where
    # the new run does not touch them (not `<data file>.*`, which pytest-cov would combine), and the files to run.
    Artifact("kept_data", ".{name}_kept.coverage"),
    Artifact("kept_junit", ".{name}_kept_junit.xml"),
    Artifact("rerun_list", ".{name}_rerun.json"),
    # This partial run's own data, moved aside while coverage.py combines it with the kept data.
    Artifact("fresh_data", ".{name}_fresh.coverage"),
    # The data renumbered after an edit none of its tests ran (covsplit.rerun.follow_edits), until it replaces it.
    Artifact("moved_data", ".{name}_moved.coverage"),
)

BY_NAME = {artifact.name: artifact for artifact in ARTIFACTS}
LINKED = tuple(artifact for artifact in ARTIFACTS if artifact.label)


def readme_rows() -> list[str]:
    """The rows of the README's artifacts table, in the table's order."""
    return [artifact.readme_row() for artifact in ARTIFACTS if artifact.readme]
