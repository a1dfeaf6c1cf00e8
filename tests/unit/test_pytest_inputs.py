"""Unit tests of covsplit.pytest_inputs: the file a real pytest run writes of what it executed and imported.

The driver fingerprints a worker's run from this file, so a module the
tests imported but the file lacks would let a changed helper go unnoticed.
These tests run pytest (through pytester) with the plugin, with and
without a real coverage.py data file and under pytest-xdist, and read the
JSON it wrote.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from coverage import CoverageData

pytest_plugins = ["pytester"]

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def inputs_of(pytester: pytest.Pytester, *args: str, subprocess: bool = False) -> dict:
    destination = pytester.path / "out" / "inputs.json"
    run = pytester.runpytest_subprocess if subprocess else pytester.runpytest
    result = run("-p", "covsplit.pytest_inputs", f"--covsplit-inputs={destination}", *args)
    assert result.ret == 0, result.outlines
    return json.loads(destination.read_text(encoding="utf-8"))


def test_the_modules_the_tests_imported_are_listed_by_absolute_path(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        inputs_helper_plain="VALUE = 1\n",
        test_a="import inputs_helper_plain\n\ndef test_ok():\n    assert inputs_helper_plain.VALUE == 1\n",
    )
    pytester.syspathinsert()
    found = inputs_of(pytester)
    assert str(pytester.path / "inputs_helper_plain.py") in found["imported"]
    assert str(pytester.path / "test_a.py") in found["imported"]
    assert found["imported"] == sorted(found["imported"])
    assert all(os.path.isabs(path) for path in found["imported"])


def test_the_interpreter_and_its_installed_packages_are_recorded(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a="def test_ok():\n    pass\n")
    pytester.makeini("[pytest]\n")
    found = inputs_of(pytester)
    assert found["python"] == sys.version and found["prefix"] == sys.prefix
    assert found["inipath"] == str(pytester.path / "tox.ini")
    assert found["site_packages"] and all(os.path.isdir(path) for path in found["site_packages"])
    assert isinstance(found["installed"], str) and found["installed"]


def test_without_an_ini_file_the_inipath_is_null(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a="def test_ok():\n    pass\n")
    # pytester's own rootdir has no ini file: with none given, pytest finds none.
    assert inputs_of(pytester)["inipath"] is None


def test_executed_lists_the_measured_files_that_ran_a_line(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_a="def test_ok():\n    pass\n")
    data_file = pytester.path / ".coverage"
    data = CoverageData(basename=str(data_file))
    data.add_lines({"/project/pkg/ran.py": [1, 2], "/project/pkg/also.py": [3]})
    # A file coverage.py only touched (never imported, shown at 0%) did not shape the data.
    data.touch_files(["/project/pkg/untouched.py"])
    data.write()
    monkeypatch.setenv("COVERAGE_FILE", str(data_file))
    assert inputs_of(pytester)["executed"] == ["/project/pkg/also.py", "/project/pkg/ran.py"]


def test_executed_is_empty_without_coverage_data(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile(test_a="def test_ok():\n    pass\n")
    monkeypatch.setenv("COVERAGE_FILE", str(pytester.path / "absent.coverage"))
    assert inputs_of(pytester)["executed"] == []
    monkeypatch.delenv("COVERAGE_FILE")
    assert inputs_of(pytester)["executed"] == []


def test_without_the_option_nothing_is_written(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a="def test_ok():\n    pass\n")
    result = pytester.runpytest("-p", "covsplit.pytest_inputs")
    result.assert_outcomes(passed=1)
    assert not list(pytester.path.rglob("*.json"))


def test_under_xdist_the_modules_each_process_imported_are_written_by_the_controller(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("xdist")
    # Imported only in the xdist process that runs the test, never in this one.
    pytester.makepyfile(
        inputs_helper_xdist="VALUE = 2\n",
        test_a="import inputs_helper_xdist\n\ndef test_ok():\n    assert inputs_helper_xdist.VALUE == 2\n",
    )
    # A subprocess: xdist's processes started from an in-process run do not find covsplit.
    monkeypatch.setenv("PYTHONPATH", str(SCRIPTS))
    found = inputs_of(pytester, "-n", "1", subprocess=True)
    assert str(pytester.path / "inputs_helper_xdist.py") in found["imported"]


def test_a_module_with_a_relative_file_name_is_listed_absolute(pytester: pytest.Pytester) -> None:
    # A module loaded through a relative sys.path entry has a relative __file__; the driver needs a path it can hash.
    pytester.makepyfile(
        test_a="""
        import sys
        import types

        module = types.ModuleType("inputs_relative_module")
        module.__file__ = "lib/inputs_relative_module.py"
        sys.modules["inputs_relative_module"] = module

        def test_ok():
            pass
        """
    )
    found = inputs_of(pytester)
    assert str(pytester.path / "lib" / "inputs_relative_module.py") in found["imported"]
    assert "lib/inputs_relative_module.py" not in found["imported"]
