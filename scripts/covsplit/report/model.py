"""The report's model: every figure computed from the inputs, and the next steps as data; renderers only format."""

from __future__ import annotations

import math
import os
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any, ClassVar

from covsplit import commands, discover, durations, status
from covsplit.commands import Invocation
from covsplit.config import Config, Worker
from covsplit.numbers import Counts, Gate, Percent, exact, format_floor, format_percent
from covsplit.packing import ratio_floor
from covsplit.summary import OWN_TESTS, WHOLE_SUITE

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


def percent_text(value: Percent | None) -> str:
    """A percentage with its sign, as coverage.py shows it; "n/a" when there is nothing to measure."""
    return "n/a" if value is None else f"{format_percent(value)}%"


def outcome_word(key: str, count: int) -> str:
    """pytest's word for a tally ("1 error", "2 errors"); passed, failed and skipped never change."""
    return "error" if key == "errors" and count == 1 else key


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
    """One source file's counts, its owner, and where the counts came from."""

    path: str
    owner: str | None
    counts: Counts
    # "combined" (aggregate.json), "worker" (the owner's own JSON) or "" (not measured).
    source: str = ""


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
    coverage: Counts | None  # of the modules it owns
    coverage_scope: str  # summary.WHOLE_SUITE (combined data), summary.OWN_TESTS (ran alone) or "" (none)
    own_files: tuple[FileRow, ...]  # from its own coverage JSON; empty when there is none
    well_covered: tuple[FileRow, ...]
    uncovered: tuple[FileRow, ...]
    failure_categories: tuple[tuple[str, int], ...]
    artifacts: tuple[tuple[str, str], ...]  # (label, link relative to coverage_output/)
    html_href: str | None
    analysis_href: str | None  # the worker's failure analysis, when it exists
    command: str  # the pytest command it ran (paths relative to the project), else the one it would run, else ""
    command_ran: bool

    # Category -> the test files its failures are in (from the worker's status).
    failure_files: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # When its run ended (or started, if it never ended): the verdict tells a reused run from a new one.
    ran_at: datetime | None = None

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)

    @property
    def finished(self) -> bool:
        """It ran to the end (passed or failed), so it left test results and coverage data."""
        return self.state in FINISHED

    @property
    def state_heading(self) -> str:
        return f"{STATE_ICONS.get(self.state, '')} {self.state_label.upper()}".strip()

    @property
    def share_percent(self) -> Fraction | None:
        """Its statements as a percentage of the target per worker."""
        return _as_percent(self.share)

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
    coverage: Counts
    gates: tuple[Gate, ...]
    stale: tuple[str, ...]  # workers that finished after the aggregate was made
    html_href: str | None

    @property
    def gate_counts(self) -> dict[str, tuple[int | None, int | None]]:
        """Covered and total behind each gate's percentage."""
        return {
            "line": (self.coverage.covered_lines, self.coverage.statements),
            "branch": (self.coverage.covered_branches, self.coverage.branches),
        }


# ---------------------------------------------------------------------------
# Next steps: what to do, as data.  Each renderer phrases them in its own
# markup (templates/steps.j2), so no renderer parses another's output.


@dataclass(frozen=True)
class _Step:
    kind: ClassVar[str]

    @property
    def items(self) -> tuple[Any, ...]:
        """What the step lists one by one (files, categories); empty for a single sentence."""
        return ()


@dataclass(frozen=True)
class RunAll(_Step):
    """No worker has run yet."""

    command: str
    kind: ClassVar[str] = "run_all"


@dataclass(frozen=True)
class WaitFor(_Step):
    """A worker is still running: the aggregate comes after it."""

    worker: str
    since: str
    command: str
    kind: ClassVar[str] = "wait_for"


@dataclass(frozen=True)
class RaiseTimeout(_Step):
    """A worker was stopped at its time limit."""

    worker: str
    config: str
    command: str
    kind: ClassVar[str] = "raise_timeout"


@dataclass(frozen=True)
class Rerun(_Step):
    """A worker that did not finish (not run, crashed, ...), and why."""

    worker: str
    state: str
    message: str
    command: str
    kind: ClassVar[str] = "rerun"


