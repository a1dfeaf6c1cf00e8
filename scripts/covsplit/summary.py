"""Write ``workerN_summary.md``: what one worker ran, what it covered, and what to fix first.

The summary is the page a person opens after a run, so it must be right when
the run went wrong too: a worker that crashed or timed out still gets a
summary, which says which data is missing and why instead of showing zeros
that look like a measurement.

Percentages are shown as coverage.py shows them (covsplit.numbers): rounded to
two decimals, but never "100.00%" unless a file is fully covered.

Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from covsplit import numbers, status
from covsplit.artifacts import LINKED
from covsplit.commands import Invocation, invocation, readable
from covsplit.config import Config, Worker
from covsplit.junit import TestResult, count_outcomes, per_file
from covsplit.markdown_escape import md_cell, md_code

TOP_FILES = 10
# What a figure with nothing to measure reads as.
NONE = "—"

# Which coverage a worker's summary shows.  The spec's per-worker figure is its modules under the
# whole suite; a worker run alone can only show what its own tests execute, and says so.
PENDING = "pending"  # the worker ran as part of a full run: the aggregate writes its coverage
OWN_TESTS = "own tests"
WHOLE_SUITE = "whole suite"
_SCOPE_WORDS = {
    OWN_TESTS: "what this worker's own tests execute in its modules (the worker ran alone; "
    "`{aggregate}` gives its modules' coverage under the whole suite)",
    WHOLE_SUITE: "its modules' coverage under the whole suite: the combined data of every worker, "
    "restricted to the modules it owns (what `pytest --cov=<its modules> tests/` measured)",
}

_STATE_WORDS = {
    status.PASSED: "passed: every test passed",
    status.FAILED: "failed: some tests failed or errored",
    status.CRASHED: "crashed: pytest did not run to the end",
    status.TIMEOUT: "timed out: the worker was stopped after its time limit",
}


@dataclass(frozen=True)
class SummaryInput:
    """Everything the summary shows, gathered by the worker driver after pytest ends."""

    worker: Worker
    state: str
    command_line: str
    started_at: str
    finished_at: str
    duration_s: float
    exit_status: int | None
    coverage: dict[str, Any] | None
    coverage_scope: str
    results: Sequence[TestResult]
    artifacts: dict[str, str]
    line_threshold: float
    branch_threshold: float
    message: str = ""
    invoke: Invocation = field(default_factory=Invocation)  # how commands are typed for this config
    config: str = ""  # the workers.toml this run came from


def summary_input(
    cfg: Config,
    worker: Worker,
    record: Mapping[str, Any],
    results: Sequence[TestResult],
    coverage: dict[str, Any] | None,
    scope: str,
) -> SummaryInput:
    """The summary's input from a worker's status record, its results and a coverage report of its modules."""
    paths = cfg.layout.worker(worker.name)
    return SummaryInput(
        worker=worker,
        state=record.get("state", status.CRASHED),
        command_line=readable(cfg, record.get("command_line", "")),
        started_at=record.get("started_at", ""),
        finished_at=record.get("finished_at", ""),
        duration_s=float(record.get("duration_s") or 0.0),
        exit_status=record.get("exit_status"),
        coverage=coverage,
        coverage_scope=scope,
        results=results,
        artifacts=paths.artifacts(),
        line_threshold=cfg.line_threshold,
        branch_threshold=cfg.branch_threshold,
        message=record.get("message", ""),
        invoke=invocation(cfg),
        config=str(cfg.path),
    )


def coverage_figures(coverage: dict[str, Any] | None) -> numbers.Counts:
    """The totals of a coverage.py JSON report.

    Line % is covered_lines / num_statements and branch % covered_branches /
    num_branches, kept apart (coverage.py's own ``percent_covered`` mixes the
    two).  Anything the report does not hold is None.
    """
    totals = (coverage or {}).get("totals")
    files = (coverage or {}).get("files")
    return numbers.Counts.of_summary(
        totals if isinstance(totals, dict) else {}, files=len(files) if isinstance(files, dict) else None
    )


@dataclass(frozen=True)
class _FileRow:
    file: str
    counts: numbers.Counts

    @property
    def statements(self) -> int:
        return self.counts.statements or 0

    @property
    def covered(self) -> int:
        return self.counts.covered_lines or 0

    @property
    def missed(self) -> int:
        return self.statements - self.covered


def _file_rows(coverage: dict[str, Any]) -> list[_FileRow]:
    files = coverage.get("files")
    return [
        _FileRow(file, numbers.Counts.of_summary(data.get("summary", {}) if isinstance(data, dict) else {}))
        for file, data in sorted((files if isinstance(files, dict) else {}).items())
    ]


def _coverage_table(rows: Sequence[_FileRow]) -> list[str]:
    lines = ["| File | Statements | Missed | Line % | Branch % |", "| --- | ---: | ---: | ---: | ---: |"]
    for row in rows:
        lines.append(
            f"| {md_cell(md_code(row.file))} | {row.statements} | {row.missed} "
            f"| {numbers.percent_text(row.counts.line_percent, NONE)} "
            f"| {numbers.percent_text(row.counts.branch_percent, NONE)} |"
        )
    return lines


def _threshold_text(value: float) -> str:
    return f"{value:g}%"


def _coverage_sections(info: SummaryInput) -> list[str]:
    coverage = info.coverage or {}
    rows = _file_rows(coverage)
    measured = {row.file for row in rows}
    empty = [row.file for row in rows if row.statements == 0]
    counted = [row for row in rows if row.statements > 0]
    well = [row for row in counted if numbers.Gate("", info.line_threshold, row.counts.line_percent).passed]
    uncovered = [row for row in counted if row.covered == 0]
    partly = [row for row in counted if row not in well and row not in uncovered]
    # Owned files coverage.py never saw (never imported and outside a --cov package folder).
    unmeasured = [file for file in info.worker.files if file not in measured and file.endswith(".py")]

    lines = ["## Coverage by file", ""]
    sections = (
        (f"Well covered (line ≥ {_threshold_text(info.line_threshold)})", well),
        (f"Partly covered (line < {_threshold_text(info.line_threshold)})", partly),
        ("Uncovered (0 covered lines)", uncovered),
    )
    for heading, section in sections:
        lines += [f"### {heading}: {len(section)} file{'s' if len(section) != 1 else ''}", ""]
        lines += _coverage_table(section) if section else ["None."]
        lines.append("")
    if unmeasured:
        lines.append(
            f"Not in the coverage data ({len(unmeasured)}): owned by this worker but never imported, so coverage.py "
            "has no statement count for them; treat them as uncovered: "
            + ", ".join(md_code(file) for file in unmeasured)
        )
        lines.append("")
    if empty:
        lines.append("No statements (not counted): " + ", ".join(md_code(file) for file in empty))
        lines.append("")

    improve = sorted((row for row in counted if row.missed > 0), key=lambda row: (-row.missed, row.file))[:TOP_FILES]
    lines += ["## Files to improve first", ""]
    if improve:
        lines += [
            f"The {len(improve)} file{'s' if len(improve) != 1 else ''} with the most missed statements.",
            "",
            "| # | File | Missed | Statements | Line % |",
            "| ---: | --- | ---: | ---: | ---: |",
        ]
        for index, row in enumerate(improve, start=1):
            lines.append(
                f"| {index} | {md_cell(md_code(row.file))} | {row.missed} | {row.statements} "
                f"| {numbers.percent_text(row.counts.line_percent, NONE)} |"
            )
    else:
        lines.append("None: no measured file has a missed statement.")
    lines.append("")
    return lines


def _missing_notes(info: SummaryInput) -> list[str]:
    """Say which data is missing and why, before any table that would otherwise look empty."""
    reason = info.message.strip() or {
        status.CRASHED: "pytest did not run to the end",
        status.TIMEOUT: f"the worker was stopped after its time limit ({info.worker.timeout:g} s)",
    }.get(info.state, "")
    suffix = f": {reason}" if reason else "."
    notes = []
    if info.coverage is None and info.coverage_scope != PENDING:
        notes.append(f"- **No coverage data**: the coverage JSON report is not available{suffix}")
    if not info.results:
        notes.append(f"- **No test results**: pytest's JUnit XML holds no test outcomes{suffix}")
    if notes:
        return ["## What is missing", "", *notes, ""]
    if info.message.strip():
        return ["## Note", "", md_cell(info.message.strip()), ""]
    return []


def render_summary(info: SummaryInput) -> str:
    """The worker's summary document, complete even when pytest crashed or timed out."""
    lines = _header(info)
    lines += _missing_notes(info)
    lines += _totals(info)
    if info.coverage is not None:
        lines += _coverage_sections(info)
    lines += _tests_by_file(info)
    lines += _artifact_links(info)
    return "\n".join(lines) + "\n"


