"""The next steps: what to do, as data, one type per kind of step.

Each renderer phrases them in its own markup (``templates/steps.j2``), so
no renderer parses another's output; :mod:`covsplit.report.next_steps`
picks them.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

from covsplit.numbers import Gate
from covsplit.outputs import Race
from covsplit.report.views import FileRow, HeavyModule, MissingWorker, SlowFile


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
class Diagnosed:
    """One failed test as ``make diagnose`` found it (covsplit.diagnose): what it is, and the group that fixes it."""

    test: str
    verdict: str  # covsplit.diagnose's verdict name
    text: str  # the verdict in words, with what it needs and what finding that cost
    group: tuple[str, ...] = ()  # the project.keep_together group that fixes it; empty when none does
    needs: tuple[str, ...] = ()  # the tests it passes after (caused by the split), in serial order
    runs: int = 0
    seconds: float = 0.0


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
    # `make coverage-all` reuses a failure whose inputs did not change (covsplit.reuse): this runs it again.
    retry_command: str = ""
    # When the failures ran, if the worker's latest run ran only other test files and kept them; else "".
    failures_from: str = ""
    # What the diagnosis of this worker's latest run found, per failed test (empty: not diagnosed).
    diagnosed: tuple[Diagnosed, ...] = ()
    diagnosed_more: int = 0  # findings beyond those listed
    # Why the diagnosis did not run (its budget), when it did not.
    diagnosis_note: str = ""
    diagnose_command: str = ""
    kind: ClassVar[str] = "fix_failures"

    @property
    def fixes(self) -> bool:
        """Whether the diagnosis found groups that keep split-caused failures' tests together."""
        return any(d.group for d in self.diagnosed)

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
class Rebalance(_Step):
    """The statement loads are further apart than the tolerance."""

    max_mean: Fraction
    tolerance: float
    heaviest: Load
    lightest: Load
    command: str
    floor: HeavyModule | None = None  # the module no split can divide, when it alone outweighs a share
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
class PlaceDealt(_Step):
    """The tests are dealt (planned before any run was measured) and every dealt worker has now measured its own."""

    workers: int
    command: str
    kind: ClassVar[str] = "place_dealt"


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


@dataclass(frozen=True)
class MatchSuite(_Step):
    """The workers did not run one serial collection of the suite: tests missing, doubled, or not in it."""

    problems: tuple[str, ...]
    command: str
    kind: ClassVar[str] = "match_suite"


@dataclass(frozen=True)
class KeepRacesTogether(_Step):
    """Tests of different workers wrote the same files: they race when the workers run at once."""

    races: tuple[Race, ...]
    config: str
    command: str
    kind: ClassVar[str] = "keep_races_together"

    @property
    def items(self) -> tuple[Race, ...]:
        return self.races


NextStep = (
    RunAll
    | WaitFor
    | RaiseTimeout
    | Rerun
    | FixFailures
    | KeepRacesTogether
    | Combine
    | Refresh
    | RerunAggregate
    | GateFails
    | AddTests
    | Rebalance
    | RebalanceTime
    | PlaceDealt
    | OwnModules
    | RunTestFiles
    | MatchSuite
)
