"""The planner: from the inputs and a number of workers to a plan, without printing or writing anything.

The hand-made split this replaces gave its workers 956 / 1,891 / 3,055 /
2,024 / 735 statements (max/mean 1.76), and on the real project statements
did not even predict time.  So the split is computed, as two separate choices:

* ownership (which worker answers for which modules, as in the spec) is
  organisation: each module weighs its statements, counted by coverage.py
  itself (:mod:`covsplit.statements`), and folders stay whole;
* scheduling (which worker runs which test file) is time: each test file
  weighs the seconds earlier runs measured for it, collection and imports
  included (:mod:`covsplit.durations`), placed longest first onto the least
  loaded worker (:mod:`covsplit.schedule`), whatever module it exercises.
  ``--by duration`` reschedules the tests and keeps the ownership.

Ownership, in short:

1. A source package lighter than the target (total / N) stays whole; a
   heavier one is split into its sub-folders and modules, recursively.
   Lighter folders are split too (heaviest first) only while keeping them
   whole leaves the split more than 2% off the ideal.
2. The pieces are packed three ways: greedy longest-first (LPT), LPT that
   prefers a worker already holding the piece's folder, and workers filled
   one after the other in folder order.
3. Each packing is improved by moves and swaps off the heaviest worker,
   then by moves and swaps that gather folders without going over the best
   balance (plus 1%, never beyond plain LPT's); the packing with the fewest
   (worker, folder) pairs wins, so the result is never worse than LPT.
4. Whole folders owned by one worker are written as one name; workers that
   survive keep their names, titles and comments.

The command that prints the plan and writes ``workers.toml`` is
:mod:`covsplit.plan`; the steps live beside this module: the source tree
(:mod:`covsplit.source_tree`), ownership (:mod:`covsplit.ownership`,
:mod:`covsplit.folder_packing`), test placement (:mod:`covsplit.schedule`,
:mod:`covsplit.placement`) and names (:mod:`covsplit.naming`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from covsplit import run_once, schedule, schedule_file
from covsplit.naming import name_workers
from covsplit.ownership import own_by_statements, ownership_stands, split_floor
from covsplit.packing import PlanError, ratio
from covsplit.placement import dealt_note, dealt_paths, fold_unnameable, measured_note, shared_note, tests_entries
from covsplit.plan_inputs import Inputs, OldWorker, seconds_per_test
from covsplit.plan_model import Plan
from covsplit.schedule import BY_DURATION, BY_STATEMENTS
from covsplit.source_tree import Node, source_tree


def make_plan(inputs: Inputs, n: int, by: str = BY_STATEMENTS, old: Sequence[OldWorker] = ()) -> Plan:
    """Split the modules and test files of ``inputs`` into ``n`` workers.

    Two separate choices.  Ownership (which worker answers for which
    modules) balances statements and keeps folders whole; ``--by duration``
    keeps the current ownership when the number of workers is unchanged.
    Scheduling (which worker runs which test file) balances measured seconds,
    longest first onto the least loaded worker, whatever module a test file
    exercises; before any run was measured, nothing says which tests are
    slow, so every worker lists the whole suite and its tests are dealt
    round-robin (:func:`covsplit.run_once.deal`).
    """
    if by not in (BY_STATEMENTS, BY_DURATION):
        raise PlanError(f"unknown measure {by!r}: use {BY_STATEMENTS} or {BY_DURATION}")
    if n < 1:
        raise PlanError(f"cannot split into {n} workers: ask for at least 1")
    notes: list[str] = []
    seconds, average = seconds_per_test(inputs)
    timed = average is not None
    if by == BY_DURATION and not timed:
        raise PlanError(
            "no measured durations (no *_durations.json in coverage_output/): "
            "run the workers once (make coverage-all), or plan --by statements"
        )
    tops = source_tree(inputs)
    stmts = inputs.statements
    owned, statement_ideal = _ownership(inputs, tops, n, by, old, notes)
    if n > len(inputs.test_files):
        raise PlanError(
            f"{n} workers but only {len(inputs.test_files)} test files: a worker would run nothing; "
            f"ask for at most {len(inputs.test_files)} workers"
        )
    tests = _schedule(inputs, n, seconds, average, notes)
    drafts, folded = _drafts(inputs, owned, tests, seconds, notes)
    workers = name_workers(drafts, old, stmts, tops, inputs)
    if by == BY_DURATION:
        total = sum(seconds.values()) + n * inputs.fixed
        ideal = (
            tests.placement.ideal
            if tests.placement is not None
            else schedule.ideal_makespan(list(seconds.values()), n, inputs.fixed)
        )
    else:
        total = float(sum(stmts.get(f, 0) for _modules, files in owned for f in files))
        ideal = statement_ideal
    named = _named_schedule([w.name for w in workers], tests, folded, inputs)
    return Plan(by=by, workers=tuple(workers), total=total, notes=tuple(notes), ideal=ideal, shared=named)


def _ownership(
    inputs: Inputs, tops: Sequence[Node], n: int, by: str, old: Sequence[OldWorker], notes: list[str]
) -> tuple[list[tuple[tuple[str, ...], tuple[str, ...]]], float]:
    """Each worker's (modules, files) and the ideal statements per worker: kept as written where that stands."""
    if by == BY_DURATION and len(old) == n and not any(w.missing for w in old):
        notes.append("ownership kept as in workers.toml; test files rescheduled by measured seconds")
        return [(tuple(w.modules), tuple(w.files)) for w in old], 0.0
    if ownership_stands(old, n, inputs):
        loads = [sum(inputs.statements.get(f, 0) for f in w.files) for w in old]
        floor = split_floor(old, n, inputs)
        within = f"{inputs.tolerance:g} (thresholds.balance)"
        if floor > 1:
            within += f" times {float(floor):.3f}, the floor no split gets below"
        notes.append(
            f"ownership kept as in workers.toml: max/mean statements {ratio(loads):.3f} is within the tolerance "
            f"{within}; no module moves without a gain above it"
        )
        return [(tuple(w.modules), tuple(w.files)) for w in old], sum(loads) / n
    return own_by_statements(inputs, tops, n, notes)


