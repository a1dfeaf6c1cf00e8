import pytest
from training.prompt_templates import (
    BUILTIN_TEMPLATES,
    Message,
    PromptTemplate,
    TemplateError,
    build_few_shot,
    escape_placeholders,
    format_chat,
    get_template,
    register_template,
    truncate_chat,
)


def test_render_with_filters_and_defaults():
    template = PromptTemplate(
        "{{ name | upper }} likes {{ food }} {{ meta | json }} {{name}}", defaults={"food": "pie"}
    )
    assert template.variables == ["name", "food", "meta"]
    assert template.required == ["name", "meta"]
    assert template.render(name="ada", meta={"b": 1, "a": 2}) == 'ADA likes pie {"a": 2, "b": 1} ada'


def test_render_errors():
    with pytest.raises(TemplateError, match="unknown filter"):
        PromptTemplate("{{ x | reverse }}")
    with pytest.raises(TemplateError, match="missing template variables: x"):
        PromptTemplate("{{ x }}").render()


def test_builtin_templates():
    text = get_template("distill").render(task="  sum 2 and 2  ")
    assert "Task: sum 2 and 2\n" in text and text.endswith("plain English.")
    assert get_template("tool").render(tools=["a"], query="q").startswith('Available tools: ["a"]')
    with pytest.raises(TemplateError):
        get_template("nope")


def test_register_template():
    try:
        template = register_template("greet", "Hello {{ who | lower }}", who="World")
        assert get_template("greet").render() == "Hello world"
        assert template is BUILTIN_TEMPLATES["greet"]
        with pytest.raises(TemplateError, match="already exists"):
            register_template("greet", "x")
    finally:
        BUILTIN_TEMPLATES.pop("greet", None)


def test_chat_formatting():
    messages = [Message("system", "be brief"), Message("user", "hi")]
    assert format_chat(messages) == (
        "<|im_start|>system\nbe brief<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    )
    assert format_chat(messages, add_generation_prompt=False).endswith("hi<|im_end|>")
    with pytest.raises(TemplateError):
        Message("robot", "beep")


def test_truncate_chat():
    messages = [
        Message("system", "sys"),
        Message("user", "a" * 50),
        Message("assistant", "b" * 50),
        Message("user", "last"),
    ]
    assert truncate_chat(messages, 10_000) == messages
    kept = truncate_chat(messages, len(format_chat([messages[0], messages[3]])) + 5)
    assert [m.content for m in kept] == ["sys", "last"]
    with pytest.raises(TemplateError, match="cannot be truncated"):
        truncate_chat(messages, 10)


def test_few_shot_and_escaping():
    shots = [{"question": f"q{i}", "answer": f"a{i}"} for i in range(5)]
    prompt = build_few_shot(shots, "final?", max_examples=2)
    assert prompt == "Q: q0\nA: a0\n\nQ: q1\nA: a1\n\nQ: final?\nA:"
    assert build_few_shot(shots, "final?", max_chars=30) == "Q: q0\nA: a0\n\nQ: final?\nA:"
    assert build_few_shot([], "x") == "Q: x\nA:"
    escaped = escape_placeholders("use {{ var }}")
    assert PromptTemplate(escaped).variables == []
