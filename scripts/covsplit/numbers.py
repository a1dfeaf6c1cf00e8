"""Percentages, computed exactly and shown floored.

A report must never claim more coverage than was measured: 99.996% shows
as 99.99%, never 100.00%, and a gate at 80% fails at 79.999%.  Binary
floating point gets both wrong at the edges (``math.floor(0.29 * 100)`` is
28), so percentages are kept as fractions until they are displayed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

Percent = Fraction | float


def percent(covered: int | None, total: int | None) -> Fraction | None:
    """An exact percentage, or None when there is nothing to measure."""
    if covered is None or not total:
        return None
    return Fraction(covered * 100, total)


def hundredths(value: Percent, rounding: Callable[[float], int]) -> int:
    """``value`` in hundredths of a percent, rounded the given way (floor or ceil)."""
    if isinstance(value, Fraction):
        return rounding(value * 100)
    # Percentages read back from JSON are floats; shed representation noise first.
    return rounding(round(float(value) * 100, 6))


def format_percent(value: Percent | None, missing: str = "n/a") -> str:
    """Two decimals, floored: "54.16" for 13/24."""
    if value is None:
        return missing
    units = hundredths(value, math.floor)
    return f"{units // 100}.{units % 100:02d}"


def floor_percent(numerator: int, denominator: int) -> float | None:
    """The floored percentage as a number, for machine-readable output; None when undefined."""
    if not denominator:
        return None
    return (numerator * 10000 // denominator) / 100


def format_shortfall(value: Percent) -> str:
    """Points missing to a threshold, rounded up: a failed gate never reads "short by 0.00"."""
    units = hundredths(value, math.ceil)
    return f"{units // 100}.{units % 100:02d}"
