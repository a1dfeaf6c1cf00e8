"""Whatever pytest collects is the suite: items a conftest makes from text files, doctests of modules and documents.

Each fixture goes the newcomer's way: `make init`, a dealt first run, `make plan ARGS="--by duration"`, a
second run, then edits; after every run the tests the workers ran (node ids and outcomes) and the combined
coverage (lines and branches, file by file) equal one serial `pytest --cov` of the same tree.  A test file
added where no worker looks is not lost in silence: the run says which tests no worker ran, and the plan
places them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from e2e_support import FIXTURES, Suite, make, serial_against_split

from covsplit import node_ids

pytestmark = pytest.mark.e2e


def initialised(tmp_path: Path, envdir: Path, fixture: str, workers: int) -> Suite:
    project = tmp_path / "repo"
    shutil.copytree(FIXTURES / fixture, project, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    suite = Suite(config=tmp_path / "split" / "workers.toml", envdir=envdir)
    make(suite, "init", f"ROOT={project}", f"WORKERS={workers}")
    return suite


def assert_faithful(suite: Suite, out: Path, tests: int) -> None:
    found = serial_against_split(suite, out)
    assert found.differences == []
    assert len(found.serial_tests) == tests
    aggregate = suite.read_json("aggregate.json")
    assert aggregate["complete"] is True
    assert aggregate["tests"]["exact"] is True and aggregate["tests"]["suite"] == tests


def listed(suite: Suite) -> list[str]:
    import tomllib

    workers = tomllib.loads(suite.config.read_text())["workers"]
    return [entry for table in workers.values() for entry in table.get("tests", [])]


def test_items_a_conftest_collects_from_text_files_run_once_before_and_after_the_plan(
    tmp_path: Path, nox_envdir: Path
) -> None:
    suite = initialised(tmp_path, nox_envdir, "snippets", 2)

    make(suite, "coverage-all")
    assert_faithful(suite, tmp_path / "first", 11)
    assert suite.read_json("suite.json")["by"].startswith("worker")

    make(suite, "plan", "ARGS=--by duration")
    # The plan places the snippets, which no name rule finds, as it places test files.
    snippets = [f"tests/snippets/{name}" for name in ("numbers/digits.txt", "numbers/sum.txt", "words/plain.txt")]
    assert all(any(node_ids.covers(entry, file) for entry in listed(suite)) for file in snippets)
    # Never named one by one: pytest collects a named .txt otherwise than it does walking its folder.
    assert not any(entry.endswith(".txt") for entry in listed(suite))
    make(suite, "check")
    make(suite, "coverage-all")
    assert_faithful(suite, tmp_path / "planned", 11)

    # An edited snippet is collected again by the worker that runs it: no collection of the whole suite.
    snippet = suite.root / "tests" / "snippets" / "words" / "plain.txt"
    snippet.write_text("one 2 three X\nname one\nnumber 2\nname three\nconstant X\n")
    done = make(suite, "coverage-all")
    assert "collect: the suite holds" not in done.stdout
    assert_faithful(suite, tmp_path / "edited", 11)

    # A snippet added where no worker's paths look: the suite is collected again, and the run names the test
    # no worker ran instead of calling itself complete.
    assert not any(node_ids.covers(entry, "tests/extra/added.txt") for entry in listed(suite))
    (suite.root / "tests" / "extra").mkdir()
    (suite.root / "tests" / "extra" / "added.txt").write_text("x 7\nname x\nnumber 7\n")
    done = make(suite, "coverage-all", ok=False)
    assert "collect: the suite holds 12 tests" in done.stdout
    aggregate = suite.read_json("aggregate.json")
    assert aggregate["complete"] is False
    assert aggregate["tests"]["missing"] == ["tests/extra/added.txt::added"]
    assert "tests/extra/added.txt::added" in (suite.output / "report.md").read_text()
    assert make(suite, "check", ok=False).returncode != 0

    make(suite, "plan", "ARGS=--by duration")
    make(suite, "coverage-all")
    assert_faithful(suite, tmp_path / "replanned", 12)


def test_doctests_of_modules_and_documents_are_the_suite_too(tmp_path: Path, nox_envdir: Path) -> None:
    suite = initialised(tmp_path, nox_envdir, "doctests", 2)

    make(suite, "coverage-all")
    assert_faithful(suite, tmp_path / "first", 8)

    make(suite, "plan", "ARGS=--by duration")
    assert "docs" in listed(suite) and "dt" in listed(suite)
    make(suite, "coverage-all")
    assert_faithful(suite, tmp_path / "planned", 8)

    # A doctest added to a module: its worker runs again and collects it; nothing is lost or doubled.
    case = suite.root / "dt" / "case.py"
    case.write_text(
        case.read_text().replace(
            '"""Case changes."""', '"""Case changes.\n\n>>> shout("a", polite=True)\n\'A, please\'\n"""'
        )
    )
    make(suite, "coverage-all")
    assert_faithful(suite, tmp_path / "edited", 9)
