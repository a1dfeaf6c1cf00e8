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
