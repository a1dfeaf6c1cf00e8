"""Which worker runs which test file: longest first onto the least loaded worker.

Scheduling is separate from ownership.  Who owns which modules is
organisation (folders, statements, readable titles); which worker runs
which test file only decides how long the run takes.  On a library where
21 of 25 test files execute its one big module, tying tests to the module's
owner left one worker at 22 s and four at 4 s.  So test files are placed
by their measured seconds alone, with the classic greedy LPT rule
(pytest-split's ``least_duration``), which is within 4/3 of the optimum
and, with many small files, close to it.

Pure functions: seconds in, placement out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# What a plan balances: statements owned (organisation) or measured seconds (scheduling).
BY_STATEMENTS = "statements"
BY_DURATION = "duration"
MEASURES = (BY_STATEMENTS, BY_DURATION)


def longest_first(seconds: Mapping[str, float], workers: int) -> dict[str, int]:
    """Place each test file on a worker (0-based): longest first, onto the least loaded.

    Ties go to the worker with fewer files, then the lower index, and equal
    files are taken in name order, so the same input always gives the same
    placement and every worker gets a file while there are enough of them.
    """
    if workers < 1:
        raise ValueError(f"cannot schedule onto {workers} workers")
    loads = [0.0] * workers
    counts = [0] * workers
    placed: dict[str, int] = {}
    for test in sorted(seconds, key=lambda t: (-seconds[t], t)):
        worker = min(range(workers), key=lambda w: (loads[w], counts[w], w))
        placed[test] = worker
        loads[worker] += seconds[test]
        counts[worker] += 1
    return placed


def loads(seconds: Mapping[str, float], placed: Mapping[str, int], workers: int, fixed: float = 0.0) -> list[float]:
    """Each worker's seconds: its fixed cost plus its test files'."""
    totals = [fixed] * workers
    for test, worker in placed.items():
        totals[worker] += seconds[test]
    return totals


def ideal_makespan(seconds: Sequence[float], workers: int, fixed: float = 0.0) -> float:
    """The shortest any placement could take: an even share, or the longest single file if that is more."""
    if not seconds:
        return fixed
    return fixed + max(sum(seconds) / workers, max(seconds))
