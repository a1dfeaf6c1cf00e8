"""Evaluate tool (function) calling: parse calls out of model text, validate
them against schemas, and score them against reference calls."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from training.json_repair import loads_lenient

_TAG_RE = re.compile(r"<tool_call>(.*?)</tool_call>", re.DOTALL)
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any]

    @classmethod
    def from_obj(cls, obj: Any) -> ToolCall | None:
        """Accept ``{"name", "arguments"}`` or OpenAI-style ``{"function": {...}}``."""
        if not isinstance(obj, dict):
            return None
        if "function" in obj and isinstance(obj["function"], dict):
            obj = obj["function"]
        name = obj.get("name")
        args = obj.get("arguments", obj.get("parameters", {}))
        if isinstance(args, str):
            args = loads_lenient(args, default=None)
        if not isinstance(name, str) or not isinstance(args, dict):
            return None
        return cls(name, args)


@dataclass
class ToolSchema:
    name: str
    parameters: dict[str, str]
    required: tuple[str, ...] = ()
    allow_extra: bool = False

    def __post_init__(self) -> None:
        unknown = [t for t in self.parameters.values() if t not in _TYPES]
        if unknown:
            raise ValueError(f"{self.name}: unknown parameter types {unknown}")
        missing = [r for r in self.required if r not in self.parameters]
        if missing:
            raise ValueError(f"{self.name}: required parameters not declared: {missing}")


def _type_ok(value: Any, type_name: str) -> bool:
    if type_name in ("integer", "number") and isinstance(value, bool):
        return False  # bool is an int subclass; reject it for numeric params
    return isinstance(value, _TYPES[type_name])


def extract_tool_calls(text: str) -> list[ToolCall]:
    """Find tool calls in ``<tool_call>`` tags, else treat the text as JSON."""
    chunks = _TAG_RE.findall(text) or [text]
    calls = []
    for chunk in chunks:
        obj = loads_lenient(chunk.strip(), default=None)
        items = obj if isinstance(obj, list) else [obj]
        for item in items:
            call = ToolCall.from_obj(item)
            if call is not None:
                calls.append(call)
    return calls


def validate_call(call: ToolCall, schemas: dict[str, ToolSchema]) -> list[str]:
    schema = schemas.get(call.name)
    if schema is None:
        return [f"unknown tool {call.name!r}"]
    errors = [f"missing required argument {r!r}" for r in schema.required if r not in call.arguments]
    for key, value in call.arguments.items():
        expected = schema.parameters.get(key)
        if expected is None:
            if not schema.allow_extra:
                errors.append(f"unexpected argument {key!r}")
        elif not _type_ok(value, expected):
            errors.append(f"argument {key!r} should be {expected}, got {type(value).__name__}")
    return errors


def argument_f1(predicted: dict[str, Any], expected: dict[str, Any]) -> float:
    """F1 over ``(key, value)`` pairs; two empty dicts score 1.0."""
    if not predicted and not expected:
        return 1.0
    pred_items = {(k, repr(v)) for k, v in predicted.items()}
    exp_items = {(k, repr(v)) for k, v in expected.items()}
    tp = len(pred_items & exp_items)
    if tp == 0:
        return 0.0
    precision = tp / len(pred_items)
    recall = tp / len(exp_items)
    return 2 * precision * recall / (precision + recall)


@dataclass
class ToolUseScore:
    examples: int = 0
    parsed: int = 0
    valid: int = 0
    name_correct: int = 0
    exact: int = 0
    arg_f1_sum: float = 0.0
    errors: list[str] = field(default_factory=list)

    def rate(self, attr: str) -> float:
        return getattr(self, attr) / self.examples if self.examples else 0.0

    @property
    def mean_arg_f1(self) -> float:
        return self.arg_f1_sum / self.examples if self.examples else 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "parse_rate": self.rate("parsed"),
            "valid_rate": self.rate("valid"),
            "name_accuracy": self.rate("name_correct"),
            "exact_match": self.rate("exact"),
            "arg_f1": self.mean_arg_f1,
        }


def score_example(output: str, expected: list[ToolCall], schemas: dict[str, ToolSchema], score: ToolUseScore) -> None:
    """Accumulate one example's results into ``score``; calls are compared in order."""
    score.examples += 1
    calls = extract_tool_calls(output)
    if not calls:
        score.errors.append(f"example {score.examples}: no tool call found")
        return
    score.parsed += 1
    problems = [err for call in calls for err in validate_call(call, schemas)]
    if not problems:
        score.valid += 1
    else:
        score.errors.extend(f"example {score.examples}: {p}" for p in problems)
    names_ok = [c.name for c in calls] == [e.name for e in expected]
    if names_ok:
        score.name_correct += 1
    pairs = list(zip(calls, expected, strict=False))  # extra/missing calls are penalised below
    f1s = [argument_f1(c.arguments, e.arguments) for c, e in pairs]
    length_penalty = len(pairs) / max(len(calls), len(expected))
    score.arg_f1_sum += (sum(f1s) / len(f1s)) * length_penalty if f1s else 0.0
    if names_ok and all(c.arguments == e.arguments for c, e in pairs):
        score.exact += 1


