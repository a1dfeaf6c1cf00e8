"""A plan as data: the planned workers (what each owns and runs, its name and title) and their balance."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from covsplit import schedule_file
from covsplit.packing import ratio
from covsplit.schedule import BY_STATEMENTS


@dataclass(frozen=True)
class PlannedWorker:
    name: str
    title: str
    modules: tuple[str, ...]
    tests: tuple[str, ...]
    files: tuple[str, ...]
    test_files: tuple[str, ...]
    statements: int
    seconds: float
    # The old worker whose name and title this one kept, if any.
    survives: str | None = None
    # Whether it kept the title workers.toml gave it (it still fits what the worker owns).
    title_kept: bool = False


@dataclass(frozen=True)
class Plan:
    by: str
    workers: tuple[PlannedWorker, ...]
    total: float
    notes: tuple[str, ...] = ()
    # The best makespan any split could reach: total / N, or the heaviest piece
    # that cannot be cut (a module's statements; a single test's seconds).
    ideal: float = 0.0
    # Test files shared between workers, with which parts each runs (the schedule file beside workers.toml).
    shared: Mapping[str, schedule_file.ScheduleEntry] = field(default_factory=dict)

    @property
    def loads(self) -> list[float]:
        return [w.statements if self.by == BY_STATEMENTS else w.seconds for w in self.workers]

    @property
    def ratio(self) -> float:
        return ratio(self.loads)

    @property
    def target(self) -> float:
        return self.total / len(self.workers)
