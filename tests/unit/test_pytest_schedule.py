"""Unit tests of covsplit.pytest_schedule: which tests of a shared file a real pytest run keeps, per worker.

The plugin deselects the tests another worker runs, so that every test of
a shared file runs exactly once across the workers.  These tests run
pytest (through pytester) over one shared and one unshared test file, with
a real schedule file, once as each worker, and compare what ran.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from covsplit import schedule_file

pytest_plugins = ["pytester"]

SHARED = """
import pytest

def test_a():
    pass

def test_b():
    pass

class TestC:
    def test_one(self):
        pass

    def test_two(self):
        pass

@pytest.mark.parametrize("n", [1, 2])
def test_p(n):
    pass
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> Path:
    """tests/test_s.py shared by w1 (its owner) and w2 (test_b, class TestC, test_p[2]); tests/test_u.py unshared."""
    pytester.mkpydir("tests")
    (pytester.path / "tests" / "test_s.py").write_text(SHARED)
    (pytester.path / "tests" / "test_u.py").write_text("def test_u():\n    pass\n")
    schedule = pytester.path / "workers.schedule.json"
    parts = {"w2": ("tests/test_s.py::test_b", "tests/test_s.py::TestC", "tests/test_s.py::test_p[2]")}
    schedule_file.write(schedule, {"tests/test_s.py": schedule_file.SharedFile("w1", parts)})
    return schedule


def ran(pytester: pytest.Pytester, *args: str) -> set[str]:
    """The node ids that passed in a run with the plugin loaded."""
    result = pytester.runpytest("-p", "covsplit.pytest_schedule", "-rA", *args)
    return {line.split()[1] for line in result.outlines if line.startswith("PASSED ")}


ALL = {
    "tests/test_s.py::test_a",
    "tests/test_s.py::test_b",
    "tests/test_s.py::TestC::test_one",
    "tests/test_s.py::TestC::test_two",
    "tests/test_s.py::test_p[1]",
    "tests/test_s.py::test_p[2]",
    "tests/test_u.py::test_u",
}


def test_a_worker_runs_the_pieces_it_is_given_and_the_unshared_files(pytester: pytest.Pytester, project: Path) -> None:
    assert ran(pytester, f"--covsplit-schedule={project}", "--covsplit-worker=w2") == {
        "tests/test_s.py::test_b",
        "tests/test_s.py::TestC::test_one",
        "tests/test_s.py::TestC::test_two",
        "tests/test_s.py::test_p[2]",
        "tests/test_u.py::test_u",
    }


def test_the_owner_runs_every_test_no_piece_names(pytester: pytest.Pytester, project: Path) -> None:
    assert ran(pytester, f"--covsplit-schedule={project}", "--covsplit-worker=w1") == {
        "tests/test_s.py::test_a",
        "tests/test_s.py::test_p[1]",
        "tests/test_u.py::test_u",
    }


def test_the_workers_together_run_each_test_exactly_once(pytester: pytest.Pytester, project: Path) -> None:
    w1 = ran(pytester, f"--covsplit-schedule={project}", "--covsplit-worker=w1")
    w2 = ran(pytester, f"--covsplit-schedule={project}", "--covsplit-worker=w2")
    shared = {node for node in ALL if node.startswith("tests/test_s.py")}
    assert (w1 | w2) == ALL and (w1 & w2) == {"tests/test_u.py::test_u"}
    assert not (w1 & w2 & shared)


def test_dropped_tests_are_reported_as_deselected(pytester: pytest.Pytester, project: Path) -> None:
    result = pytester.runpytest(
        "-p", "covsplit.pytest_schedule", f"--covsplit-schedule={project}", "--covsplit-worker=w1"
    )
    result.assert_outcomes(passed=3, deselected=4)


def test_a_worker_the_schedule_does_not_name_runs_no_shared_test(pytester: pytest.Pytester, project: Path) -> None:
    assert ran(pytester, f"--covsplit-schedule={project}", "--covsplit-worker=w3") == {"tests/test_u.py::test_u"}


def test_without_a_worker_or_a_schedule_every_test_runs(pytester: pytest.Pytester, project: Path) -> None:
    assert ran(pytester) == ALL
    assert ran(pytester, f"--covsplit-schedule={project}") == ALL
    assert ran(pytester, "--covsplit-worker=w2") == ALL


def test_a_schedule_file_that_does_not_exist_shares_nothing(pytester: pytest.Pytester, project: Path) -> None:
    absent = pytester.path / "absent.schedule.json"
    assert ran(pytester, f"--covsplit-schedule={absent}", "--covsplit-worker=w2") == ALL


