"""What an edit of a source file changed (covsplit.source_shape): its outline, its bodies, where its lines moved.

The moves are checked against coverage.py itself: data measured before an edit, renumbered, equals the data
measured after it, for the code the edit did not touch.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from coverage import CoverageData

from covsplit import context_data, source_shape

MODULE = textwrap.dedent(
    """\
    LIMIT = 3


    def register(name):
        REGISTRY.append(name)
        return name


    REGISTRY = []


    class Box:
        size = 2

        def grow(self, by):
            return self.size + by


    def helper(x):
        return x * LIMIT
    """
)


def test_an_edit_inside_a_function_body_keeps_the_outline_and_a_module_level_edit_does_not() -> None:
    before = source_shape.shape(MODULE)
    assert before is not None
    body = source_shape.shape(MODULE.replace("return x * LIMIT", "y = x\n    return y * LIMIT"))
    method = source_shape.shape(MODULE.replace("return self.size + by", "return by + self.size"))
    constant = source_shape.shape(MODULE.replace("LIMIT = 3", "LIMIT = 4"))
    attribute = source_shape.shape(MODULE.replace("size = 2", "size = 5"))
    added = source_shape.shape(MODULE + "\n\ndef more():\n    return 1\n")
    signature = source_shape.shape(MODULE.replace("def helper(x):", "def helper(x, y=1):"))
    assert body is not None and method is not None
    assert body["outline"] == method["outline"] == before["outline"]
    for edited in (constant, attribute, added, signature):
        assert edited is not None and edited["outline"] != before["outline"]
    assert source_shape.shape("def broken(:\n") is None


def test_the_bodies_that_ran_while_collecting_are_recorded_by_name(tmp_path: Path) -> None:
    # Lines 5-6 are register()'s body: a decorator's work done at import time.
    found = source_shape.shape(MODULE, [1, 5, 6, 9])
    assert found is not None and set(found["bodies"]) == {"register"}
    (tmp_path / "m.py").write_text(MODULE)
    assert source_shape.same_shape(tmp_path, "m.py", found)
    (tmp_path / "m.py").write_text(MODULE.replace("return x * LIMIT", "return LIMIT * x"))
    assert source_shape.same_shape(tmp_path, "m.py", found)
    (tmp_path / "m.py").write_text(MODULE.replace("REGISTRY.append(name)", "REGISTRY.insert(0, name)"))
    assert source_shape.shape_change(tmp_path, "m.py", found) == "the body of register(), which ran while collecting"


def test_an_edit_inside_bodies_says_which_bodies_and_where_the_other_lines_moved() -> None:
    edited = MODULE.replace("return self.size + by", "extra = by\n        return self.size + extra")
    found = source_shape.moves(MODULE, edited)
    assert found is not None and found.edited == ("Box.grow",)
    old_lines, new_lines = MODULE.splitlines(), edited.splitlines()
    grow = old_lines.index("        return self.size + by") + 1
    assert found.edited_lines == {grow}
    helper = old_lines.index("def helper(x):") + 1
    assert found.mapping[helper] == helper + 1 and new_lines[helper] == "def helper(x):"
    assert found.mapping[1] == 1 and grow not in found.mapping
    assert all(old_lines[old - 1] == new_lines[new - 1] for old, new in found.mapping.items())
    assert source_shape.moves(MODULE, MODULE.replace("LIMIT = 3", "LIMIT = 4")) is None
    assert source_shape.moves(MODULE, "def broken(:\n") is None
    # A function on line 1 shares its entry's -1 with the module: moved down, it cannot be followed.
    assert source_shape.moves("def f():\n    return 1\n", "# new\ndef f():\n    return 2\n") is None
    assert source_shape.moves("x = 1\n\n\ndef f():\n    return 1\n", "# new\nx = 1\n\n\ndef f():\n    return 2\n")


def test_the_source_as_measured_is_kept_by_its_content(tmp_path: Path) -> None:
    name = source_shape.keep(tmp_path, MODULE)
    assert source_shape.keep(tmp_path, MODULE) == name and len(list(tmp_path.iterdir())) == 1
    assert source_shape.kept(tmp_path, name) == MODULE
    assert source_shape.kept(tmp_path, "../etc") is None and source_shape.kept(tmp_path, None) is None
    other = source_shape.keep(tmp_path, MODULE + "\n")
    source_shape.forget(tmp_path, [name])
    assert source_shape.kept(tmp_path, other) is not None  # kept a moment ago: a run may not have recorded it yet
    source_shape.forget(tmp_path, [name], idle_s=-1)
    assert source_shape.kept(tmp_path, other) is None and source_shape.kept(tmp_path, name) == MODULE


def test_a_shape_is_computed_once_per_content_and_forgotten_with_its_source(tmp_path: Path) -> None:
    assert source_shape.shape(MODULE, [1], tmp_path) == source_shape.shape(MODULE, [1])
    (outline,) = tmp_path.glob(f"*{source_shape.OUTLINE_SUFFIX}")
    # Read back, not computed again: a changed record shows through.
    kept_outline = json.loads(outline.read_text())
    outline.write_text(json.dumps({**kept_outline, "outline": "from the store"}))
    assert source_shape.shape(MODULE, [1], tmp_path)["outline"] == "from the store"
    assert source_shape.shape(MODULE, [1])["outline"] == kept_outline["outline"]
    source_shape.keep(tmp_path, MODULE)
    source_shape.forget(tmp_path, [], idle_s=-1)
    assert list(tmp_path.iterdir()) == []


SOURCE = textwrap.dedent(
    """\
    import os


    def first(x):
        if x > 1:
            return x
        return -x


    def second(items):
        total = 0
        for item in items:
            if item:
                total += item
        return [total for _ in range(2)]


    class Later:
        def third(self):
            return second([1, 0, 2])
    """
)
MEASURE = """\
import importlib, sys
import coverage
cov = coverage.Coverage(data_file=sys.argv[1], branch=True)
cov.start()
cov.switch_context("import")
mod = importlib.import_module("mod")
if "first" in sys.argv[2:]:
    cov.switch_context("first")
    mod.first(3)
