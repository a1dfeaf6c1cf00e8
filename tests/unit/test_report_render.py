"""Unit tests of covsplit.report.render: the two Jinja2 environments, on one-line templates.

Both formats render the same templates; what differs is how a value is
escaped and how ``code`` and ``strong`` mark up.  These tests render tiny
templates through the real environments, so that a value written raw, a
table broken by ``|`` or a fence closed by the text inside it shows here,
not only as a changed golden file.  (The bytecode cache is
test_render_cache.py's.)
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from jinja2 import UndefinedError
from markupsafe import Markup

from covsplit.report import render
from covsplit.report.views import EARLIER
from covsplit.summary import OWN_TESTS, WHOLE_SUITE


def md(source: str, **values: Any) -> str:
    return render.markdown().from_string(source).render(**values)


def html(source: str, **values: Any) -> str:
    return render.html().from_string(source).render(**values)


def test_markdown_escapes_every_plain_value_without_a_filter() -> None:
    # A title with "|" must not end a table cell, nor "<" open a tag, nor a newline end the row.
    assert md("| {{ title }} |", title="a | b <c> & d\ne") == "| a \\| b &lt;c&gt; &amp; d e |"


def test_markdown_leaves_marked_up_values_alone() -> None:
    assert md("{{ value }}", value=Markup("**bold** | kept")) == "**bold** | kept"


def test_markdown_marks_code_and_strong_its_own_way() -> None:
    assert md("{{ path | code }}", path="pkg/a.py") == "`pkg/a.py`"
    assert md("{{ path | code }}", path="a`b") == "``a`b``"  # a backtick inside does not close the span
    assert md("{{ name | strong }}", name="w|1") == "**w\\|1**"
    assert md("{{ cmd | code | cell }}", cmd="a | b") == "`a \\| b`"


def test_html_escapes_the_html_way_and_marks_up_with_tags() -> None:
    assert html("{{ title }}", title="a | b <c> & d") == "a | b &lt;c&gt; &amp; d"
    assert html("{{ path | code }}", path="<x>") == "<code>&lt;x&gt;</code>"
    assert html("{{ name | strong }}", name="a&b") == "<strong>a&amp;b</strong>"


def test_symbol_is_trusted_in_markdown_and_escaped_in_html() -> None:
    assert md("{{ s | symbol }}", s="<br>") == "<br>"
    assert html("{{ s | symbol }}", s="<br>") == "&lt;br&gt;"


def test_a_fence_is_longer_than_any_run_of_backticks_in_its_text() -> None:
    assert md("{{ text | fenced('bash') }}", text="make all") == "```bash\nmake all\n```"
    assert md("{{ text | fenced('') }}", text="echo ````x````") == "`````\necho ````x````\n`````"


def test_a_misspelt_name_fails_the_render_instead_of_printing_nothing() -> None:
    with pytest.raises(UndefinedError):
        md("{{ modle.name }}")
    with pytest.raises(UndefinedError):
        html("{{ modle }}")


@pytest.mark.parametrize(("value", "threshold", "below"), [(79.99, 80, True), (80, 80, False), (None, 80, False)])
def test_below_is_the_gates_rule(value: float | None, threshold: float, below: bool) -> None:
    assert md("{{ value | below(threshold) }}", value=value, threshold=threshold) == str(below)


def test_below_compares_with_the_threshold_as_written_not_its_float() -> None:
    # 33.3 as written is 333/10; the float nearest it is a hair less, which would pass 333/10 itself.
    assert md("{{ value | below(33.3) }}", value=Fraction(333, 10)) == "False"
    assert md("{{ value | below(33.3) }}", value=Fraction(3329999, 100000)) == "True"


def test_both_formats_share_the_figures_filters() -> None:
    source = "{{ n | number }} {{ p | pct }} {{ p | percent }} {{ r | ratio }} {{ a | amount }} {{ s | seconds }}"
    values = {"n": 1234, "p": Fraction(2, 3) * 100, "r": Fraction(12499, 10000), "a": Fraction(5, 2), "s": 1.5}
    expected = "1,234 66.67 66.67% 1.24 2.50 1.50 s"
    assert md(source, **values) == html(source, **values) == expected


def test_shell_quote_quotes_what_a_shell_would_split() -> None:
    assert md("{{ p | shell_quote }}", p="plain") == "plain"
    assert html("{{ p | shell_quote }}", p="a b") == "&#39;a b&#39;"


def test_the_coverage_scopes_and_outcome_word_are_globals() -> None:
    assert md("{{ EARLIER }}/{{ OWN_TESTS }}/{{ WHOLE_SUITE }}") == f"{EARLIER}/{OWN_TESTS}/{WHOLE_SUITE}"
    assert html("{{ outcome_word('errors', 1) }}") == "error"


def test_each_format_has_one_environment() -> None:
    assert render.markdown() is render.markdown() and render.html() is render.html()
    assert render.markdown() is not render.html()


def test_a_race_reads_as_the_tests_the_files_and_the_group_that_fixes_it() -> None:
    from covsplit.outputs import Race
    from covsplit.report.steps import KeepRacesTogether

    race = Race(("tests/record.txt",), ("tests/test_a.py", "tests/test_b.py"), ("worker1", "worker2"))
    step = KeepRacesTogether((race,), "workers.toml", "make plan")
    template = '{% import "steps.j2" as steps %}{{ steps.sentence(step) }}|{{ steps.item(step, step.items[0]) }}'
    text = render.markdown().from_string(template).render(step=step)
    sentence, item = text.split("|")
    assert "keep each group in one worker with `project.keep_together` in workers.toml, then `make plan`:" in sentence
    assert item == (
        "`tests/test_a.py` and `tests/test_b.py` (worker1, worker2) both write `tests/record.txt`: "
        '`keep_together = [["tests/test_a.py", "tests/test_b.py"]]`'
    )
