"""Judge whether an exported model reproduces its reference numerically."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

Vector = list[float]


@dataclass
class Verdict:
    passed: bool
    max_abs_diff: float
    mean_abs_diff: float
    n_cases: int
    failures: list[int] = field(default_factory=list)

    def summary(self) -> str:
        status = "PASS" if self.passed else "FAIL"
        return f"{status}: {self.n_cases} cases, max |diff| {self.max_abs_diff:.2e}, {len(self.failures)} failing"


def close(a: float, b: float, atol: float, rtol: float) -> bool:
    return abs(a - b) <= atol + rtol * abs(b)


def judge(
    reference: Callable[[Vector], Vector],
    candidate: Callable[[Vector], Vector],
    inputs: Sequence[Vector],
    atol: float = 1e-4,
    rtol: float = 1e-3,
) -> Verdict:
    """Run both callables on every input and compare elementwise."""
    if not inputs:
        raise ValueError("judge() needs at least one input")
    max_diff = 0.0
    total_diff = 0.0
    count = 0
    failures = []
    for index, x in enumerate(inputs):
        expected, actual = reference(x), candidate(x)
        if len(expected) != len(actual):
            failures.append(index)
            continue
        case_ok = True
        for e, a in zip(expected, actual, strict=True):
            diff = abs(e - a)
            max_diff = max(max_diff, diff)
            total_diff += diff
            count += 1
            if not close(a, e, atol, rtol):
                case_ok = False
        if not case_ok:
            failures.append(index)
    mean = total_diff / count if count else 0.0
    return Verdict(not failures, max_diff, mean, len(inputs), failures)
