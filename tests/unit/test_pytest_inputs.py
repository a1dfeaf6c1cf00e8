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


WRITING_TESTS = {
    "test_writes": """
        import os
        import shutil
        import subprocess
        import sys
        from pathlib import Path

        def test_opens_for_writing():
            Path("out").mkdir(exist_ok=True)
            Path("out/written.txt").write_text("x")
            with open("out/appended.txt", "a") as handle:
                handle.write("x")

        def test_replaces_and_removes():
            Path("tmp.txt").write_text("x")
            os.replace("tmp.txt", "out/replaced.txt")
            Path("gone.txt").write_text("x")
            os.remove("gone.txt")
            shutil.copy("data.txt", "out/copied.txt")

        def test_reads_only():
            # Nothing another test writes: under xdist that test may not have run yet.
            assert Path("data.txt").read_text() == "input"

        def test_a_subprocess_writes_unseen():
            subprocess.run([sys.executable, "-c", "open('by_subprocess.txt', 'w').write('x')"], check=True)
        """,
}


def test_the_files_the_tests_wrote_are_recorded_with_the_tests_that_wrote_them(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(**WRITING_TESTS)
    (pytester.path / "data.txt").write_text("input")
    monkeypatch.setenv("PYTHONPATH", str(SCRIPTS))
    # As a worker runs it: no cache written into the project.
    found = inputs_of(pytester, "-p", "no:cacheprovider", subprocess=True)
    opens, replaces = "test_writes.py::test_opens_for_writing", "test_writes.py::test_replaces_and_removes"
    assert found["written"] == {
        "gone.txt": [replaces],
        "out/appended.txt": [opens],
        "out/copied.txt": [replaces],
        "out/replaced.txt": [replaces],
        "out/written.txt": [opens],
        "tmp.txt": [replaces],
    }
    # Read, never written: inputs, relative to the root as the outputs are.
    assert {"data.txt", "test_writes.py"} <= set(found["read"])
    assert not any(os.path.isabs(path) for path in found["read"])
    # Files outside the root (this plugin's own output among them) and the subprocess's write are not seen.
    assert "by_subprocess.txt" not in found["written"]
    assert all(not path.startswith("out/inputs") for path in found["written"])


def test_under_xdist_every_process_reports_its_writes(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(**WRITING_TESTS)
    (pytester.path / "data.txt").write_text("input")
    monkeypatch.setenv("PYTHONPATH", str(SCRIPTS))
    found = inputs_of(pytester, "-n", "2", "-p", "no:cacheprovider", subprocess=True)
    assert found["written"]["out/replaced.txt"] == ["test_writes.py::test_replaces_and_removes"]
    assert found["written"]["out/written.txt"] == ["test_writes.py::test_opens_for_writing"]
    assert "data.txt" in found["read"]


def test_a_write_while_collecting_is_recorded_without_a_test(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_a="open('collected.log', 'w').write('x')\n\ndef test_ok():\n    pass\n")
    monkeypatch.setenv("PYTHONPATH", str(SCRIPTS))
    assert inputs_of(pytester, "-p", "no:cacheprovider", subprocess=True)["written"] == {"collected.log": [""]}
