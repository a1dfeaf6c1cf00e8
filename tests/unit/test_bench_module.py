"""The bench's module edit: which module, where in it, and that the edit changes the text and no behaviour."""

from __future__ import annotations

import ast
import importlib.util
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("covsplit_bench", REPO / "bench" / "bench.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


bench = _load_bench()

SOURCE = textwrap.dedent(
    '''\
    """A module."""
    import functools


    def documented(x):
        """Doubles."""
        y = x * 2
        return y


    def one_liner(x): return x + 1


    def docstring_only():
        """Nothing else."""


    def uses_underscore(x):
        _ = x
        return _


    class Thing:
        def method(self, x):
            @functools.lru_cache
            def inner(y):
                return y - 1
            return inner(x)

        async def waits(self):
            return 3
    '''
)


def _lines(source: str, name: str) -> int:
    """The line of the first body statement after the docstring of the function ``name``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            body = node.body[1:] if ast.get_docstring(node) is not None else node.body
            first = body[0]
            return min([first.lineno, *(d.lineno for d in getattr(first, "decorator_list", []))])
    raise AssertionError(name)


def _run(source: str) -> dict[str, object]:
    namespace: dict[str, object] = {}
    exec(compile(source, "<bench-test>", "exec"), namespace)
    return namespace


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ("tests/test_a.py::TestX::test_y|run", "tests/test_a.py"),
        ("tests/test_a.py::test_p[a|b]|setup", "tests/test_a.py"),
        ("pkg/mod.py::pkg.mod.func", "pkg/mod.py"),
        ("", None),
    ],
)
def test_a_context_names_its_test_file(context: str, expected: str | None) -> None:
    assert bench.test_file_of(context) == expected


def test_lines_keep_only_the_test_files_that_ran_them() -> None:
    contexts = {"3": ["", "tests/test_a.py::t|run", "tests/test_b.py::t|setup"], "4": [""], "7": ["t.py::x|run"]}
    assert bench.test_files_by_line(contexts) == {3: {"tests/test_a.py", "tests/test_b.py"}, 7: {"t.py"}}


def test_the_module_nearest_a_tenth_of_the_test_files_comes_first() -> None:
    def reached_by(count: int) -> dict[int, set[str]]:
        return {1: {f"tests/test_{i}.py" for i in range(count)}, 2: {"tests/test_0.py"}}

    executed = {"a.py": reached_by(5), "b.py": reached_by(2), "c.py": reached_by(1), "d.py": reached_by(3), "e.py": {}}
    # 2 and 3 of 25 files are 0.08 and 0.12, as near 0.1: the larger share first; e.py runs in no test.
    assert bench.modules_by_share(executed, 25, 0.1) == ["d.py", "b.py", "c.py", "a.py"]


def test_the_edit_goes_inside_the_most_executed_function_body_after_its_docstring() -> None:
    many, few = {"t1.py", "t2.py", "t3.py"}, {"t1.py"}
    executed = {_lines(SOURCE, "documented"): few, _lines(SOURCE, "method"): many, _lines(SOURCE, "inner"): few}
    point = bench.edit_point(SOURCE, executed)
    assert point == bench.EditPoint(_lines(SOURCE, "method"), "        ", 3)
    # Passed over: a body on the def line, no statement after the docstring, a function that reads `_`.
    unusable = {_lines(SOURCE, name): many for name in ("one_liner", "uses_underscore")}
    assert bench.edit_point(SOURCE, unusable) is None
    # Before the decorators of a decorated first statement, at their indentation.
    decorated = bench.edit_point(SOURCE, {_lines(SOURCE, "method"): few})
    assert decorated is not None and SOURCE.split("\n")[decorated.line - 1].strip().startswith("@functools")
    assert bench.edit_point(SOURCE, {_lines(SOURCE, "documented"): few}) == bench.EditPoint(7, "    ", 1)


def test_a_body_that_also_ran_while_collecting_is_passed_over_unless_asked_for() -> None:
    contexts = {"3": ["", "tests/test_a.py::t|run"], "4": ["tests/test_a.py::t|run"]}
    assert bench.lines_outside_tests(contexts) == {3}
    executed = {_lines(SOURCE, "method"): {"t1.py", "t2.py"}, _lines(SOURCE, "documented"): {"t1.py"}}
    outside = {_lines(SOURCE, "method")}
    # The most executed body ran at import too: the other one is taken, unless nothing else is left.
    assert bench.edit_point(SOURCE, executed, outside, collected=False) == bench.EditPoint(7, "    ", 1)
    assert bench.edit_point(SOURCE, executed, outside) == bench.edit_point(SOURCE, executed)
    only = {_lines(SOURCE, "method"): {"t1.py"}}
    assert bench.edit_point(SOURCE, only, outside, collected=False) is None


@pytest.mark.parametrize("name", ["documented", "method", "inner", "waits"])
def test_the_inserted_no_op_changes_the_text_and_no_behaviour(name: str) -> None:
    point = bench.edit_point(SOURCE, {_lines(SOURCE, name): {"t.py"}})
    assert point is not None
    edited = bench.insert_statement(SOURCE, point)
    assert edited != SOURCE and edited.count(bench.NO_OP) == 1
    # The no-op is the first statement after the docstring of the function that was picked.
    tree = ast.parse(edited)
    function = next(
        n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name
    )
    body = function.body[1:] if ast.get_docstring(function) is not None else function.body
    assert ast.unparse(body[0]) == bench.NO_OP
    before, after = _run(SOURCE), _run(edited)
    assert after["documented"].__doc__ == before["documented"].__doc__ == "Doubles."  # type: ignore[attr-defined]
    assert after["documented"](4) == before["documented"](4) == 8  # type: ignore[operator]
    assert after["Thing"]().method(5) == before["Thing"]().method(5) == 4  # type: ignore[operator]


def test_line_endings_and_form_feeds_stay_as_they_were() -> None:
    source = "def f():\r\n    return 1\r\n\x0c\r\ndef g():\r\n    return 2\r\n"
    point = bench.edit_point(source, {5: {"t.py"}})
    assert point == bench.EditPoint(5, "    ", 1)
    assert bench.insert_statement(source, point) == source.replace("    return 2", "    _ = None\r\n    return 2")


def test_the_edited_test_file_is_the_one_of_median_seconds_among_those_one_worker_runs() -> None:
    own = {"worker1": ["tests/test_heavy.py", "tests/test_a.py"], "worker2": ["tests/test_b.py", "tests/test_c.py"]}
    seconds = {"tests/test_heavy.py": 20.0, "tests/test_a.py": 0.5, "tests/test_b.py": 0.2, "tests/test_c.py": 0.9}
    assert bench.median_file(own, seconds) == ("worker1", "tests/test_a.py", 0.5)
    # Not measured (a shared file, or no run yet): not a candidate; nothing measured, no pick.
    assert bench.median_file(own, {"tests/test_heavy.py": 20.0}) == ("worker1", "tests/test_heavy.py", 20.0)
    assert bench.median_file(own, {}) is None
