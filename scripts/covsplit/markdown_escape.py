"""Markdown escaping: the one rule by which every writer puts a value into a Markdown document.

Titles, messages, test names and file names come from users and tests, so
each writer (a worker's summary, its failure analysis, the aggregate's
summary, ``report.md``) escapes them here: a ``|`` must not end a table
cell, a newline must not end a row, ``<`` must not open a tag, and a
backtick must not end a code span.  (:mod:`covsplit.report.markdown`
renders ``report.md`` through this rule.)

Standard library only.
"""

from __future__ import annotations

import re

_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1")


def md_code(text: str) -> str:
    """``text`` as inline code that survives backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_cell(text: str) -> str:
    """``text`` made safe for Markdown, in a table cell or anywhere: the one escaping rule of every writer.

    A "|" would end a table cell and a newline its row; ``<`` and ``&`` would
    start HTML (a title like ``parsing <fast>`` must not become a tag).
    """
    # Code spans show their text as it is: entities there would print literally.
    pieces: list[str] = []
    done = 0
    for span in _CODE_SPAN.finditer(text):
        pieces += [_html_escape(text[done : span.start()]), span.group(0)]
        done = span.end()
    escaped = "".join([*pieces, _html_escape(text[done:])])
    return escaped.replace("|", "\\|").replace("\n", " ")


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
