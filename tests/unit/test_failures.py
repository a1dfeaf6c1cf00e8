"""covsplit.failures: categories, clusters and the failure analysis document, from real pytest runs."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from coverage.results import display_covered
from fixture_runner import run_cases

from covsplit.failures import (
    categories,
    classify,
    clusters,
    exception_type,
    failure_text,
    normalise,
    render_failure_analysis,
)
from covsplit.junit import TestResult, count_outcomes, read_junit

E = "tests/case_errors.py::"
F = "tests/case_fixtures.py::"
N = "tests/sub/case_nested.py::"
# (node id, phase) -> category, for every failed or errored outcome of the fixture project.
EXPECTED_CATEGORIES = {
    ("tests/case_import_error.py", "collection"): "Collection error: ImportError/ModuleNotFoundError",
    ("tests/case_import_name.py", "collection"): "Collection error: ImportError/ModuleNotFoundError",
    (E + "test_type_error", "call"): "TypeError",
    (E + "test_attribute_error_on_int", "call"): "AttributeError",
    (E + "test_attribute_error_on_none", "call"): "AttributeError",
    (E + "test_key_error", "call"): "KeyError",
    (E + "test_bare_assert", "call"): "AssertionError",
    (E + "test_assert_with_message", "call"): "AssertionError",
    (E + "test_raise_assertion_error", "call"): "AssertionError",
    (E + "test_value_error", "call"): "ValueError",
    (E + "test_value_error_from_builtin", "call"): "ValueError",
    (E + "test_zero_division", "call"): "ZeroDivisionError",
    (E + "test_custom_error", "call"): "QuotaError",
    (E + "test_object_address", "call"): "RuntimeError",
    (E + "test_did_not_raise", "call"): "DID NOT RAISE",
    (E + "test_multiline_message", "call"): "ValueError",
    (E + "test_xpass_strict", "call"): "XPASS(strict)",
    (E + "test_level[12]", "call"): "ValueError",
    (E + "test_level[-3]", "call"): "ValueError",
    (E + "TestDescribe::test_lookup[x]", "call"): "KeyError",
    (E + "TestDescribe::test_lookup[y]", "call"): "KeyError",
    (F + "test_setup_error", "setup"): "Setup error: ValueError",
    (F + "test_teardown_error_after_pass", "teardown"): "Teardown error: RuntimeError",
    (F + "test_teardown_error_after_failure", "call"): "AssertionError",
    (F + "test_teardown_error_after_failure", "teardown"): "Teardown error: RuntimeError",
    (N + "TestNested::test_pair[diff.ids]", "call"): "AssertionError",
    (N + "TestDerived::test_inherited", "call"): "AssertionError",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_cases.copy_project(tmp_path_factory.mktemp("failures") / "project")


@pytest.fixture(scope="module")
def results(project: Path) -> list[TestResult]:
    run = run_cases.run_pytest(project, "tests")
    assert run.exit_code == 1, run.output
    return read_junit(run.junit, project)


def failing(results: list[TestResult]) -> list[TestResult]:
    return [r for r in results if r.outcome in ("failed", "error")]


def one(results: list[TestResult], nodeid: str, phase: str = "call") -> TestResult:
    (found,) = [r for r in results if r.nodeid == nodeid and r.phase == phase]
    return found


def test_every_failure_classified(results: list[TestResult]) -> None:
    got = {(r.nodeid, r.phase): classify(r) for r in failing(results)}
    assert got == EXPECTED_CATEGORIES


def test_bare_assert_is_an_assertion_error(results: list[TestResult]) -> None:
    bare = one(results, E + "test_bare_assert")
    # The point of the test: pytest's message for a bare assert names no type.
    assert "Error" not in bare.message
    assert (exception_type(bare), classify(bare)) == ("AssertionError", "AssertionError")


def test_type_comes_from_the_traceback_not_the_message(results: list[TestResult]) -> None:
    # Only the message is kept: the type must then come from the message's "Type: ..." prefix.
    custom = one(results, E + "test_custom_error")
    assert custom.message.startswith("calc.errors.QuotaError:")
    assert exception_type(replace(custom, details="")) == "QuotaError"
    # Only the traceback is kept: the last "path:line: Type" line names it.
    key_error = one(results, E + "test_key_error")
    assert exception_type(replace(key_error, message="")) == "KeyError"
    # A type attribute, when a JUnit producer writes one, wins.
    assert exception_type(replace(key_error, exc_type="mod.LookupFailure")) == "LookupFailure"


@pytest.mark.parametrize("style", ["native", "no"])
def test_other_traceback_styles(project: Path, style: str) -> None:
    # A project's pytest_args may choose another --tb style: the stored traceback then has no
    # "path:line: Type" lines (native, no) or no "E   " lines (native); bare asserts keep only the message.
    run = run_cases.run_pytest(project, "tests", name=f"tb_{style}", extra=(f"--tb={style}",))
    results = read_junit(run.junit, project)
    assert {(r.nodeid, r.phase): classify(r) for r in failing(results)} == EXPECTED_CATEGORIES


def test_message_text_that_looks_like_a_location_line() -> None:
    # --tb=short keeps no final "path:line: Type" line, so only the E lines name the type, and a message
    # line such as "conf.py:3: Missing" must not be taken for a location line.
    details = (
        "tests/test_c.py:5: in test_c\n    raise ValueError(msg)\nE   ValueError: bad config\nE   conf.py:3: Missing"
    )
    result = TestResult("tests/test_c.py::test_c", "tests/test_c.py", "failed", 0.0, "call", "", "", details)
    assert exception_type(result) == "ValueError"


def test_collection_error_text_is_the_exception_line(results: list[TestResult]) -> None:
    collection = one(results, "tests/case_import_error.py", "collection")
    assert collection.message == "collection failure"
    assert failure_text(collection) == "ModuleNotFoundError: No module named 'covsplit_no_such_module'"


def test_categories_counted_and_ordered(results: list[TestResult]) -> None:
    got = categories(results)
    expected_counts: dict[str, int] = {}
    for category in EXPECTED_CATEGORIES.values():
        expected_counts[category] = expected_counts.get(category, 0) + 1
    assert got == expected_counts
    assert list(got) == sorted(expected_counts, key=lambda name: (-expected_counts[name], name))
    assert list(got)[:3] == ["AssertionError", "ValueError", "KeyError"]
    assert sum(got.values()) == count_outcomes(results)["failed"] + count_outcomes(results)["errors"]


@pytest.mark.skipif(importlib.util.find_spec("pytest_timeout") is None, reason="pytest-timeout is not installed")
def test_real_pytest_timeout(project: Path) -> None:
    run = run_cases.run_pytest(project, "timeout_cases", name="timeout")
    (result,) = read_junit(run.junit, project)
    assert result.outcome == "failed"
    assert classify(result) == "Timeout"


def test_timeout_messages() -> None:
    # The two message formats of pytest-timeout's signal method, as pytest stores them in JUnit:
    # 2.x "Timeout (>1.0s) from pytest-timeout." and 1.x "Timeout >1.0s".
    for text in ("Timeout (>1.0s) from pytest-timeout.", "Timeout >1.0s"):
        details = f"    def test_slow():\n>       time.sleep(5)\nE       Failed: {text}\n\ntests/test_t.py:4: Failed"
        result = TestResult(
            "tests/test_t.py::test_slow", "tests/test_t.py", "failed", 1.0, "call", f"Failed: {text}", "", details
        )
        assert classify(result) == "Timeout"
        setup = TestResult(
            result.nodeid, result.file, "error", 1.0, "setup", f'failed on setup with "Failed: {text}"', "", details
        )
        assert classify(setup) == "Setup error: Timeout"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # Quoted names say which key, attribute or name: different causes, kept apart.
        ("KeyError: 'x'", "KeyError: 'x'"),
        ("'NoneType' object has no attribute 'shape'", "'NoneType' object has no attribute 'shape'"),
        ("name 'patch' is not defined", "name 'patch' is not defined"),
        ('ValueError: bad name "abc" at 12', 'ValueError: bad name "abc" at <num>'),
        # Quoted values that are not names vary between instances of one failure.
        ("ValueError: bad input 'a b c' at 12", "ValueError: bad input <str> at <num>"),
        ("expected '1.5' got '2.5'", "expected <str> got <str>"),
        ("RuntimeError: bad <object at 0x7f3e8a1c5c00>", "RuntimeError: bad <object at <hex>>"),
        ("assert -3 == 4.5", "assert <num> == <num>"),
        ("took 1.5s, limit 1e3", "took <num>s, limit <num>"),
        ("can't convert int32 to 'float64'", "can't convert int32 to 'float64'"),
        ("test_2 failed", "test_2 failed"),
    ],
)
def test_normalise(message: str, expected: str) -> None:
    assert normalise(message) == expected


def test_clusters_merge_messages_that_differ_only_in_values(results: list[TestResult]) -> None:
    # Three KeyErrors on three different keys: three causes, not one.
    key_errors = [r for r in failing(results) if classify(r) == "KeyError"]
    assert sorted(clusters(key_errors)) == [
        ("KeyError: 'missing'", [E + "test_key_error"]),
        ("KeyError: 'x'", [E + "TestDescribe::test_lookup[x]"]),
        ("KeyError: 'y'", [E + "TestDescribe::test_lookup[y]"]),
    ]
    value_errors = [r for r in failing(results) if classify(r) == "ValueError"]
    levels = [E + "test_level[-3]", E + "test_value_error"]
    assert clusters(value_errors)[0] == ("ValueError: invalid level <num>", levels)
    assert [len(ids) for _message, ids in clusters(value_errors)] == [2, 1, 1, 1]


def test_document(results: list[TestResult]) -> None:
    doc = render_failure_analysis("worker2", "Evaluation (Core + Large)", results)
    counts = count_outcomes(results)
    assert doc.startswith("# worker2 failure analysis: Evaluation (Core + Large)\n")
    # 9 passed of 37 tests, floored: 24.32%.
    total_row = "| " + " | ".join(str(counts[key]) for key in ("tests", "passed", "failed", "errors", "skipped")) + " |"
    assert f"{total_row} 24.32% |" in doc
    failures = counts["failed"] + counts["errors"]
    section = doc.split("## Failure categories\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| (.+?) \| (\d+) \| ([\d.]+)% \|$", section, re.MULTILINE)
    assert [(name, int(count)) for _index, name, count, _share in rows] == list(categories(results).items())
    assert [int(index) for index, *_rest in rows] == list(range(1, len(rows) + 1))
    for _index, _name, count, share in rows:
        assert share == display_covered(100.0 * int(count) / failures, 2)
    assert "| 2 | ValueError | 5 | 18.52% |" in doc  # 5/27 = 18.518...: as coverage.py shows it
    assert "- **1 ×** `KeyError: 'x'`\n" in doc
    assert f"  - `{E}TestDescribe::test_lookup[x]`\n" in doc
    assert "### 5. Collection error: ImportError/ModuleNotFoundError (2, 7.41%)" in doc
    assert "| `tests/case_fixtures.py` | 4 | 1 | 3 | Teardown error: RuntimeError (2) |" in doc
    assert "| `tests/case_errors.py` | 27 | 19 | 0 | ValueError (5) |" in doc
    assert "No failures or errors" not in doc


def test_document_is_deterministic(results: list[TestResult]) -> None:
    forward = render_failure_analysis("w", "t", results)
    assert render_failure_analysis("w", "t", list(reversed(results))) == forward


def test_document_without_failures(project: Path) -> None:
    run = run_cases.run_pytest(
        project, E + "test_add_passes", E + "TestDescribe::test_alpha", E + "test_skipped", name="clean"
    )
    assert run.exit_code == 0, run.output
    results = read_junit(run.junit, project)
    doc = render_failure_analysis("worker1", "Conversion", results)
    assert "| 3 | 2 | 0 | 0 | 1 | 66.67% |" in doc
    assert "No failures or errors: all 3 tests passed or were skipped." in doc
    assert "## Failure categories" not in doc
    assert categories(results) == {}


def test_document_without_results() -> None:
    doc = render_failure_analysis("worker3", "Training", [])
    assert "| 0 | 0 | 0 | 0 | 0 | — |" in doc
    assert "No test results were recorded" in doc


def test_real_run_keeps_causes_apart_names_setup_causes_and_strips_colour(tmp_path: Path) -> None:
    (tmp_path / "test_causes.py").write_text(
        "def test_needs(cache_dir):\n    pass\n\n"
        "def test_shape():\n    None.shape\n\n"
        "def test_dtype():\n    None.dtype\n\n"
        "def test_patch():\n    patch('os.getcwd')\n\n"
        "def test_compare():\n    assert [1, 2] == [1, 3]\n"
    )
    junit = tmp_path / "junit.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "test_causes.py", f"--junitxml={junit}", "--color=yes",
         "-p", "no:cacheprovider", "-o", "junit_family=xunit1", "-q"],
        cwd=tmp_path, capture_output=True, check=False,
    )  # fmt: skip
    assert "#x1B[" in junit.read_text()  # pytest did colour its messages (ESC written as text: XML forbids it)
    results = read_junit(junit, tmp_path)
    assert not [r for r in results if "#x1B" in r.message + r.details]
    by_test = {r.nodeid.rpartition("::")[2]: r for r in results}
    assert classify(by_test["test_needs"]) == "Setup error: fixture 'cache_dir' not found"
    attribute_errors = [by_test["test_shape"], by_test["test_dtype"]]
    assert sorted(message for message, _ids in clusters(attribute_errors)) == [
        "AttributeError: 'NoneType' object has no attribute 'dtype'",
        "AttributeError: 'NoneType' object has no attribute 'shape'",
    ]
    assert clusters([by_test["test_patch"]])[0][0] == "NameError: name 'patch' is not defined"


def test_category_files_names_where_each_category_fails() -> None:
    from covsplit.failures import category_files
    from covsplit.junit import ERROR, FAILED, PASSED, SETUP, TestResult

    results = [
        TestResult("tests/a.py::t1", "tests/a.py", FAILED, 0.1, "call", "TypeError: x", "TypeError", ""),
        TestResult("tests/b.py::t2", "tests/b.py", FAILED, 0.1, "call", "TypeError: y", "TypeError", ""),
        TestResult("tests/b.py::t3", "tests/b.py", ERROR, 0.1, SETUP, "fixture 'db' not found", "", ""),
        TestResult("tests/c.py::t4", "tests/c.py", PASSED, 0.1, "call", "", "", ""),
    ]
    files = category_files(results)
    assert files["TypeError"] == ["tests/a.py", "tests/b.py"]
    assert next(iter(files)) == "TypeError" and len(files) == 2 and "tests/c.py" not in str(files)
