"""The code stays in pieces a newcomer can read: no module over 450 lines, no function over 80.

Measured on the source, not by a linter's notion of complexity: a module's
lines as a reader scrolls them, a function's from its ``def`` (decorators
left out) to its last line (``end_lineno - lineno + 1``), nested functions
and methods counted on their own as well as inside what holds them.  A
module or function that grows past the limit is split by job, as the rest
of the package is.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULE_LINES = 450
FUNCTION_LINES = 80
SOURCES = [*sorted((REPO / "scripts" / "covsplit").rglob("*.py")), REPO / "noxfile.py"]


def _name(path: Path) -> str:
    return str(path.relative_to(REPO))


def long_functions(path: Path) -> list[str]:
    """The functions and methods of ``path`` over the limit, as ``name (lines)``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > FUNCTION_LINES:
                found.append(f"{node.name} ({length} lines)")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=_name)
def test_no_module_is_longer_than_a_reader_can_hold(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MODULE_LINES, f"{_name(path)} has {lines} lines (limit {MODULE_LINES}): split it by job"


@pytest.mark.parametrize("path", SOURCES, ids=_name)
def test_no_function_does_more_than_one_job(path: Path) -> None:
    assert not long_functions(path), f"{_name(path)}: over {FUNCTION_LINES} lines: {', '.join(long_functions(path))}"


def test_the_rule_measures_from_def_to_last_line(tmp_path: Path) -> None:
    body = "".join(f"    x{i} = {i}\n" for i in range(FUNCTION_LINES - 1))
    fits = tmp_path / "fits.py"
    fits.write_text(f"@decorator\ndef fits():\n{body}")
    assert long_functions(fits) == []
    longer = tmp_path / "longer.py"
    longer.write_text(f"class A:\n    def longer(self):\n    {body.replace(chr(10), chr(10) + '    ')}    y = 0\n")
    assert long_functions(longer) == [f"longer ({FUNCTION_LINES + 1} lines)"]
