"""The status document of a split, regenerated from data: ``report.md`` and ``report.html``.

The hand-written split document went wrong in every table it had: loads
called balanced that were not, three different file counts, a total from a
stale run.  This module therefore types no number at all.  Everything comes
from ``workers.toml``, the workers' status files and coverage JSON, and
``aggregate.json``; whatever is missing is said to be missing.

Layout: :func:`write_report` reads every input (and tolerates any of them
being absent or unreadable), :func:`build_model` turns them into a
:class:`ReportModel` with every figure computed, and :func:`render_markdown`
and :func:`render_html` are pure text functions over that model.

Standard library only, except the static statement counts, which come from
``covsplit.statements`` (coverage.py) when it can be imported.
"""

from __future__ import annotations

import html
import math
import os
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from covsplit import commands, discover, fsio, junit, lock, status, titles
from covsplit.aggregate import AggregateResult, read_result
from covsplit.commands import Invocation
from covsplit.config import Config, Worker
from covsplit.numbers import Gate, Percent, format_floor, format_percent, format_shortfall, percent
from covsplit.summary import OWN_TESTS, WHOLE_SUITE, md_cell

# A worker's coverage that only its reports on disk still show, from before its latest run.
EARLIER = "earlier"

# Only these states leave test results and coverage data behind.
FINISHED = frozenset({status.PASSED, status.FAILED})

STATE_LABELS = {
    status.PASSED: "completed",
    status.FAILED: "tests failed",
    status.CRASHED: "crashed",
    status.TIMEOUT: "timed out",
    status.NOT_RUN: "not run",
    status.RUNNING: "running",
}
STATE_ICONS = {
    status.PASSED: "✅",
    status.FAILED: "❌",
    status.CRASHED: "💥",
    status.TIMEOUT: "⏱️",
    status.NOT_RUN: "⏳",
    status.RUNNING: "🔄",
}
ARTIFACT_LABELS = {
    "html": "HTML coverage report",
    "coverage_json": "JSON coverage report",
    "test_output": "Test output",
    "summary": "Summary report",
    "failure_analysis": "Failure analysis",
    "junit": "JUnit XML",
    "status": "Status file",
}
# Enough to act on; the full list is in the aggregate summary and HTML reports.
MAX_FILES_LISTED = 10
# Tests listed as the slowest of the run.
SLOWEST_LISTED = 10


# ---------------------------------------------------------------------------
# Numbers and their formatting


def format_ratio(value: Percent | None) -> str:
    """A max/mean ratio, floored so 1.2499 never reads as 1.25 against a tolerance of 1.25."""
    return format_floor(value)


def format_count(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def format_amount(value: Fraction | None) -> str:
    """A statement count that may be fractional (a mean): whole numbers stay whole, others floor to 2 decimals."""
    if value is None:
        return "n/a"
    if value.denominator == 1:
        return format_count(value.numerator)
    hundredths = math.floor(value * 100)
    return f"{hundredths // 100:,}.{hundredths % 100:02d}"


def format_threshold(value: float) -> str:
    return f"{value:g}"


def format_seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.2f} s"


def _int(data: Mapping[str, Any] | None, key: str) -> int | None:
    if not isinstance(data, Mapping):
        return None
    value = data.get(key)
    # bool is an int; a JSON true is not a count.
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _float(data: Mapping[str, Any] | None, key: str) -> float | None:
    if not isinstance(data, Mapping):
        return None
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_time(value: Any) -> str:
    parsed = _parse_time(value)
    if parsed is None:
        return "n/a"
    return parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


# ---------------------------------------------------------------------------
# The model


@dataclass(frozen=True)
class FileRow:
    """One source file's statements and coverage, and where those figures came from."""

    path: str
    owner: str | None
    statements: int | None
    covered_lines: int | None = None
    branches: int | None = None
    covered_branches: int | None = None
    # "combined" (aggregate.json), "worker" (the owner's own JSON) or "" (not measured).
    source: str = ""

    @property
    def line_percent(self) -> Fraction | None:
        return percent(self.covered_lines, self.statements)

    @property
    def branch_percent(self) -> Fraction | None:
        return percent(self.covered_branches, self.branches)

    @property
    def missed_lines(self) -> int | None:
        if self.statements is None or self.covered_lines is None:
            return None
        return self.statements - self.covered_lines

    @property
    def missed_branches(self) -> int:
        if self.branches is None or self.covered_branches is None:
            return 0
        return self.branches - self.covered_branches


@dataclass(frozen=True)
class Coverage:
    """Covered and total lines and branches, with percentages from the counts when known."""

    statements: int | None = None
    covered_lines: int | None = None
    branches: int | None = None
    covered_branches: int | None = None
    # Used only when the counts are absent (an input that recorded percentages alone).
    given_line_percent: float | None = None
    given_branch_percent: float | None = None

    @property
    def line_percent(self) -> Percent | None:
        exact = percent(self.covered_lines, self.statements)
        return exact if exact is not None or self.statements is not None else self.given_line_percent

    @property
    def branch_percent(self) -> Percent | None:
        exact = percent(self.covered_branches, self.branches)
        return exact if exact is not None or self.branches is not None else self.given_branch_percent

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Coverage | None:
        if not isinstance(data, Mapping):
            return None
        return cls(
            statements=_int(data, "statements"),
            covered_lines=_int(data, "covered_lines"),
            branches=_int(data, "branches"),
            covered_branches=_int(data, "covered_branches"),
            given_line_percent=_float(data, "line_percent"),
            given_branch_percent=_float(data, "branch_percent"),
        )


@dataclass(frozen=True)
class WorkerModel:
    """Everything the report says about one worker."""

    name: str
    title: str
    modules: tuple[str, ...]
    folders: tuple[str, ...]
    tests: tuple[str, ...]
    test_files: int
    files: tuple[FileRow, ...]
    statements: int
    uncounted: int
    share: Fraction | None  # statements / target per worker
    balance: str
    seconds: float | None
    state: str
    message: str
    date: str
    exit_status: int | None
    outcomes: dict[str, int] | None
    coverage: Coverage | None  # of the modules it owns
    coverage_scope: str  # summary.WHOLE_SUITE (combined data), summary.OWN_TESTS (ran alone) or "" (none)
    own_files: tuple[FileRow, ...]  # from its own coverage JSON; empty when there is none
    well_covered: tuple[FileRow, ...]
    uncovered: tuple[FileRow, ...]
    failure_categories: tuple[tuple[str, int], ...]
    artifacts: tuple[tuple[str, str], ...]  # (label, link relative to coverage_output/)
    html_href: str | None
    analysis_href: str | None  # the worker's failure analysis, when it exists
    command: str
    command_ran: bool

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)

    @property
    def problems(self) -> int:
        if not self.outcomes:
            return 0
        return self.outcomes.get("failed", 0) + self.outcomes.get("errors", 0)


@dataclass(frozen=True)
class MissingWorker:
    name: str
    state: str
    reason: str


@dataclass(frozen=True)
class CombinedModel:
    """The aggregate's totals, gated against the current thresholds."""

    generated_at: str
    complete: bool
    missing: tuple[MissingWorker, ...]
    files: int | None
    coverage: Coverage
    gates: tuple[Gate, ...]
    stale: tuple[str, ...]  # workers that finished after the aggregate was made
    html_href: str | None


@dataclass(frozen=True)
class NextStep:
    text: str
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportModel:
    """Every figure of the report, computed; the renderers only format."""

    generated_at: str
    config_name: str
    line_threshold: float
    branch_threshold: float
    balance_tolerance: float
    total_statements: int
    counts_source: str
    uncounted_files: tuple[str, ...]
    target: Fraction | None
    modules: int
    test_root: str
    test_files: int
    workers: tuple[WorkerModel, ...]
    unowned: tuple[FileRow, ...]
    max_mean: Fraction | None
    heaviest: str | None
    lightest: str | None
    seconds_mean: float | None
    seconds_max_mean: float | None
    seconds_missing: tuple[str, ...]
    combined: CombinedModel | None
    aggregate_problem: str  # why there is no combined data ("" when there is)
    next_steps: tuple[NextStep, ...]
    warnings: tuple[str, ...]
    combined_html_href: str
    # (node id, worker, seconds), slowest first: a hanging test is visible as itself, not as a file's seconds.
    slowest_tests: tuple[tuple[str, str, float], ...] = ()
    invoke: Invocation = field(default_factory=Invocation)  # how commands are typed for this config
    # Test files in project.tests that no worker runs, unless project.not_run leaves them out on purpose.
    unrun_test_files: tuple[str, ...] = ()
    not_run_test_files: int = 0


