"""Unit tests of covsplit.placement: where test files go before any run was timed, how a worker's ``tests``
entries are written, and the notes about both, since these decide what each worker runs on a first plan."""

from __future__ import annotations

import pytest
from plan_helpers import inputs_for

from covsplit import placement, schedule
from covsplit.packing import PlanError
from covsplit.placement import measured_note, shared_note, unmeasured_placement
from covsplit.plan_inputs import Inputs

MODULES = {"a/x.py": 10, "a/y.py": 10, "b/z.py": 10}
OWNED = [(("a",), ("a/x.py", "a/y.py")), (("b",), ("b/z.py",))]


def place(
    inputs: Inputs, owned: list[tuple[tuple[str, ...], tuple[str, ...]]], seconds: dict[str, float] | None = None
) -> tuple[dict[str, int], dict[str, schedule.SharedPieces], list[str]]:
    notes: list[str] = []
    seconds = seconds if seconds is not None else dict.fromkeys(inputs.test_files, 1.0)
    placed, shared = unmeasured_placement(inputs, owned, seconds, len(owned), notes)
    return placed, shared, notes


# --------------------------------------------------------------------------- unmeasured_placement


def test_a_test_file_goes_to_the_owner_of_the_module_it_is_named_after() -> None:
    tests = ["tests/a/test_x.py", "tests/a/test_y.py", "tests/b/test_z.py"]
    placed, shared, notes = place(inputs_for(MODULES, tests), OWNED)
    assert placed == {"tests/a/test_x.py": 0, "tests/a/test_y.py": 0, "tests/b/test_z.py": 1}
    assert shared == {}
    assert notes == [
        "test files: 3 follow the module they are named after, 0 test no single module and are spread; "
        "no run has been measured yet: after one, plan again to balance seconds"
    ]


def test_tests_of_no_single_module_go_to_the_least_loaded_worker_longest_first() -> None:
    tests = ["tests/a/test_x.py", "tests/a/test_y.py", "tests/e2e/test_long.py", "tests/e2e/test_short.py"]
    seconds = {"tests/a/test_x.py": 1.0, "tests/a/test_y.py": 1.0, "tests/e2e/test_long.py": 5.0}
    seconds["tests/e2e/test_short.py"] = 0.5
    placed, _shared, notes = place(inputs_for(MODULES, tests), OWNED, seconds)
    # Worker 1 has no test: it takes the long one; the short one goes to whichever then has less time (worker 0).
    assert placed["tests/e2e/test_long.py"] == 1
    assert placed["tests/e2e/test_short.py"] == 0
    assert "2 follow the module they are named after, 2 test no single module" in notes[0]


def test_a_worker_without_a_test_is_served_before_a_lighter_one_with_tests() -> None:
    tests = ["tests/a/test_x.py", "tests/e2e/test_flow.py"]
    seconds = {"tests/a/test_x.py": 0.1, "tests/e2e/test_flow.py": 9.0}
    placed, _shared, _notes = place(inputs_for(MODULES, tests), OWNED, seconds)
    assert placed == {"tests/a/test_x.py": 0, "tests/e2e/test_flow.py": 1}


def test_a_worker_without_a_test_comes_first_even_beside_tests_that_take_no_time() -> None:
    tests = ["tests/a/test_x.py", "tests/e2e/test_long.py", "tests/e2e/test_short.py"]
    seconds = {"tests/a/test_x.py": 0.0, "tests/e2e/test_long.py": 2.0, "tests/e2e/test_short.py": 1.0}
    placed, _shared, _notes = place(inputs_for(MODULES, tests), OWNED, seconds)
    assert placed == {"tests/a/test_x.py": 0, "tests/e2e/test_long.py": 1, "tests/e2e/test_short.py": 0}


def test_orphans_on_equal_times_go_by_what_a_worker_owns_not_its_position() -> None:
    # Both workers hold one 1 s test; the tie goes to the worker owning the first files (b/ here, listed second).
    owned = [(("b",), ("b/z.py",)), (("a",), ("a/x.py", "a/y.py"))]
    tests = ["tests/a/test_x.py", "tests/b/test_z.py", "tests/e2e/test_flow.py"]
    placed, _shared, _notes = place(inputs_for(MODULES, tests), owned)
    assert placed["tests/e2e/test_flow.py"] == 1