def _header(info: SummaryInput) -> list[str]:
    """Who the worker is, how its run ended, and the command that runs it again."""
    worker = info.worker
    # A fence longer than any run of backticks in the command, so the command cannot close it.
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", info.command_line)), default=0))
    return [
        f"# {worker.name} summary: {worker.title}",
        "",
        "| | |",
        "| --- | --- |",
        f"| Worker | {md_code(worker.name)} |",
        f"| Title | {md_cell(worker.title)} |",
        f"| Config | {md_code(info.config) if info.config else 'n/a'} |",
        f"| Owned modules | {md_cell(', '.join(md_code(module) for module in worker.modules))} |",
        f"| State | {md_cell(_STATE_WORDS.get(info.state, info.state))} |",
        f"| Exit status | {'none (killed or never started)' if info.exit_status is None else info.exit_status} |",
        f"| Date | {md_cell(info.started_at or '?')} (finished {md_cell(info.finished_at or '?')}) |",
        f"| Duration | {info.duration_s:.1f} s |",
        "",
        "## Command",
        "",
        f"Run it again: {md_code(info.invoke.make(worker.name))} (or {md_code(info.invoke.nox('-s', worker.name))}). "
        "The exact pytest command it ran:",
        "",
        f"{fence}bash",
        info.command_line,
        fence,
        "",
    ]


