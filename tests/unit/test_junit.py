"""covsplit.junit against real pytest runs of tests/fixtures/failing_tests.

The source of truth is pytest itself: a small plugin in the fixture project
writes the node ids behind each count of pytest's summary line, and the
parsed JUnit XML must agree with it outcome by outcome.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fixture_runner import run_cases

from covsplit.junit import JUnitError, TestResult, collection_outcomes, count_outcomes, per_file, read_junit

# What pytest's summary says for tests/ of the fixture project:
# "22 failed, 8 passed, 2 skipped, 1 xfailed, 1 xpassed, 5 errors" over 37 distinct node ids.
EXPECTED = {"tests": 37, "passed": 9, "failed": 22, "errors": 5, "skipped": 3}


def pytest_counts(stats: dict[str, list[str]]) -> dict[str, int]:
    """pytest's own summary counts mapped onto covsplit's keys (xfail -> skipped, xpass -> passed)."""
    every = {nodeid for ids in stats.values() for nodeid in ids}
    return {
        "tests": len(every),
        "passed": len(stats.get("passed", [])) + len(stats.get("xpassed", [])),
        "failed": len(stats.get("failed", [])),
        "errors": len(stats.get("error", [])),
        "skipped": len(stats.get("skipped", [])) + len(stats.get("xfailed", [])),
    }


def ids_by_outcome(results: list[TestResult]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for result in results:
        grouped.setdefault(result.outcome, []).append(result.nodeid)
    return {outcome: sorted(ids) for outcome, ids in grouped.items()}


def pytest_ids_by_outcome(stats: dict[str, list[str]]) -> dict[str, list[str]]:
    mapping = {"passed": "passed", "xpassed": "passed", "failed": "failed", "error": "error"}
    mapping |= {"skipped": "skipped", "xfailed": "skipped"}
    grouped: dict[str, list[str]] = {}
    for key, ids in stats.items():
        grouped.setdefault(mapping[key], []).extend(ids)
    return {outcome: sorted(ids) for outcome, ids in grouped.items()}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> run_cases.Run:
    project = run_cases.copy_project(tmp_path_factory.mktemp("junit") / "project")
    return run_cases.run_pytest(project, "tests")


@pytest.fixture(scope="module")
def results(run: run_cases.Run) -> list[TestResult]:
    return read_junit(run.junit, run.project)


def by_id(results: list[TestResult], nodeid: str) -> list[TestResult]:
    return [result for result in results if result.nodeid == nodeid]


def test_counts_equal_pytests_own(run: run_cases.Run, results: list[TestResult]) -> None:
    assert run.exit_code == 1, run.output
    assert count_outcomes(results) == pytest_counts(run.stats)
    assert count_outcomes(results) == EXPECTED


def test_node_ids_equal_pytests_own(run: run_cases.Run, results: list[TestResult]) -> None:
    # Covers nested classes, parameter ids with dots and an inherited test whose JUnit
    # `file` attribute names the base class's module rather than the test file.
    assert ids_by_outcome(results) == pytest_ids_by_outcome(run.stats)


def test_file_is_the_collecting_test_file(results: list[TestResult]) -> None:
    (inherited,) = by_id(results, "tests/sub/case_nested.py::TestDerived::test_inherited")
    assert inherited.file == "tests/sub/case_nested.py"
    for result in results:
        assert result.nodeid.split("::", 1)[0] == result.file
        assert (run_cases.FIXTURE / result.file).is_file()


def test_collection_errors(results: list[TestResult]) -> None:
    collection = [result for result in results if result.phase == "collection"]
    assert [(r.nodeid, r.file, r.outcome) for r in collection] == [
        ("tests/case_import_error.py", "tests/case_import_error.py", "error"),
        ("tests/case_import_name.py", "tests/case_import_name.py", "error"),
    ]
    assert "ModuleNotFoundError: No module named 'covsplit_no_such_module'" in collection[0].details
    # What the report counts once however many workers collected these files.
    assert collection_outcomes(results) == {
        "tests/case_import_error.py": ["errors"],
        "tests/case_import_name.py": ["errors"],
    }


def test_setup_and_teardown_phases(results: list[TestResult]) -> None:
    phases = {(r.outcome, r.phase) for r in by_id(results, "tests/case_fixtures.py::test_setup_error")}
    assert phases == {("error", "setup")}
    after_pass = by_id(results, "tests/case_fixtures.py::test_teardown_error_after_pass")
    assert [(r.outcome, r.phase) for r in after_pass] == [("passed", "call"), ("error", "teardown")]
    after_failure = by_id(results, "tests/case_fixtures.py::test_teardown_error_after_failure")
    assert [(r.outcome, r.phase) for r in after_failure] == [("failed", "call"), ("error", "teardown")]
    assert after_failure[1].message == 'failed on teardown with "RuntimeError: cannot clean up"'
    # Counted once as a test, once as failed and once as an error: pytest's "1 failed, 1 error".
    assert count_outcomes(after_failure) == {"tests": 1, "passed": 0, "failed": 1, "errors": 1, "skipped": 0}


def test_xfail_xpass_and_skips(results: list[TestResult]) -> None:
    outcomes = {r.nodeid.rsplit("::", 1)[1]: r.outcome for r in results if r.file == "tests/case_errors.py"}
    assert outcomes["test_xfail"] == "skipped"
    assert outcomes["test_xpass"] == "passed"
    assert outcomes["test_xpass_strict"] == "failed"
    assert outcomes["test_skipped"] == "skipped"
    (skip,) = by_id(results, "tests/case_errors.py::test_skipped")
    assert (skip.message, skip.exc_type) == ("not on this machine", "pytest.skip")


def test_failure_fields(results: list[TestResult]) -> None:
    (bare,) = by_id(results, "tests/case_errors.py::test_bare_assert")
    assert bare.message.splitlines()[0] == "assert 2 == 3"
    assert bare.exc_type == ""  # pytest writes no type attribute on <failure>
    assert bare.details.rstrip().endswith("tests/case_errors.py:29: AssertionError")
    (passed,) = by_id(results, "tests/case_errors.py::test_add_passes")
    assert (passed.outcome, passed.phase, passed.message, passed.details) == ("passed", "call", "", "")


def test_durations_add_up_to_the_xml(run: run_cases.Run, results: list[TestResult]) -> None:
    times = [float(case.get("time")) for case in ET.parse(run.junit).getroot().iter("testcase")]
    assert sum(r.duration for r in results) == pytest.approx(sum(times))
    assert sum(row["seconds"] for row in per_file(results).values()) == pytest.approx(sum(times), abs=0.01)


def test_per_file_equals_pytest_grouped_by_file(run: run_cases.Run, results: list[TestResult]) -> None:
    table = per_file(results)
    assert list(table) == sorted(table)
    files = sorted({nodeid.split("::", 1)[0] for ids in run.stats.values() for nodeid in ids})
    assert list(table) == files
    for file in files:
        stats = {key: [i for i in ids if i.split("::", 1)[0] == file] for key, ids in run.stats.items()}
        row = {key: value for key, value in table[file].items() if key != "seconds"}
        assert row == pytest_counts(stats), file


def test_xunit2_without_file_attributes(tmp_path: Path) -> None:
    project = run_cases.copy_project(tmp_path / "project")
    run = run_cases.run_pytest(project, "tests", family="xunit2")
    assert 'file="' not in run.junit.read_text(encoding="utf-8")
    results = read_junit(run.junit, project)
    assert count_outcomes(results) == pytest_counts(run.stats)
    # Without `file`, the inherited test can only be placed by its classname: still the collecting module.
    assert ids_by_outcome(results) == pytest_ids_by_outcome(run.stats)


def test_rootdir_below_project_root(tmp_path: Path) -> None:
    # A pytest.ini inside tests/ makes tests/ pytest's rootdir: JUnit paths are then relative to it.
    project = run_cases.copy_project(tmp_path / "project")
    (project / "pytest.ini").unlink()
    (project / "tests" / "pytest.ini").write_text("[pytest]\npython_files = case_*.py\n", encoding="utf-8")
    run = run_cases.run_pytest(project, "tests/sub")
    assert run.stats["passed"][0].startswith("sub/case_nested.py::")  # pytest's ids are rootdir-relative
    results = read_junit(run.junit, project)
    expected = {outcome: ["tests/" + i for i in ids] for outcome, ids in pytest_ids_by_outcome(run.stats).items()}
    assert ids_by_outcome(results) == expected
    assert {r.file for r in results} == {"tests/sub/case_nested.py"}


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(JUnitError, match="no JUnit XML file"):
        read_junit(tmp_path / "absent.xml", tmp_path)


def test_truncated_file(run: run_cases.Run, tmp_path: Path) -> None:
    # What a pytest killed while writing leaves: the first half of a real report.
    text = run.junit.read_text(encoding="utf-8")
    cut = tmp_path / "cut.xml"
    cut.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(JUnitError, match="not valid JUnit XML"):
        read_junit(cut, run.project)
    empty = tmp_path / "empty.xml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(JUnitError, match="not valid JUnit XML"):
        read_junit(empty, run.project)


def test_not_junit(tmp_path: Path) -> None:
    other = tmp_path / "other.xml"
    other.write_text("<coverage/>", encoding="utf-8")
    with pytest.raises(JUnitError, match="root element is <coverage>"):
        read_junit(other, tmp_path)


def test_no_tests_collected(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    junit = tmp_path / "junit.xml"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "tests", "-p", "no:cacheprovider", f"--junitxml={junit}", "-q"],
        cwd=tmp_path,
        env=run_cases.clean_env(tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 5, proc.stdout  # pytest's "no tests ran"
    results = read_junit(junit, tmp_path)
    assert results == []
    assert count_outcomes(results) == {"tests": 0, "passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    assert per_file(results) == {}
