"""Unit tests of covsplit.pytest_progress: the record a real pytest run writes as it goes, read back.

The plugin exists for runs that die: these tests run pytest (through
pytester) with the plugin loaded, on tests that pass, fail, skip, error in
setup, kill their process, or sit behind a conftest that cannot be
imported, and read the record with :func:`covsplit.progress.read`, as the
worker driver does.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from covsplit.junit import ERROR, FAILED, PASSED, SKIPPED
from covsplit.progress import END, REPORT, START, read

pytest_plugins = ["pytester"]

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"

TESTS = """
import pytest

@pytest.fixture
def broken():
    raise ValueError("no fixture")

def test_ok():
    pass

def test_bad():
    assert 1 == 2

def test_setup(broken):
    pass

@pytest.mark.skip(reason="not today")
def test_skip():
    pass

@pytest.mark.xfail(reason="known")
def test_xfail():
    raise KeyError("k")
"""


def events(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_each_test_writes_a_start_its_results_and_an_end(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a=TESTS)
    record = pytester.path / "out" / "progress.jsonl"  # its folder does not exist yet
    result = pytester.runpytest("-p", "covsplit.pytest_progress", f"--covsplit-progress={record}")
    result.assert_outcomes(passed=1, failed=1, errors=1, skipped=1, xfailed=1)
    kinds = [(e["event"], e["nodeid"].rpartition("::")[2], e.get("when")) for e in events(record)]
    assert kinds[:3] == [(START, "test_ok", None), (REPORT, "test_ok", "call"), (END, "test_ok", None)]
    # A passing setup or teardown is not written: only calls, and phases that did not pass.
    assert [(name, when) for kind, name, when in kinds if kind == REPORT] == [
        ("test_ok", "call"),
        ("test_bad", "call"),
        ("test_setup", "setup"),
        ("test_skip", "setup"),
        ("test_xfail", "call"),
    ]
    assert [name for kind, name, _ in kinds if kind == START] == [name for kind, name, _ in kinds if kind == END]
    assert all(e["file"] == str(pytester.path / "test_a.py") for e in events(record))


def test_the_record_reads_back_as_pytest_counted_the_outcomes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a=TESTS)
    record = pytester.path / "progress.jsonl"
    pytester.runpytest("-p", "covsplit.pytest_progress", f"--covsplit-progress={record}")
    progress = read(record, pytester.path)
    outcomes = {r.nodeid: (r.outcome, r.phase) for r in progress.results}
    assert outcomes == {
        "test_a.py::test_ok": (PASSED, "call"),
        "test_a.py::test_bad": (FAILED, "call"),
        "test_a.py::test_setup": (ERROR, "setup"),
        "test_a.py::test_skip": (SKIPPED, "setup"),
        "test_a.py::test_xfail": (SKIPPED, "call"),
    }
    messages = {r.nodeid.rpartition("::")[2]: r.message for r in progress.results}
    assert messages["test_bad"] == "assert 1 == 2"
    assert messages["test_setup"] == "ValueError: no fixture"
    assert messages["test_skip"] == "Skipped: not today"
    assert progress.running is None and progress.finished == 5
    xfail = next(e for e in events(record) if e["event"] == REPORT and e["nodeid"].endswith("test_xfail"))
    assert xfail["xfail"] is True


def test_a_conftest_that_cannot_be_imported_is_recorded(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("import no_such_module_here\n")
    pytester.makepyfile(test_a="def test_ok():\n    pass\n")
    record = pytester.path / "progress.jsonl"
    pytester.runpytest("-p", "covsplit.pytest_progress", f"--covsplit-progress={record}")
    progress = read(record, pytester.path)
    assert progress.conftest_error is not None
    assert progress.conftest_error.startswith("conftest.py: ModuleNotFoundError: No module named")
    assert "no_such_module_here" in progress.conftest_error
    assert progress.results == []


def test_without_the_option_nothing_is_written(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("import no_such_module_here\n")
    before = set(pytester.path.rglob("*"))
    result = pytester.runpytest("-p", "covsplit.pytest_progress")
    assert result.ret != 0
    assert {p for p in pytester.path.rglob("*") if "__pycache__" not in p.parts} == {
        p for p in before if "__pycache__" not in p.parts
    }


def test_a_new_run_starts_a_fresh_record(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a="def test_ok():\n    pass\n")
    record = pytester.path / "progress.jsonl"
    record.write_text(json.dumps({"event": START, "nodeid": "test_old.py::t", "file": "x"}) + "\n")
    pytester.runpytest("-p", "covsplit.pytest_progress", f"--covsplit-progress={record}")
    assert [e["nodeid"] for e in events(record)] == ["test_a.py::test_ok"] * 3


def test_a_test_that_kills_its_process_is_named_and_the_coverage_before_it_kept(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # os._exit ends pytest with no JUnit file and no session end, and coverage.py never reaches its own
    # save at exit: only the record and the save at the test-file boundary survive.
    # One subprocess checks both, to keep the file fast.
    pytester.makepyfile(
        mod="def used():\n    return 1\n",
        test_1="import mod\n\ndef test_uses():\n    assert mod.used() == 1\n",
        test_2="import os\n\ndef test_dies():\n    os._exit(3)\n",
    )
    record = pytester.path / "progress.jsonl"
    data_file = pytester.path / "cov.data"
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(pytester.path), str(SCRIPTS)]))
    result = pytester.run(
        sys.executable,
        "-m",
        "coverage",
        "run",
        f"--data-file={data_file}",
        f"--source={pytester.path}",
        "-m",
        "pytest",
        "-p",
        "covsplit.pytest_progress",
        f"--covsplit-progress={record}",
        "test_1.py",
        "test_2.py",
    )
    assert result.ret == 3
    progress = read(record, pytester.path)
    assert progress.running == "test_2.py::test_dies"
    assert [(r.nodeid, r.outcome) for r in progress.results] == [("test_1.py::test_uses", PASSED)]
    from coverage import CoverageData

    data = CoverageData(basename=str(data_file))
    data.read()
    assert data.lines(str(pytester.path / "mod.py")) == [1, 2]