@dataclass(frozen=True)
class FailureCategory:
    name: str
    count: int
    files: tuple[str, ...]  # the test files its failures are in; empty when the status did not record them


@dataclass(frozen=True)
class FixFailures(_Step):
    """A finished worker with failed or errored tests, each category with where it is."""

    worker: str
    failed: int
    errors: int
    tests: int
    categories: tuple[FailureCategory, ...]  # most frequent first
    analysis: str | None  # the failure analysis file, when it exists
    command: str
    # The suite in its usual order, in one process: failures that pass there come from the split (test order).
    serial_command: str = ""
    kind: ClassVar[str] = "fix_failures"

    @property
    def items(self) -> tuple[FailureCategory, ...]:
        return tuple(c for c in self.categories if c.files)


@dataclass(frozen=True)
class Combine(_Step):
    """Workers finished but there is no (readable) aggregate."""

    problem: str
    command: str
    kind: ClassVar[str] = "combine"


@dataclass(frozen=True)
class RerunAggregate(_Step):
    """The aggregate predates these workers' latest runs."""

    workers: tuple[str, ...]
    command: str
    kind: ClassVar[str] = "rerun_aggregate"


@dataclass(frozen=True)
class Refresh(_Step):
    """Workers whose data was measured against other versions of their inputs: left out, to be run again."""

    workers: tuple[MissingWorker, ...]
    command: str
    command_all: str
    kind: ClassVar[str] = "refresh"

    @property
    def items(self) -> tuple[MissingWorker, ...]:
        return self.workers


@dataclass(frozen=True)
class GateFails(_Step):
    gate: Gate
    partial: bool
    kind: ClassVar[str] = "gate_fails"


@dataclass(frozen=True)
class AddTests(_Step):
    """Files under a threshold, most missed statements first; ``listed`` of ``total`` are named."""

    listed: tuple[FileRow, ...]
    total: int
    line_threshold: float
    branch_threshold: float
    kind: ClassVar[str] = "add_tests"

    @property
    def items(self) -> tuple[FileRow, ...]:
        return self.listed


@dataclass(frozen=True)
class Load:
    worker: str
    statements: int
    share: Fraction | None  # of the target, as a percentage


@dataclass(frozen=True)
class Piece:
    """An indivisible module heavier than an even share: no split's max/mean gets below ``ratio``."""

    path: str
    statements: int
    ratio: Fraction


@dataclass(frozen=True)
class SlowFile:
    """A test file slower than an even share of the run: no schedule's max/mean gets below ``ratio``."""

    path: str
    seconds: float
    ratio: Fraction


@dataclass(frozen=True)
class Rebalance(_Step):
    """The statement loads are further apart than the tolerance."""

    max_mean: Fraction
    tolerance: float
    heaviest: Load
    lightest: Load
    command: str
    floor: Piece | None = None  # the module no split can divide, when it alone outweighs a share
    kind: ClassVar[str] = "rebalance"


@dataclass(frozen=True)
class RebalanceTime(_Step):
    """The workers' seconds are further apart than the tolerance."""

    max_mean: float
    tolerance: float
    slowest: str
    seconds: float | None
    command: str
    floor: SlowFile | None = None  # the test file no schedule can divide, when it alone outweighs a share
    kind: ClassVar[str] = "rebalance_time"


@dataclass(frozen=True)
class OwnModules(_Step):
    """Source files no worker owns."""

    files: tuple[FileRow, ...]
    statements: int
    config: str
    kind: ClassVar[str] = "own_modules"

    @property
    def items(self) -> tuple[FileRow, ...]:
        return self.files


@dataclass(frozen=True)
class RunTestFiles(_Step):
    """Test files in the project's scope that no worker runs and project.not_run does not leave out."""

    listed: tuple[str, ...]
    total: int
    command: str
    kind: ClassVar[str] = "run_test_files"