def test_a_worker_left_without_tests_takes_one_from_a_worker_with_several() -> None:
    tests = ["tests/a/test_x.py", "tests/a/test_y.py"]
    seconds = {"tests/a/test_x.py": 3.0, "tests/a/test_y.py": 1.0}
    placed, _shared, notes = place(inputs_for(MODULES, tests), OWNED, seconds)
    # The cheaper one moves, and the move is said: it no longer runs beside its module.
    assert placed == {"tests/a/test_x.py": 0, "tests/a/test_y.py": 1}
    assert notes[-1] == "moved tests/a/test_y.py away from its module so that every worker runs a test file"


def test_more_workers_than_test_files_cannot_be_placed() -> None:
    with pytest.raises(PlanError, match="not enough test files to give every worker one"):
        place(inputs_for(MODULES, ["tests/a/test_x.py"]), OWNED)


def test_by_names_stands_while_test_counts_are_balanced_enough() -> None:
    tests = ["tests/a/test_x.py", "tests/a/test_y.py", "tests/b/test_z.py"]
    # 2 + 2 against 3: 4 is within 1.25 of the ideal 3.5.
    estimates = {"tests/a/test_x.py": {"a": 2.0}, "tests/a/test_y.py": {"b": 2.0}, "tests/b/test_z.py": {"c": 3.0}}
    placed, shared, notes = place(inputs_for(MODULES, tests, estimates=estimates), OWNED)
    assert placed == {"tests/a/test_x.py": 0, "tests/a/test_y.py": 0, "tests/b/test_z.py": 1}
    assert shared == {}
    assert notes[0].startswith("test files: 3 follow the module")


def test_by_names_stands_when_counts_would_leave_a_worker_without_tests() -> None:
    # All three files must run together: placed by counts, one worker would run nothing.
    tests = ["tests/a/test_x.py", "tests/a/test_y.py", "tests/b/test_z.py"]
    estimates = {
        "tests/a/test_x.py": {"A": 15.0, "B": 15.0},
        "tests/a/test_y.py": {"A": 15.0, "B": 15.0},
        "tests/b/test_z.py": {"t": 1.0},
    }
    inputs = inputs_for(MODULES, tests, estimates=estimates, together=(tuple(tests),))
    placed, shared, notes = place(inputs, OWNED)
    assert placed == {"tests/a/test_x.py": 0, "tests/a/test_y.py": 0, "tests/b/test_z.py": 1}
    assert shared == {}
    assert notes[0].startswith("test files: 3 follow the module")


def test_a_file_holding_most_tests_is_placed_by_counts_and_shared() -> None:
    tests = ["tests/a/test_x.py", "tests/a/test_y.py", "tests/b/test_z.py"]
    big = {f"tests/a/test_x.py::TestK{k}": 10.0 for k in range(4)}
    estimates = {"tests/a/test_x.py": big, "tests/a/test_y.py": {"t": 1.0}, "tests/b/test_z.py": {"t": 1.0}}
    placed, shared, notes = place(inputs_for(MODULES, tests, estimates=estimates), OWNED)
    assert set(shared) == {"tests/a/test_x.py"}
    assert "tests/a/test_x.py" not in placed
    assert notes[0].startswith("test files placed by their number of tests, counted from their source")
    assert notes[1].startswith("tests/a/test_x.py (40 tests) is heavier than a worker's share: 2 workers share it")


def test_a_file_without_counted_tests_weighs_one() -> None:
    # Three files whose tests could not be counted against one with one test: 3 to 1 is unbalanced, so counts
    # decide; weighing nothing, they would look balanced and stay with their modules.
    tests = ["tests/a/test_w.py", "tests/a/test_x.py", "tests/a/test_y.py", "tests/b/test_z.py"]
    estimates: dict[str, dict[str, float]] = {"tests/b/test_z.py": {"t": 1.0}}
    inputs = inputs_for({**MODULES, "a/w.py": 10}, tests, estimates=estimates)
    placed, _shared, notes = place(inputs, [(("a",), ("a/w.py", "a/x.py", "a/y.py")), OWNED[1]])
    assert notes[0].startswith("test files placed by their number of tests")
    assert sorted(placed.values()) == [0, 0, 1, 1]


# --------------------------------------------------------------------------- notes


def test_the_shared_note_counts_the_workers_and_the_named_parts() -> None:
    entry = schedule.SharedPieces(owner=0, parts={1: ("t.py::A", "t.py::B"), 2: ("t.py::C",)})
    assert shared_note("t.py", entry, 12.345) == (
        "t.py (12.35 s) is heavier than a worker's share: 3 workers share it "
        "(3 part(s) named in the schedule file, the rest in one worker)"
    )
    assert shared_note("t.py", entry, 40.0, "tests").startswith("t.py (40 tests) is heavier")


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