cov.switch_context("others")
mod.second([1, 2])
mod.Later().third()
cov.stop()
cov.save()
"""


def measure(folder: Path, source: str, *contexts: str) -> Path:
    (folder / "mod.py").write_text(source)
    (folder / "measure.py").write_text(MEASURE)
    data = folder / ".coverage"
    data.unlink(missing_ok=True)
    subprocess.run([sys.executable, "measure.py", str(data), *contexts], cwd=folder, check=True)
    return data


def by_context(data_file: Path, path: str, context: str) -> tuple[list[int], list[tuple[int, int]]]:
    data = CoverageData(basename=str(data_file))
    data.read()
    data.set_query_contexts([f"^{context}$"])
    return sorted(data.lines(path) or []), sorted(data.arcs(path) or [])


BODY_EDITED = SOURCE.replace("        return x\n", "        y = x\n        return y\n", 1)
# A line above everything: the module's entry stays -1 in coverage.py's arcs while every line moves.
COMMENT_ON_TOP = "# a new first line\n" + SOURCE.replace("        return x\n", "        y = x\n        return y\n", 1)


@pytest.mark.parametrize("edited", [BODY_EDITED, COMMENT_ON_TOP], ids=["body", "comment-on-top"])
def test_data_renumbered_after_a_body_edit_equals_coverage_measured_after_it(tmp_path: Path, edited: str) -> None:
    before, after = tmp_path / "before", tmp_path / "after"
    before.mkdir(), after.mkdir()
    old = measure(before, SOURCE, "first")
    new = measure(after, edited)
    found = source_shape.moves(SOURCE, edited)
    assert found is not None and found.edited == ("first",)
    old_path, new_path = str(before / "mod.py"), str(after / "mod.py")
    # "first" ran the edited body: the plan runs it again; the other contexts follow the moved lines.
    lines = context_data.lines_by_context(old, old_path)
    assert lines is not None and lines["first"] & found.edited_lines
    assert not lines["others"] & found.edited_lines and lines["others"] <= found.mapping.keys()
    context_data.prune(old, ["first"])
    context_data.move_lines(old, old_path, found.mapping)
    for context in ("import", "others"):
        assert by_context(old, old_path, context) == by_context(new, new_path, context), context
    assert by_context(old, old_path, "others")[0]  # measured, not empty on both sides
