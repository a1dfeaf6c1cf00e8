"""Percentages: computed exactly, gated exactly, shown as coverage.py shows them.

A user compares our figures with ``coverage report``, so a percentage is
displayed by coverage.py's own rule (``coverage.results.display_covered``)
at two decimals: rounded, except that it never reads 100.00 unless every
line is covered and never 0.00 unless none is (86.638% shows as 86.64,
99.996% as 99.99, 0.004% as 0.01).  Gates never round: a gate at 80% fails
at 79.999%, so percentages stay exact fractions until they are displayed,
and a shortfall is rounded up so a failed gate never reads "short by 0.00".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

Percent = Fraction | float
# Decimals shown, as coverage.py's --precision.
DISPLAY_PRECISION = 2


def percent(covered: int | None, total: int | None) -> Fraction | None:
    """An exact percentage, or None when there is nothing to measure."""
    if covered is None or not total:
        return None
    return Fraction(covered * 100, total)


def hundredths(value: Percent, rounding: Callable[[Fraction | float], int]) -> int:
    """``value`` in hundredths of a percent, rounded the given way (floor or ceil)."""
    if isinstance(value, Fraction):
        return rounding(value * 100)
    # Percentages read back from JSON are floats; shed representation noise first.
    return rounding(round(float(value) * 100, 6))


def format_percent(value: Percent | None, missing: str = "n/a") -> str:
    """Two decimals, by coverage.py's display rule: "54.17" for 13/24, "99.99" for 9999.6/10000.

    The same arithmetic as coverage.py's (a float percentage, Python's
    ``round``), so the digits match ``coverage report --precision=2``
    exactly; a test checks it against coverage.py itself.
    """
    if value is None:
        return missing
    pc = float(value)
    near0 = 1.0 / 10**DISPLAY_PRECISION
    if 0 < pc < near0:
        pc = near0
    elif (100.0 - near0) < pc < 100:
        pc = 100.0 - near0
    else:
        pc = round(pc, DISPLAY_PRECISION)
    return f"{pc:.{DISPLAY_PRECISION}f}"


def format_floor(value: Percent | None, missing: str = "n/a") -> str:
    """Two decimals, floored: for ratios checked against a tolerance, so 1.2499 never reads as 1.25."""
    if value is None:
        return missing
    units = hundredths(value, math.floor)
    return f"{units // 100}.{units % 100:02d}"


def format_shortfall(value: Percent) -> str:
    """Points missing to a threshold, rounded up: a failed gate never reads "short by 0.00"."""
    units = hundredths(value, math.ceil)
    return f"{units // 100}.{units % 100:02d}"


def percent_text(value: Percent | None, missing: str = "n/a") -> str:
    """A percentage with its sign ("54.17%"), by :func:`format_percent`'s rule; ``missing`` when there is none."""
    return missing if value is None else f"{format_percent(value)}%"


def exact(threshold: float) -> Fraction:
    """A threshold as written in workers.toml, exactly: 33.3 is 333/10, not the float nearest it."""
    return Fraction(repr(float(threshold)))


@dataclass(frozen=True)
class Gate:
    """A coverage gate, by one rule for every reporter.

    Exact: 79.999% fails a gate at 80.  Nothing to measure (a project with
    no branches) neither passes nor fails: ``passed`` is None, and only a
    gate whose ``passed`` is False fails a run.
    """

    name: str
    threshold: float
    actual: Percent | None
    # Who chose the threshold, for people: "covsplit's default", "workers.toml [thresholds] line", the project's key.
    source: str = ""
    # None: covsplit's exact rule.  A number of decimals: coverage.py's ``fail_under`` rule (:func:`fails_under`),
    # for a gate carried over from the project, so it passes and fails exactly where the project's own did.
    precision: int | None = None
    # The covered and total counts behind ``actual``, when known.
    counted: tuple[int | None, int | None] = (None, None)

    @property
    def _exact_actual(self) -> Fraction | None:
        # A percentage read back from JSON is a float: taken as the decimal it prints as.
        if self.actual is None or isinstance(self.actual, Fraction):
            return self.actual
        return exact(self.actual)

    @property
    def passed(self) -> bool | None:
        actual = self._exact_actual
        if actual is None:
            return None
        if self.precision is not None:
            return not fails_under(float(actual), self.threshold, self.precision)
        return actual >= exact(self.threshold)

    @property
    def failed(self) -> bool:
        return self.passed is False

    @property
    def shortfall(self) -> Fraction:
        """Points missing to the threshold; 0 unless the gate failed."""
        actual = self._exact_actual
        if not self.failed or actual is None:
            return Fraction(0)
        return exact(self.threshold) - actual

    def describe(self) -> str:
        if self.passed is None:
            verdict = "nothing to measure"
        elif self.passed:
            verdict = "passed"
        else:
            verdict = f"FAILED by {format_shortfall(self.shortfall)} points"
        source = f" ({self.source})" if self.source else ""
        return f"{self.name} coverage {format_percent(self.actual)}% against {self.threshold:g}%{source}: {verdict}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "threshold": self.threshold,
            "actual": self.actual,
            "passed": self.passed,
            "shortfall": self.shortfall,
            "source": self.source,
            "precision": self.precision,
        }


