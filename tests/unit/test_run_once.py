"""Unit tests of covsplit.run_once: each test of a shared or dealt path runs in exactly one worker, whatever changed."""

from __future__ import annotations

import pytest

from covsplit import run_once
from covsplit.schedule_file import DealtPath, SharedFile

SHARED = SharedFile(
    "w1", {"w2": ("tests/test_x.py::TestSlow",), "w3": ("tests/test_x.py::test_p[2]", "tests/test_x.py::test_q")}
)
WORKERS = ("w1", "w2", "w3")
DEALT = DealtPath.among(["w2", "w1", "w3"])


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
    assert [w for w in WORKERS if run_once.runs_here(node, SHARED, w)] == [runner]


def test_the_assignments_of_a_shared_file() -> None:
    assert run_once.assignments(SHARED) == {
        "tests/test_x.py::TestSlow": "w2",
        "tests/test_x.py::test_p[2]": "w3",
        "tests/test_x.py::test_q": "w3",
    }


# --------------------------------------------------------------------------- dealt paths (before any run)


def test_tests_are_dealt_round_robin_in_node_id_order_whatever_order_they_come_in() -> None:
    nodes = [f"tests/test_a.py::test_{k}" for k in "abcdefg"]
    dealt = run_once.deal(dict.fromkeys(reversed(nodes), "tests/test_a.py"), DEALT)
    assert [dealt[node] for node in nodes] == ["w2", "w1", "w3", "w2", "w1", "w3", "w2"]


def test_files_kept_together_are_one_hand_dealt_at_their_first_node_id() -> None:
    entry = DealtPath.among(["w1", "w2"], [["tests/test_b.py", "tests/test_d.py"]])
    tests = {
        "tests/test_a.py::t": "tests/test_a.py",
        "tests/test_b.py::t1": "tests/test_b.py",
        "tests/test_b.py::t2": "tests/test_b.py",
        "tests/test_c.py::t": "tests/test_c.py",
        "tests/test_d.py::t": "tests/test_d.py",
        "tests/test_e.py::t": "tests/test_e.py",
    }
    dealt = run_once.deal(tests, entry)
    # Hands in order: a, (b + d), c, e.
    assert dealt == {
        "tests/test_a.py::t": "w1",
        "tests/test_b.py::t1": "w2",
        "tests/test_b.py::t2": "w2",
        "tests/test_d.py::t": "w2",
        "tests/test_c.py::t": "w1",
        "tests/test_e.py::t": "w2",
    }


def test_classes_kept_together_are_dealt_as_one_hand() -> None:
    nodes = {f"tests/a.py::Test{c}::test_{t}": "tests/a.py" for c in "ABCD" for t in range(3)}
    entry = DealtPath.among(["w1", "w2", "w3"], [["tests/a.py::TestB", "tests/a.py::TestC"]])
    dealt = run_once.deal(nodes, entry)
    kept = {w for node, w in dealt.items() if "::TestB::" in node or "::TestC::" in node}
    assert len(kept) == 1 and len(set(dealt.values())) == 3
    assert run_once.groups_under("tests", entry.together) == [("tests/a.py::TestB", "tests/a.py::TestC")]


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
    found = run_once.entry_for(file, {"tests": DEALT, "tests/test_x.py": SHARED})
    assert (found[0] if found else None) == key


def test_the_whole_root_dealt_holds_every_file() -> None:
    assert run_once.entry_for("test_top.py", {".": DEALT}) == (".", DEALT)