def test_a_schedule_that_is_not_one_stops_the_run(pytester: pytest.Pytester, project: Path) -> None:
    # No silent fallback to running every test in every worker, which would run shared tests twice.
    project.write_text(json.dumps({"schema": 99, "files": {}}))
    result = pytester.runpytest(
        "-p", "covsplit.pytest_schedule", f"--covsplit-schedule={project}", "--covsplit-worker=w1"
    )
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*ScheduleError*not a covsplit schedule*"])


def test_a_file_the_suites_conftest_ignores_is_left_out_though_named_on_the_command_line(
    pytester: pytest.Pytester,
) -> None:
    # As attrs' conftest does below Python 3.14: `pytest tests` skips the file, `pytest tests/test_new.py` runs it.
    pytester.mkpydir("tests")
    (pytester.path / "tests" / "conftest.py").write_text('collect_ignore = ["test_new.py"]\n')
    (pytester.path / "tests" / "test_new.py").write_text("def test_needs_a_newer_python():\n    pass\n")
    (pytester.path / "tests" / "test_old.py").write_text("def test_runs():\n    pass\n")
    files = ("tests/test_new.py", "tests/test_old.py")
    serial = pytester.runpytest("-rA", "tests")
    assert [line.split()[1] for line in serial.outlines if line.startswith("PASSED ")] == [
        "tests/test_old.py::test_runs"
    ]
    assert "tests/test_new.py::test_needs_a_newer_python" in ran(pytester, *files)  # what pytest alone does

    worker = ran(pytester, "--covsplit-schedule=none.json", "--covsplit-worker=w1", *files)

    assert worker == {"tests/test_old.py::test_runs"}


# --------------------------------------------------------------------------- dealt before any run was measured


@pytest.fixture
def dealt(pytester: pytest.Pytester) -> Path:
    """tests/ dealt to w1, w2, w3; tests/test_k1.py and tests/test_k2.py kept together."""
    pytester.mkpydir("tests")
    (pytester.path / "tests" / "test_s.py").write_text(SHARED)
    (pytester.path / "tests" / "test_u.py").write_text("def test_u():\n    pass\n")
    for name in ("test_k1.py", "test_k2.py"):
        (pytester.path / "tests" / name).write_text("def test_one():\n    pass\n\ndef test_two():\n    pass\n")
    schedule = pytester.path / "workers.schedule.json"
    together = [["tests/test_k1.py", "tests/test_k2.py"]]
    schedule_file.write(schedule, {"tests": schedule_file.DealtPath.among(["w1", "w2", "w3"], together)})
    return schedule


KEPT = {f"tests/test_k{k}.py::test_{n}" for k in (1, 2) for n in ("one", "two")}


def test_dealt_tests_run_exactly_once_across_the_workers_and_each_runs_some(
    pytester: pytest.Pytester, dealt: Path
) -> None:
    runs = {w: ran(pytester, f"--covsplit-schedule={dealt}", f"--covsplit-worker={w}", "tests") for w in WORKERS3}
    assert all(runs.values())
    assert sorted(node for nodes in runs.values() for node in nodes) == sorted(ALL | KEPT)
    # Files kept together run in one worker.
    assert [w for w, nodes in runs.items() if nodes & KEPT] == [next(w for w, n in runs.items() if n & KEPT)]
    assert any(nodes >= KEPT for nodes in runs.values())


def test_a_worker_that_collects_in_another_order_keeps_the_same_tests(pytester: pytest.Pytester, dealt: Path) -> None:
    # As pytest-randomly would: the deal follows node ids, not the order pytest collected them in.
    plain = ran(pytester, f"--covsplit-schedule={dealt}", "--covsplit-worker=w2", "tests")
    pytester.makeconftest(
        "import pytest\n\n@pytest.hookimpl(tryfirst=True)\n"
        "def pytest_collection_modifyitems(items):\n    items.reverse()\n"
    )
    assert ran(pytester, f"--covsplit-schedule={dealt}", "--covsplit-worker=w2", "tests") == plain


def test_a_test_added_since_the_deal_is_dealt_too(pytester: pytest.Pytester, dealt: Path) -> None:
    (pytester.path / "tests" / "test_new.py").write_text("def test_new():\n    pass\n")
    runs = [ran(pytester, f"--covsplit-schedule={dealt}", f"--covsplit-worker={w}", "tests") for w in WORKERS3]
    assert sum(1 for nodes in runs if "tests/test_new.py::test_new" in nodes) == 1


WORKERS3 = ("w1", "w2", "w3")