NextStep = (
    RunAll
    | WaitFor
    | RaiseTimeout
    | Rerun
    | FixFailures
    | Combine
    | Refresh
    | RerunAggregate
    | GateFails
    | AddTests
    | Rebalance
    | RebalanceTime
    | OwnModules
    | RunTestFiles
)


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
    floor: Piece | None  # packing.ratio_floor above 1: the tolerance counts from there
    heaviest: str | None
    lightest: str | None
    seconds_mean: float | None
    seconds_max_mean: float | None
    seconds_floor: SlowFile | None  # as floor, for the seconds of the test files (a file runs in one worker)
    seconds_missing: tuple[str, ...]
    combined: CombinedModel | None
    aggregate_problem: str  # why there is no combined data ("" when there is)
    next_steps: tuple[NextStep, ...]
    warnings: tuple[str, ...]
    combined_html_href: str
    # (node id, worker, seconds), slowest first: a hanging test is visible as itself, not as a file's seconds.
    slowest_tests: tuple[tuple[str, str, float], ...] = ()
    invoke: Invocation = field(default_factory=Invocation)  # how commands are typed for this config
    # The project's whole suite in one serial pytest, from its root: the order the tests usually run in.
    serial_command: str = ""
    # Test files in project.tests that no worker runs, unless project.not_run leaves them out on purpose.
    unrun_test_files: tuple[str, ...] = ()
    not_run_test_files: int = 0

    @property
    def allowed_max_mean(self) -> Fraction:
        """The tolerance, counted from the floor when one module outweighs an even share."""
        return Fraction(self.balance_tolerance) * (self.floor.ratio if self.floor else 1)

    @property
    def allowed_seconds_max_mean(self) -> float:
        """The tolerance for seconds, counted from the floor when one test file outweighs an even share."""
        return self.balance_tolerance * float(self.seconds_floor.ratio if self.seconds_floor else 1)

    @property
    def test_totals(self) -> dict[str, int]:
        """The project's outcomes: every worker's JUnit counts added up (:attr:`no_test_results` lack theirs)."""
        totals = dict.fromkeys(("passed", "failed", "errors", "skipped", "tests"), 0)
        for w in self.workers:
            for key in totals:
                totals[key] += (w.outcomes or {}).get(key, 0)
        return totals

    @property
    def no_test_results(self) -> tuple[str, ...]:
        return tuple(w.name for w in self.workers if not w.outcomes)

    @property
    def owned_files(self) -> int:
        return sum(len(w.files) for w in self.workers)

    @property
    def high_above(self) -> Fraction:
        """A worker above this percentage of the target is "High" (the balance tolerance)."""
        return exact(self.balance_tolerance) * 100

    @property
    def low_below(self) -> Fraction:
        return 100 / exact(self.balance_tolerance)


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
    if share > exact(tolerance):
        return "High"
    if share < 1 / exact(tolerance):
        return "Low"
    return "Balanced"