# ---------------------------------------------------------------------------
# Building the model


def _folders(worker: Worker, source_dir: str) -> tuple[str, ...]:
    """Folder-style names of the modules: ``training/`` for a package, the parent folder of a file."""
    found: list[str] = []
    prefix = "" if source_dir in ("", ".") else source_dir.rstrip("/") + "/"
    for module in worker.modules:
        path = prefix + module.replace(".", "/")
        if any(f.startswith(path + "/") for f in worker.files):
            folder = path + "/"
        else:
            parent = path.rpartition("/")[0]
            folder = parent + "/" if parent else "./"
        if folder not in found:
            found.append(folder)
    return tuple(found)


def _balance_label(share: Fraction | None, tolerance: float) -> str:
    if share is None:
        return "n/a"
    if share > Fraction(tolerance):
        return "High"
    if share < 1 / Fraction(tolerance):
        return "Low"
    return "Balanced"


def _coverage_json_row(path: str, owner: str | None, summary: Mapping[str, Any], source: str) -> FileRow:
    return FileRow(
        path=path,
        owner=owner,
        statements=_int(summary, "num_statements"),
        covered_lines=_int(summary, "covered_lines"),
        branches=_int(summary, "num_branches"),
        covered_branches=_int(summary, "covered_branches"),
        source=source,
    )


def _aggregate_row(path: str, owner: str | None, entry: Mapping[str, Any]) -> FileRow:
    return FileRow(
        path=path,
        owner=owner,
        statements=_int(entry, "statements"),
        covered_lines=_int(entry, "covered_lines"),
        branches=_int(entry, "branches"),
        covered_branches=_int(entry, "covered_branches"),
        source="combined",
    )


def _own_rows(worker: Worker, data: Mapping[str, Any] | None, counts: Mapping[str, int]) -> tuple[FileRow, ...]:
    """The worker's owned files as its own run measured them.

    A file its JSON lacks was never imported by its tests: 0 covered lines,
    with the static statement count.
    """
    if not isinstance(data, Mapping):
        return ()
    files = _dict(data.get("files"))
    rows = []
    for path in worker.files:
        entry = files.get(path)
        if isinstance(entry, Mapping):
            rows.append(_coverage_json_row(path, worker.name, _dict(entry.get("summary")), "worker"))
        else:
            rows.append(FileRow(path, worker.name, counts.get(path), 0 if path in counts else None, source="worker"))
    return tuple(rows)


def _statement_counts(
    cfg: Config,
    all_files: Iterable[str],
    statement_counts: Mapping[str, int],
    aggregate_files: Mapping[str, Any],
    worker_coverage: Mapping[str, Mapping[str, Any] | None],
) -> dict[str, int]:
    """Static counts first; for files they lack, the counts coverage.py put in the artifacts."""
    counts = {k: v for k, v in statement_counts.items() if isinstance(v, int)}
    for path in all_files:
        if path in counts:
            continue
        value = _int(_dict(aggregate_files.get(path)), "statements")
        if value is None:
            for data in worker_coverage.values():
                entry = _dict(_dict(_dict(data).get("files")).get(path))
                value = _int(_dict(entry.get("summary")), "num_statements")
                if value is not None:
                    break
        if value is not None:
            counts[path] = value
    return counts


def _worker_model(
    cfg: Config,
    worker: Worker,
    record: Mapping[str, Any],
    counts: Mapping[str, int],
    aggregate_files: Mapping[str, Any],
    coverage_json: Mapping[str, Any] | None,
    target: Fraction | None,
    test_file_list: list[str],
    existing: frozenset[str] | None,
    planned_command: str | None,
    whole_suite: Mapping[str, Any] | None = None,
) -> WorkerModel:
    """One worker's part of the report.

    ``whole_suite`` is the aggregate's figure for the worker's modules (the
    combined data), when the aggregate is newer than the worker's run; the
    worker's own record otherwise holds what its own tests covered, if it
    ran alone.
    """
    recorded_state = record.get("state")
    state = recorded_state if isinstance(recorded_state, str) else status.CRASHED
    finished = state in FINISHED
    own_rows = _own_rows(worker, coverage_json, counts) if finished or coverage_json else ()
    own_by_path = {row.path: row for row in own_rows}

    rows = []
    for path in worker.files:
        entry = aggregate_files.get(path)
        if isinstance(entry, Mapping):
            row = _aggregate_row(path, worker.name, entry)
        elif path in own_by_path:
            row = own_by_path[path]
        else:
            row = FileRow(path, worker.name, counts.get(path))
        if row.statements is None and path in counts:
            row = FileRow(
                path, worker.name, counts[path], row.covered_lines, row.branches, row.covered_branches, row.source
            )
        rows.append(row)
    # Largest first: the modules that decide a worker's load and coverage lead.
    rows.sort(key=lambda r: (-(r.statements or 0), r.path))

    statements = sum(counts.get(path, 0) for path in worker.files)
    uncounted = sum(1 for path in worker.files if path not in counts)
    share = Fraction(statements) / target if target else None

    outcomes_raw = record.get("outcomes")
    outcomes = None
    if isinstance(outcomes_raw, Mapping):
        outcomes = {key: _int(outcomes_raw, key) or 0 for key in ("tests", "passed", "failed", "errors", "skipped")}

    coverage, scope = Coverage.from_json(whole_suite), WHOLE_SUITE
    if coverage is None:
        coverage, scope = Coverage.from_json(record.get("coverage")), str(record.get("coverage_scope") or OWN_TESTS)
    if coverage is None and own_rows:
        # Only the reports on disk are left, written before the worker's latest run.
        scope = EARLIER
        coverage = Coverage(
            statements=sum(r.statements or 0 for r in own_rows),
            covered_lines=sum(r.covered_lines or 0 for r in own_rows),
            branches=sum(r.branches or 0 for r in own_rows),
            covered_branches=sum(r.covered_branches or 0 for r in own_rows),
        )

    measured = [r for r in own_rows if r.statements]
    well = sorted(
        (r for r in measured if r.line_percent is not None and r.line_percent >= Fraction(cfg.line_threshold)),
        key=lambda r: (-(r.line_percent or 0), r.path),
    )
    uncovered = sorted((r for r in measured if r.covered_lines == 0), key=lambda r: (-(r.statements or 0), r.path))

    categories_raw = _dict(record.get("failure_categories"))
    categories = sorted(
        ((str(name), count) for name, count in categories_raw.items() if isinstance(count, int) and count > 0),
        key=lambda item: (-item[1], item[0]),
    )

    paths = cfg.layout.worker(worker.name)
    links = paths.artifacts()
    artifacts = tuple(
        (ARTIFACT_LABELS.get(key, key), href)
        for key, href in links.items()
        if (existing is None and state not in (status.NOT_RUN,)) or (existing is not None and href in existing)
    )
    html_href = links["html"] if any(href == links["html"] for _, href in artifacts) else None
    analysis = links["failure_analysis"]
    analysis_href = analysis if any(href == analysis for _, href in artifacts) else None

    command_line = record.get("command_line")
    if state != status.NOT_RUN and isinstance(command_line, str) and command_line:
        command, ran = command_line, True
    else:
        command, ran = planned_command or f"nox -s {worker.name}", False

    duration = _float(record, "duration_s")
    tests = worker.tests
    return WorkerModel(
        name=worker.name,
        title=worker.title,
        modules=worker.modules,
        folders=_folders(worker, cfg.source_dir),
        tests=tests,
        test_files=len(test_file_list),
        files=tuple(rows),
        statements=statements,
        uncounted=uncounted,
        share=share,
        balance=_balance_label(share, cfg.balance_tolerance),
        seconds=duration,
        state=state,
        message=str(record.get("message") or ""),
        date=format_time(record.get("finished_at") or record.get("started_at")),
        exit_status=_int(record, "exit_status"),
        outcomes=outcomes,
        coverage=coverage,
        coverage_scope=scope if coverage is not None else "",
        own_files=own_rows,
        well_covered=tuple(well),
        uncovered=tuple(uncovered),
        failure_categories=tuple(categories),
        artifacts=artifacts,
        html_href=html_href,
        analysis_href=analysis_href,
        command=command,
        command_ran=ran,
    )


