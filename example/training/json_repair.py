"""Best-effort repair of almost-JSON emitted by language models.

Each repair stage is attempted in order and parsing is retried after each,
so well-formed input is never modified.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_FENCE_RE = re.compile(r"^```(?:json|JSON)?\s*\n?(.*?)\n?```\s*$", re.DOTALL)
_TRAILING_COMMA_RE = re.compile(r",\s*([}\]])")
_PY_LITERALS = {"True": "true", "False": "false", "None": "null"}


class JSONRepairError(ValueError):
    """Raised when no repair stage yields valid JSON."""


@dataclass
class RepairResult:
    value: Any
    repaired: bool
    stages: list[str] = field(default_factory=list)


def strip_code_fence(text: str) -> str:
    match = _FENCE_RE.match(text.strip())
    return match.group(1) if match else text


def extract_json_span(text: str) -> str:
    """Return the substring from the first ``{``/``[`` to its matching close.

    If the brackets never balance, everything from the opener is returned
    so that :func:`balance_brackets` can close it.
    """
    starts = [i for i in (text.find("{"), text.find("[")) if i != -1]
    if not starts:
        return text
    start = min(starts)
    depth = 0
    in_string = False
    escape = False
    for i in range(start, len(text)):
        ch = text[i]
        if in_string:
            if escape:
                escape = False
            elif ch == "\\":
                escape = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                return text[start : i + 1]
    return text[start:]


def replace_single_quotes(text: str) -> str:
    """Convert single-quoted strings to double-quoted ones, outside double quotes."""
    out = []
    in_double = in_single = False
    for ch in text:
        if ch == '"' and not in_single:
            in_double = not in_double
        elif ch == "'" and not in_double:
            in_single = not in_single
            ch = '"'
        elif ch == '"' and in_single:
            ch = '\\"'
        out.append(ch)
    return "".join(out)


def replace_python_literals(text: str) -> str:
    return re.sub(r"\b(True|False|None)\b", lambda m: _PY_LITERALS[m.group(1)], text)


def remove_trailing_commas(text: str) -> str:
    return _TRAILING_COMMA_RE.sub(r"\1", text)


def balance_brackets(text: str) -> str:
    """Append closers for any brackets (and a quote) left open."""
    stack = []
    in_string = False
    escape = False
    for ch in text:
        if in_string:
            if escape:
                escape = False
            elif ch == "\\":
                escape = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]" and stack and stack[-1] == ch:
            stack.pop()
    suffix = '"' if in_string else ""
    return text.rstrip().rstrip(",") + suffix + "".join(reversed(stack))


STAGES = (
    ("strip_code_fence", strip_code_fence),
    ("extract_json_span", extract_json_span),
    ("replace_python_literals", replace_python_literals),
    ("replace_single_quotes", replace_single_quotes),
    ("remove_trailing_commas", remove_trailing_commas),
    ("balance_brackets", balance_brackets),
)


def repair_json(text: str) -> RepairResult:
    """Parse ``text`` as JSON, applying repair stages until it parses."""
    try:
        return RepairResult(json.loads(text), repaired=False)
    except json.JSONDecodeError:
        pass
    applied = []
    current = text
    for name, stage in STAGES:
        updated = stage(current)
        if updated == current:
            continue
        current = updated
        applied.append(name)
        try:
            return RepairResult(json.loads(current), repaired=True, stages=applied)
        except json.JSONDecodeError:
            continue
    raise JSONRepairError(f"could not repair JSON after stages {applied}")


def loads_lenient(text: str, default: Any = None) -> Any:
    """Like :func:`json.loads` but repairs, returning ``default`` on failure."""
    try:
        return repair_json(text).value
    except JSONRepairError:
        return default
