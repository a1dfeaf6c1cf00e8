"""The report's views: one source file, one worker, the combined data and the pieces no split can divide.

Plain frozen data, computed by :mod:`covsplit.report.build`; the
templates read their fields and properties and compute nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from covsplit import status
from covsplit.numbers import Counts, Gate

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
    # The workers its test paths are dealt to, one test in N each (run_once.deal); 0 when not dealt.
    dealt_among: int = 0
    # Outcomes of collecting files, by node id: counted once in the project's totals (several workers collect).
    collection_outcomes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # When its failures ran, if its latest run ran only other test files and kept them all (covsplit.rerun); else "".
    failures_from: str = ""

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
        return as_percent(self.share)

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
    outdated_by: tuple[str, ...]  # workers whose latest runs finished after the aggregate was made
    html_href: str | None
    # The tests the workers ran against one serial collection (covsplit.suite): what was missing or doubled,
    # or why it could not be checked.
    tests_problems: tuple[str, ...] = ()
    tests_unverified: str = ""

    @property
    def gate_counts(self) -> dict[str, tuple[int | None, int | None]]:
        """Covered and total behind each gate's percentage."""
        counted = {
            "line": (self.coverage.covered_lines, self.coverage.statements),
            "branch": (self.coverage.covered_branches, self.coverage.branches),
        }
        return counted | {gate.name: gate.counted for gate in self.gates if gate.counted != (None, None)}


@dataclass(frozen=True)
class HeavyModule:
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


def as_percent(share: Fraction | None) -> Fraction | None:
    """A share of the target (1 is an even share) as a percentage."""
    return None if share is None else share * 100