def _unimported(statements: int | None) -> Counts:
    """A file its tests never imported: none of it ran (unknown only when its size is)."""
    return Counts(statements=statements, covered_lines=None if statements is None else 0)


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
            rows.append(FileRow(path, worker.name, Counts.of_summary(_dict(entry.get("summary"))), "worker"))
        else:
            rows.append(FileRow(path, worker.name, _unimported(counts.get(path)), "worker"))
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
            row = FileRow(path, worker.name, Counts.from_dict(entry) or Counts(), "combined")
        elif path in own_by_path:
            row = own_by_path[path]
        else:
            row = FileRow(path, worker.name, Counts(statements=counts.get(path)))
        if row.counts.statements is None and path in counts:
            row = replace(row, counts=replace(row.counts, statements=counts[path]))
        rows.append(row)
    # Largest first: the modules that decide a worker's load and coverage lead.
    rows.sort(key=lambda r: (-(r.counts.statements or 0), r.path))

    statements = sum(counts.get(path, 0) for path in worker.files)
    uncounted = sum(1 for path in worker.files if path not in counts)
    share = Fraction(statements) / target if target else None

    outcomes_raw = record.get("outcomes")
    outcomes = None
    if isinstance(outcomes_raw, Mapping):
        outcomes = {key: _int(outcomes_raw, key) or 0 for key in ("tests", "passed", "failed", "errors", "skipped")}

    coverage, scope = Counts.from_dict(whole_suite), WHOLE_SUITE
    if coverage is None:
        coverage, scope = Counts.from_dict(record.get("coverage")), str(record.get("coverage_scope") or OWN_TESTS)
    if coverage is None and own_rows:
        # Only the reports on disk are left, written before the worker's latest run.
        scope = EARLIER
        coverage = Counts.total(r.counts for r in own_rows)

    measured = [r for r in own_rows if r.counts.statements]
    well = sorted(
        (r for r in measured if Gate("line", cfg.line_threshold, r.counts.line_percent).passed),
        key=lambda r: (-(r.counts.line_percent or 0), r.path),
    )
    uncovered = sorted(
        (r for r in measured if r.counts.covered_lines == 0), key=lambda r: (-(r.counts.statements or 0), r.path)
    )

    categories_raw = _dict(record.get("failure_categories"))
    categories = sorted(
        ((str(name), count) for name, count in categories_raw.items() if isinstance(count, int) and count > 0),
        key=lambda item: (-item[1], item[0]),
    )
    failure_files = {
        str(name): tuple(str(f) for f in files)
        for name, files in _dict(record.get("failure_files")).items()
        if isinstance(files, list)
    }

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
        command, ran = commands.readable(cfg, command_line), True
    else:
        command, ran = commands.readable(cfg, planned_command) if planned_command else "", False

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
        ran_at=_parse_time(record.get("finished_at") or record.get("started_at")),
        exit_status=_int(record, "exit_status"),
        outcomes=outcomes,
        coverage=coverage,
        coverage_scope=scope if coverage is not None else "",
        own_files=own_rows,
        well_covered=tuple(well),
        uncovered=tuple(uncovered),
        failure_categories=tuple(categories),
        failure_files=failure_files,
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
    totals = Counts.from_dict(aggregate.get("totals")) or Counts()
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
        files=totals.files,
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
    measured: durations.Measured | None = None,
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
    biggest = min(files_list, key=lambda path: (-counts.get(path, 0), path), default="")
    floor_ratio = ratio_floor(total, len(workers), counts.get(biggest, 0))
    floor = Piece(biggest, counts.get(biggest, 0), floor_ratio) if floor_ratio > 1 else None
    heaviest = max(workers, key=lambda w: w.statements).name if workers and mean else None
    lightest = min(workers, key=lambda w: w.statements).name if workers and mean else None

    timed = [w.seconds for w in workers if w.seconds is not None]
    seconds_mean = sum(timed) / len(timed) if timed else None
    seconds_max_mean = max(timed) / seconds_mean if timed and seconds_mean else None
    seconds_missing = tuple(w.name for w in workers if w.seconds is None)
    seconds_floor = _seconds_floor(measured, run_by_some, len(workers)) if measured is not None else None

    unowned = tuple(FileRow(path, None, Counts(statements=counts.get(path))) for path in cfg.unowned)

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
        floor=floor,
        heaviest=heaviest,
        lightest=lightest,
        seconds_mean=seconds_mean,
        seconds_max_mean=seconds_max_mean,
        seconds_floor=seconds_floor,
        seconds_missing=seconds_missing,
        combined=combined,
        aggregate_problem=problem,
        next_steps=(),
        warnings=tuple(warnings),
        combined_html_href=os.path.relpath(cfg.layout.combined_html / "index.html", cfg.output_dir),
        slowest_tests=tuple(slowest_tests),
        invoke=commands.invocation(cfg),
        serial_command=f"cd {shlex.quote(str(cfg.root))} && python -m pytest {shlex.join(cfg.test_paths)}",
    )
    return _with_next_steps(model)


def _seconds_floor(measured: durations.Measured, run: Iterable[str], workers: int) -> SlowFile | None:
    """The piece that keeps every schedule's seconds max/mean above 1, as the planner measures seconds.

    A test file whose tests were measured can be shared between workers, so
    its pieces are its tests; any other test file runs whole in one worker.
    """
    seconds: dict[str, float] = {}
    for path in run:
        if measured.tests.get(path):
            seconds.update(measured.tests[path])
        elif path in measured.files:
            seconds[path] = measured.files[path]
    if not seconds:
        return None
    slowest = min(seconds, key=lambda path: (-seconds[path], path))
    floor = ratio_floor(sum(seconds.values()), workers, seconds[slowest], measured.fixed_per_worker)
    return SlowFile(slowest, seconds[slowest], floor) if floor > 1 else None


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
            low_line = Gate("line", model.line_threshold, row.counts.line_percent).failed
            low_branch = Gate("branch", model.branch_threshold, row.counts.branch_percent).failed
            if low_line or low_branch:
                rows.append(row)
    rows.sort(key=lambda r: (-(r.counts.missed_lines or 0), -(r.counts.missed_branches or 0), r.path))
    return rows


