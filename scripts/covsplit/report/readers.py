"""Reading one field from JSON the report did not write (statuses, coverage JSON, aggregate.json), never raising.

Every input may be absent, truncated or from another version: a field of
the wrong type reads as missing (None, or an empty dict), and the report
says it is missing instead of failing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


def int_field(data: Mapping[str, Any] | None, key: str) -> int | None:
    """``data[key]`` if it is a whole number, else None."""
    if not isinstance(data, Mapping):
        return None
    value = data.get(key)
    # bool is an int; a JSON true is not a count.
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def float_field(data: Mapping[str, Any] | None, key: str) -> float | None:
    """``data[key]`` as a float if it is a number, else None."""
    if not isinstance(data, Mapping):
        return None
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 timestamp, read as UTC when it names no zone; None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
