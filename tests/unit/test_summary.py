"""covsplit.summary: coverage figures from a real coverage.py JSON report, and the summary document."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from fixture_runner import run_cases

from covsplit import status
from covsplit.config import Worker
from covsplit.junit import TestResult, count_outcomes, per_file, read_junit
from covsplit.layout import Layout
from covsplit.numbers import Counts, percent, percent_text
from covsplit.summary import WHOLE_SUITE, SummaryInput, coverage_figures, render_summary

# Measures the fixture package with coverage.py's API, in a fresh interpreter so the
# measurement cannot disturb (or be disturbed by) coverage of the suite itself.
_MEASURE = """
import sys
import coverage

cov = coverage.Coverage(data_file=None, branch=sys.argv[2] == "branch", source=["calc"])
cov.start()
from calc import ops
ops.add(1, 2)
ops.describe("a")
ops.parse_level("3")
cov.stop()
cov.json_report(outfile=sys.argv[1])
"""

COMMAND = "python -m pytest tests/sub tests/case_fixtures.py --cov=calc --cov-branch --junitxml='out dir/w.xml'"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_cases.copy_project(tmp_path_factory.mktemp("summary") / "project")


def measure(project: Path, branch: bool) -> dict[str, Any]:
    out = project / ("branch.json" if branch else "lines.json")
    subprocess.run(
        [sys.executable, "-c", _MEASURE, str(out), "branch" if branch else "lines"],
        cwd=project,
        env=run_cases.clean_env(project),
        check=True,
        timeout=60,
    )
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def coverage(project: Path) -> dict[str, Any]:
    return measure(project, branch=True)


@pytest.fixture(scope="module")
def results(project: Path) -> list[TestResult]:
    run = run_cases.run_pytest(project, "tests/sub", "tests/case_fixtures.py", name="summary")
    return read_junit(run.junit, project)


def worker() -> Worker:
    # calc/ghost.py stands for an owned module coverage.py never saw (never imported).
    files = ("calc/__init__.py", "calc/errors.py", "calc/ghost.py", "calc/ops.py", "calc/unused.py")
    return Worker(name="worker9", title="Calc | toy", modules=("calc",), tests=("tests",), timeout=90.0, files=files)


def summary_input(coverage: dict | None, results: list[TestResult], **changes: Any) -> SummaryInput:
    paths = Layout.beside(Path("/suite")).worker("worker9")
    values: dict[str, Any] = {
        "worker": worker(),
        "state": status.FAILED,
        "command_line": COMMAND,
        "started_at": "2026-11-24T10:00:00+00:00",
        "finished_at": "2026-11-24T10:00:12+00:00",
        "duration_s": 12.34,
        "exit_status": 1,
        "coverage": coverage,
        "coverage_scope": WHOLE_SUITE,
        "results": results,
        "artifacts": paths.artifacts(),
        "line_threshold": 80.0,
        "branch_threshold": 90.0,
    }
    values.update(changes)
    return SummaryInput(**values)


def file_counts(data: dict[str, Any]) -> tuple[int, int, int, int]:
    """(statements, covered, branches, covered branches) from a file's line and arc lists, not its summary."""
    covered = len(data["executed_lines"])
    statements = covered + len(data["missing_lines"])
    covered_branches = len(data.get("executed_branches", []))
    branches = covered_branches + len(data.get("missing_branches", []))
    return statements, covered, branches, covered_branches


def shown(covered: int, total: int) -> str:
    """A percentage as the summary shows it: coverage.py's rule with its sign, a dash when there is none."""
    return percent_text(percent(covered, total), "—")


def test_percent_is_shown_as_coverage_py_shows_it() -> None:
    assert shown(19999, 20000) == "99.99%"  # never 100 unless complete
    assert shown(20000, 20000) == "100.00%"
    assert shown(2, 3) == "66.67%"
    assert shown(0, 7) == "0.00%"
    assert shown(3, 0) == "—"


def test_coverage_figures_from_real_json(coverage: dict[str, Any]) -> None:
    totals = [file_counts(data) for data in coverage["files"].values()]
    statements, covered, branches, covered_branches = (sum(column) for column in zip(*totals, strict=True))
    assert statements > covered > 0 and branches > covered_branches > 0  # a partial measurement, as intended
    figures = coverage_figures(coverage)
    assert figures == Counts(statements, covered, branches, covered_branches, files=len(coverage["files"]))
    assert figures.line_percent == Fraction(covered * 100, statements)
    assert figures.branch_percent == Fraction(covered_branches * 100, branches)
    # Line and branch kept apart: coverage.py's own percent_covered mixes them.
    assert figures.line_percent != pytest.approx(coverage["totals"]["percent_covered"])


def test_coverage_figures_without_branch_data(project: Path) -> None:
    lines_only = measure(project, branch=False)
    figures = coverage_figures(lines_only)
    assert figures.statements == lines_only["totals"]["num_statements"]
    assert figures.line_percent is not None
    assert (figures.branches, figures.covered_branches, figures.branch_percent) == (None, None, None)


def test_coverage_figures_missing_or_empty() -> None:
    assert coverage_figures(None) == Counts()
    assert coverage_figures({"totals": {"num_statements": 0, "covered_lines": 0}}).line_percent is None


