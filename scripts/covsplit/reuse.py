"""What each worker's last run is worth now: one rule, read by ``pending``, the aggregate and the report.

A worker's run leaves a status, a data file and the inputs it depended on
(:mod:`covsplit.inputs`).  Three readers must agree on what that run is
worth: ``make coverage-all`` (run the worker again, or reuse it), the
aggregate (combine its data, or call the total partial) and the report
(say which, and why).  :func:`states` reads each worker once into a
:class:`WorkerState`; its :attr:`~WorkerState.standing` is the one answer:

* ``current``: it finished (passed or failed), for this config, left its
  data, and every input it recorded still matches the tree.  Its data is
  combined and reused as is: a failure whose inputs did not change would
  fail the same way (``RETRY=1`` runs it again, for a flaky test);
* ``stale``: it finished, but something it depended on changed since.
  Data measured on other versions of its inputs is never combined.  This
  is the only meaning of "stale" in covsplit;
* ``unfinished``: it crashed, timed out, is running or was killed, or never
  ran.  Never reused: what it would have done is unknown;
* ``no data``: it finished but left no coverage data file;
* ``foreign``: its files were written by a run of another config beside
  this one.

Standard library only: ``covsplit pending`` runs before any virtualenv.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from covsplit import inputs, outputs, shuffle, status
from covsplit.config import Config
from covsplit.digests import DigestCache


class Standing(enum.Enum):
    CURRENT = "current"
    STALE = status.STALE
    UNFINISHED = "unfinished"
    NO_DATA = "no data"
    FOREIGN = "foreign"


@dataclass(frozen=True)
class WorkerState:
    """One worker's last run as its files record it, and what it is worth against the tree now."""

    name: str
    title: str
    state: str  # the status it recorded (covsplit.status), or derived: not run, crashed
    message: str
    has_data: bool
    root: str | None
    started_at: str | None
    finished_at: str | None
    seed: int | None
    shuffled_by: tuple[str, ...]
    outcomes: dict[str, int] | None
    # The other config whose run wrote its files; "" when it is this config's.
    foreign_config: str
    # What changed since it ran, when it finished; empty when nothing did.
    changes: tuple[str, ...]

    @property
    def finished(self) -> bool:
        return self.state in (status.PASSED, status.FAILED)

    @property
    def standing(self) -> Standing:
        if self.foreign_config:
            return Standing.FOREIGN
        if not self.finished:
            return Standing.UNFINISHED
        if not self.has_data:
            return Standing.NO_DATA
        if self.changes:
            return Standing.STALE
        return Standing.CURRENT

    @property
    def combinable(self) -> bool:
        """Whether its data goes into the combined data: this config's, present, and measured on this tree.

        A crashed run's data (kept up to its last save) is combined too, and
        the total is called partial for it (:attr:`missing`).
        """
        return self.has_data and not self.foreign_config and not self.changes

    @property
    def missing(self) -> str:
        """Why the combined data lacks this worker's complete data ("" when it does not)."""
        standing = self.standing
        if standing is Standing.FOREIGN:
            return (
                f"its files were written by a run of another config ({self.foreign_config}); run this config's worker"
            )
        if standing is Standing.UNFINISHED:
            return self.message or self.state
        if standing is Standing.NO_DATA:
            return "the worker finished but left no coverage data file"
        if standing is Standing.STALE:
            return f"its inputs changed since it ran ({self.started_at}): " + ", ".join(self.changes)
        return ""

    @property
    def missing_state(self) -> str:
        """The state the aggregate names for a missing worker: "stale" for changed inputs, else its own."""
        return status.STALE if self.standing is Standing.STALE else self.state

    @property
    def failed_tests(self) -> int:
        o = self.outcomes or {}
        return int(o.get("failed", 0)) + int(o.get("errors", 0))


@dataclass(frozen=True)
class Decision:
    """One worker: run it (and why) or reuse its data (measured when)."""

    worker: str
    run: bool
    why: str


def decide(state: WorkerState, full: bool = False, retry: bool = False, seed: int | None = None) -> Decision:
    """Run or reuse one worker; ``retry``: run failed ones again; ``seed``: the one asked for (``SEED=n``)."""
    standing = state.standing
    if full:
        return Decision(state.name, True, "FULL=1")
    if standing is Standing.FOREIGN:
        return Decision(state.name, True, f"its files are another config's ({state.foreign_config})")
    if standing is Standing.UNFINISHED:
        return Decision(state.name, True, state.state)
    if standing is Standing.NO_DATA:
        return Decision(state.name, True, "it left no coverage data")
    if standing is Standing.STALE:
        return Decision(state.name, True, "stale: " + ", ".join(state.changes))
    if retry and state.state == status.FAILED:
        return Decision(state.name, True, f"RETRY=1: {_failed(state)}")
    differs = shuffle.seed_differs(state.seed if state.shuffled_by else None, seed)
    if differs:
        return Decision(state.name, True, differs)
    when = state.finished_at or "?"
    if state.state == status.FAILED:
        return Decision(state.name, False, f"{_failed(state)}, inputs unchanged since it ran, {when}")
    return Decision(state.name, False, f"inputs unchanged since it ran, {when}")


def _failed(state: WorkerState) -> str:
    count = state.failed_tests
    return f"{count} failed" if count else "it failed"


def states(cfg: Config, cache: DigestCache | None = None) -> list[WorkerState]:
    """Each worker's state, read once: its status, whether it left data, and what changed since it ran."""
    cache = cache or DigestCache(None)
    # Read once for every worker: what any worker's last run wrote is no worker's input.
    written = outputs.known(cfg)
    found = []
    for worker in cfg.workers:
        paths = cfg.layout.worker(worker.name)
        record = status.read(paths.status)
        foreign = _foreign_config(record.get("config"), cfg)
        finished = record["state"] in (status.PASSED, status.FAILED) and not foreign
        outcomes = record.get("outcomes")
        found.append(
            WorkerState(
                name=worker.name,
                title=worker.title,
                state=record["state"],
                message=record.get("message", ""),
                has_data=paths.data_file.exists(),
                root=record.get("root"),
                started_at=record.get("started_at"),
                finished_at=record.get("finished_at"),
                seed=record.get("seed"),
                shuffled_by=tuple(record.get("shuffled_by") or ()),
                outcomes=dict(outcomes) if isinstance(outcomes, dict) else None,
                foreign_config=foreign,
                changes=tuple(inputs.stale_reasons(cfg, worker, record, cache, written)) if finished else (),
            )
        )
    return found


def changes_by_worker(found: Iterable[WorkerState]) -> dict[str, list[str]]:
    """What changed since each worker ran: the part of the states the aggregate's digest covers."""
    return {state.name: list(state.changes) for state in found}


def missing(found: Sequence[WorkerState]) -> list[dict[str, str]]:
    """The workers whose data the combined data lacks, each with its state and why: ``aggregate.json``'s list."""
    return [
        {"worker": state.name, "state": state.missing_state, "reason": state.missing}
        for state in found
        if state.missing
    ]


def _foreign_config(recorded: Any, cfg: Config) -> str:
    """The other config a status was written for ("" when it is this one, or a machine's own copy of it)."""
    if not isinstance(recorded, str) or not recorded:
        return ""
    # Outputs sit beside their config, so only configs in one folder can share them; and on a CI
    # fleet each machine has its own checkout path for the same file.  So the file's name decides.
    return "" if Path(recorded).name == cfg.path.name else recorded
