"""Unit tests of covsplit.report.figures: how the report writes each figure, at the edges.

The report types no number itself: every figure goes through these
functions (and covsplit.numbers' percentages).  test_report_model.py checks
the common values; these pin the edges a split really produces: zero, a
ratio a hair under the tolerance, a mean just under a whole number,
thresholds with decimals, times in other zones, unreadable times.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from covsplit import report
from covsplit.report.figures import (
    format_amount,
    format_count,
    format_ratio,
    format_seconds,
    format_threshold,
    format_time,
    outcome_word,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Fraction(5, 4), "1.25"),
        (Fraction(12499, 10000), "1.24"),  # never rounded up onto the tolerance
        (Fraction(1), "1.00"),
        (Fraction(0), "0.00"),
        (1.999999, "1.99"),
        (None, "n/a"),
    ],
)
def test_a_ratio_is_floored_to_two_decimals(value: Fraction | float | None, text: str) -> None:
    assert format_ratio(value) == text


@pytest.mark.parametrize(("key", "count", "word"), [("errors", 1, "error"), ("errors", 0, "errors")])
def test_only_a_single_error_changes_its_word(key: str, count: int, word: str) -> None:
    assert outcome_word(key, count) == word


@pytest.mark.parametrize("key", ["passed", "failed", "skipped"])
def test_passed_failed_and_skipped_never_change(key: str) -> None:
    assert [outcome_word(key, n) for n in (0, 1, 2)] == [key] * 3


def test_counts_group_thousands_and_say_unknown_as_a_question_mark() -> None:
    assert [format_count(n) for n in (0, 999, 1000, None)] == ["0", "999", "1,000", "?"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Fraction(0), "0"),
        (Fraction(1_000_000), "1,000,000"),
        (Fraction(19999, 200), "99.99"),  # 99.995: floored, never 100.00
        (Fraction(1, 1000), "0.00"),
        (Fraction(200001, 2), "100,000.50"),
        (Fraction(101, 100), "1.01"),  # the hundredths keep their leading zero
        (None, "n/a"),
    ],
)
def test_an_amount_stays_whole_when_it_is_and_floors_otherwise(value: Fraction | None, text: str) -> None:
    assert format_amount(value) == text


def test_a_threshold_is_written_as_configured() -> None:
    assert [format_threshold(v) for v in (80, 80.0, 92.5, 0.0, 33.3)] == ["80", "80", "92.5", "0", "33.3"]


def test_seconds_have_two_decimals_a_unit_and_grouped_thousands() -> None:
    assert [format_seconds(v) for v in (0.0, 0.004, 59.999, 3600.0, None)] == [
        "0.00 s",
        "0.00 s",
        "60.00 s",
        "3,600.00 s",
        "n/a",
    ]


def test_times_are_written_in_utc_whatever_zone_they_were_recorded_in() -> None:
    assert format_time("2026-11-24T23:30:00-02:00") == "2026-11-25 01:30:00 UTC"
    assert format_time("2026-11-24T12:00:00") == "2026-11-24 12:00:00 UTC"  # a naive time is UTC already
    assert format_time("2026-11-24T12:00:00.999999+00:00") == "2026-11-24 12:00:00 UTC"


def test_a_time_that_cannot_be_read_is_not_available() -> None:
    assert [format_time(v) for v in ("", "later", 0, None)] == ["n/a"] * 4


# Moved unchanged from test_report.py: the same figures, through the names covsplit.report re-exports.
def test_amounts_and_ratios() -> None:
    assert report.format_amount(Fraction(8661, 5)) == "1,732.20"
    assert report.format_amount(Fraction(200, 2)) == "100"
    assert report.format_ratio(Fraction(12499, 10000)) == "1.24"
    assert report.format_count(4000) == "4,000"