def section(doc: str, heading: str) -> str:
    """The text under a markdown heading, up to the next heading of any level."""
    match = re.search(rf"^#+ {re.escape(heading)}.*?\n(.*?)(?=^#)", doc + "\n#", re.MULTILINE | re.DOTALL)
    assert match, heading
    return match.group(1)


def row(file: str, data: dict[str, Any]) -> str:
    statements, covered, branches, covered_branches = file_counts(data)
    branch = shown(covered_branches, branches)
    return f"| `{file}` | {statements} | {statements - covered} | {shown(covered, statements)} | {branch} |"


def test_summary_document(coverage: dict[str, Any], results: list[TestResult]) -> None:
    doc = render_summary(summary_input(coverage, results))
    files = coverage["files"]
    assert doc.startswith("# worker9 summary: Calc | toy\n")
    assert "| Title | Calc \\| toy |" in doc
    assert "| Owned modules | `calc` |" in doc
    assert "| State | failed: some tests failed or errored |" in doc
    assert "| Duration | 12.3 s |" in doc
    assert f"```bash\n{COMMAND}\n```" in doc
    figures = coverage_figures(coverage)
    assert (
        f"| {figures.statements} | {figures.covered_lines} "
        f"| {shown(figures.covered_lines or 0, figures.statements or 0)} (below 80%) "
    ) in doc
    counts = count_outcomes(results)
    assert counts == {"tests": 8, "passed": 4, "failed": 3, "errors": 3, "skipped": 0}
    assert "| 8 | 4 | 3 | 3 | 0 |" in doc

    well = section(doc, "Well covered")
    partly = section(doc, "Partly covered")
    uncovered = section(doc, "Uncovered")
    assert row("calc/errors.py", files["calc/errors.py"]) in well
    assert "calc/ops.py" not in well
    assert row("calc/ops.py", files["calc/ops.py"]) in partly
    assert row("calc/unused.py", files["calc/unused.py"]) in uncovered
    assert "calc/unused.py" not in partly
    assert "Not in the coverage data (1)" in doc and "`calc/ghost.py`" in doc
    assert "No statements (not counted): `calc/__init__.py`" in doc

    improve = section(doc, "Files to improve first")
    ranked = re.findall(r"^\| (\d+) \| `([^`]+)` \| (\d+) \|", improve, re.MULTILINE)
    missed = {file: len(data["missing_lines"]) for file, data in files.items() if data["missing_lines"]}
    assert [(file, int(n)) for _i, file, n in ranked] == sorted(missed.items(), key=lambda item: (-item[1], item[0]))

    by_file = section(doc, "Tests by file")
    for file, values in per_file(results).items():
        cells = " | ".join(str(values[k]) for k in ("tests", "passed", "failed", "errors", "skipped"))
        assert f"| `{file}` | {cells} | {values['seconds']:.2f} |" in by_file

    links = dict(re.findall(r"^- \[([^\]]+)\]\(([^)]+)\)$", section(doc, "Artifacts"), re.MULTILINE))
    assert links == {
        "HTML coverage report": "../htmlcov/worker9/index.html",
        "Failure analysis": "worker9_failure_analysis.md",
        "Test output (console)": "worker9_test_output.txt",
        "Coverage data (JSON)": "worker9_coverage.json",
        "Test results (JUnit XML)": "worker9_junit.xml",
        "Measured seconds per test file (JSON)": "worker9_durations.json",
        "Each test's start and end, as pytest went (JSON lines)": "worker9_progress.jsonl",
        "Status (JSON)": "worker9_status.json",
    }
    assert "What is missing" not in doc
    assert "under the whole suite" in section(doc, "Totals")


def test_threshold_moves_files_between_sections(coverage: dict[str, Any], results: list[TestResult]) -> None:
    statements, covered, _b, _c = file_counts(coverage["files"]["calc/ops.py"])
    exact = covered * 100 / statements
    at = render_summary(summary_input(coverage, results, line_threshold=exact))
    above = render_summary(summary_input(coverage, results, line_threshold=exact + 0.01))
    assert "calc/ops.py" in section(at, "Well covered")
    assert "calc/ops.py" in section(above, "Partly covered")


def test_crashed_worker_summary() -> None:
    info = summary_input(
        None,
        [],
        state=status.CRASHED,
        exit_status=None,
        message="pytest was killed by signal 9 (SIGKILL)",
    )
    doc = render_summary(info)
    missing = section(doc, "What is missing")
    assert "**No coverage data**" in missing and "**No test results**" in missing
    assert missing.count("pytest was killed by signal 9 (SIGKILL)") == 2
    assert "| State | crashed: pytest did not run to the end |" in doc
    assert "| Exit status | none (killed or never started) |" in doc
    assert "## Coverage by file" not in doc
    assert "Coverage: not available" in doc and "Tests: no results" in doc
    assert f"```bash\n{COMMAND}\n```" in doc
    assert "[Failure analysis](worker9_failure_analysis.md)" in doc


def test_timed_out_worker_gives_the_limit_as_reason(results: list[TestResult]) -> None:
    doc = render_summary(summary_input(None, results, state=status.TIMEOUT, exit_status=None))
    missing = section(doc, "What is missing")
    assert "**No coverage data**: the coverage JSON report is not available: " in missing
    assert "time limit (90 s)" in missing
    assert "**No test results**" not in missing
    assert "| 8 | 4 | 3 | 3 | 0 |" in doc