def _whole_suite_coverage(
    aggregate: Mapping[str, Any] | None, records: Mapping[str, Mapping[str, Any]]
) -> dict[str, Mapping[str, Any]]:
    """The aggregate's coverage of each worker's modules, for workers that have not run again since."""
    if not isinstance(aggregate, Mapping):
        return {}
    made = _parse_time(aggregate.get("generated_at"))
    found = {}
    for item in aggregate.get("workers") or []:
        if not isinstance(item, Mapping) or not isinstance(item.get("coverage"), Mapping):
            continue
        name = str(item.get("name"))
        finished = _parse_time(_dict(records.get(name)).get("finished_at"))
        if made is None or finished is None or finished <= made:
            found[name] = item["coverage"]
    return found


def _combined_model(
    cfg: Config,
    aggregate: Mapping[str, Any],
    statuses: Mapping[str, Mapping[str, Any]],
    existing: frozenset[str] | None,
) -> CombinedModel:
    totals = Coverage.from_json(aggregate.get("totals")) or Coverage()
    # Gated against today's workers.toml, with exact fractions from the counts, not the aggregate's floats.
    gates = [
        Gate("line", cfg.line_threshold, totals.line_percent),
        Gate("branch", cfg.branch_threshold, totals.branch_percent),
    ]

    missing = []
    for item in aggregate.get("missing") or []:
        if isinstance(item, Mapping):
            missing.append(
                MissingWorker(str(item.get("worker", "?")), str(item.get("state", "?")), str(item.get("reason", "")))
            )

    made = _parse_time(aggregate.get("generated_at"))
    stale = []
    if made is not None:
        for name, record in statuses.items():
            finished = _parse_time(record.get("finished_at"))
            if finished is not None and finished > made:
                stale.append(name)

    href = os.path.relpath(cfg.layout.combined_html / "index.html", cfg.output_dir)
    return CombinedModel(
        generated_at=format_time(aggregate.get("generated_at")),
        # Absent or anything but true is partial: never present unproven totals as complete.
        complete=aggregate.get("complete") is True and not missing,
        missing=tuple(missing),
        files=_int(_dict(aggregate.get("totals")), "files"),
        coverage=totals,
        gates=tuple(gates),
        stale=tuple(stale),
        html_href=href if existing is None or href in existing else None,
    )


def build_model(
    cfg: Config,
    statuses: Mapping[str, Mapping[str, Any]],
    aggregate: Mapping[str, Any] | None,
    statement_counts: Mapping[str, int],
    *,
    worker_coverage: Mapping[str, Mapping[str, Any] | None] | None = None,
    all_files: list[str] | None = None,
    test_files: Mapping[str, list[str]] | None = None,
    existing: Iterable[str] | None = None,
    planned_commands: Mapping[str, str] | None = None,
    counts_source: str = "",
    aggregate_problem: str = "",
    warnings: Iterable[str] = (),
    generated_at: str | None = None,
    slowest_tests: Iterable[tuple[str, str, float]] = (),
) -> ReportModel:
    """Compute every figure of the report from its inputs; no I/O unless an optional input is left out.

    ``statuses`` maps worker names to what :func:`covsplit.status.read`
    returned (a missing name counts as not run); ``aggregate`` is
    ``aggregate.json`` or None; ``statement_counts`` are the static counts
    (may be empty: the artifacts' counts fill in).  ``test_files`` maps the
    project's test root and each worker's test paths to the test files under
    them; ``existing`` lists the artifact links (relative to
    ``coverage_output/``) that exist, so the report links nothing dead.
    """
    worker_coverage = worker_coverage or {}
    files_list = list(all_files) if all_files is not None else cfg.all_files()
    aggregate_files = _dict(aggregate.get("files")) if isinstance(aggregate, Mapping) else {}
    counts = _statement_counts(cfg, files_list, statement_counts, aggregate_files, worker_coverage)
    uncounted = tuple(path for path in files_list if path not in counts)
    total = sum(counts.get(path, 0) for path in files_list)
    target = Fraction(total, len(cfg.workers)) if total and cfg.workers else None
    existing_set = frozenset(existing) if existing is not None else None

    def tests_under(path: str) -> list[str]:
        if test_files is not None and path in test_files:
            return test_files[path]
        try:
            return discover.test_files(cfg.root, path.split("::", 1)[0])
        except OSError:
            return []

    records = {}
    for worker in cfg.workers:
        record = statuses.get(worker.name)
        if not isinstance(record, Mapping):
            record = {"state": status.NOT_RUN, "message": "no status recorded: the worker did not run"}
        records[worker.name] = record

    whole_suite = _whole_suite_coverage(aggregate, records)
    workers = []
    run_by_some: set[str] = set()
    for worker in cfg.workers:
        under: list[str] = []
        for path in worker.tests:
            under.extend(f for f in tests_under(path) if f not in under)
        run_by_some.update(under)
        workers.append(
            _worker_model(
                cfg,
                worker,
                records[worker.name],
                counts,
                aggregate_files,
                worker_coverage.get(worker.name),
                target,
                under,
                existing_set,
                (planned_commands or {}).get(worker.name),
                whole_suite.get(worker.name),
            )
        )

    loads = [w.statements for w in workers]
    mean = Fraction(sum(loads), len(loads)) if loads else Fraction(0)
    max_mean = Fraction(max(loads)) / mean if mean else None
    heaviest = max(workers, key=lambda w: w.statements).name if workers and mean else None
    lightest = min(workers, key=lambda w: w.statements).name if workers and mean else None

    timed = [w.seconds for w in workers if w.seconds is not None]
    seconds_mean = sum(timed) / len(timed) if timed else None
    seconds_max_mean = max(timed) / seconds_mean if timed and seconds_mean else None
    seconds_missing = tuple(w.name for w in workers if w.seconds is None)

    unowned = tuple(FileRow(path, None, counts.get(path)) for path in cfg.unowned)

    combined = None
    problem = aggregate_problem
    if isinstance(aggregate, Mapping):
        combined = _combined_model(cfg, aggregate, records, existing_set)
    elif not problem:
        problem = "aggregate has not run"

    in_scope = list(dict.fromkeys(f for path in cfg.test_paths for f in tests_under(path)))
    runnable = discover.test_files_in(cfg.root, cfg.test_paths, leave_out=cfg.not_run)
    model = ReportModel(
        generated_at=generated_at or status.now(),
        config_name=cfg.path.name,
        line_threshold=cfg.line_threshold,
        branch_threshold=cfg.branch_threshold,
        balance_tolerance=cfg.balance_tolerance,
        total_statements=total,
        counts_source=counts_source,
        uncounted_files=uncounted,
        target=target,
        modules=len(files_list),
        test_root=", ".join(p if p.endswith(".py") else p.rstrip("/") + "/" for p in cfg.test_paths),
        test_files=len(in_scope),
        unrun_test_files=tuple(f for f in runnable if f not in run_by_some),
        not_run_test_files=len(in_scope) - len(runnable),
        workers=tuple(workers),
        unowned=unowned,
        max_mean=max_mean,
        heaviest=heaviest,
        lightest=lightest,
        seconds_mean=seconds_mean,
        seconds_max_mean=seconds_max_mean,
        seconds_missing=seconds_missing,
        combined=combined,
        aggregate_problem=problem,
        next_steps=(),
        warnings=tuple(warnings),
        combined_html_href=os.path.relpath(cfg.layout.combined_html / "index.html", cfg.output_dir),
        slowest_tests=tuple(slowest_tests),
        invoke=commands.invocation(cfg),
    )
    return _with_next_steps(model)


def _below_thresholds(model: ReportModel) -> list[FileRow]:
    """Files under either threshold, most missed statements first.

    Files of a worker that did not finish are left out: they are at 0%
    because nothing ran, and the step that matters is running it.
    """
    unfinished = {w.name for w in model.workers if w.state not in FINISHED}
    if model.combined is not None:
        unfinished.update(m.name for m in model.combined.missing)
    rows: list[FileRow] = []
    for worker in model.workers:
        if worker.name in unfinished:
            continue
        # The combined data when there is some, else the worker's own run.
        candidates = worker.files if any(r.source == "combined" for r in worker.files) else worker.own_files
        for row in candidates:
            if not row.statements and not row.branches:
                continue
            line, branch = row.line_percent, row.branch_percent
            low_line = line is not None and line < Fraction(model.line_threshold)
            low_branch = branch is not None and branch < Fraction(model.branch_threshold)
            if low_line or low_branch:
                rows.append(row)
    rows.sort(key=lambda r: (-(r.missed_lines or 0), -r.missed_branches, r.path))
    return rows


