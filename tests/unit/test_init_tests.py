"""Which test paths init writes: every test file a root `pytest` collects, by pytest's own rules (init_tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from covsplit import init, init_read, init_tests

TEST = "def test_ok():\n    pass\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def many_packages(root: Path, folders: int = 12) -> Path:
    """A graph-library shape: a package with a tests/ folder in each of its sub-packages, and one at the top."""
    files = {"pyproject.toml": '[project]\nname = "graphs"\n', "graphs/__init__.py": ""}
    files["graphs/tests/test_top.py"] = TEST
    for n in range(folders):
        files[f"graphs/sub{n}/__init__.py"] = ""
        files[f"graphs/sub{n}/core.py"] = "x = 1\n"
        files[f"graphs/sub{n}/tests/__init__.py"] = ""
        files[f"graphs/sub{n}/tests/test_core{n}.py"] = TEST
        files[f"graphs/sub{n}/tests/helpers.py"] = ""
    # Never collected by a root run: pytest's default norecursedirs, and a virtualenv.
    files["build/lib/graphs/tests/test_copy.py"] = TEST
    files[".tox/py/test_hidden.py"] = TEST
    files["env/pyvenv.cfg"] = ""
    files["env/lib/test_in_venv.py"] = TEST
    return write(root, files)


def pytest_collects(root: Path) -> list[str]:
    """The test files a real `pytest --collect-only` at the root collects: the source of truth."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    return sorted({line.split("::", 1)[0] for line in done.stdout.splitlines() if "::" in line})


def test_the_static_collection_is_what_pytest_collects_at_the_root(tmp_path: Path) -> None:
    root = many_packages(tmp_path / "proj")
    found = init_tests.collected_files(root, {})
    assert len(found) == 13
    assert found == pytest_collects(root)


def test_the_projects_python_files_and_norecursedirs_are_pytests_rules(tmp_path: Path) -> None:
    root = write(
        tmp_path / "proj",
        {
            "pytest.ini": "[pytest]\npython_files = check_*.py\nnorecursedirs = skipped\n",
            "a/check_one.py": TEST,
            "a/test_not_a_test_here.py": TEST,
            "skipped/check_two.py": TEST,
            # The project's norecursedirs replaces pytest's defaults: build/ is searched.
            "build/check_three.py": TEST,
        },
    )
    ini = dict(init_read.read_ini(root / "pytest.ini")["pytest"])
    found = init_tests.collected_files(root, ini)
    assert found == ["a/check_one.py", "build/check_three.py"]
    assert found == pytest_collects(root)


def test_init_chooses_the_package_when_its_tests_folder_holds_few_of_them(tmp_path: Path) -> None:
    root = many_packages(tmp_path / "proj")
    found = init.survey(root)
    assert found.tests == ["graphs"]
    choice = next(c for c in found.choices if c.key == "project.tests")
    assert not choice.guess
    assert "hold all 13 test files pytest collects at the root" in choice.why
    assert "graphs/tests, held 1" in choice.why
    assert init_tests.held(pytest_collects(root), found.tests) == pytest_collects(root)


def test_a_few_test_folders_are_listed(tmp_path: Path) -> None:
    root = write(
        tmp_path / "proj",
        {
            "pyproject.toml": '[project]\nname = "two"\n',
            "two/__init__.py": "",
            "two/tests/test_a.py": TEST,
            "two/extra/__init__.py": "",
            "two/extra/tests/test_b.py": TEST,
        },
    )
    assert init.survey(root).tests == ["two/extra/tests", "two/tests"]


def test_no_short_list_holds_them_so_the_line_is_marked_with_the_counts(tmp_path: Path) -> None:
    files = {"pyproject.toml": '[project]\nname = "wide"\n', "wide/__init__.py": "", "tests/test_main.py": TEST}
    files.update({f"tool{n}/test_tool.py": TEST for n in range(init_tests.MAX_LISTED + 1)})
    root = write(tmp_path / "proj", files)
    found = init.survey(root)
    assert found.tests == ["tests"]
    choice = next(c for c in found.choices if c.key == "project.tests")
    assert choice.guess
    text = init.render(found, tmp_path)
    assert 'tests = "tests"  # check: tests holds 1 of 8 test files pytest collects at the root' in text


def test_testpaths_declared_win(tmp_path: Path) -> None:
    root = many_packages(tmp_path / "proj")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "graphs"\n[tool.pytest.ini_options]\ntestpaths = ["graphs/tests"]\n'
    )
    assert init.survey(root).tests == ["graphs/tests"]


def test_a_tests_folder_that_holds_them_all_is_kept(tmp_path: Path) -> None:
    root = write(tmp_path / "proj", {"pkg/__init__.py": "", "tests/test_a.py": TEST, "tests/sub/b_test.py": TEST})
    assert init_tests.compare(root, {}, ["tests"]) is None
    assert init.survey(root).tests == ["tests"]
