"""Reading a project without importing it: test counts from a test file's source."""

from __future__ import annotations

from pathlib import Path

from covsplit import discover

SOURCE = """
import pytest

CASES = [1, 2, 3]


def test_plain():
    pass


@pytest.mark.parametrize("x", [1, 2, 3, 4])
@pytest.mark.parametrize("y", ("a", "b"))
def test_grid(x, y):
    pass


@pytest.mark.parametrize("x", CASES)
def test_not_literal(x):
    pass


async def test_async():
    pass


def helper():
    pass


@pytest.mark.parametrize(argnames="z", argvalues=[1, 2])
class TestThing:
    def test_a(self, z):
        pass

    @pytest.mark.parametrize("w", [1, 2, 3])
    def test_b(self, z, w):
        pass

    def not_a_test(self):
        pass

    class TestInner:
        def test_c(self):
            pass


class Helper:
    def test_ignored(self):
        pass


class Checks(unittest.TestCase):
    def test_d(self):
        pass
"""


def test_counts_follow_pytest_s_rules_and_literal_parametrisations(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests/test_x.py").write_text(SOURCE)
    found = discover.estimated_tests(tmp_path, "tests/test_x.py")
    assert found == {
        "tests/test_x.py::test_plain": 1,
        "tests/test_x.py::test_grid": 8,
        "tests/test_x.py::test_not_literal": 1,
        "tests/test_x.py::test_async": 1,
        "tests/test_x.py::TestThing::test_a": 2,
        "tests/test_x.py::TestThing::test_b": 6,
        "tests/test_x.py::TestThing::TestInner::test_c": 2,
        "tests/test_x.py::Checks::test_d": 1,
    }


def test_a_file_that_does_not_parse_counts_one(tmp_path: Path) -> None:
    (tmp_path / "test_bad.py").write_text("def test_(:\n")
    assert discover.estimated_tests(tmp_path, "test_bad.py") == {"test_bad.py": 1}
    (tmp_path / "test_empty.py").write_text("")
    assert discover.estimated_tests(tmp_path, "test_empty.py") == {"test_empty.py": 1}
