"""Unit tests of covsplit.sharing: every test of a shared file runs in exactly one worker, whatever changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from covsplit import sharing

SHARED = sharing.SharedFile(
    "w1", {"w2": ("tests/test_x.py::TestSlow",), "w3": ("tests/test_x.py::test_p[2]", "tests/test_x.py::test_q")}
)
WORKERS = ("w1", "w2", "w3")


@pytest.mark.parametrize(
    ("node", "parent"),
    [
        ("f.py::C::t[1]", "f.py::C::t"),
        ("f.py::C::t", "f.py::C"),
        ("f.py::C", "f.py"),
        ("f.py", None),
        # A parameter's id may hold "::" or brackets of its own.
        ("f.py::t[a::b]", "f.py::t"),
        ("f.py::C::t[x[0]]", "f.py::C::t"),
    ],
)
def test_each_node_id_belongs_to_the_next_coarser_piece(node: str, parent: str | None) -> None:
    assert sharing.parent(node) == parent


@pytest.mark.parametrize(
    ("node", "runner"),
    [
        ("tests/test_x.py::TestSlow::test_a", "w2"),  # its class is w2's piece
        ("tests/test_x.py::test_p[2]", "w3"),
        ("tests/test_x.py::test_p[3]", "w1"),  # a parametrisation no piece names: the owner
        ("tests/test_x.py::test_q[1]", "w3"),  # the longest prefix that names it
        ("tests/test_x.py::test_added_since", "w1"),
    ],
)
def test_a_test_runs_in_the_worker_whose_piece_names_it_else_in_the_owner(node: str, runner: str) -> None:
    assert [w for w in WORKERS if sharing.runs_here(node, SHARED, w)] == [runner]


def test_the_workers_of_a_shared_file_and_its_assignments() -> None:
    assert SHARED.workers == {"w1", "w2", "w3"}
    assert sharing.assignments(SHARED) == {
        "tests/test_x.py::TestSlow": "w2",
        "tests/test_x.py::test_p[2]": "w3",
        "tests/test_x.py::test_q": "w3",
    }


def test_the_schedule_file_is_named_after_the_config() -> None:
    assert sharing.path_for(Path("/x/splits/workers.toml")) == Path("/x/splits/workers.schedule.json")


def test_a_schedule_round_trips_and_an_empty_one_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "workers.schedule.json"
    assert sharing.read(path) == {}  # none yet: nothing is shared
    sharing.write(path, {"tests/test_x.py": SHARED})
    assert sharing.read(path) == {"tests/test_x.py": SHARED}
    assert json.loads(path.read_text())["schema"] == sharing.SCHEMA
    sharing.write(path, {})
    assert not path.exists()


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"schema": 99, "files": {}},
        {"schema": sharing.SCHEMA},
        {"schema": sharing.SCHEMA, "files": {"f.py": {"parts": {}}}},
        {"schema": sharing.SCHEMA, "files": {"f.py": {"owner": "w1", "parts": {"w2": "f.py::t"}}}},
        {"schema": sharing.SCHEMA, "files": {"f.py": {"owner": "w1", "parts": {"w2": [1]}}}},
    ],
)
def test_a_file_that_is_not_a_schedule_is_refused(data: object) -> None:
    with pytest.raises(sharing.ScheduleError):
        sharing.parse(data)


def test_unreadable_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "workers.schedule.json"
    path.write_text("{not json")
    with pytest.raises(sharing.ScheduleError, match="unreadable"):
        sharing.read(path)


# --------------------------------------------------------------------------- dealt paths (before any run)

DEALT = sharing.dealt(["w2", "w1", "w3"])


def test_a_dealt_entry_round_trips_with_its_groups(tmp_path: Path) -> None:
    path = tmp_path / "workers.schedule.json"
    together = sharing.dealt(["w1", "w2"], [["tests/a.py", "tests/b.py"]])
    sharing.write(path, {"tests": DEALT, "tests/more": together, "tests/test_x.py": SHARED})
    assert sharing.read(path) == {"tests": DEALT, "tests/more": together, "tests/test_x.py": SHARED}
    assert json.loads(path.read_text())["files"]["tests"] == {"dealt": ["w2", "w1", "w3"]}
    assert DEALT.workers == {"w1", "w2", "w3"} and DEALT.owner == "w2"


@pytest.mark.parametrize("entry", [{"dealt": []}, {"dealt": "w1"}, {"dealt": ["w1"], "together": ["a.py"]}])
def test_a_dealt_entry_that_is_not_one_is_refused(entry: object) -> None:
    with pytest.raises(sharing.ScheduleError, match="tests"):
        sharing.parse({"schema": sharing.SCHEMA, "files": {"tests": entry}})


def test_tests_are_dealt_round_robin_in_node_id_order_whatever_order_they_come_in() -> None:
    nodes = [f"tests/test_a.py::test_{k}" for k in "abcdefg"]
    dealt = sharing.deal(dict.fromkeys(reversed(nodes), "tests/test_a.py"), DEALT)
    assert [dealt[node] for node in nodes] == ["w2", "w1", "w3", "w2", "w1", "w3", "w2"]


def test_files_kept_together_are_one_hand_dealt_at_their_first_node_id() -> None:
    entry = sharing.dealt(["w1", "w2"], [["tests/test_b.py", "tests/test_d.py"]])
    tests = {
        "tests/test_a.py::t": "tests/test_a.py",
        "tests/test_b.py::t1": "tests/test_b.py",
        "tests/test_b.py::t2": "tests/test_b.py",
        "tests/test_c.py::t": "tests/test_c.py",
        "tests/test_d.py::t": "tests/test_d.py",
        "tests/test_e.py::t": "tests/test_e.py",
    }
    dealt = sharing.deal(tests, entry)
    # Hands in order: a, (b + d), c, e.
    assert dealt == {
        "tests/test_a.py::t": "w1",
        "tests/test_b.py::t1": "w2",
        "tests/test_b.py::t2": "w2",
        "tests/test_d.py::t": "w2",
        "tests/test_c.py::t": "w1",
        "tests/test_e.py::t": "w2",
    }


@pytest.mark.parametrize(
    ("file", "key"),
    [
        ("tests/test_x.py", "tests/test_x.py"),  # a file's own entry first
        ("tests/test_y.py", "tests"),
        ("tests/sub/deep/test_z.py", "tests"),
        ("other/test_o.py", None),
        ("tests_extra/test_q.py", None),  # a prefix of a name is not the folder
    ],
)
def test_a_file_falls_under_its_own_entry_else_the_nearest_dealt_folder(file: str, key: str | None) -> None:
    found = sharing.entry_for(file, {"tests": DEALT, "tests/test_x.py": SHARED})
    assert (found[0] if found else None) == key


def test_the_whole_root_dealt_holds_every_file() -> None:
    assert sharing.entry_for("test_top.py", {".": DEALT}) == (".", DEALT)


@pytest.mark.parametrize(
    ("path", "file", "held"),
    [
        ("tests", "tests/a.py", True),
        ("tests/", "tests/sub/a.py", True),
        ("tests/a.py", "tests/a.py", True),
        (".", "anything.py", True),
        ("tests", "tests_extra/a.py", False),
        ("tests/a.py::test_x", "tests/a.py", False),
    ],
)
def test_a_tests_entry_covers_the_files_under_it(path: str, file: str, held: bool) -> None:
    assert sharing.covers(path, file) is held


def test_classes_kept_together_are_dealt_as_one_hand() -> None:
    nodes = {f"tests/a.py::Test{c}::test_{t}": "tests/a.py" for c in "ABCD" for t in range(3)}
    entry = sharing.dealt(["w1", "w2", "w3"], [["tests/a.py::TestB", "tests/a.py::TestC"]])
    dealt = sharing.deal(nodes, entry)
    kept = {w for node, w in dealt.items() if "::TestB::" in node or "::TestC::" in node}
    assert len(kept) == 1 and len(set(dealt.values())) == 3
    assert sharing.groups_under("tests", entry.together) == [("tests/a.py::TestB", "tests/a.py::TestC")]
