"""Small reusable validators shared by the conversion tools."""

from __future__ import annotations

import re

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_./:-]*$")
SUPPORTED_OPSETS = range(9, 19)


class ValidationError(ValueError):
    """Raised when an export argument is invalid."""


def validate_name(name: str) -> str:
    """Return ``name`` if it is a legal tensor name, else raise."""
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ValidationError(f"invalid tensor name: {name!r}")
    return name


def validate_opset(opset: int) -> int:
    """Check that ``opset`` is one the exporters understand."""
    if opset not in SUPPORTED_OPSETS:
        raise ValidationError(
            f"unsupported opset {opset}; expected {SUPPORTED_OPSETS.start}..{SUPPORTED_OPSETS.stop - 1}"
        )
    return opset


def ensure_positive(value: float, what: str = "value") -> float:
    """Raise unless ``value`` is strictly positive."""
    if value <= 0:
        raise ValidationError(f"{what} must be positive, got {value}")
    return value
