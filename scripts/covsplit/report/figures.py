"""How the report writes a figure: counts, ratios, amounts, thresholds, seconds and times.

Percentages are written by :mod:`covsplit.numbers`' one rule (``format_percent``, ``percent_text``).
"""

from __future__ import annotations

import math
from datetime import UTC
from fractions import Fraction
from typing import Any

from covsplit.numbers import Percent, format_floor
from covsplit.report.readers import parse_time


def format_ratio(value: Percent | None) -> str:
    """A max/mean ratio, floored so 1.2499 never reads as 1.25 against a tolerance of 1.25."""
    return format_floor(value)


def outcome_word(key: str, count: int) -> str:
    """pytest's word for a tally ("1 error", "2 errors"); passed, failed and skipped never change."""
    return "error" if key == "errors" and count == 1 else key


def format_count(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def format_amount(value: Fraction | None) -> str:
    """A statement count that may be fractional (a mean): whole numbers stay whole, others floor to 2 decimals."""
    if value is None:
        return "n/a"
    if value.denominator == 1:
        return format_count(value.numerator)
    hundredths = math.floor(value * 100)
    return f"{hundredths // 100:,}.{hundredths % 100:02d}"


def format_threshold(value: float) -> str:
    return f"{value:g}"


def format_seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.2f} s"


def format_time(value: Any) -> str:
    parsed = parse_time(value)
    if parsed is None:
        return "n/a"
    return parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
