"""Declarative validation of nested training configuration dicts.

A schema maps keys to :class:`Field` specs.  :func:`validate` returns the
normalised config (defaults filled in, ints widened to floats where a float
is expected) together with *all* errors found, so users can fix a config
in one pass.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

_TYPE_NAMES = {int: "int", float: "float", str: "str", bool: "bool", list: "list", dict: "dict"}
_MISSING = object()


class ConfigError(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("invalid config:\n  " + "\n  ".join(errors))
        self.errors = errors


@dataclass
class Field:
    type: type
    required: bool = False
    default: Any = _MISSING
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None
    schema: dict[str, Field] | None = None
    item_type: type | None = None
    description: str = ""

    def has_default(self) -> bool:
        return self.default is not _MISSING


@dataclass
class ValidationReport:
    config: dict[str, Any]
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _check_type(value: Any, expected: type, path: str, errors: list[str]) -> Any:
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if expected in (int, float) and isinstance(value, bool):
        errors.append(f"{path}: expected {_TYPE_NAMES[expected]}, got bool")
        return value
    if not isinstance(value, expected):
        errors.append(f"{path}: expected {_TYPE_NAMES.get(expected, expected.__name__)}, got {type(value).__name__}")
    return value


def _check_field(value: Any, spec: Field, path: str, report: ValidationReport) -> Any:
    before = len(report.errors)
    value = _check_type(value, spec.type, path, report.errors)
    if len(report.errors) > before:
        return value
    if spec.minimum is not None and value < spec.minimum:
        report.errors.append(f"{path}: {value} is below the minimum {spec.minimum}")
    if spec.maximum is not None and value > spec.maximum:
        report.errors.append(f"{path}: {value} is above the maximum {spec.maximum}")
    if spec.choices is not None and value not in spec.choices:
        report.errors.append(f"{path}: {value!r} is not one of {list(spec.choices)}")
    if spec.schema is not None:
        value = _validate_into(value, spec.schema, path, report)
    if spec.item_type is not None:
        value = list(value)
        for i, item in enumerate(value):
            value[i] = _check_type(item, spec.item_type, f"{path}[{i}]", report.errors)
    return value


def _validate_into(config: dict, schema: dict[str, Field], prefix: str, report: ValidationReport) -> dict:
    out: dict[str, Any] = {}
    for key, spec in schema.items():
        path = f"{prefix}.{key}" if prefix else key
        if key in config:
            out[key] = _check_field(config[key], spec, path, report)
        elif spec.required:
            report.errors.append(f"{path}: required field missing")
        elif spec.has_default():
            out[key] = copy.deepcopy(spec.default)
    for key in config:
        if key not in schema:
            report.warnings.append(f"{prefix + '.' if prefix else ''}{key}: unknown key ignored")
    return out


def validate(config: dict[str, Any], schema: dict[str, Field]) -> ValidationReport:
    report = ValidationReport(config={})
    report.config = _validate_into(dict(config), schema, "", report)
    return report


def validate_or_raise(config: dict[str, Any], schema: dict[str, Field]) -> dict[str, Any]:
    report = validate(config, schema)
    if not report.ok:
        raise ConfigError(report.errors)
    return report.config


OPTIMIZER_SCHEMA = {
    "name": Field(str, default="sgd", choices=("sgd", "momentum")),
    "lr": Field(float, required=True, minimum=0.0, maximum=10.0),
    "weight_decay": Field(float, default=0.0, minimum=0.0),
    "momentum": Field(float, default=0.9, minimum=0.0, maximum=1.0),
}

TRAINING_CONFIG_SCHEMA = {
    "steps": Field(int, required=True, minimum=1),
    "batch_size": Field(int, default=8, minimum=1, maximum=4096),
    "temperature": Field(float, default=2.0, minimum=0.05, maximum=20.0),
    "alpha": Field(float, default=0.5, minimum=0.0, maximum=1.0),
    "scheduler": Field(str, default="cosine", choices=("constant", "linear", "cosine", "step")),
    "optimizer": Field(dict, required=True, schema=OPTIMIZER_SCHEMA),
    "eval_every": Field(int, default=0, minimum=0),
    "tags": Field(list, default=[], item_type=str),
}


def cross_field_checks(config: dict[str, Any]) -> list[str]:
    """Constraints spanning multiple fields, run after per-field validation."""
    errors = []
    eval_every = config.get("eval_every", 0)
    if eval_every and eval_every > config["steps"]:
        errors.append("eval_every: larger than steps, evaluation would never run")
    optimizer = config.get("optimizer", {})
    if optimizer.get("name") == "sgd" and optimizer.get("momentum", 0.0) not in (0.0, 0.9):
        errors.append("optimizer.momentum: only used by the 'momentum' optimizer")
    return errors


def validate_training_config(config: dict[str, Any]) -> dict[str, Any]:
    report = validate(config, TRAINING_CONFIG_SCHEMA)
    if report.ok:
        report.errors.extend(cross_field_checks(report.config))
    if not report.ok:
        raise ConfigError(report.errors)
    return report.config


def parse_override(text: str) -> tuple[list[str], Any]:
    """Parse ``"optimizer.lr=0.1"`` into ``(["optimizer", "lr"], 0.1)``.

    Values are decoded as JSON when possible (numbers, booleans, lists),
    otherwise kept as strings.
    """
    if "=" not in text:
        raise ValueError(f"override {text!r} must look like key=value")
    key, raw = text.split("=", 1)
    path = [part for part in key.strip().split(".") if part]
    if not path:
        raise ValueError(f"override {text!r} has an empty key")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return path, value


def apply_overrides(config: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Return a deep copy of ``config`` with dotted ``key=value`` overrides applied."""
    result = copy.deepcopy(config)
    for text in overrides:
        path, value = parse_override(text)
        node = result
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(f"cannot set {'.'.join(path)}: {part!r} is not a mapping")
            node = child
        node[path[-1]] = value
    return result


def describe_schema(schema: dict[str, Field], indent: int = 0) -> str:
    """Human-readable listing of a schema, for ``--help`` style output."""
    lines = []
    pad = "  " * indent
    for key, spec in schema.items():
        bits = [_TYPE_NAMES.get(spec.type, spec.type.__name__)]
        if spec.required:
            bits.append("required")
        elif spec.has_default():
            bits.append(f"default={spec.default!r}")
        if spec.choices:
            bits.append("one of " + "/".join(map(str, spec.choices)))
        lines.append(f"{pad}{key}: {', '.join(bits)}")
        if spec.schema:
            lines.append(describe_schema(spec.schema, indent + 1))
    return "\n".join(lines)
