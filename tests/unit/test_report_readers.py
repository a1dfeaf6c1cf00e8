"""Unit tests of covsplit.report.readers: one field of foreign JSON, read without ever raising.

Every input of the report may be absent, truncated or from another
version; these readers turn a field of the wrong type into "missing" so
the report can say so.  test_report_model.py checks the common cases; these
pin the edges: JSON's true and false, floats that look whole, a value that
is no mapping at all, timestamps in other zones or forms.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from covsplit.report.readers import as_dict, float_field, int_field, parse_time


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 0), (-3, -3), (10**12, 10**12), (True, None), (False, None), (2.0, None), ("7", None), (None, None)],
)
def test_int_field_takes_whole_numbers_only(value: Any, expected: int | None) -> None:
    # JSON's true/false are ints to Python, and 2.0 is a float: neither is a count.
    assert int_field({"n": value}, "n") == expected


def test_int_field_of_a_missing_key_or_a_non_mapping_is_none() -> None:
    assert int_field({}, "n") is None
    assert int_field(None, "n") is None
    assert int_field("n", "n") is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 0.0), (7, 7.0), (2.5, 2.5), (False, None), (True, None), ("2.5", None), (None, None), ([1.0], None)],
)
def test_float_field_takes_numbers_but_not_booleans(value: Any, expected: float | None) -> None:
    found = float_field({"x": value}, "x")
    assert found == expected
    assert found is None or type(found) is float


def test_float_field_of_a_missing_key_or_a_non_mapping_is_none() -> None:
    assert float_field({}, "x") is None
    assert float_field(None, "x") is None
    assert float_field([("x", 1.0)], "x") is None  # type: ignore[arg-type]


def test_as_dict_keeps_only_json_objects() -> None:
    data = {"a": {"b": 1}}
    assert as_dict(data) is data  # the same object, not a copy
    others: tuple[Any, ...] = (None, [], "text", 3, True)
    assert [as_dict(v) for v in others] == [{}, {}, {}, {}, {}]


def test_parse_time_keeps_a_zone_it_is_given() -> None:
    parsed = parse_time("2026-11-24T12:00:00-05:00")
    assert parsed is not None and parsed.utcoffset() == timedelta(hours=-5)
    assert parsed == datetime(2026, 11, 24, 17, tzinfo=UTC)


def test_parse_time_reads_a_naive_time_as_utc() -> None:
    parsed = parse_time("2026-11-24 12:00:00.5")
    assert parsed == datetime(2026, 11, 24, 12, 0, 0, 500000, tzinfo=UTC)
    assert parsed is not None and parsed.tzinfo == UTC


def test_parse_time_reads_a_zulu_suffix() -> None:
    assert parse_time("2026-11-24T12:00:00Z") == datetime(2026, 11, 24, 12, tzinfo=UTC)


@pytest.mark.parametrize("value", ["", "soon", "2026-13-01T00:00:00", None, 1732449600, 1.5, [], {}])
def test_parse_time_of_anything_else_is_none(value: Any) -> None:
    assert parse_time(value) is None
