"""Unit tests of covsplit.node_ids: the pieces a node id belongs to, and the files a ``tests`` entry holds."""

from __future__ import annotations

import pytest

from covsplit import node_ids


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
    assert node_ids.parent(node) == parent


def test_a_node_id_and_every_piece_it_belongs_to_finest_first() -> None:
    assert list(node_ids.prefixes("f.py::C::t[1]")) == ["f.py::C::t[1]", "f.py::C::t", "f.py::C", "f.py"]
    assert node_ids.file_of("f.py::C::t[a::b]") == node_ids.file_of("f.py") == "f.py"


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
    assert node_ids.covers(path, file) is held


def test_covering_agrees_with_covers_entry_by_entry() -> None:
    entries = ["tests/unit", "tests/test_a.py", "docs/", "tests/x.py::test_y"]
    files = ["tests/unit/test_b.py", "tests/unit", "tests/units/test_c.py", "tests/test_a.py", "docs/index.rst",
             "tests/test_a.pyc", "tests/x.py", "other.py"]  # fmt: skip
    holds = node_ids.covering(entries)
    assert [holds(f) for f in files] == [any(node_ids.covers(e, f) for e in entries) for f in files]
    assert node_ids.covering(["."])("anything/at/all.py")