@dataclass(frozen=True)
class _Tests:
    """Which worker runs which test file: placed whole, shared in pieces, or (not measured yet) dealt."""

    placed: dict[str, int] = field(default_factory=dict)  # test file -> the worker running all of it
    shared: dict[str, schedule.SharedPieces] = field(default_factory=dict)
    dealt: list[str] = field(default_factory=list)  # test paths every worker lists, their tests dealt
    placement: schedule.Placement | None = None  # when measured seconds placed them


def _schedule(inputs: Inputs, n: int, seconds: dict[str, float], average: float | None, notes: list[str]) -> _Tests:
    """Place the test files by measured seconds; with none measured, deal them (one worker runs them all)."""
    if average is not None:
        placement = schedule.place(seconds, inputs.tests, inputs.collect, n, inputs.fixed, inputs.together)
        notes.append(measured_note(inputs, seconds, average))
        notes += [shared_note(file, entry, seconds[file]) for file, entry in sorted(placement.shared.items())]
        return _Tests(placement.whole, placement.shared, placement=placement)
    if n == 1:
        return _Tests(placed=dict.fromkeys(inputs.test_files, 0))
    notes.append(dealt_note(n))
    return _Tests(dealt=dealt_paths(inputs))


def _drafts(
    inputs: Inputs,
    owned: Sequence[tuple[tuple[str, ...], tuple[str, ...]]],
    tests: _Tests,
    seconds: dict[str, float],
    notes: list[str],
) -> tuple[list[dict[str, Any]], dict[str, schedule.SharedPieces]]:
    """Each worker before it is named (its modules, ``tests`` entries, test files run, loads), and folded folders.

    A folded folder is one whose test files cannot be named one by one
    (:func:`covsplit.placement.fold_unnameable`): the workers holding its
    files list the folder, and the schedule file shares it between them.
    """
    placed, shared, n = tests.placed, tests.shared, len(owned)
    whole = [t for t in inputs.test_files if t in placed]
    # A folder holding a shared file is never written whole: its other workers would run all of it.
    test_names = tests_entries(
        inputs.test_root, whole, placed, inputs.out_of_scope | frozenset(shared), inputs.test_paths
    )
    test_names, folded = fold_unnameable(test_names, placed)
    if folded:
        notes.append(
            f"{len(folded)} folder(s) hold test files pytest collects otherwise when they are named (items a "
            f"conftest makes of other files, doctest modules): the workers that share them list the folder and "
            f"the schedule file says which of its files each runs ({', '.join(sorted(folded))})"
        )
    drafts = []
    for worker, (modules, files) in enumerate(owned):
        sharing_here = [f for f, entry in shared.items() if worker == entry.owner or worker in entry.parts]
        runs = tuple(sorted([*(t for t, w in placed.items() if w == worker), *sharing_here]))
        drafts.append(
            {
                "modules": tuple(sorted(modules)),
                "tests": tuple(sorted({*test_names[worker], *sharing_here, *tests.dealt})),
                "files": files,
                "test_files": runs if tests.placement is not None else inputs.test_files,
                "statements": sum(inputs.statements.get(f, 0) for f in files),
                "seconds": round(tests.placement.loads[worker], 3)
                if tests.placement is not None
                else round(inputs.fixed + sum(seconds.values()) / n, 3),
            }
        )
    return drafts, folded


def _named_schedule(
    names: Sequence[str], tests: _Tests, folded: Mapping[str, schedule.SharedPieces], inputs: Inputs
) -> dict[str, schedule_file.ScheduleEntry]:
    """The schedule file's entries, by worker name: the files shared in pieces, folded folders, dealt paths."""
    named: dict[str, schedule_file.ScheduleEntry] = {
        file: schedule_file.SharedFile(names[entry.owner], {names[w]: parts for w, parts in entry.parts.items()})
        for file, entry in {**tests.shared, **folded}.items()
    }
    for path in tests.dealt:
        # Groups kept together are dealt as one hand wherever their files are.
        named[path] = schedule_file.DealtPath.among(names, run_once.groups_under(path, inputs.together))
    return named
