"""Unit tests of covsplit.markdown_escape: a value from a user or a test never breaks the Markdown around it."""

from __future__ import annotations

import pytest

from covsplit.markdown_escape import md_cell, md_code


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("Parsing | Lexing", "Parsing \\| Lexing"),  # a pipe would end the table cell
        ("line\nbreak", "line break"),  # a newline would end the row
        ("parsing <fast> & more", "parsing &lt;fast&gt; &amp; more"),  # no tag opens
        ("plain", "plain"),
        ("", ""),
    ],
)
def test_a_cell_keeps_its_table_whole(text: str, escaped: str) -> None:
    assert md_cell(text) == escaped


def test_code_spans_show_their_text_as_it_is_but_still_escape_pipes() -> None:
    # Entities inside a code span would print literally, so only the pipe is escaped there.
    assert md_cell("see `a<b|c` and <d>") == "see `a<b\\|c` and &lt;d&gt;"
    assert md_cell(md_code("a<b|c")) == "`a<b\\|c`"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("tests/test_a.py", "`tests/test_a.py`"),
        ("a`b", "``a`b``"),  # a fence longer than any run of backticks inside
        ("``x", "``` ``x ```"),  # padded where the text starts or ends with a backtick
        ("", "`  `"),
    ],
)
def test_code_survives_backticks_inside(text: str, code: str) -> None:
    assert md_code(text) == code