def _with_next_steps(model: ReportModel) -> ReportModel:
    run = model.invoke
    steps: list[NextStep] = []
    workers = model.workers
    unfinished = [w for w in workers if w.state not in FINISHED]

    if unfinished and len(unfinished) == len(workers) and all(w.state == status.NOT_RUN for w in workers):
        steps.append(NextStep(f"No worker has run yet: run them all with `{run.make('coverage-all')}`."))
    else:
        for w in unfinished:
            if w.state == status.RUNNING:
                steps.append(
                    NextStep(
                        f"Wait for **{w.name}** to finish (running since {w.date}), "
                        f"then `{run.nox('-s', 'aggregate')}`."
                    )
                )
            elif w.state == status.TIMEOUT:
                steps.append(
                    NextStep(
                        f"**{w.name}** timed out: raise its `timeout` in {model.config_name} or split it, "
                        f"then rerun it with `{run.nox('-s', w.name)}`."
                    )
                )
            else:
                why = f"; {_md(w.message)}" if w.message else ""
                steps.append(NextStep(f"Rerun **{w.name}** ({w.state_label}{why}): `{run.nox('-s', w.name)}`."))

    for w in workers:
        if w.state in FINISHED and w.problems:
            assert w.outcomes is not None
            broken = [
                f"{w.outcomes[k]} {label}"
                for k, label in (("failed", "failed"), ("errors", "errored"))
                if w.outcomes[k]
            ]
            text = f"Fix **{w.name}**'s {' and '.join(broken)} of {w.outcomes['tests']} tests"
            if w.failure_categories:
                top, count = w.failure_categories[0]
                total = sum(c for _, c in w.failure_categories)
                text += f"; top category: {_md(top)} ({count} of {total})"
            analysis = f"{w.name}_failure_analysis.md"
            if any(href == analysis for _, href in w.artifacts):
                text += f"; see `{analysis}`"
            text += f"; rerun with `{run.nox('-s', w.name)}`."
            steps.append(NextStep(text))

    combined = model.combined
    if combined is None:
        if any(w.state in FINISHED for w in workers):
            steps.append(
                NextStep(f"Combine the workers' data: `{run.nox('-s', 'aggregate')}` ({model.aggregate_problem}).")
            )
    else:
        if combined.stale:
            steps.append(
                NextStep(
                    f"Rerun `{run.nox('-s', 'aggregate')}`: it predates the latest run of "
                    + ", ".join(f"**{name}**" for name in combined.stale)
                    + "."
                )
            )
        for gate in combined.gates:
            if gate.failed:
                partial = "" if combined.complete else " (partial data)"
                steps.append(
                    NextStep(
                        f"The combined {gate.name} gate fails{partial}: {format_percent(gate.actual)}% < "
                        f"{format_threshold(gate.threshold)}%, short by {format_shortfall(gate.shortfall)} points."
                    )
                )

    below = _below_thresholds(model)
    if below:
        items = tuple(
            f"`{r.path}` ({r.owner}): {format_count(r.missed_lines)} of {format_count(r.statements)} "
            "statements missed, "
            f"line {format_percent(r.line_percent)}%, branch {format_percent(r.branch_percent)}%"
            for r in below[:MAX_FILES_LISTED]
        )
        more = (
            f" (the {MAX_FILES_LISTED} with the most missed statements listed)" if len(below) > MAX_FILES_LISTED else ""
        )
        steps.append(
            NextStep(
                f"Add tests for {len(below)} file{'s' if len(below) != 1 else ''} under the thresholds "
                f"(line {format_threshold(model.line_threshold)}%, "
                f"branch {format_threshold(model.branch_threshold)}%){more}:",
                items,
            )
        )

    if model.max_mean is not None and model.max_mean > Fraction(model.balance_tolerance):
        by_name = {w.name: w for w in workers}
        heavy, light = by_name[model.heaviest or ""], by_name[model.lightest or ""]
        steps.append(
            NextStep(
                f"Rebalance the split: max/mean is {format_ratio(model.max_mean)} in statements, above "
                f"{format_threshold(model.balance_tolerance)}; heaviest **{heavy.name}** "
                f"({format_count(heavy.statements)} statements, "
                f"{format_percent(_as_percent(heavy.share))}% of target), "
                f"lightest **{light.name}** ({format_count(light.statements)}, "
                f"{format_percent(_as_percent(light.share))}%). `{run.nox('-s', 'plan')}` proposes a new split."
            )
        )
    if model.seconds_max_mean is not None and model.seconds_max_mean > model.balance_tolerance:
        timed = [w for w in workers if w.seconds is not None]
        slow = max(timed, key=lambda w: w.seconds or 0)
        steps.append(
            NextStep(
                f"Rebalance by time: max/mean is {format_ratio(model.seconds_max_mean)} in seconds, above "
                f"{format_threshold(model.balance_tolerance)}; "
                f"slowest **{slow.name}** ({format_seconds(slow.seconds)})."
            )
        )

    if model.unowned:
        steps.append(
            NextStep(
                f"Give {len(model.unowned)} module{'s' if len(model.unowned) != 1 else ''} "
                f"({format_count(sum(r.statements or 0 for r in model.unowned))} statements) owned by no worker "
                f"to a worker in {model.config_name}:",
                tuple(f"`{r.path}` ({format_count(r.statements)} statements)" for r in model.unowned),
            )
        )

    if model.unrun_test_files:
        shown = model.unrun_test_files[:10]
        more = (
            f" and {len(model.unrun_test_files) - len(shown)} more" if len(model.unrun_test_files) > len(shown) else ""
        )
        steps.append(
            NextStep(
                f"{len(model.unrun_test_files)} test file(s) in project.tests are run by no worker: "
                + ", ".join(f"`{name}`" for name in shown)
                + f"{more}. Add them to a worker's tests (`{run.nox('-s', 'plan')}` does), or list them in "
                "project.not_run if they are left out on purpose."
            )
        )
    return replace(model, next_steps=tuple(steps))


def _as_percent(share: Fraction | None) -> Fraction | None:
    return None if share is None else share * 100


# ---------------------------------------------------------------------------
# Markdown


def _cell(text: str) -> str:
    return md_cell(text)


def _md(text: str) -> str:
    """Free text for Markdown: the same rule as table cells."""
    return md_cell(text)


def _code(text: str) -> str:
    return f"`{text}`"


def _test_totals(model: ReportModel) -> str:
    """The project's outcomes: every worker's JUnit counts added up, and whose are missing."""
    totals = dict.fromkeys(("passed", "failed", "errors", "skipped", "tests"), 0)
    missing = []
    for w in model.workers:
        if not w.outcomes:
            missing.append(w.name)
            continue
        for key in totals:
            totals[key] += w.outcomes.get(key, 0)
    text = (
        f"{format_count(totals['passed'])} passed, {format_count(totals['failed'])} failed, "
        f"{format_count(totals['errors'])} errors, {format_count(totals['skipped'])} skipped "
        f"({format_count(totals['tests'])} tests)"
    )
    return text + (f"; no results from {', '.join(missing)}" if missing else "")


def _state_heading(w: WorkerModel) -> str:
    return f"{STATE_ICONS.get(w.state, '')} {w.state_label.upper()}".strip()


def _coverage_text(cov: Coverage | None) -> tuple[str, str]:
    if cov is None:
        return "n/a", "n/a"
    line = f"{format_percent(cov.line_percent)}%" if cov.line_percent is not None else "n/a"
    if cov.covered_lines is not None and cov.statements is not None:
        line += f" ({format_count(cov.covered_lines)}/{format_count(cov.statements)} statements)"
    branch = f"{format_percent(cov.branch_percent)}%" if cov.branch_percent is not None else "n/a"
    if cov.covered_branches is not None and cov.branches is not None:
        branch += f" ({format_count(cov.covered_branches)}/{format_count(cov.branches)} branches)"
    return line, branch


def _scope_words(scope: str) -> str:
    return {
        EARLIER: "from before its latest run: `nox -s aggregate` brings it up to date",
        WHOLE_SUITE: "under the whole suite, from the combined data",
        OWN_TESTS: "its own tests only: it ran after the last aggregate; `nox -s aggregate` gives the whole suite",
    }.get(scope, "not measured")


def _pct_cell(value: Percent | None) -> str:
    return "n/a" if value is None else f"{format_percent(value)}%"


