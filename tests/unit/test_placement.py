"""Unit tests of covsplit.placement: what every worker lists when the tests are dealt before any run was timed,
how a worker's ``tests`` entries are written, and the notes about both."""

from __future__ import annotations

from plan_helpers import inputs_for

from covsplit import placement, schedule
from covsplit.collection import nameable
from covsplit.placement import dealt_note, fold_unnameable, measured_note, shared_note

MODULES = {"a/x.py": 10, "a/y.py": 10, "b/z.py": 10}


# --------------------------------------------------------------------------- dealt_paths


def test_dealt_paths_are_the_whole_scope_a_folder_whole_where_it_holds_only_it() -> None:
    tests = ["tests/a/test_x.py", "tests/a/test_y.py", "tests/b/test_z.py"]
    assert placement.dealt_paths(inputs_for(MODULES, tests)) == ["tests"]


def test_dealt_paths_leave_out_what_is_not_run() -> None:
    # Written whole, every worker would collect the file left out on purpose.
    tests = ["tests/a/test_x.py", "tests/a/test_y.py", "tests/b/test_z.py"]
    inputs = inputs_for(MODULES, tests, out_of_scope=frozenset({"tests/a/test_slow.py"}))
    assert placement.dealt_paths(inputs) == ["tests/a/test_x.py", "tests/a/test_y.py", "tests/b"]


def test_the_dealt_note_says_why_and_what_to_do_after_a_run() -> None:
    note = dealt_note(3)
    assert "dealt round-robin to the 3 workers" in note
    assert note.endswith("after a run, plan again to place them by measured seconds")


# --------------------------------------------------------------------------- notes


def test_the_shared_note_counts_the_workers_and_the_named_parts() -> None:
    entry = schedule.SharedPieces(owner=0, parts={1: ("t.py::A", "t.py::B"), 2: ("t.py::C",)})
    assert shared_note("t.py", entry, 12.345) == (
        "t.py (12.35 s) is heavier than a worker's share: 3 workers share it "
        "(3 part(s) named in the schedule file, the rest in one worker)"
    )


def test_the_measured_note_separates_measured_from_assumed_seconds() -> None:
    tests = ["tests/a/test_x.py", "tests/a/test_y.py", "tests/b/test_z.py"]
    inputs = inputs_for(MODULES, tests, durations={"tests/a/test_x.py": 3.0, "tests/a/test_y.py": 1.0}, fixed=0.5)
    seconds = {"tests/a/test_x.py": 3.0, "tests/a/test_y.py": 1.0, "tests/b/test_z.py": 2.0}
    assert measured_note(inputs, seconds, 2.0) == (
        "test seconds balanced: 4.00 s measured (2 test files, collection included) = 67%; "
        "2.00 s assumed for 1 never-measured test file(s) at the mean, 2.00 s; "
        "plus a measured fixed cost of 0.50 s per worker"
    )


def test_the_measured_note_of_nothing_measured_says_none() -> None:
    inputs = inputs_for(MODULES, [])
    assert measured_note(inputs, {}, None) == (
        "test seconds balanced: none; plus a measured fixed cost of 0.00 s per worker"
    )


# --------------------------------------------------------------------------- tests_entries
# Called as placement.tests_entries: imported by name, pytest would collect it as a test.


def test_a_test_folder_one_worker_runs_all_of_is_written_whole() -> None:
    owner = {"tests/a/test_x.py": 0, "tests/a/test_y.py": 0, "tests/b/test_z.py": 1}
    assert placement.tests_entries("tests", list(owner), owner) == {0: ["tests/a"], 1: ["tests/b"]}


def test_a_single_worker_runs_the_test_root() -> None:
    owner = {"tests/a/test_x.py": 0, "tests/test_top.py": 0}
    assert placement.tests_entries("tests", list(owner), owner) == {0: ["tests"]}
    assert placement.tests_entries(".", list(owner), owner) == {0: ["."]}


def test_a_shared_folder_is_written_as_its_files_and_whole_sub_folders() -> None:
    owner = {"tests/test_top.py": 0, "tests/a/test_x.py": 0, "tests/a/test_y.py": 1, "tests/b/c/test_z.py": 1}
    assert placement.tests_entries("tests", list(owner), owner) == {
        0: ["tests/test_top.py", "tests/a/test_x.py"],
        1: ["tests/a/test_y.py", "tests/b"],
    }


def test_a_folder_holding_a_file_out_of_scope_is_never_written_whole() -> None:
    # Written whole, pytest would run the left-out file too.
    owner = {"tests/a/test_x.py": 0, "tests/a/test_y.py": 0, "tests/b/test_z.py": 1}
    entries = placement.tests_entries("tests", list(owner), owner, out_of_scope=["tests/a/test_slow.py"])
    assert entries == {0: ["tests/a/test_x.py", "tests/a/test_y.py"], 1: ["tests/b"]}


def test_no_tests_write_no_entries() -> None:
    assert placement.tests_entries("tests", [], {}) == {}


def test_a_test_file_beside_the_test_root_is_written_by_its_path() -> None:
    # tests/unit and tests/unit_extra: a prefix of a name is not the folder.
    owner = {"tests/unit/test_a.py": 0, "tests/unit_extra/test_b.py": 1}
    assert placement.tests_entries("tests", list(owner), owner, out_of_scope=["tests/unit_x.py"]) == {
        0: ["tests/unit"],
        1: ["tests/unit_extra"],
    }


def test_only_python_test_files_are_named_on_the_command_line() -> None:
    assert nameable("tests/test_a.py") and nameable("tests/a_test.py")
    assert not nameable("tests/snippets/a.txt") and not nameable("pkg/module.py")


def test_a_folder_of_files_pytest_collects_otherwise_when_named_is_listed_whole_and_shared_by_path() -> None:
    placed = {
        "tests/snippets/a.txt": 0,
        "tests/snippets/b.txt": 1,
        "tests/snippets/deep/c.txt": 1,
        "tests/test_x.py": 0,
        "tests/other/test_y.py": 1,
    }
    names = {
        0: ["tests/snippets/a.txt", "tests/test_x.py"],
        1: ["tests/snippets/b.txt", "tests/snippets/deep", "tests/other"],
    }

    entries, shared = fold_unnameable(names, placed)

    assert entries == {0: ["tests/test_x.py", "tests/snippets"], 1: ["tests/other", "tests/snippets"]}
    # The owner holds the most files there and runs what no part names (a file added since, too).
    assert shared == {
        "tests/snippets": schedule.SharedPieces(1, {0: ("tests/snippets/a.txt",)}),
    }
    assert fold_unnameable({0: ["tests/test_x.py"]}, {"tests/test_x.py": 0}) == ({0: ["tests/test_x.py"]}, {})
