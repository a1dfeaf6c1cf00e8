"""Percentages are shown exactly as coverage.py shows them, and gates never round."""

from __future__ import annotations

from fractions import Fraction

import pytest
from coverage.results import display_covered

from covsplit.numbers import format_percent, format_shortfall, percent, percent_text


@pytest.mark.parametrize(
    ("covered", "total", "shown"),
    [(13, 24, "54.17"), (86638, 100000, "86.64"), (99996, 100000, "99.99"), (4, 100000, "0.01"), (1, 1, "100.00"),
     (0, 5, "0.00"), (2, 3, "66.67"), (1, 8, "12.50"), (3, 8, "37.50"), (29, 100, "29.00")],
)  # fmt: skip
def test_display_matches_coverage_py(covered: int, total: int, shown: str) -> None:
    value = percent(covered, total)
    assert format_percent(value) == shown == display_covered(100.0 * covered / total, 2)


def test_display_matches_coverage_py_everywhere_it_is_hard() -> None:
    # Every fraction of small denominators, the half-way cases included.
    for total in range(1, 400):
        for covered in range(total + 1):
            assert format_percent(percent(covered, total)) == display_covered(100.0 * covered / total, 2), (
                covered,
                total,
            )


def test_floats_read_back_from_json_display_the_same() -> None:
    assert format_percent(86.638) == "86.64"
    assert format_percent(None) == "n/a"


def test_percent_text_is_the_same_rule_with_its_sign() -> None:
    assert percent_text(percent(13, 24)) == "54.17%"
    assert percent_text(percent(99996, 100000)) == "99.99%"  # never 100 unless complete
    assert percent_text(percent(3, 0)) == "n/a"  # nothing to measure
    assert percent_text(None, "—") == "—"


def test_gates_stay_exact_and_shortfalls_round_up() -> None:
    assert percent(79999, 100000) < 80
    assert format_shortfall(Fraction(80) - percent(79999, 100000)) == "0.01"


def test_one_gate_rule_exact_fractions_and_nothing_to_measure() -> None:
    from covsplit.numbers import Gate

    assert Gate("line", 80, Fraction(79999, 1000)).failed
    assert Gate("line", 80, Fraction(79999, 1000)).shortfall == Fraction(1, 1000)
    assert Gate("line", 33.3, Fraction(333, 10)).passed  # the threshold as written, not the float nearest it
    assert Gate("line", 80, 80.0).passed  # a percentage read back from JSON
    nothing = Gate("branch", 90, None)
    assert nothing.passed is None and not nothing.failed and nothing.shortfall == 0
    assert "nothing to measure" in nothing.describe()