def render_markdown(model: ReportModel) -> str:
    """The split document as Markdown; every figure from ``model``."""
    out: list[str] = []
    add = out.append
    n = len(model.workers)
    add(f"# Test Coverage Split - {n} Worker{'s' if n != 1 else ''}")
    add("")
    add(
        f"Generated by `nox -s report` from `{model.config_name}` and `coverage_output/` "
        f"at {format_time(model.generated_at)}. "
        "Do not edit by hand: rerun the report."
    )
    add("")
    for warning in model.warnings:
        add(f"> **Warning**: {warning}")
        add("")

    add("## Summary Statistics")
    add("")
    counted = f" (counts from {model.counts_source})" if model.counts_source else ""
    add(f"- **Total Statements**: {format_count(model.total_statements)}{counted}")
    if model.uncounted_files:
        add(
            f"  - no statement count for {len(model.uncounted_files)} file(s): "
            + ", ".join(map(_code, model.uncounted_files))
        )
    if model.target is not None:
        add(
            f"- **Target per Worker**: {format_amount(model.target)} statements "
            f"({format_count(model.total_statements)} / {n})"
        )
    else:
        add("- **Target per Worker**: n/a (no statement counts)")
    unowned = f" ({len(model.unowned)} owned by no worker)" if model.unowned else ""
    add(f"- **Modules**: {format_count(model.modules)}{unowned}")
    not_run = f", {format_count(model.not_run_test_files)} not run on purpose" if model.not_run_test_files else ""
    unrun = f", **{format_count(len(model.unrun_test_files))} run by no worker**" if model.unrun_test_files else ""
    add(f"- **Test Files**: {format_count(model.test_files)} under `{model.test_root}`{not_run}{unrun}")
    add(f"- **Test Results (all workers)**: {_test_totals(model)}")
    add(
        f"- **Thresholds**: line {format_threshold(model.line_threshold)}%, "
        f"branch {format_threshold(model.branch_threshold)}%, "
        f"balance max/mean {format_threshold(model.balance_tolerance)}"
    )
    add("")
    if model.slowest_tests:
        add(f"### Slowest Tests ({len(model.slowest_tests)})")
        add("")
        add("| Test | Worker | Seconds |")
        add("| --- | --- | ---: |")
        for nodeid, worker_name, seconds in model.slowest_tests:
            add(f"| {_cell(_code(nodeid))} | {_cell(worker_name)} | {seconds:.2f} |")
        add("")
    add("---")
    add("")

    for w in model.workers:
        add(f"## {w.name}: {_md(w.title)}")
        add("")
        add(f"**Folders**: {', '.join(map(_code, w.folders))}  ")
        add(f"**Modules**: {', '.join(map(_code, w.modules))}  ")
        uncounted = f" ({w.uncounted} file(s) without a count)" if w.uncounted else ""
        add(f"**Statements**: {format_count(w.statements)}{uncounted}  ")
        add(f"**Files**: {len(w.files)}  ")
        add(f"**Tests**: {', '.join(map(_code, w.tests))} ({w.test_files} test file{'s' if w.test_files != 1 else ''})")
        add("")
        sources = {r.source for r in w.files if r.source}
        if "combined" in sources:
            origin = "Coverage from the combined data (all workers' tests)."
        elif "worker" in sources:
            origin = f"Coverage from {w.name}'s own run (there is no combined data)."
        else:
            origin = "Coverage not measured yet."
        add("### Modules")
        add("")
        add(origin)
        add("")
        add("| Module | Statements | Line % | Branch % |")
        add("| ------ | ---------: | -----: | -------: |")
        for r in w.files:
            add(
                f"| `{_cell(r.path)}` | {format_count(r.statements)} | "
                f"{_pct_cell(r.line_percent)} | {_pct_cell(r.branch_percent)} |"
            )
        add("")
        add("### Coverage Command")
        add("")
        if w.command_ran:
            add(f"As last run ({w.date}):")
        else:
            add(f"Not run yet; `nox -s {w.name}` runs:" if w.command != f"nox -s {w.name}" else "Not run yet:")
        add("")
        add("```bash")
        add(w.command)
        add("```")
        add("")
        add("---")
        add("")

    add("## Load Balancing Summary")
    add("")
    add("| Worker | Folder(s) | Statements | Files | Share of target | Balance | Seconds |")
    add("| ------ | --------- | ---------: | ----: | --------------: | ------- | ------: |")
    for w in model.workers:
        share = _pct_cell(_as_percent(w.share))
        add(
            f"| **{_cell(w.name)}** | {_cell(', '.join(map(_code, w.folders)))} | {format_count(w.statements)} | "
            f"{len(w.files)} | {share} | {w.balance} | {format_seconds(w.seconds)} |"
        )
    add("")
    owned = sum(w.statements for w in model.workers)
    add(
        f"**Total**: {format_count(owned)} statements across {sum(len(w.files) for w in model.workers)} files owned by "
        f"{n} worker{'s' if n != 1 else ''}"
        + (f"; {len(model.unowned)} file(s) owned by none" if model.unowned else "")
    )
    add("")
    if model.max_mean is not None:
        verdict = "above" if model.max_mean > Fraction(model.balance_tolerance) else "within"
        add(
            f"**Max/mean (statements)**: {format_ratio(model.max_mean)}, {verdict} the tolerance of "
            f"{format_threshold(model.balance_tolerance)} (heaviest {model.heaviest}, lightest {model.lightest})"
        )
    else:
        add("**Max/mean (statements)**: n/a (no statement counts)")
    add("")
    if model.seconds_max_mean is not None:
        verdict = "above" if model.seconds_max_mean > model.balance_tolerance else "within"
        missing = f"; no time recorded for {', '.join(model.seconds_missing)}" if model.seconds_missing else ""
        add(
            f"**Max/mean (seconds)**: {format_ratio(model.seconds_max_mean)}, {verdict} the tolerance "
            f"(mean {format_seconds(model.seconds_mean)}{missing})"
        )
    else:
        add("**Max/mean (seconds)**: n/a (no worker has recorded a duration yet)")
    add("")
    tolerance = Fraction(model.balance_tolerance)
    add(
        f"Balance: **High** above {format_percent(tolerance * 100)}% of the target (the tolerance "
        f"{format_threshold(model.balance_tolerance)}), **Low** below {format_percent(100 / tolerance)}%, "
        "else **Balanced**."
    )
    add("")
    add("---")
    add("")

    add("## Execution Strategy")
    add("")
    add("### Parallel Execution")
    add("")
    add("Every worker at once, then the aggregate and this report:")
    add("")
    add("```bash")
    run = model.invoke
    if run.config:
        add("# this split's commands carry its config; or once: export COVSPLIT_CONFIG=" + shlex.quote(run.config))
    add(run.make("coverage-all"))
    add("```")
    add("")
    add("Or each worker on its own:")
    add("")
    add("```bash")
    for w in model.workers:
        add(f"{run.nox('-s', w.name)}  # {w.title}")
    add(f"{run.nox('-s', 'aggregate')}  # combine and gate")
    add(f"{run.nox('-s', 'report')}  # this document")
    add("```")
    add("")
    add("### Sequential Execution")
    add("")
    add("One worker after another (for debugging), then the aggregate and this report:")
    add("")
    add("```bash")
    add(run.make("coverage-seq"))
    add("```")
    add("")
    add("---")
    add("")

    add("## Worker Execution Status")
    add("")
    for w in model.workers:
        add(f"### {w.name} - {_state_heading(w)}")
        add("")
        state = w.state_label
        if w.exit_status is not None:
            state += f" (exit status {w.exit_status})"
        add(f"- **Status**: {state}")
        if w.message:
            add(f"- **Message**: {_md(w.message)}")
        add(f"- **Date**: {w.date}" + (f", {format_seconds(w.seconds)}" if w.seconds is not None else ""))
        if w.outcomes:
            o = w.outcomes
            add(
                f"- **Test Results**: {o['passed']} passed, {o['failed']} failed, {o['errors']} errors, "
                f"{o['skipped']} skipped ({o['tests']} total)"
            )
        else:
            add("- **Test Results**: none recorded")
        line, branch = _coverage_text(w.coverage)
        add(f"- **Coverage of its modules** ({_scope_words(w.coverage_scope)}): line {line}, branch {branch}")
        add("")
        if w.own_files:
            measured = sum(1 for r in w.own_files if r.statements)
            add(
                f"#### Well-Covered Files (line coverage >= {format_threshold(model.line_threshold)}%): "
                f"{len(w.well_covered)} of {measured}"
            )
            add("")
            for r in w.well_covered:
                add(
                    f"- `{r.path}`: {format_percent(r.line_percent)}% "
                    f"({format_count(r.covered_lines)}/{format_count(r.statements)} stmts)"
                )
            if not w.well_covered:
                add("- none")
            add("")
            add(f"#### Uncovered Files (0% coverage): {len(w.uncovered)}")
            add("")
            for r in w.uncovered:
                add(f"- `{r.path}` ({format_count(r.statements)} stmts)")
            if not w.uncovered:
                add("- none")
            add("")
        elif w.state in FINISHED:
            add(f"No per-file coverage (`{w.name}_coverage.json` is missing).")
            add("")
        if w.failure_categories:
            total = sum(c for _, c in w.failure_categories)
            add("#### Failure Categories")
            add("")
            add("| Category | Tests | Share |")
            add("| -------- | ----: | ----: |")
            for name, count in w.failure_categories:
                add(f"| {_cell(name)} | {count} | {format_percent(Fraction(count * 100, total))}% |")
            add("")
        if w.artifacts:
            add("#### Artifacts")
            add("")
            for label, href in w.artifacts:
                add(f"- {label}: [{href}]({href})")
            add("")
        add("---")
        add("")

    add("## Combined Coverage")
    add("")
    c = model.combined
    if c is None:
        add(f"**The {model.aggregate_problem}**: there are no combined figures. Run `nox -s aggregate`.")
        add("")
    else:
        if not c.complete:
            names = ", ".join(f"**{m.name}** ({m.state}{': ' + _md(m.reason) if m.reason else ''})" for m in c.missing)
            add(
                f"> **PARTIAL**: the aggregate lacks {names or 'some workers'}. These totals cover only the workers "
                "that left data; they are not the project's coverage."
            )
            add("")
        if c.stale:
            add(f"> **Stale**: made before the latest run of {', '.join(c.stale)}; rerun `nox -s aggregate`.")
            add("")
        add(
            f"Aggregated at {c.generated_at}"
            + (f" over {format_count(c.files)} files" if c.files is not None else "")
            + "."
        )
        add("")
        add("| Measure | Covered | Total | Percent | Threshold | Gate |")
        add("| ------- | ------: | ----: | ------: | --------: | ---- |")
        gate_counts = {
            "line": (c.coverage.covered_lines, c.coverage.statements),
            "branch": (c.coverage.covered_branches, c.coverage.branches),
        }
        for gate in c.gates:
            gate_covered, gate_total = gate_counts[gate.name]
            if gate.passed is None:
                verdict = "n/a (nothing to measure)"
            elif gate.passed:
                verdict = "✅ passed"
            else:
                verdict = f"❌ failed (short by {format_shortfall(gate.shortfall)} points)"
            if not c.complete:
                verdict += " — PARTIAL"
            add(
                f"| {gate.name} | {format_count(gate_covered)} | {format_count(gate_total)} | "
                f"{_pct_cell(gate.actual)} | {format_threshold(gate.threshold)}% | {verdict} |"
            )
        add("")
        if c.html_href:
            add(f"Combined HTML report: [{c.html_href}]({c.html_href})")
            add("")
    add("---")
    add("")

    add("## Next Steps")
    add("")
    if not model.next_steps:
        add(_nothing_to_do(model))
    for number, step in enumerate(model.next_steps, start=1):
        add(f"{number}. {step.text}")
        for item in step.items:
            add(f"   - {item}")
    add("")
    return "\n".join(out)


