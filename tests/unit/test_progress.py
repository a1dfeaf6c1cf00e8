"""Unit tests of covsplit.progress: reading the record the progress plugin writes, on small hand-written files.

When pytest dies before writing its JUnit file, this record is all the
driver has: the outcome of each test that finished, the test that was
running, the conftest that failed to import.  These tests write the JSON
lines by hand, including the damaged ones a killed process leaves, and
check what :func:`covsplit.progress.read` makes of them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from covsplit.junit import ERROR, FAILED, PASSED, SKIPPED
from covsplit.progress import CONFTEST, END, REPORT, START, Progress, read


def write_lines(path: Path, *records: dict[str, Any] | str) -> Path:
    """One JSON line per record; a str is written as it is (a damaged line)."""
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records),
        encoding="utf-8",
    )
    return path


def event(kind: str, root: Path, name: str, **fields: Any) -> dict[str, Any]:
    """An event of test ``name`` in tests/test_a.py, as the plugin writes it (the file absolute)."""
    return {"event": kind, "nodeid": f"tests/test_a.py::{name}", "file": str(root / "tests/test_a.py"), **fields}


def report(root: Path, name: str, outcome: str, when: str = "call", message: str = "", **fields: Any) -> dict[str, Any]:
    return event(REPORT, root, name, when=when, outcome=outcome, message=message, duration=0.5, **fields)


def test_a_missing_record_reads_as_an_empty_progress(tmp_path: Path) -> None:
    progress = read(tmp_path / "absent.jsonl", tmp_path)
    assert progress == Progress()
    assert (progress.finished, progress.running, progress.conftest_error) == (0, None, None)


def test_an_empty_record_reads_as_an_empty_progress(tmp_path: Path) -> None:
    path = tmp_path / "progress.jsonl"
    path.write_text("")
    assert read(path, tmp_path) == Progress()


def test_the_test_that_started_and_never_ended_was_running(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "progress.jsonl",
        event(START, tmp_path, "t1"),
        report(tmp_path, "t1", "passed"),
        event(END, tmp_path, "t1"),
        event(START, tmp_path, "t2"),
    )
    progress = read(path, tmp_path)
    assert progress.running == "tests/test_a.py::t2"
    assert [(r.nodeid, r.outcome) for r in progress.results] == [("tests/test_a.py::t1", PASSED)]


def test_of_several_unended_tests_the_latest_started_was_running(tmp_path: Path) -> None:
    # Under xdist a process that crashed leaves its test unended, and another test starts after it.
    path = write_lines(
        tmp_path / "progress.jsonl",
        event(START, tmp_path, "t1"),
        event(START, tmp_path, "t2"),
        event(START, tmp_path, "t3"),
        event(END, tmp_path, "t3"),
    )
    assert read(path, tmp_path).running == "tests/test_a.py::t2"


def test_nothing_was_running_when_every_started_test_ended(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "progress.jsonl",
        event(START, tmp_path, "t1"),
        event(END, tmp_path, "t1"),
        event(START, tmp_path, "t2"),
        event(END, tmp_path, "t2"),
    )
    assert read(path, tmp_path).running is None


def test_a_line_cut_short_by_a_kill_and_lines_that_are_not_objects_are_skipped(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "progress.jsonl",
        "[1, 2]",
        "42",
        report(tmp_path, "t1", "passed"),
        '{"event": "report", "nodeid": "tests/test_a.py::t2", "outc',
    )
    progress = read(path, tmp_path)
    assert [r.nodeid for r in progress.results] == ["tests/test_a.py::t1"]


def test_outcomes_are_counted_as_pytest_counts_them(tmp_path: Path) -> None:
    # A failing call is a failure; a failing setup or teardown is an error; a skip is a skip.
    path = write_lines(
        tmp_path / "progress.jsonl",
        report(tmp_path, "ok", "passed"),
        report(tmp_path, "bad", "failed", message="AssertionError: assert 1 == 2"),
        report(tmp_path, "setup", "failed", when="setup", message="ValueError: no fixture"),
        report(tmp_path, "teardown", "failed", when="teardown", message="OSError: gone"),
        report(tmp_path, "skip", "skipped", when="setup", message="Skipped: no network"),
    )
    results = read(path, tmp_path).results
    assert [(r.nodeid.rpartition("::")[2], r.outcome, r.phase) for r in results] == [
        ("ok", PASSED, "call"),
        ("bad", FAILED, "call"),
        ("setup", ERROR, "setup"),
        ("teardown", ERROR, "teardown"),
        ("skip", SKIPPED, "setup"),
    ]
    # The exception type is read from a failure's message only, not from a skip's reason.
    assert [r.exc_type for r in results] == ["", "AssertionError", "ValueError", "OSError", ""]
    assert results[1].message == results[1].details == "AssertionError: assert 1 == 2"


def test_a_failure_message_without_a_type_has_no_exception_type(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "progress.jsonl", report(tmp_path, "t", "failed", message="it broke"))
    assert read(path, tmp_path).results[0].exc_type == ""


def test_a_duration_that_is_not_a_number_reads_as_zero(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "progress.jsonl",
        {**report(tmp_path, "t1", "passed"), "duration": 2},
        {**report(tmp_path, "t2", "passed"), "duration": "slow"},
        {key: value for key, value in report(tmp_path, "t3", "passed").items() if key != "duration"},
    )
    assert [r.duration for r in read(path, tmp_path).results] == [2.0, 0.0, 0.0]


def test_finished_counts_each_test_once_however_many_reports_it_has(tmp_path: Path) -> None:
    # A failing call followed by a failing teardown: two results, one test.
    path = write_lines(
        tmp_path / "progress.jsonl",
        report(tmp_path, "t1", "failed"),
        report(tmp_path, "t1", "failed", when="teardown"),
        report(tmp_path, "t2", "passed"),
    )
    progress = read(path, tmp_path)
    assert (len(progress.results), progress.finished) == (3, 2)


def test_node_ids_are_said_relative_to_the_project_root_not_pytests_rootdir(tmp_path: Path) -> None:
    # pytest ran with rootdir sub/, so its node id starts at tests/; the project root is one level up.
    sub_file = tmp_path / "sub" / "tests" / "test_a.py"
    record = {"event": REPORT, "nodeid": "tests/test_a.py::t", "file": str(sub_file), "outcome": "passed"}
    path = write_lines(tmp_path / "progress.jsonl", {**record, "event": START}, record)
    progress = read(path, tmp_path)
    assert [(r.nodeid, r.file) for r in progress.results] == [("sub/tests/test_a.py::t", "sub/tests/test_a.py")]
    assert progress.running == "sub/tests/test_a.py::t"


def test_a_file_outside_the_root_keeps_its_absolute_path(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    elsewhere = tmp_path / "elsewhere" / "test_x.py"
    record = {"event": REPORT, "nodeid": "test_x.py::t", "file": str(elsewhere), "outcome": "passed"}
    result = read(write_lines(tmp_path / "progress.jsonl", record), root).results[0]
    assert result.file == elsewhere.as_posix()


def test_a_record_without_a_file_keeps_pytests_node_id(tmp_path: Path) -> None:
    record = {"event": REPORT, "nodeid": "tests/test_a.py::t", "outcome": "passed"}
    result = read(write_lines(tmp_path / "progress.jsonl", record), tmp_path).results[0]
    assert (result.nodeid, result.file) == ("tests/test_a.py::t", "")


def test_a_conftest_that_failed_to_import_is_named_relative_to_the_root(tmp_path: Path) -> None:
    broken = {"event": CONFTEST, "file": str(tmp_path / "tests" / "conftest.py"), "message": "ImportError: no x"}
    progress = read(write_lines(tmp_path / "progress.jsonl", broken), tmp_path)
    assert progress.conftest_error == "tests/conftest.py: ImportError: no x"
    assert progress.results == [] and progress.running is None


def test_a_conftest_error_without_a_file_is_its_message_alone(tmp_path: Path) -> None:
    broken = {"event": CONFTEST, "file": "", "message": "SyntaxError: invalid syntax"}
    progress = read(write_lines(tmp_path / "progress.jsonl", broken), tmp_path)
    assert progress.conftest_error == "SyntaxError: invalid syntax"


def test_an_undecodable_byte_does_not_lose_the_record(tmp_path: Path) -> None:
    path = tmp_path / "progress.jsonl"
    line = json.dumps(report(tmp_path, "t1", "failed", message="AssertionError: x")).encode()
    path.write_bytes(b"\xff\xfe garbage\n" + line + b"\n")
    assert [r.outcome for r in read(path, tmp_path).results] == [FAILED]
