"""The report's model: every figure of the report, computed from the inputs, and the next steps as data.

:func:`covsplit.report.build.build_model` computes it; the renderers only
format it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from covsplit.commands import Invocation
from covsplit.numbers import exact
from covsplit.outputs import Race
from covsplit.packing import allowed_max_mean
from covsplit.report.steps import Diagnosed, NextStep
from covsplit.report.views import CombinedModel, FileRow, HeavyModule, SlowFile, WorkerModel


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
    floor: HeavyModule | None  # packing.ratio_floor above 1: the tolerance counts from there
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
    # The seed(s) a shuffling plugin ordered the tests with, and that such coverage varies (covsplit.shuffle).
    shuffle: str = ""
    # Tests of different workers whose last runs wrote the same files (covsplit.outputs.races).
    races: tuple[Race, ...] = ()
    # covsplit.diagnose's findings for each worker whose latest run it diagnosed, and why it did not run.
    diagnosed: Mapping[str, tuple[Diagnosed, ...]] = field(default_factory=dict)
    diagnosis_note: str = ""

    @property
    def allowed_max_mean(self) -> Fraction:
        """The tolerance, counted from the floor when one module outweighs an even share."""
        return allowed_max_mean(self.balance_tolerance, Fraction(self.floor.ratio) if self.floor else None)

    @property
    def allowed_seconds_max_mean(self) -> float:
        """The tolerance for seconds, counted from the floor when one test file outweighs an even share."""
        floor = Fraction(self.seconds_floor.ratio) if self.seconds_floor else None
        return float(allowed_max_mean(self.balance_tolerance, floor))

    @property
    def test_totals(self) -> dict[str, int]:
        """The project's outcomes: every worker's JUnit counts added up (:attr:`no_test_results` lack theirs).

        A file several workers collect (shared, or dealt) reports a module-level
        skip or an import error in each of them; it counts once, as in one serial run.
        """
        totals = dict.fromkeys(("passed", "failed", "errors", "skipped", "tests"), 0)
        seen: set[str] = set()
        for w in self.workers:
            for key in totals:
                totals[key] += (w.outcomes or {}).get(key, 0)
            if not w.outcomes:
                continue
            for node, outcomes in w.collection_outcomes.items():
                if node in seen:
                    totals["tests"] -= 1
                    for outcome in outcomes:
                        if outcome in totals:
                            totals[outcome] -= 1
                seen.add(node)
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