def _nothing_to_do(model: ReportModel) -> str:
    parts = [f"all {len(model.workers)} workers passed"]
    if model.combined is not None:
        for gate in model.combined.gates:
            if gate.actual is not None:
                parts.append(
                    f"combined {gate.name} {format_percent(gate.actual)}% >= {format_threshold(gate.threshold)}%"
                )
    if model.max_mean is not None:
        parts.append(f"max/mean {format_ratio(model.max_mean)} <= {format_threshold(model.balance_tolerance)}")
    return "Nothing to do: " + ", ".join(parts) + "."


# ---------------------------------------------------------------------------
# HTML

_CSS = """
:root { --ok: #2e7d32; --bad: #c62828; --warn: #ef6c00; --muted: #6b7280; --line: #1565c0; --branch: #6a1b9a; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px; color: #111827;
       background: #f7f7f9; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; }
.meta { color: var(--muted); margin: 0 0 16px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 10px 14px; min-width: 150px; }
.card .k { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .v { font-size: 20px; font-weight: 600; }
.banner { border-radius: 8px; padding: 10px 14px; margin: 12px 0; font-weight: 600; }
.banner.partial { background: #fff3e0; border: 1px solid var(--warn); color: #8a3c00; }
.banner.absent { background: #eceff1; border: 1px solid #90a4ae; color: #37474f; }
.banner.stale { background: #fffde7; border: 1px solid #f9a825; color: #6d5200; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid #e5e7eb; }
th, td { padding: 8px 10px; border-bottom: 1px solid #eef0f3; text-align: left; vertical-align: middle; }
th { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; background: #fafafa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.title { color: var(--muted); font-size: 12px; }
.bar { position: relative; width: 120px; height: 18px; background: #e5e7eb; border-radius: 4px; overflow: visible; }
.bar .fill { position: absolute; left: 0; top: 0; bottom: 0; border-radius: 4px; }
.bar.line .fill { background: var(--line); }
.bar.branch .fill { background: var(--branch); }
.bar.below .fill { background: var(--bad); }
.bar.share .fill { background: #00897b; }
.bar .marker { position: absolute; top: -3px; bottom: -3px; width: 2px; background: #111827; }
.bar .text { position: absolute; left: 126px; top: 0; white-space: nowrap; font-variant-numeric: tabular-nums; }
.bar.none { background: repeating-linear-gradient(45deg, #eceff1, #eceff1 6px, #e0e0e0 6px, #e0e0e0 12px); }
.cellbar { padding-right: 72px; }
.tests { white-space: nowrap; }
.bar .marker.target { background: #455a64; }
.badge { display: inline-block; white-space: nowrap; padding: 2px 8px; border-radius: 10px; font-size: 12px;
         font-weight: 600; color: #fff; }
.state-passed { background: var(--ok); }
.state-failed { background: var(--bad); }
.state-crashed { background: #6d1b1b; }
.state-timeout { background: var(--warn); }
.state-not-run { background: #78909c; }
.state-running { background: #0277bd; }
.gate-pass { color: var(--ok); font-weight: 600; }
.gate-fail { color: var(--bad); font-weight: 600; }
.count { display: inline-block; min-width: 2.2em; text-align: right; font-variant-numeric: tabular-nums; }
.count.failed, .count.errors { color: var(--bad); font-weight: 600; }
.count.zero { color: inherit; font-weight: normal; }
.count.passed { color: var(--ok); }
.missing-link { color: var(--muted); }
a { color: #0b57d0; }
code { background: #eef0f3; padding: 0 4px; border-radius: 3px; }
ol.steps li { margin: 6px 0; }
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


_INLINE = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*")


def _inline(text: str) -> str:
    """The little Markdown the next steps use (code, bold), escaped, as HTML.

    Plain text was entity-escaped for Markdown (:func:`_md`); it is unescaped
    before being escaped again for HTML, so ``<`` shows as ``<`` in both.
    """
    out, last = [], 0
    for match in _INLINE.finditer(text):
        out.append(_e(html.unescape(text[last : match.start()])))
        if match.group(1) is not None:
            out.append(f"<code>{_e(match.group(1))}</code>")
        else:
            out.append(f"<strong>{_e(match.group(2))}</strong>")
        last = match.end()
    out.append(_e(html.unescape(text[last:])))
    return "".join(out)


def _bar(
    kind: str, worker: str, value: Percent | None, threshold: float | None, width_of: Percent | None = None
) -> str:
    """A bar with its value in data attributes and, when gated, a threshold marker."""
    if value is None:
        return (
            f'<div class="bar {kind} none" data-worker="{_e(worker)}" data-value="" '
            f'data-threshold="{_e(format_threshold(threshold)) if threshold is not None else ""}">'
            '<span class="text">n/a</span></div>'
        )
    shown = format_percent(value)
    fill = format_percent(min(width_of if width_of is not None else value, Fraction(100)))
    below = threshold is not None and value < (Fraction(threshold) if isinstance(value, Fraction) else threshold)
    classes = f"bar {kind}" + (" below" if below else "")
    marker = ""
    attrs = ""
    if threshold is not None:
        marker = f'<div class="marker" style="left:{_e(format_threshold(min(threshold, 100.0)))}%"></div>'
        attrs = f' data-threshold="{_e(format_threshold(threshold))}" data-pass="{"false" if below else "true"}"'
    elif width_of is not None:
        # A scaled bar (the share of target) marks where 100% of its value falls.
        marker = '<div class="marker target" style="left:50%"></div>'
    return (
        f'<div class="{classes}" data-worker="{_e(worker)}" data-value="{shown}"{attrs} role="img" '
        f'aria-label="{_e(kind)} {shown}%">'
        f'<div class="fill" style="width:{fill}%"></div>{marker}<span class="text">{shown}%</span></div>'
    )


def _link(href: str | None, text: str, cls: str) -> str:
    if href is None:
        return f'<span class="{cls} missing-link">{_e(text)} (none yet)</span>'
    return f'<a class="{cls}" href="{_e(href)}">{_e(text)}</a>'


def render_html(model: ReportModel) -> str:
    """One static page, no scripts and no external assets, so it opens from ``file://`` anywhere."""
    out: list[str] = []
    add = out.append
    add("<!DOCTYPE html>")
    add('<html lang="en"><head><meta charset="utf-8">')
    add('<meta name="viewport" content="width=device-width, initial-scale=1">')
    add(f"<title>Coverage split: {len(model.workers)} workers</title>")
    add(f"<style>{_CSS}</style></head><body>")
    add(f'<h1 id="title">Coverage split: {len(model.workers)} workers</h1>')
    add(
        f'<p class="meta">Generated at <time id="generated-at">{_e(format_time(model.generated_at))}</time> '
        f'from <code>{_e(model.config_name)}</code>. Same data as <a href="report.md">report.md</a>.</p>'
    )
    for warning in model.warnings:
        add(f'<div class="banner stale warning">{_e(warning)}</div>')

    add('<section id="summary" class="cards">')
    cards = [
        ("total-statements", "Total statements", format_count(model.total_statements)),
        ("target", "Target per worker", format_amount(model.target)),
        ("modules", "Modules", format_count(model.modules)),
        ("test-files", "Test files", format_count(model.test_files)),
        ("max-mean", "Max/mean (statements)", format_ratio(model.max_mean)),
    ]
    if model.seconds_max_mean is not None:
        cards.append(("max-mean-seconds", "Max/mean (seconds)", format_ratio(model.seconds_max_mean)))
    for key, label, value in cards:
        add(
            f'<div class="card" id="card-{key}"><div class="k">{_e(label)}</div>'
            f'<div class="v" data-value="{_e(value)}">{_e(value)}</div></div>'
        )
    add("</section>")

    add('<h2 id="combined-heading">Combined coverage</h2>')
    c = model.combined
    add(f'<section id="combined" data-state="{"absent" if c is None else "complete" if c.complete else "partial"}">')
    if c is None:
        add(
            f'<div class="banner absent" id="aggregate-absent">The {_e(model.aggregate_problem)}: no combined figures. '
            f"Run <code>{_e(model.invoke.nox('-s', 'aggregate'))}</code>.</div>"
        )
    else:
        if not c.complete:
            names = ", ".join(
                f'<span class="missing-worker" data-worker="{_e(m.name)}">{_e(m.name)} ({_e(m.state)})</span>'
                for m in c.missing
            )
            add(
                f'<div class="banner partial" id="partial">PARTIAL: the aggregate lacks {names or "some workers"}; '
                "these totals are not the project&#x27;s coverage.</div>"
            )
        if c.stale:
            add(
                f'<div class="banner stale" id="stale">Stale: made before the latest run of {_e(", ".join(c.stale))}; '
                f"rerun <code>{_e(model.invoke.nox('-s', 'aggregate'))}</code>.</div>"
            )
        add(
            "<table><thead><tr><th>Measure</th><th>Coverage</th><th>Covered / total</th><th>Gate</th></tr></thead>"
            "<tbody>"
        )
        gate_counts = {
            "line": (c.coverage.covered_lines, c.coverage.statements),
            "branch": (c.coverage.covered_branches, c.coverage.branches),
        }
        for gate in c.gates:
            gate_covered, gate_total = gate_counts[gate.name]
            if gate.passed is None:
                verdict, cls = "n/a", "gate-na"
            elif gate.passed:
                verdict, cls = "passed", "gate-pass"
            else:
                verdict, cls = f"failed, short by {format_shortfall(gate.shortfall)} points", "gate-fail"
            if not c.complete:
                verdict += " (PARTIAL)"
            add(
                f'<tr class="gate" data-gate="{_e(gate.name)}" data-passed="{_e(str(gate.passed).lower())}">'
                f"<td>{_e(gate.name)}</td>"
                f'<td class="cellbar">{_bar(gate.name, "combined", gate.actual, gate.threshold)}</td>'
                f'<td class="num">{format_count(gate_covered)} / {format_count(gate_total)}</td>'
                f'<td class="{cls}">{_e(verdict)}</td></tr>'
            )
        add("</tbody></table>")
    add(f"<p>{_link(c.html_href if c is not None else None, 'Combined HTML report', 'combined-html')}</p>")
    add("</section>")

    add('<h2 id="workers-heading">Workers</h2>')
    add(
        '<table id="workers"><thead><tr><th>Worker</th><th>State</th><th>Line (its modules)</th>'
        "<th>Branch (its modules)</th><th>Tests</th><th>Share of target</th><th>Seconds</th><th>Reports</th></tr>"
        "</thead><tbody>"
    )
    for w in model.workers:
        cov = w.coverage
        line = cov.line_percent if cov is not None else None
        branch = cov.branch_percent if cov is not None else None
        state_cls = "state-" + w.state.replace(" ", "-")
        if w.outcomes:
            counts = [
                f'<span class="count {key}{" zero" if not w.outcomes[key] else ""}" data-value="{w.outcomes[key]}" '
                f'title="{key}">{w.outcomes[key]}</span> {key}'
                for key in ("passed", "failed", "errors", "skipped")
            ]
            tests = " · ".join(counts[:2]) + "<br>" + " · ".join(counts[2:])
        else:
            tests = '<span class="count none">none recorded</span>'
        share = _as_percent(w.share)
        # Half scale: a worker at twice the target fills the bar, the target sits mid-bar.
        half = share / 2 if share is not None else None
        seconds_text = "" if w.seconds is None else f"{w.seconds:.2f}"
        own_only = '<div class="title">own tests only</div>' if w.coverage_scope == OWN_TESTS else ""
        add(
            f'<tr class="worker" id="worker-{_e(w.name)}" data-worker="{_e(w.name)}" data-state="{_e(w.state)}">'
            f'<td><strong>{_e(w.name)}</strong><div class="title">{_e(w.title)}</div></td>'
            f'<td><span class="badge {_e(state_cls)}" data-state="{_e(w.state)}">{_e(w.state_label)}</span></td>'
            f'<td class="cellbar" data-scope="{_e(w.coverage_scope)}">'
            f"{_bar('line', w.name, line, model.line_threshold)}{own_only}</td>"
            f'<td class="cellbar">{_bar("branch", w.name, branch, model.branch_threshold)}</td>'
            f'<td class="tests">{tests}</td>'
            f'<td class="cellbar">{_bar("share", w.name, share, None, width_of=half)}'
            f'<div class="title">{format_count(w.statements)} stmts, {_e(w.balance)}</div></td>'
            f'<td class="num seconds" data-value="{seconds_text}">{_e(format_seconds(w.seconds))}</td>'
            f"<td>{_link(w.html_href, 'HTML report', 'worker-html')}"
            f"{'<br>' + _link(w.analysis_href, 'failure analysis', 'worker-analysis') if w.analysis_href else ''}"
            "</td></tr>"
        )
    add("</tbody></table>")
    add(
        '<p class="meta">Bars: coverage of the modules each worker owns under the whole suite (the combined data), '
        "unless marked own tests only; the black mark is the threshold. "
        "Share bars are drawn at half scale, so the middle is the target.</p>"
    )

    if model.slowest_tests:
        add('<h2 id="slowest-heading">Slowest tests</h2><table id="slowest"><thead><tr><th>Test</th>'
            "<th>Worker</th><th>Seconds</th></tr></thead><tbody>")  # fmt: skip
        for nodeid, worker_name, seconds in model.slowest_tests:
            add(
                f"<tr><td><code>{_e(nodeid)}</code></td><td>{_e(worker_name)}</td>"
                f'<td class="num">{seconds:.2f}</td></tr>'
            )
        add("</tbody></table>")
    add('<h2 id="next-steps-heading">Next steps</h2>')
    if model.next_steps:
        add('<ol class="steps" id="next-steps">')
        for step in model.next_steps:
            items = ""
            if step.items:
                items = "<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in step.items) + "</ul>"
            add(f"<li>{_inline(step.text)}{items}</li>")
        add("</ol>")
    else:
        add(f'<p id="nothing-to-do">{_e(_nothing_to_do(model))}</p>')
    add("</body></html>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# I/O at the edges


@dataclass
class ReportInputs:
    """Everything :func:`write_report` read from disk, ready for :func:`build_model`."""

    statuses: dict[str, status.WorkerStatus]
    aggregate: AggregateResult | None
    aggregate_problem: str
    statement_counts: dict[str, int]
    counts_source: str
    worker_coverage: dict[str, dict[str, Any] | None]
    all_files: list[str]
    test_files: dict[str, list[str]]
    existing: set[str]
    planned_commands: dict[str, str]
    warnings: list[str]
    slowest_tests: list[tuple[str, str, float]] = field(default_factory=list)


def _slowest_tests(cfg: Config, limit: int = SLOWEST_LISTED) -> list[tuple[str, str, float]]:
    """The slowest test outcomes of every worker's JUnit results."""
    found = []
    for w in cfg.workers:
        try:
            results = junit.read_junit(cfg.layout.worker(w.name).junit, cfg.root)
        except junit.JUnitError:
            continue
        found += [(r.nodeid, w.name, r.duration) for r in results if r.duration > 0]
    return sorted(found, key=lambda item: (-item[2], item[0]))[:limit]


def _static_counts(cfg: Config, files: list[str], warnings: list[str]) -> tuple[dict[str, int], str]:
    try:
        from covsplit.statements import count_statements
    except ImportError:
        # Not available, or coverage.py is not installed here: the artifacts' counts fill in.
        return {}, "the coverage artifacts"
    remaining = list(files)
    while True:
        try:
            return dict(count_statements(cfg.root, remaining)), "coverage.py's static analysis"
        except Exception as exc:
            # One unparsable file must not cost the counts of all the others.
            bad = getattr(exc, "file", None)
            warnings.append(f"no static statement count: {exc}")
            if bad not in remaining:
                return {}, "the coverage artifacts"
            remaining.remove(bad)


def _planned_commands(cfg: Config) -> dict[str, str]:
    """The pytest command each worker's session would run."""
    return {w.name: commands.planned_command(cfg, w) for w in cfg.workers}


def collect_inputs(cfg: Config) -> ReportInputs:
    """Read every input; a missing or unreadable one becomes a reported gap, never an exception."""
    warnings: list[str] = list(cfg.warnings)
    statuses: dict[str, status.WorkerStatus] = {}
    coverage: dict[str, dict[str, Any] | None] = {}
    existing: set[str] = set()
    for w in cfg.workers:
        paths = cfg.layout.worker(w.name)
        statuses[w.name] = status.read(paths.status)
        data = fsio.read_json(paths.coverage_json)
        coverage[w.name] = data if isinstance(data, dict) else None
        for href in paths.artifacts().values():
            if (cfg.output_dir / href).is_file():
                existing.add(href)
    combined_html = os.path.relpath(cfg.layout.combined_html / "index.html", cfg.output_dir)
    if (cfg.output_dir / combined_html).is_file():
        existing.add(combined_html)

    aggregate, problem = read_result(cfg.layout.aggregate_json)

    for name, why in titles.problems(
        {w.name: w.title for w in cfg.workers}, {w.name: w.files for w in cfg.workers}, cfg.source_dir
    ).items():
        warnings.append(f"{name}: {why} (`make check` lists it; `make plan` derives titles)")

    # The bench compares the combined data with one serial run: where a project's coverage depends on
    # which tests share a process, the split cannot equal it, and the report says where.
    bench = fsio.read_json(cfg.layout.bench_json)
    differences = bench.get("differences") if isinstance(bench, dict) else None
    if isinstance(differences, list) and differences:
        warnings.append(
            f"the combined coverage differs from one serial run in {len(differences)} file(s) (`make bench`): "
            + ", ".join(str(name) for name in differences[:10])
            + ("" if len(differences) <= 10 else ", ...")
            + "; their coverage depends on which tests share a process"
        )

    try:
        all_files = cfg.all_files()
    except OSError as exc:
        warnings.append(f"could not list the source files: {exc}")
        all_files = []
    # The aggregate's rows hold coverage.py's own counts: analyse again only what they lack.
    rows = _dict(aggregate.get("files")) if isinstance(aggregate, dict) else {}
    counted = {path: row["statements"] for path, row in rows.items() if isinstance(_dict(row).get("statements"), int)}
    lacking = [path for path in all_files if path not in counted]
    counts, source = _static_counts(cfg, lacking, warnings) if lacking else ({}, "the aggregate's coverage.py analysis")
    counts = {**counted, **counts}

    test_files: dict[str, list[str]] = {}
    for path in {*cfg.test_paths, *(t for w in cfg.workers for t in w.tests)}:
        try:
            test_files[path] = discover.test_files(cfg.root, path.split("::", 1)[0])
        except OSError:
            test_files[path] = []
    return ReportInputs(
        statuses=statuses,
        aggregate=aggregate,
        aggregate_problem=problem,
        statement_counts=counts,
        counts_source=source,
        worker_coverage=coverage,
        all_files=all_files,
        test_files=test_files,
        existing=existing,
        planned_commands=_planned_commands(cfg),
        warnings=warnings,
        slowest_tests=_slowest_tests(cfg),
    )


def model_for(cfg: Config) -> ReportModel:
    """Read the inputs of ``cfg`` and compute the report model."""
    inputs = collect_inputs(cfg)
    return build_model(
        cfg,
        inputs.statuses,
        inputs.aggregate,
        inputs.statement_counts,
        worker_coverage=inputs.worker_coverage,
        all_files=inputs.all_files,
        test_files=inputs.test_files,
        existing=inputs.existing,
        planned_commands=inputs.planned_commands,
        slowest_tests=inputs.slowest_tests,
        counts_source=inputs.counts_source,
        aggregate_problem=inputs.aggregate_problem,
        warnings=inputs.warnings,
    )


def render_verdict(model: ReportModel, report_path: os.PathLike[str] | str) -> str:
    """One screen for the end of a run: each worker's state, the combined figures against the gates, the report."""
    width = max((len(w.name) for w in model.workers), default=6)
    lines = ["", "covsplit verdict"]
    for w in model.workers:
        o = w.outcomes
        tests = f"{o['passed']} passed, {o['failed']} failed, {o['errors']} errors" if o else "no test results"
        line, branch = _coverage_text(w.coverage)
        scope = {OWN_TESTS: " (own tests only)", EARLIER: " (from before its latest run)"}.get(w.coverage_scope, "")
        seconds = f", {w.seconds:.1f} s" if w.seconds is not None else ""
        lines.append(
            f"  {w.name:<{width}}  {w.state_label:<12} {tests}{seconds}; its modules: "
            f"line {line.split(' ')[0]}, branch {branch.split(' ')[0]}{scope}"
        )
    c = model.combined
    if c is None:
        lines.append(f"  combined: none ({model.aggregate_problem})")
    else:
        gates = ", ".join(
            f"{g.name} {_pct_cell(g.actual)} against {format_threshold(g.threshold)}% "
            + ("ok" if g.passed is not False else f"FAILED by {format_shortfall(g.shortfall)}")
            for g in c.gates
        )
        state = "complete" if c.complete else "PARTIAL: " + ", ".join(f"{m.name} {m.state}" for m in c.missing)
        lines.append(f"  combined: {gates}; {state}")
    lines.append(f"  report: {report_path}")
    return "\n".join(lines)


def all_clear(model: ReportModel) -> bool:
    """Complete combined data, every gate passed, every worker's tests passed: what CI may call green."""
    c = model.combined
    return (
        c is not None
        and c.complete
        and not c.stale
        and all(g.passed is not False for g in c.gates)
        and all(w.state == status.PASSED for w in model.workers)
    )


def write_report(cfg: Config) -> int:
    """Write ``coverage_output/report.md`` and ``report.html``; 0 always, since gaps are content, not errors.

    The gates and the worker outcomes decide exit statuses elsewhere
    (``aggregate``, the workers); the report's job is to describe them.
    """
    md_path = cfg.layout.report_md
    html_path = cfg.layout.report_html
    with lock.hold(cfg.layout.combined_lock, "aggregate/report", wait=3600.0):
        model = model_for(cfg)
        fsio.write_text(md_path, render_markdown(model))
        fsio.write_text(html_path, render_html(model))
    print(f"report: wrote {md_path} and {html_path}")
    print(render_verdict(model, html_path))
    return 0