def _with_next_steps(model: ReportModel) -> ReportModel:
    run = model.invoke
    steps: list[NextStep] = []
    workers = model.workers
    unfinished = [w for w in workers if w.state not in FINISHED]

    if unfinished and len(unfinished) == len(workers) and all(w.state == status.NOT_RUN for w in workers):
        steps.append(RunAll(run.make("coverage-all")))
    else:
        for w in unfinished:
            if w.state == status.RUNNING:
                steps.append(WaitFor(w.name, w.date, run.nox("-s", "aggregate")))
            elif w.state == status.TIMEOUT:
                steps.append(RaiseTimeout(w.name, model.config_name, run.nox("-s", w.name)))
            else:
                steps.append(Rerun(w.name, w.state_label, w.message, run.nox("-s", w.name)))

    for w in workers:
        if w.state in FINISHED and w.problems:
            assert w.outcomes is not None
            analysis = f"{w.name}_failure_analysis.md"
            steps.append(
                FixFailures(
                    worker=w.name,
                    failed=w.outcomes["failed"],
                    errors=w.outcomes["errors"],
                    tests=w.outcomes["tests"],
                    categories=tuple(
                        FailureCategory(name, count, w.failure_files.get(name, ()))
                        for name, count in w.failure_categories
                    ),
                    analysis=analysis if any(href == analysis for _, href in w.artifacts) else None,
                    command=run.nox("-s", w.name),
                    serial_command=model.serial_command,
                )
            )

    combined = model.combined
    if combined is None:
        if any(w.state in FINISHED for w in workers):
            steps.append(Combine(model.aggregate_problem, run.nox("-s", "aggregate")))
    else:
        stale = tuple(m for m in combined.missing if m.state == status.STALE)
        if stale:
            steps.append(
                Refresh(stale, run.nox("-s", *(m.name for m in stale), "aggregate", "report"), run.make("coverage-all"))
            )
        if combined.stale:
            steps.append(RerunAggregate(combined.stale, run.nox("-s", "aggregate")))
        steps += [GateFails(gate, not combined.complete) for gate in combined.gates if gate.failed]

    below = _below_thresholds(model)
    if below:
        steps.append(
            AddTests(tuple(below[:MAX_FILES_LISTED]), len(below), model.line_threshold, model.branch_threshold)
        )

    if model.max_mean is not None and model.max_mean > model.allowed_max_mean:
        by_name = {w.name: w for w in workers}
        heavy, light = by_name[model.heaviest or ""], by_name[model.lightest or ""]
        steps.append(
            Rebalance(
                model.max_mean,
                model.balance_tolerance,
                Load(heavy.name, heavy.statements, _as_percent(heavy.share)),
                Load(light.name, light.statements, _as_percent(light.share)),
                run.nox("-s", "plan"),
                model.floor,
            )
        )
    if model.seconds_max_mean is not None and model.seconds_max_mean > model.allowed_seconds_max_mean:
        slow = max((w for w in workers if w.seconds is not None), key=lambda w: w.seconds or 0)
        steps.append(
            RebalanceTime(
                model.seconds_max_mean,
                model.balance_tolerance,
                slow.name,
                slow.seconds,
                run.make("plan") + ' ARGS="--by duration"',
                model.seconds_floor,
            )
        )

    if model.unowned:
        steps.append(OwnModules(model.unowned, sum(r.counts.statements or 0 for r in model.unowned), model.config_name))

    if model.unrun_test_files:
        steps.append(
            RunTestFiles(model.unrun_test_files[:MAX_FILES_LISTED], len(model.unrun_test_files), run.nox("-s", "plan"))
        )
    return replace(model, next_steps=tuple(steps))


def _as_percent(share: Fraction | None) -> Fraction | None:
    return None if share is None else share * 100
