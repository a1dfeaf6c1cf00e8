"""JSON repair tests, including a randomised corruption sweep (the slow part)."""

import json
import random

import pytest
from training.json_repair import (
    JSONRepairError,
    balance_brackets,
    extract_json_span,
    loads_lenient,
    remove_trailing_commas,
    repair_json,
    replace_python_literals,
    replace_single_quotes,
    strip_code_fence,
)


def test_valid_json_is_untouched():
    result = repair_json('{"a": [1, 2]}')
    assert result.value == {"a": [1, 2]} and not result.repaired and result.stages == []


@pytest.mark.parametrize(
    "text,expected,stage",
    [
        ('```json\n{"a": 1}\n```', {"a": 1}, "strip_code_fence"),
        ('Sure! Here it is: {"a": {"b": "}"}} hope that helps', {"a": {"b": "}"}}, "extract_json_span"),
        ('{"ok": True, "none": None}', {"ok": True, "none": None}, "replace_python_literals"),
        ("{'a': 'it\"s'}", {"a": 'it"s'}, "replace_single_quotes"),
        ('{"a": [1, 2,],}', {"a": [1, 2]}, "remove_trailing_commas"),
        ('{"a": [1, {"b": "x', {"a": [1, {"b": "x"}]}, "balance_brackets"),
    ],
)
def test_each_stage(text, expected, stage):
    result = repair_json(text)
    assert result.value == expected
    assert result.repaired and result.stages[-1] == stage


def test_helpers_directly():
    assert strip_code_fence("plain") == "plain"
    assert extract_json_span("no json") == "no json"
    assert extract_json_span('x [1, "\\"]", 2] y') == '[1, "\\"]", 2]'
    assert extract_json_span('pre {"a": [1') == '{"a": [1'
    assert replace_python_literals("TrueColor True") == "TrueColor true"
    assert replace_single_quotes('{"it\'s": 1}') == '{"it\'s": 1}'
    assert remove_trailing_commas("[1 ,  ]") == "[1 ]"
    assert balance_brackets('{"a": "b\\"c') == '{"a": "b\\"c"}'
    assert balance_brackets("[1, 2], ") == "[1, 2]"
    assert balance_brackets("[1}") == "[1}]"


def test_irreparable_input():
    with pytest.raises(JSONRepairError):
        repair_json("definitely not json")
    assert loads_lenient("nope", default={}) == {}
    assert loads_lenient('{"a": 1,}') == {"a": 1}


def _random_value(rng, depth=0):
    kind = rng.randrange(6 if depth < 3 else 4)
    if kind == 0:
        return rng.randint(-1000, 1000)
    if kind == 1:
        return "".join(rng.choice("abc xyz{}[],:") for _ in range(rng.randint(0, 8)))
    if kind == 2:
        return rng.choice([True, False, None])
    if kind == 3:
        return round(rng.uniform(-10, 10), 3)
    if kind == 4:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {f"k{i}": _random_value(rng, depth + 1) for i in range(rng.randint(0, 4))}


def _corrupt(text, rng):
    choice = rng.randrange(4)
    if choice == 0:
        return f"```json\n{text}\n```"
    if choice == 1:
        return f"Here you go: {text} -- done"
    if choice == 2:
        return text.replace("]", ",]").replace("}", ",}") if text[0] in "[{" else text
    cut = rng.randint(len(text) // 2, len(text))
    return text[:cut]


def test_randomised_corruption_sweep():
    rng = random.Random(1234)
    repaired = exact = 0
    n = 1200
    for _ in range(n):
        value = {"payload": _random_value(rng), "id": rng.randint(0, 99)}
        text = json.dumps(value)
        corrupted = _corrupt(text, rng)
        try:
            result = repair_json(corrupted)
        except JSONRepairError:
            continue
        repaired += 1
        exact += result.value == value
    assert repaired > 0.85 * n
    assert exact > 0.75 * n
