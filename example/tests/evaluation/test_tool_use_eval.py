import pytest
from evaluation.tool_use_eval import (
    ToolCall,
    ToolSchema,
    ToolUseScore,
    argument_f1,
    evaluate_tool_use,
    extract_tool_calls,
    per_tool_accuracy,
    schema_from_json_schema,
    validate_call,
)

SCHEMAS = [
    ToolSchema("search", {"query": "string", "top_k": "integer"}, required=("query",)),
    ToolSchema(
        "calc", {"expr": "string", "precise": "boolean", "scale": "number"}, required=("expr",), allow_extra=True
    ),
]
BY_NAME = {s.name: s for s in SCHEMAS}


def test_toolcall_from_obj_variants():
    assert ToolCall.from_obj({"name": "a", "arguments": {"x": 1}}) == ToolCall("a", {"x": 1})
    assert ToolCall.from_obj({"function": {"name": "a", "arguments": '{"x": 1}'}}) == ToolCall("a", {"x": 1})
    assert ToolCall.from_obj({"name": "a", "parameters": {"y": 2}}) == ToolCall("a", {"y": 2})
    assert ToolCall.from_obj({"name": "a"}) == ToolCall("a", {})
    assert ToolCall.from_obj({"name": 3, "arguments": {}}) is None
    assert ToolCall.from_obj({"name": "a", "arguments": "not json at all"}) is None
    assert ToolCall.from_obj(["a"]) is None


def test_schema_validation():
    with pytest.raises(ValueError, match="unknown parameter types"):
        ToolSchema("x", {"a": "float"})
    with pytest.raises(ValueError, match="not declared"):
        ToolSchema("x", {"a": "string"}, required=("b",))


def test_extract_from_tags_lists_and_plain_json():
    text = (
        'Let me search.<tool_call>{"name": "search", "arguments": {"query": "kd"}}</tool_call>'
        '<tool_call>{"name": "calc", "arguments": {"expr": "1+1"}}</tool_call>'
    )
    assert [c.name for c in extract_tool_calls(text)] == ["search", "calc"]
    plain = '[{"name": "search", "arguments": {"query": "a"}}, {"bogus": true}]'
    assert extract_tool_calls(plain) == [ToolCall("search", {"query": "a"})]
    assert extract_tool_calls("no tools here") == []
    fenced = "```json\n{'name': 'search', 'arguments': {'query': 'x',}}\n```"
    assert extract_tool_calls(fenced) == [ToolCall("search", {"query": "x"})]


def test_validate_call():
    assert validate_call(ToolCall("nope", {}), BY_NAME) == ["unknown tool 'nope'"]
    errors = validate_call(ToolCall("search", {"top_k": True, "lang": "en"}), BY_NAME)
    assert errors == [
        "missing required argument 'query'",
        "argument 'top_k' should be integer, got bool",
        "unexpected argument 'lang'",
    ]
    assert validate_call(ToolCall("calc", {"expr": "2", "scale": 2, "precise": False, "x": 1}), BY_NAME) == []


def test_argument_f1():
    assert argument_f1({}, {}) == 1.0
    assert argument_f1({"a": 1}, {"a": 2}) == 0.0
    assert argument_f1({"a": 1, "b": 2}, {"a": 1}) == pytest.approx(2 / 3)


def test_evaluate_tool_use():
    examples = [
        ('{"name": "search", "arguments": {"query": "kd"}}', [ToolCall("search", {"query": "kd"})]),
        ('{"name": "search", "arguments": {"query": "other", "top_k": 3}}', [ToolCall("search", {"query": "kd"})]),
        ('{"name": "calc", "arguments": {"expr": "1"}}', [ToolCall("search", {"query": "kd"})]),
        ("I don't know", [ToolCall("search", {"query": "kd"})]),
        ('{"name": "search", "arguments": {"top_k": "3"}}', []),
    ]
    score = evaluate_tool_use(examples, SCHEMAS)
    summary = score.as_dict()
    assert score.examples == 5 and score.parsed == 4
    assert summary["valid_rate"] == pytest.approx(3 / 5)
    assert summary["name_accuracy"] == pytest.approx(2 / 5)
    assert summary["exact_match"] == pytest.approx(1 / 5)
    assert summary["arg_f1"] == pytest.approx(1 / 5)
    assert any("no tool call found" in e for e in score.errors)
    assert ToolUseScore().as_dict()["parse_rate"] == 0.0


def test_schema_from_json_schema():
    schema = schema_from_json_schema(
        "weather",
        {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}, "unit": {}},
            "required": ["city"],
            "additionalProperties": True,
        },
    )
    assert schema.parameters == {"city": "string", "days": "integer", "unit": "string"}
    assert schema.required == ("city",) and schema.allow_extra
    assert schema_from_json_schema("empty", {}).parameters == {}
    with pytest.raises(ValueError, match="must be an object"):
        schema_from_json_schema("bad", {"type": "array"})


def test_per_tool_accuracy():
    examples = [
        ('{"name": "search", "arguments": {"query": "kd"}}', [ToolCall("search", {"query": "kd"})]),
        ('{"name": "search", "arguments": {"query": "x"}}', [ToolCall("search", {"query": "kd"})]),
        ("nothing", [ToolCall("calc", {"expr": "1"})]),
    ]
    table = per_tool_accuracy(examples)
    assert table["search"]["recall"] == 1.0 and table["search"]["exact_rate"] == 0.5
    assert table["calc"]["recall"] == 0.0


def test_canonicalize_arguments():
    from evaluation.tool_use_eval import canonicalize_arguments

    schema = ToolSchema("t", {"n": "integer", "x": "number", "flag": "boolean", "s": "string"})
    call = ToolCall("t", {"n": " 3 ", "x": "2.5", "flag": "TRUE", "s": "7", "extra": "1"})
    fixed = canonicalize_arguments(call, schema)
    assert fixed.arguments == {"n": 3, "x": 2.5, "flag": True, "s": "7", "extra": "1"}
    assert validate_call(fixed, {"t": ToolSchema("t", schema.parameters, allow_extra=True)}) == []
    odd = canonicalize_arguments(ToolCall("t", {"n": "2.5", "x": "many", "flag": "yes", "s": 1}), schema)
    assert odd.arguments == {"n": "2.5", "x": "many", "flag": "yes", "s": 1}
