"""Unit tests of covsplit.plan_toml: a plan rewrites ``[workers]`` only, and keeps what people wrote around it."""

from __future__ import annotations

import tomllib

from covsplit import plan_model, plan_toml
from covsplit.plan_model import Plan, PlannedWorker

TEXT = """\
# The example project.
[project]
root = "x"  # relative to this file
source = ["a", "b"]

[thresholds]
line = 80

[workers.worker1]
title = "Alpha"
modules = ["a"]
tests = ["tests/test_a.py"]
timeout = 600  # its tests are slow

# worker2 runs the b tests.
[workers.worker2]
title = "Beta"
modules = [
    "b",  # the big one
]
tests = ["tests/test_b.py"]
"""


def planned(name: str, modules: list[str], tests: list[str], title: str = "", kept: bool = True) -> PlannedWorker:
    return PlannedWorker(
        name, title or f"New {name}", tuple(modules), tuple(tests), (), (), 0, 0.0, name if kept else None, kept
    )


def render(*workers: PlannedWorker, text: str = TEXT) -> str:
    return plan_toml.render_toml(text, Plan("statements", workers, 1.0))


def test_an_unchanged_plan_leaves_the_file_as_written() -> None:
    same = (
        planned("worker1", ["a"], ["tests/test_a.py"], "Alpha"),
        planned("worker2", ["b"], ["tests/test_b.py"], "Beta"),
    )
    assert render(*same) == TEXT


def test_everything_outside_the_workers_stays_as_written() -> None:
    written = render(planned("worker1", ["a", "b"], ["tests"]))
    assert written.startswith(TEXT.split("[workers.worker1]")[0])
    data = tomllib.loads(written)
    assert data["project"] == {"root": "x", "source": ["a", "b"]}
    assert data["thresholds"] == {"line": 80}


def test_a_kept_worker_keeps_its_table_and_only_its_lists_change() -> None:
    written = render(
        planned("worker1", ["a", "b"], ["tests/test_a.py"]), planned("worker2", ["b"], ["tests/test_b.py"])
    )
    data = tomllib.loads(written)
    assert data["workers"]["worker1"] == {
        "title": "Alpha",
        "modules": ["a", "b"],
        "tests": ["tests/test_a.py"],
        "timeout": 600,
    }
    # A list of more than one goes one item a line; the comments beside keys stay.
    assert 'modules = [\n    "a",\n    "b",\n]' in written
    assert "timeout = 600  # its tests are slow" in written
    # An unchanged list keeps its layout and the comment inside it.
    assert '"b",  # the big one' in written


def test_a_title_that_no_longer_fits_is_replaced() -> None:
    written = render(planned("worker1", ["a"], ["tests/test_a.py"], "Alpha + Beta", kept=False))
    assert tomllib.loads(written)["workers"]["worker1"]["title"] == "Alpha + Beta"


def test_a_removed_worker_takes_its_comments_along_and_a_new_one_gets_a_table() -> None:
    written = render(planned("worker1", ["a"], ["tests/test_a.py"]), planned("worker3", ["b"], [], "Gamma", kept=False))
    assert "worker2" not in written and "worker2 runs the b tests" not in written
    assert tomllib.loads(written)["workers"]["worker3"] == {"title": "Gamma", "modules": ["b"], "tests": []}


def test_a_comment_after_a_changed_list_stays_with_the_new_list() -> None:
    text = '[workers.w]\ntitle = "W"\nmodules = ["a"]  # why a\n'
    written = render(planned("w", ["a", "b"], []), text=text)
    assert "]  # why a\n" in written
    assert tomllib.loads(written)["workers"]["w"]["modules"] == ["a", "b"]


def test_a_file_without_workers_gets_them() -> None:
    written = render(planned("worker1", ["a"], ["tests"], "Alpha", kept=False), text='[project]\nroot = "."\n')
    assert written.startswith('[project]\nroot = "."\n')
    assert tomllib.loads(written)["workers"] == {"worker1": {"title": "Alpha", "modules": ["a"], "tests": ["tests"]}}


# Moved unchanged from test_plan.py.
def test_removing_a_worker_keeps_the_comments_of_the_others() -> None:
    text = (
        '[project]\nroot = "x"  # kept\n\n'
        '[workers.worker1]\ntitle = "A"\nmodules = ["a"]\n\n'
        '# about worker2\n[workers.worker2]\ntitle = "B"\nmodules = ["b"]\n# inside worker2\n\n'
        '# about worker3\n[workers.worker3]\ntitle = "C"  # why C\nmodules = ["c"]\n'
        'tests = ["tests/c"]   # why these tests\n'
    )

    def worker(name: str, modules: list[str], tests: list[str], survives: bool) -> plan_model.PlannedWorker:
        return plan_model.PlannedWorker(name, f"New {name}", tuple(modules), tuple(tests), (), (), 0, 0.0,
                                  name if survives else None, title_kept=survives)  # fmt: skip

    result = plan_model.Plan(
        "statements",
        (worker("worker1", ["a", "b"], ["tests/a"], True), worker("worker3", ["c"], ["tests/c", "tests/d"], False)),
        1.0,
    )
    written = plan_toml.render_toml(text, result)
    assert "about worker2" not in written and "inside worker2" not in written
    assert '# about worker3\n[workers.worker3]\ntitle = "New worker3"' in written
    assert "]   # why these tests" in written
    assert written.startswith('[project]\nroot = "x"  # kept\n\n[workers.worker1]\ntitle = "A"\n')
