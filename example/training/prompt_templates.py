"""Prompt templates with ``{{ var | filter }}`` placeholders and chat formatting."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

_PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|\s*([a-z_]+)\s*)?\}\}")

FILTERS: dict[str, Callable[[object], str]] = {
    "upper": lambda v: str(v).upper(),
    "lower": lambda v: str(v).lower(),
    "trim": lambda v: str(v).strip(),
    "json": lambda v: json.dumps(v, sort_keys=True),
}
ROLES = ("system", "user", "assistant", "tool")


class TemplateError(ValueError):
    pass


@dataclass
class PromptTemplate:
    text: str
    defaults: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for _, filter_name in _PLACEHOLDER_RE.findall(self.text):
            if filter_name and filter_name not in FILTERS:
                raise TemplateError(f"unknown filter {filter_name!r}")

    @property
    def variables(self) -> list[str]:
        seen: dict[str, None] = {}
        for name, _ in _PLACEHOLDER_RE.findall(self.text):
            seen.setdefault(name, None)
        return list(seen)

    @property
    def required(self) -> list[str]:
        return [v for v in self.variables if v not in self.defaults]

    def render(self, **values: object) -> str:
        merged = {**self.defaults, **values}
        missing = [v for v in self.variables if v not in merged]
        if missing:
            raise TemplateError(f"missing template variables: {', '.join(missing)}")

        def substitute(match: re.Match[str]) -> str:
            value = merged[match.group(1)]
            filter_name = match.group(2)
            return FILTERS[filter_name](value) if filter_name else str(value)

        return _PLACEHOLDER_RE.sub(substitute, self.text)


@dataclass(frozen=True)
class Message:
    role: str
    content: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise TemplateError(f"unknown role {self.role!r}")


def format_chat(messages: list[Message], add_generation_prompt: bool = True) -> str:
    """Render messages in a ChatML-like format."""
    parts = [f"<|im_start|>{m.role}\n{m.content}<|im_end|>" for m in messages]
    if add_generation_prompt:
        parts.append("<|im_start|>assistant\n")
    return "\n".join(parts)


def truncate_chat(messages: list[Message], max_chars: int) -> list[Message]:
    """Drop the oldest non-system messages until the rendered chat fits.

    The system message and the final message are always kept.
    """
    kept = list(messages)
    while len(format_chat(kept)) > max_chars:
        droppable = [i for i, m in enumerate(kept[:-1]) if m.role != "system"]
        if not droppable:
            raise TemplateError("chat cannot be truncated to fit the budget")
        del kept[droppable[0]]
    return kept


BUILTIN_TEMPLATES = {
    "distill": PromptTemplate(
        "You are a helpful assistant.\n\nTask: {{ task | trim }}\n\nAnswer in {{ style }}.",
        defaults={"style": "plain English"},
    ),
    "tool": PromptTemplate("Available tools: {{ tools | json }}\nUser: {{ query }}"),
    "judge": PromptTemplate("Rate the answer from 1 to 10.\nQ: {{ question }}\nA: {{ answer }}\nSCORE:"),
}


def get_template(name: str) -> PromptTemplate:
    try:
        return BUILTIN_TEMPLATES[name]
    except KeyError:
        raise TemplateError(f"no builtin template {name!r}") from None


def register_template(name: str, text: str, **defaults: object) -> PromptTemplate:
    """Add a template to :data:`BUILTIN_TEMPLATES`; names must be unique."""
    if name in BUILTIN_TEMPLATES:
        raise TemplateError(f"template {name!r} already exists")
    template = PromptTemplate(text, dict(defaults))
    BUILTIN_TEMPLATES[name] = template
    return template


def build_few_shot(
    examples: list[dict[str, str]],
    query: str,
    max_examples: int = 3,
    max_chars: int | None = None,
    separator: str = "\n\n",
) -> str:
    """Prepend up to ``max_examples`` Q/A shots, dropping shots that overflow ``max_chars``."""
    query_block = f"Q: {query}\nA:"
    shots: list[str] = []
    for example in examples[:max_examples]:
        shot = f"Q: {example['question']}\nA: {example['answer']}"
        candidate = separator.join([*shots, shot, query_block])
        if max_chars is not None and len(candidate) > max_chars:
            break
        shots.append(shot)
    return separator.join([*shots, query_block])


def escape_placeholders(text: str) -> str:
    """Make user text safe to embed in a template by breaking ``{{``/``}}`` pairs."""
    return text.replace("{{", "{ {").replace("}}", "} }")
