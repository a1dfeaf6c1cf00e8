"""Compiled report templates are kept where Python would keep bytecode, and only when it would."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from covsplit.report import render


@pytest.fixture
def fresh_environments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    render.markdown.cache_clear()
    render.html.cache_clear()
    yield tmp_path / "covsplit-templates"
    # The other tests render through environments that cache nothing here.
    render.markdown.cache_clear()
    render.html.cache_clear()


def test_each_format_compiles_once_into_its_own_folder(
    fresh_environments: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    first = render.markdown().get_template("steps.j2"), render.html().get_template("steps.j2")
    # steps.j2 compiles differently for each (Markdown's finalize): one entry per format.
    assert [len(list((fresh_environments / kind).iterdir())) for kind in ("markdown", "html")] == [1, 1]
    render.markdown.cache_clear()
    render.html.cache_clear()
    again = render.markdown().get_template("steps.j2"), render.html().get_template("steps.j2")
    assert [t.environment.finalize for t in again] == [t.environment.finalize for t in first]


def test_nothing_is_written_when_python_writes_no_bytecode(
    fresh_environments: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    render.markdown().get_template("steps.j2")
    assert not fresh_environments.exists()