def evaluate_tool_use(examples: list[tuple[str, list[ToolCall]]], schemas: list[ToolSchema]) -> ToolUseScore:
    by_name = {schema.name: schema for schema in schemas}
    score = ToolUseScore()
    for output, expected in examples:
        score_example(output, expected, by_name, score)
    return score


def schema_from_json_schema(name: str, json_schema: dict[str, Any]) -> ToolSchema:
    """Build a :class:`ToolSchema` from an OpenAI-style JSON-schema ``parameters`` block."""
    if json_schema.get("type", "object") != "object":
        raise ValueError(f"{name}: top-level parameters must be an object")
    props = json_schema.get("properties", {})
    parameters = {key: spec.get("type", "string") for key, spec in props.items()}
    return ToolSchema(
        name=name,
        parameters=parameters,
        required=tuple(json_schema.get("required", ())),
        allow_extra=bool(json_schema.get("additionalProperties", False)),
    )


def per_tool_accuracy(examples: list[tuple[str, list[ToolCall]]]) -> dict[str, dict[str, float]]:
    """For each expected tool name: how often it was called, and called exactly right."""
    table: dict[str, dict[str, float]] = {}
    for output, expected in examples:
        predicted = extract_tool_calls(output)
        for call in expected:
            row = table.setdefault(call.name, {"expected": 0, "called": 0, "exact": 0})
            row["expected"] += 1
            same_name = [p for p in predicted if p.name == call.name]
            if same_name:
                row["called"] += 1
            if any(p.arguments == call.arguments for p in same_name):
                row["exact"] += 1
    for row in table.values():
        row["recall"] = row["called"] / row["expected"]
        row["exact_rate"] = row["exact"] / row["expected"]
    return table


def canonicalize_arguments(call: ToolCall, schema: ToolSchema) -> ToolCall:
    """Coerce string-typed numbers/booleans to the schema's declared types.

    Models often emit ``"top_k": "3"``; this turns it into ``3`` when the
    schema says ``integer``.  Values that cannot be coerced are left as-is
    so that :func:`validate_call` still reports them.
    """
    fixed: dict[str, Any] = {}
    for key, value in call.arguments.items():
        expected = schema.parameters.get(key)
        if isinstance(value, str) and expected in ("integer", "number", "boolean"):
            fixed[key] = _coerce(value, expected)
        else:
            fixed[key] = value
    return ToolCall(call.name, fixed)


def _coerce(value: str, expected: str) -> Any:
    text = value.strip()
    if expected == "boolean":
        lowered = text.lower()
        return {"true": True, "false": False}.get(lowered, value)
    try:
        number = float(text)
    except ValueError:
        return value
    if expected == "integer":
        return int(number) if number.is_integer() else value
    return number
