"""Which worker runs which test file before any run was measured, how its ``tests`` entries are written, and the notes.

Measured seconds are placed by :func:`covsplit.schedule.place`; before any
run, a test file follows the module it is named after
(:mod:`covsplit.tests_to_modules`) unless that is unbalanced by the tests
counted in each file.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence

from covsplit import schedule
from covsplit.packing import PlanError
from covsplit.plan_inputs import Inputs
from covsplit.tests_to_modules import TestTarget, map_tests

# Before any run is measured, test files follow the modules they are named after (a readable split) while
# that keeps the heaviest worker within this factor of the ideal by test counts; beyond it, counts decide.
NAMES_SLACK = 1.25


def unmeasured_placement(
    inputs: Inputs,
    owned: Sequence[tuple[tuple[str, ...], tuple[str, ...]]],
    seconds: Mapping[str, float],
    n: int,
    notes: list[str],
) -> tuple[dict[str, int], dict[str, schedule.SharedPieces]]:
    """Where tests go before any run was timed: by the modules they are named after, unless that is unbalanced.

    Unbalanced is judged by each file's number of tests, counted from its
    source (``discover.estimated_tests``): on a suite where one file holds
    most of the tests, the first run would otherwise wait for one worker.
    """
    by_names: list[str] = []
    placed = _follow_modules(inputs, owned, seconds, n, by_names)
    if not inputs.estimates:
        notes += by_names
        return placed, {}
    counts = {t: sum(inputs.estimates.get(t, {}).values()) or 1.0 for t in inputs.test_files}
    by_counts = schedule.place(counts, inputs.estimates, {}, n, 0.0, inputs.together)
    named = max(schedule.loads(counts, placed, n))
    gives_every_worker_tests = len({*by_counts.whole.values(), *(e.owner for e in by_counts.shared.values())}) == n
    if named <= NAMES_SLACK * by_counts.ideal or not gives_every_worker_tests:
        notes += by_names
        return placed, {}
    notes.append(
        f"test files placed by their number of tests, counted from their source (no run has been measured yet; "
        f"following the modules they are named after would give one worker {named / by_counts.ideal:.2f}x the "
        "ideal): after a run, plan again to balance seconds"
    )
    notes += [shared_note(f, e, counts[f], "tests") for f, e in sorted(by_counts.shared.items())]
    return by_counts.whole, by_counts.shared


def shared_note(file: str, entry: schedule.SharedPieces, seconds: float, unit: str = "s") -> str:
    pieces = sum(len(parts) for parts in entry.parts.values())
    amount = f"{seconds:.2f} s" if unit == "s" else f"{seconds:.0f} {unit}"
    return (
        f"{file} ({amount}) is heavier than a worker's share: {len(entry.parts) + 1} workers share it "
        f"({pieces} part(s) named in the schedule file, the rest in one worker)"
    )


def measured_note(inputs: Inputs, seconds: Mapping[str, float], average: float | None) -> str:
    """How much of the time balanced was measured, and how much assumed."""
    measured = [t for t in inputs.test_files if t in inputs.durations]
    unmeasured = [t for t in inputs.test_files if t not in inputs.durations]
    measured_s = sum(seconds[t] for t in measured)
    assumed_s = sum(seconds[t] for t in unmeasured)
    total = measured_s + assumed_s
    note = (
        f"test seconds balanced: {measured_s:,.2f} s measured ({len(measured)} test files, collection included)"
        f" = {measured_s / total:.0%}"
        if total
        else "test seconds balanced: none"
    )
    if unmeasured:
        note += (
            f"; {assumed_s:,.2f} s assumed for {len(unmeasured)} never-measured test file(s) "
            f"at the mean, {average or 0.0:.2f} s"
        )
    return note + f"; plus a measured fixed cost of {inputs.fixed:.2f} s per worker"


def _follow_modules(
    inputs: Inputs,
    owned: Sequence[tuple[tuple[str, ...], tuple[str, ...]]],
    seconds: Mapping[str, float],
    n: int,
    notes: list[str],
) -> dict[str, int]:
    """Before any run was timed: a test file goes to the owner of the module it is named after."""
    targets = map_tests(inputs)
    file_owner = {f: worker for worker, (_modules, files) in enumerate(owned) for f in files}
    placed = {t: file_owner[target.source] for t, target in targets.items() if target.source in file_owner}
    orphans = [t for t in inputs.test_files if t not in placed]
    how = Counter(t.how for t in targets.values())
    notes.append(
        f"test files: {how['convention']} follow the module they are named after, {how['none']} test no single "
        "module and are spread; no run has been measured yet: after one, plan again to balance seconds"
    )
    # Ties go by what a worker owns, not by its position: re-planning the same ownership places them alike.
    _spread(orphans, seconds, placed, n, order=[sorted(files) for _modules, files in owned])
    moved = _ensure_tests(inputs.test_files, seconds, placed, targets, n)
    if moved:
        notes.append(f"moved {', '.join(moved)} away from its module so that every worker runs a test file")
    return placed


def _spread(
    orphans: Sequence[str],
    seconds: Mapping[str, float],
    owner: dict[str, int],
    n: int,
    order: Sequence[Sequence[str]] | None = None,
) -> None:
    """Give tests that test no single module to the workers with the least test time, longest first."""
    times = [0.0] * n
    counts = [0] * n
    for test, worker in owner.items():
        times[worker] += seconds[test]
        counts[worker] += 1
    for test in sorted(orphans, key=lambda t: (-seconds[t], t)):
        # A worker without any test file comes first: it must run something.
        worker = min(range(n), key=lambda w: (counts[w] > 0, times[w], order[w] if order else [], w))
        owner[test] = worker
        times[worker] += seconds[test]
        counts[worker] += 1


def _ensure_tests(
    tests: Sequence[str], seconds: Mapping[str, float], owner: dict[str, int], targets: Mapping[str, TestTarget], n: int
) -> list[str]:
    """Make every worker run at least one test file (workers.toml cannot say "no tests")."""
    moved = []
    for worker in range(n):
        if any(w == worker for w in owner.values()):
            continue
        counts = Counter(owner.values())
        movable = [t for t in tests if counts[owner[t]] > 1]
        if not movable:
            raise PlanError("not enough test files to give every worker one")
        # An unattached test first, then the cheapest.
        test = min(movable, key=lambda t: (targets[t].source is not None, seconds[t], t))
        owner[test] = worker
        if targets[test].source is not None:
            moved.append(test)
    return moved


def tests_entries(
    test_root: str, tests: Sequence[str], owner: Mapping[str, int], out_of_scope: Collection[str] = ()
) -> dict[int, list[str]]:
    """The ``tests`` entries per worker: a test folder whole when one worker runs all of it (and nothing else)."""
    names: dict[int, list[str]] = defaultdict(list)

    def emit(folder: str, inside: list[str]) -> None:
        held = {owner[t] for t in inside}
        prefix = "" if folder in ("", ".") else folder + "/"
        if len(held) == 1 and not any(t.startswith(prefix) for t in out_of_scope):
            names[held.pop()].append(folder)
            return
        sub: dict[str, list[str]] = defaultdict(list)
        for test in inside:
            head, _, tail = test[len(prefix) :].partition("/")
            if tail:
                sub[head].append(test)
            else:
                names[owner[test]].append(test)
        for head in sorted(sub):
            emit(prefix + head, sub[head])

    if tests:
        emit(test_root, sorted(tests))
    return names
