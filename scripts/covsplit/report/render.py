"""The Jinja2 environments the report renders through: one per format, over the same templates and filters.

Both autoescape.  HTML escapes the HTML way; Markdown's environment
escapes every plain value by the one Markdown rule of every writer
(:func:`covsplit.markdown_escape.md_cell`) through ``finalize``, so a value is never
written raw by forgetting a filter, and a title with ``|`` cannot break a
table.  ``code`` and ``strong`` mark up in each format's own way, which is
how ``steps.j2`` phrases the next steps once for both.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Any

from jinja2 import BytecodeCache, Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from covsplit.markdown_escape import md_cell, md_code
from covsplit.numbers import Gate, Percent, format_percent, format_shortfall, percent_text
from covsplit.report.figures import (
    format_amount,
    format_count,
    format_ratio,
    format_seconds,
    format_threshold,
    format_time,
    outcome_word,
)
from covsplit.report.views import EARLIER
from covsplit.summary import OWN_TESTS, WHOLE_SUITE

TEMPLATES = Path(__file__).with_name("templates")


def _below(value: Percent, threshold: float) -> bool:
    """Under a threshold by the gates' own exact rule."""
    return Gate("", threshold, value).failed


def _bytecode_cache(kind: str) -> BytecodeCache | None:
    """Compiled templates kept in the virtualenv, as Python keeps its bytecode, and on the same condition.

    Compiling the two report templates cost 1.2 s of every aggregate, a
    tenth of re-running one worker of markdown-it-py.  Jinja2 checks each
    entry against the template's source, so an edited template compiles
    again.  With PYTHONDONTWRITEBYTECODE set nothing is written, as Python
    writes no ``.pyc``.  One folder per environment: the code Jinja2 writes
    depends on the environment's options (Markdown's ``finalize``), and
    ``steps.j2`` is compiled for both.
    """
    if sys.dont_write_bytecode:
        return None
    directory = Path(sys.prefix, "covsplit-templates", kind)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return FileSystemBytecodeCache(str(directory)) if os.access(directory, os.W_OK) else None


def _environment(kind: str, **options: Any) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        bytecode_cache=_bytecode_cache(kind),
        autoescape=True,
        # A misspelt name fails the render instead of printing nothing.
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        **options,
    )
    env.filters.update(
        number=format_count,
        pct=format_percent,
        percent=percent_text,
        amount=format_amount,
        ratio=format_ratio,
        threshold=format_threshold,
        seconds=format_seconds,
        time=format_time,
        shortfall=format_shortfall,
        below=_below,
        shell_quote=shlex.quote,
    )
    # Which coverage a worker's figure is (covsplit.summary): the templates phrase each.
    env.globals.update(EARLIER=EARLIER, OWN_TESTS=OWN_TESTS, WHOLE_SUITE=WHOLE_SUITE, outcome_word=outcome_word)
    return env


def _markdown_text(value: Any) -> Any:
    return value if hasattr(value, "__html__") else Markup(md_cell(str(value)))


def _fenced(text: str, language: str) -> Markup:
    """A code block whose fence no run of backticks in ``text`` can close."""
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
    return Markup(f"{fence}{language}\n{text}\n{fence}")


@functools.cache
def markdown() -> Environment:
    env = _environment("markdown", finalize=_markdown_text)
    env.filters.update(
        code=lambda value: Markup(md_code(str(value))),
        strong=lambda value: Markup(f"**{md_cell(str(value))}**"),
        # Inside a table even a code span needs its "|" escaped.
        cell=lambda value: Markup(md_cell(str(value))),
        symbol=Markup,
        fenced=_fenced,
    )
    return env


@functools.cache
def html() -> Environment:
    env = _environment("html")
    env.filters.update(
        code=lambda value: Markup("<code>%s</code>") % value,
        strong=lambda value: Markup("<strong>%s</strong>") % value,
        symbol=escape,
    )
    return env
