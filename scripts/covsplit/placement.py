"""Which worker runs which test before any run was measured, how ``tests`` entries are written, and the notes.

Measured seconds are placed by :func:`covsplit.schedule.place`.  Before any
run nothing predicts a test's seconds: neither names (a test file follows
the module it is named after) nor counts (dateutil's slowest file holds 9 of
its 3,000 tests and 60% of its seconds; markdown-it-py parametrises hundreds
of tests from data files no count from the source sees).  Placed by either,
the first run's heaviest worker took 1.7 to 1.9 times the ideal on those
suites.  So the tests are dealt: every worker lists the whole suite and
runs every N-th test in node id order (:func:`covsplit.run_once.deal`), a
slow file's tests spread over all the workers, whatever makes them slow;
simulated from those suites' measured seconds, the heaviest worker comes
within 1.2 to 1.4 times the ideal.  The price is that every worker collects
every test file, once, until a run has measured the seconds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence

from covsplit import node_ids, schedule
from covsplit.collection import nameable
from covsplit.plan_inputs import Inputs


def dealt_paths(inputs: Inputs) -> list[str]:
    """The test paths every worker lists when the tests are dealt: the scope, a folder whole where it holds only it.

    Each of the project's test paths whole, whatever names its files have
    (doctests of a package, a folder of ``.txt`` items), unless it holds a
    file out of scope; then its test files, folder by folder.
    """
    everything = dict.fromkeys(inputs.test_files, 0)
    entries: list[str] = []
    for path in inputs.test_paths or (inputs.test_root,):
        if not any(node_ids.covers(path, file) for file in inputs.out_of_scope):
            entries.append(path)
            continue
        inside = [file for file in inputs.test_files if node_ids.covers(path, file)]
        entries += tests_entries(path, inside, everything, inputs.out_of_scope, inputs.test_paths).get(0, [])
    return entries


def dealt_note(n: int) -> str:
    return (
        f"no run has been measured yet: every worker lists the whole suite and its tests are dealt round-robin "
        f"to the {n} workers (node id order, in the schedule file), so that no worker waits on one slow file; "
        "after a run, plan again to place them by measured seconds"
    )


def shared_note(file: str, entry: schedule.SharedPieces, seconds: float) -> str:
    pieces = sum(len(parts) for parts in entry.parts.values())
    return (
        f"{file} ({seconds:.2f} s) is heavier than a worker's share: {len(entry.parts) + 1} workers share it "
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


def tests_entries(
    test_root: str,
    tests: Sequence[str],
    owner: Mapping[str, int],
    out_of_scope: Collection[str] = (),
    test_paths: Sequence[str] = (),
) -> dict[int, list[str]]:
    """The ``tests`` entries per worker: a test folder whole when one worker runs all of it (and nothing else).

    Never a folder above the project's ``test_paths``: pytest given the
    root collects what its ``testpaths`` leave out (doctests of every
    module with ``--doctest-modules``, a ``benchmarks/`` folder).
    """
    names: dict[int, list[str]] = defaultdict(list)

    def within_scope(folder: str) -> bool:
        return not test_paths or any(node_ids.covers(path, folder) for path in test_paths)

    def emit(folder: str, inside: list[str]) -> None:
        held = {owner[t] for t in inside}
        prefix = "" if folder in ("", ".") else folder + "/"
        if len(held) == 1 and within_scope(folder) and not any(t.startswith(prefix) for t in out_of_scope):
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


def fold_unnameable(
    names: Mapping[int, Sequence[str]], placed: Mapping[str, int]
) -> tuple[dict[int, list[str]], dict[str, schedule.SharedPieces]]:
    """Workers list the folder of a test file that cannot be named, shared by the schedule file's rule.

    Each worker holding a file under such a folder lists the folder instead
    of its entries there; the folder's entry gives every other worker its
    files there by path (a node id prefix), and the owner, the worker with
    the most of them, the rest: so each test still runs once, collected as
    a serial run collects it.
    """
    entries: dict[int, list[str]] = defaultdict(list, {worker: list(listed) for worker, listed in names.items()})
    folders = sorted(
        {e.rpartition("/")[0] or "." for listed in entries.values() for e in listed if e in placed and not nameable(e)}
        - {"."}
    )
    # The outermost folders only: an inner one is already under a worker's listed folder.
    folders = [f for f in folders if not any(node_ids.covers(o, f) and o != f for o in folders)]
    shared: dict[str, schedule.SharedPieces] = {}
    for folder in folders:
        files = sorted(f for f in placed if node_ids.covers(folder, f) and f != folder)
        holders: dict[int, list[str]] = defaultdict(list)
        for file in files:
            holders[placed[file]].append(file)
        owner = max(sorted(holders), key=lambda w: len(holders[w]))
        shared[folder] = schedule.SharedPieces(owner, {w: tuple(fs) for w, fs in sorted(holders.items()) if w != owner})
        for worker in holders:
            kept = [e for e in entries[worker] if not node_ids.covers(folder, e.partition("::")[0])]
            entries[worker] = [*kept, folder]
    return entries, shared