def _totals(info: SummaryInput) -> list[str]:
    """The coverage totals, saying which data they come from, and the test outcomes."""
    lines = ["## Totals", ""]
    aggregate = info.invoke.nox("-s", "aggregate")
    figures = coverage_figures(info.coverage)
    if info.coverage is None and info.coverage_scope == PENDING:
        lines.append(
            f"Coverage: written here by `{aggregate}` once every worker has run, from the combined data "
            "(this worker's modules under the whole suite)."
        )
    elif info.coverage is None:
        lines.append("Coverage: not available (see above).")
    else:
        lines += [
            "Coverage shown: "
            + _SCOPE_WORDS.get(info.coverage_scope, info.coverage_scope).format(aggregate=aggregate)
            + ".",
            "",
            "| Statements | Covered lines | Line % | Branches | Covered branches | Branch % |",
            "| ---: | ---: | ---: | ---: | ---: | ---: |",
            f"| {_count(figures.statements)} | {_count(figures.covered_lines)} "
            f"| {_percent_cell(figures.line_percent, info.line_threshold)} "
            f"| {_count(figures.branches)} | {_count(figures.covered_branches)} "
            f"| {_percent_cell(figures.branch_percent, info.branch_threshold)} |",
        ]
    lines.append("")
    return lines + _outcome_totals(info)


def _outcome_totals(info: SummaryInput) -> list[str]:
    if not info.results:
        return ["Tests: no results (see above).", ""]
    counts = count_outcomes(info.results)
    lines = [
        "| Tests | Passed | Failed | Errors | Skipped |",
        "| ---: | ---: | ---: | ---: | ---: |",
        "| " + " | ".join(str(counts[key]) for key in ("tests", "passed", "failed", "errors", "skipped")) + " |",
    ]
    if counts["passed"] + counts["failed"] + counts["errors"] + counts["skipped"] > counts["tests"]:
        lines += [
            "",
            "Some tests errored in teardown after passing or failing: like pytest's summary line, they count "
            "once as a test and in both columns.",
        ]
    return [*lines, ""]


def _tests_by_file(info: SummaryInput) -> list[str]:
    lines = ["## Tests by file", ""]
    table = per_file(info.results)
    if not table:
        return [*lines, "No test results.", ""]
    lines += [
        "| Test file | Tests | Passed | Failed | Errors | Skipped | Seconds |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for file, row in table.items():
        lines.append(
            f"| {md_cell(md_code(file or '(none)'))} | {row['tests']} | {row['passed']} | {row['failed']} "
            f"| {row['errors']} | {row['skipped']} | {row['seconds']:.2f} |"
        )
    return [*lines, ""]


def _artifact_links(info: SummaryInput) -> list[str]:
    """Links to the worker's other files, with the words a reader looks for (covsplit.artifacts)."""
    lines = ["## Artifacts", ""]
    # A record of another version may hold more: those are linked by their key.
    texts = {artifact.name: artifact.link_text for artifact in LINKED if artifact.link_text}
    keys = [key for key in texts if key in info.artifacts]
    keys += sorted(key for key in info.artifacts if key not in texts and key != "summary")
    for key in keys:
        lines.append(f"- [{texts.get(key, key)}]({info.artifacts[key]})")
    return lines


def _count(value: int | None) -> str:
    return NONE if value is None else str(value)


def _percent_cell(value: numbers.Percent | None, threshold: float) -> str:
    if value is None:
        return NONE
    verdict = "meets" if numbers.Gate("", threshold, value).passed else "below"
    return f"{numbers.percent_text(value, NONE)} ({verdict} {_threshold_text(threshold)})"