def fails_under(total: float, fail_under: float, precision: int) -> bool:
    """coverage.py's ``should_fail_under``: ``total`` rounded to ``precision`` (or the threshold's decimals) < it.

    A project's ``fail_under = 85`` with the default precision 0 passes at
    84.5% (it rounds to 85 by Python's ``round``), and ``fail_under = 100``
    needs every line: the same arithmetic as coverage.py 7, checked against
    ``coverage report --fail-under`` by a test.
    """
    if fail_under == 100.0 and total != 100.0:
        return True
    decimals = precision
    if fail_under != int(fail_under):
        exponent = Decimal(str(fail_under)).as_tuple().exponent
        decimals = max(precision, -int(exponent))
    return round(total, decimals) < fail_under


def _count(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    # bool is an int; a JSON `true` is a broken file, not 1.
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _sum(values: Iterable[int | None]) -> int | None:
    """The total, or None when any part is unknown: an unknown part makes the total unknown, not smaller."""
    total = 0
    for value in values:
        if value is None:
            return None
        total += value
    return total


@dataclass(frozen=True)
class Counts:
    """Covered and total statements and branches of some files: the one shape every reporter uses.

    Percentages are derived from the counts, never stored beside them, so
    no two reporters can disagree about a figure.  None is "not known" (a
    report without branch data), which is not 0; 0 statements means nothing
    to measure, whose percentage is None, not 100.
    """

    statements: int | None = None
    covered_lines: int | None = None
    branches: int | None = None
    covered_branches: int | None = None
    files: int | None = None

    @classmethod
    def of_summary(cls, summary: Mapping[str, Any], files: int | None = 1) -> Counts:
        """From a coverage.py JSON ``summary`` (one file) or ``totals`` block."""
        return cls(
            statements=_count(summary, "num_statements"),
            covered_lines=_count(summary, "covered_lines"),
            branches=_count(summary, "num_branches"),
            covered_branches=_count(summary, "covered_branches"),
            files=files,
        )

    @classmethod
    def from_dict(cls, data: Any) -> Counts | None:
        """From :meth:`as_dict`'s output read back from JSON; None when ``data`` is not such a mapping."""
        if not isinstance(data, Mapping):
            return None
        return cls(
            statements=_count(data, "statements"),
            covered_lines=_count(data, "covered_lines"),
            branches=_count(data, "branches"),
            covered_branches=_count(data, "covered_branches"),
            files=_count(data, "files"),
        )

    @classmethod
    def total(cls, parts: Iterable[Counts]) -> Counts:
        """The counts of several files (or groups of files) together."""
        parts = list(parts)
        return cls(
            statements=_sum(p.statements for p in parts),
            covered_lines=_sum(p.covered_lines for p in parts),
            branches=_sum(p.branches for p in parts),
            covered_branches=_sum(p.covered_branches for p in parts),
            files=_sum(p.files for p in parts),
        )

    @property
    def line_percent(self) -> Fraction | None:
        return percent(self.covered_lines, self.statements)

    @property
    def branch_percent(self) -> Fraction | None:
        return percent(self.covered_branches, self.branches)

    def coverage_total(self, branch: bool) -> float | None:
        """coverage.py's total percentage (``Numbers.pc_covered``), as the float it computes it.

        Statements and branches together when ``branch``, else statements
        alone; None when there is nothing to measure (coverage.py says 100).
        """
        covered, total = self.total_counts(branch)
        if covered is None or not total:
            return None
        return (100.0 * covered) / total

    def total_counts(self, branch: bool) -> tuple[int | None, int | None]:
        """The covered and total counts behind :meth:`coverage_total`."""
        if not branch:
            return self.covered_lines, self.statements
        return _sum((self.covered_lines, self.covered_branches)), _sum((self.statements, self.branches))

    @property
    def missed_lines(self) -> int | None:
        if self.statements is None or self.covered_lines is None:
            return None
        return self.statements - self.covered_lines

    @property
    def missed_branches(self) -> int | None:
        if self.branches is None or self.covered_branches is None:
            return None
        return self.branches - self.covered_branches

    def as_dict(self) -> dict[str, Any]:
        """For JSON: the counts, and the percentages as floats for readers that want one (we never read them)."""
        return {
            "files": self.files,
            "statements": self.statements,
            "covered_lines": self.covered_lines,
            "line_percent": self.line_percent,
            "branches": self.branches,
            "covered_branches": self.covered_branches,
            "branch_percent": self.branch_percent,
        }
