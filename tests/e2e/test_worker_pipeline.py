"""End-to-end: real `nox -s workerN`, `aggregate` and `report` on real projects.

The crossing fixture is the hard case: its pytest.ini adds `--cov=alpha
--cov-report=html:htmlcov --cov-report=xml` (as real projects do), its
tests fail with several exception types and one test file cannot even be
imported, worker2's tests execute code worker1 owns, one module is never
imported and one lives in a folder without __init__.py.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from e2e_support import FIXTURES, REPO, Suite, copy_suite, independent_run, line_facts

from covsplit import status

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def crossing(tmp_path_factory: pytest.TempPathFactory, nox_envdir: Path) -> Suite:
    suite = copy_suite(tmp_path_factory.mktemp("crossing"), nox_envdir, FIXTURES / "crossing")
    # worker2 has failing tests: nox reports the failure, after everything was written.
    # As on CI images that set it: the project's tree must stay free of bytecode all the same.
    suite.nox("-s", "worker1", check=True, env={"PYTHONDONTWRITEBYTECODE": "1"})
    suite.nox("-s", "worker2", check=False, env={"PYTHONDONTWRITEBYTECODE": "1"})
    return suite


def test_worker_writes_every_artifact(crossing: Suite) -> None:
    for name in ("worker1", "worker2"):
        for suffix in ("coverage.json", "test_output.txt", "summary.md", "failure_analysis.md", "status.json"):
            assert (crossing.output / f"{name}_{suffix}").is_file(), f"{name}_{suffix}"
        assert (crossing.config.parent / "htmlcov" / name / "index.html").is_file()
        assert (crossing.output / f".coverage.{name}").is_file()
    # No partial files left behind.
    assert not [p.name for p in crossing.output.iterdir() if p.name.endswith((".partial", ".tmp"))]


def test_target_addopts_do_not_leak(crossing: Suite) -> None:
    # The project's addopts asked for htmlcov/ and coverage.xml in its own root, and .coverage there.
    assert not (crossing.root / "htmlcov").exists()
    assert not (crossing.root / "coverage.xml").exists()
    assert not (crossing.root / ".coverage").exists()
    # ...and for `--cov=alpha` only: the worker measured beta too (its own sources replaced them).
    measured = json.loads((crossing.output / "worker2_coverage.json").read_text())
    assert set(measured["files"]) == {"beta/__init__.py", "beta/ops.py"}


def test_bytecode_is_kept_under_the_nox_environments_not_in_the_tree(crossing: Suite) -> None:
    # PYTHONDONTWRITEBYTECODE: nothing in the project's tree; pytest's rewritten test files are
    # kept under .nox/, so the next run (and every other worker) does not compile them again.
    assert not list(crossing.root.rglob("__pycache__"))
    prefix = crossing.envdir / "pycache"
    rewritten = {p.name.split(".")[0] for p in prefix.rglob("*-pytest-*.pyc") if str(crossing.root) in str(p)}
    assert {"test_core", "test_ops"} <= rewritten, sorted(rewritten)


def test_status_and_counts_match_an_independent_run(crossing: Suite, tmp_path: Path) -> None:
    status = crossing.read_json("worker2_status.json")
    assert status["state"] == "failed"
    assert status["exit_status"] == 1
    independent = independent_run(
        crossing.venv_python("worker2"),
        crossing.root,
        ["tests/test_ops.py", "tests/test_failing.py", "tests/test_import_error.py"],
        ["alpha", "beta"],
        tmp_path / "independent",
    )
    assert status["outcomes"] == independent.outcomes
    assert status["outcomes"]["failed"] == 4 and status["outcomes"]["errors"] == 2  # setup + collection

    # The owned modules' figures equal the independent run's, line for line.
    worker_json = crossing.read_json("worker2_coverage.json")
    for name in ("beta/ops.py", "beta/__init__.py"):
        assert line_facts(worker_json, name) == line_facts(independent.coverage, name), name
    totals = worker_json["totals"]
    assert status["coverage"]["statements"] == totals["num_statements"]
    assert status["coverage"]["covered_lines"] == totals["covered_lines"]
    assert status["coverage"]["branches"] == totals["num_branches"]


def test_never_imported_modules_appear_at_zero(crossing: Suite) -> None:
    alpha = crossing.read_json("worker1_coverage.json")
    assert set(alpha["files"]) == {"alpha/__init__.py", "alpha/core.py", "alpha/extra.py", "alpha/nopkg/helper.py"}
    for never in ("alpha/extra.py", "alpha/nopkg/helper.py"):
        summary = alpha["files"][never]["summary"]
        assert summary["covered_lines"] == 0 and summary["num_statements"] > 0


def test_failure_analysis_groups_real_exceptions(crossing: Suite) -> None:
    status = crossing.read_json("worker2_status.json")
    categories = status["failure_categories"]
    assert categories.get("KeyError") == 1
    assert categories.get("TypeError") == 1
    assert categories.get("AssertionError") == 1  # the bare `assert 1 + 1 == 3`
    assert categories.get("ValueError") == 1
    assert sum(categories.values()) == 6
    analysis = (crossing.output / "worker2_failure_analysis.md").read_text()
    assert "ImportError/ModuleNotFoundError" in analysis
    assert "tests/test_failing.py" in analysis
    clean = (crossing.output / "worker1_failure_analysis.md").read_text()
    assert "No failures" in clean or "no failures" in clean


def test_summary_records_the_exact_command(crossing: Suite) -> None:
    status = crossing.read_json("worker1_status.json")
    summary = (crossing.output / "worker1_summary.md").read_text()
    # As typed from the project root: the outputs beside the config relative to it.
    relative = os.path.relpath(crossing.output, crossing.root)
    assert status["command_line"].replace(f"{crossing.output}/", f"{relative}/") in summary
    assert "Run it again: `make worker1 CONFIG=" in summary
    assert "--cov-reset" in status["command_line"] and "--cov=beta" in status["command_line"]
    output = (crossing.output / "worker1_test_output.txt").read_text()
    assert "test_clamp_low PASSED" in output  # the project's -v still applies


def test_aggregate_equals_one_serial_run(crossing: Suite, tmp_path: Path) -> None:
    # Run alone, a worker's reports show its own tests, and say so.
    worker1_only = crossing.read_json("worker1_coverage.json")["files"]["alpha/core.py"]["executed_lines"]
    assert "own tests" in (crossing.output / "worker1_summary.md").read_text()
    result = crossing.nox("-s", "aggregate")
    # worker2 failed its tests but left complete data: the aggregate is complete.
    aggregate = crossing.read_json("aggregate.json")
    assert aggregate["complete"] is True, aggregate["missing"]
    serial = independent_run(
        crossing.venv_python("worker1"), crossing.root, ["tests"], ["alpha", "beta"], tmp_path / "serial"
    )
    combined = crossing.read_json("combined_coverage.json")
    for name in serial.coverage["files"]:
        assert line_facts(combined, name) == line_facts(serial.coverage, name), name
    # alpha/core.py is covered partly by worker2's tests (crossing the boundary).
    assert set(combined["files"]["alpha/core.py"]["executed_lines"]) > set(worker1_only)
    # After the aggregate, worker1's figures are its modules under the whole suite.
    worker1 = crossing.read_json("worker1_coverage.json")
    for name in worker1["files"]:
        assert line_facts(worker1, name) == line_facts(combined, name), name
    assert "under the whole suite" in (crossing.output / "worker1_summary.md").read_text()
    # The folder without __init__.py, never scanned by coverage.py, is still there.
    assert combined["files"]["alpha/nopkg/helper.py"]["summary"]["covered_lines"] == 0
    assert (crossing.output / "coverage.xml").is_file()
    assert (crossing.config.parent / "htmlcov" / "combined" / "index.html").is_file()
    gates = {g["name"]: g for g in aggregate["gates"]}
    assert result.returncode == (0 if all(g["passed"] for g in gates.values()) else 1)


def test_gate_failure_names_gate_and_shortfall(crossing: Suite) -> None:
    original = crossing.config.read_text()
    crossing.config.write_text(original.replace("branch = 40", "branch = 99.5"))
    try:
        result = crossing.nox("-s", "aggregate", check=False)
    finally:
        crossing.config.write_text(original)
    assert result.returncode != 0
    gate = next(g for g in crossing.read_json("aggregate.json")["gates"] if g["name"] == "branch")
    assert gate["passed"] is False
    output = result.stdout + result.stderr
    assert "ERROR: branch coverage" in output
    shortfall = 99.5 - gate["actual"]
    assert f"FAILED by {math.ceil(round(shortfall * 100, 6)) / 100:.2f} points" in output
    assert "line coverage" in output and "ERROR: line" not in output


def test_missing_worker_makes_the_aggregate_partial(crossing: Suite) -> None:
    hidden = crossing.output / ".coverage.worker1"
    status = crossing.output / "worker1_status.json"
    saved = status.read_text()
    hidden.rename(hidden.with_name("kept"))
    status.unlink()
    try:
        result = crossing.nox("-s", "aggregate", check=False)
        report = crossing.nox("-s", "report", check=True)
        report_md = (crossing.output / "report.md").read_text()
    finally:
        hidden.with_name("kept").rename(hidden)
        status.write_text(saved)
    assert result.returncode != 0
    assert "worker1" in result.stdout + result.stderr and "PARTIAL" in result.stdout + result.stderr
    aggregate = crossing.read_json("aggregate.json")
    assert aggregate["complete"] is False
    assert [m["worker"] for m in aggregate["missing"]] == ["worker1"]
    assert "PARTIAL" in (crossing.output / "aggregate_summary.md").read_text()
    assert report.returncode == 0 and "worker1" in report_md and "not run" in report_md


def test_killed_worker_leaves_a_crashed_status(tmp_path: Path, nox_envdir: Path) -> None:
    suite = copy_suite(tmp_path, nox_envdir, FIXTURES / "crossing")
    (suite.root / "tests" / "test_core.py").write_text("import time\n\ndef test_hangs():\n    time.sleep(600)\n")
    env = {**os.environ, "COVSPLIT_CONFIG": str(suite.config)}
    process = subprocess.Popen(
        [sys.executable, "-m", "nox", "-f", str(REPO / "noxfile.py"), "--envdir", str(suite.envdir), "-s", "worker1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    status_file = suite.output / "worker1_status.json"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not (status_file.exists() and "running" in status_file.read_text()):
        time.sleep(0.2)
    time.sleep(2)  # let pytest reach the hanging test
    os.killpg(process.pid, signal.SIGKILL)  # nothing gets to clean up
    process.wait()

    # SIGKILL is delivered asynchronously: give the kernel a moment to tear the driver down.
    deadline = time.monotonic() + 10
    record = status.read(status_file)
    while record["state"] == status.RUNNING and time.monotonic() < deadline:
        time.sleep(0.1)
        record = status.read(status_file)
    assert record["state"] == status.CRASHED
    assert "killed" in record["message"]


def test_timeout_is_recorded(tmp_path: Path, nox_envdir: Path) -> None:
    suite = copy_suite(tmp_path, nox_envdir, FIXTURES / "crossing")
    (suite.root / "tests" / "test_core.py").write_text(
        "import time\n\ndef test_fast():\n    pass\n\ndef test_hangs():\n    time.sleep(600)\n"
    )
    suite.config.write_text(suite.config.read_text().replace('title = "Alpha"', 'title = "Alpha"\ntimeout = 3'))
    suite.nox("-s", "worker1", check=False)
    record = suite.read_json("worker1_status.json")
    assert record["state"] == "timeout"
    # Every artifact is still there for aggregate and report.
    assert (suite.output / "worker1_summary.md").is_file()
    assert (suite.output / "worker1_coverage.json").is_file()
    assert "timeout" in (suite.output / "worker1_summary.md").read_text().lower()


def test_a_new_worker_table_is_a_new_session(tmp_path: Path, nox_envdir: Path) -> None:
    suite = copy_suite(tmp_path, nox_envdir, FIXTURES / "crossing")
    text = suite.config.read_text().replace('modules = ["beta"]', 'modules = ["beta.ops"]')
    suite.config.write_text(text + '\n[workers.worker6]\ntitle = "Beta package init"\nmodules = ["beta"]\n')
    # beta (whole package) now overlaps beta.ops: a clear error first...
    bad = suite.nox("-l", check=False)
    assert bad.returncode == 2 and "already owned" in bad.stderr
    suite.config.write_text(text + '\n[workers.worker6]\ntitle = "Alpha helpers"\nmodules = ["beta.__init__"]\n')
    listing = suite.nox("-l", check=True).stdout
    assert "worker6" in listing and "Alpha helpers" in listing


def test_a_killed_runs_leftover_data_does_not_leak_into_the_next(tmp_path: Path, nox_envdir: Path) -> None:
    from coverage import CoverageData

    suite = copy_suite(tmp_path, nox_envdir, FIXTURES / "crossing")
    # pytest-cov erases old data itself, except under --cov-append (which projects put in addopts).
    suite.config.write_text(
        suite.config.read_text().replace('root = "project"', 'root = "project"\npytest_args = ["--cov-append"]')
    )
    extra = str(suite.root / "alpha" / "extra.py")
    # What pytest-cov leaves behind when killed mid-run: a suffixed piece it would combine next time.
    suite.output.mkdir()
    stale = CoverageData(basename=str(suite.output / ".coverage.worker1"), suffix="otherhost.pid1.x")
    stale.add_arcs({extra: {(-1, 4), (4, 5), (5, 6)}})
    stale.write()
    suite.nox("-s", "worker1", check=True)
    assert suite.read_json("worker1_coverage.json")["files"]["alpha/extra.py"]["summary"]["covered_lines"] == 0
    assert not list(suite.output.glob(".coverage.worker1.*"))


def test_a_second_run_of_a_running_worker_is_refused_and_leaves_the_first_intact(
    tmp_path: Path, nox_envdir: Path
) -> None:
    suite = copy_suite(tmp_path, nox_envdir, FIXTURES / "crossing")
    (suite.root / "tests" / "test_slow.py").write_text("import time\n\ndef test_slow():\n    time.sleep(4)\n")
    suite.config.write_text(
        suite.config.read_text().replace(
            'tests = ["tests/test_core.py"]', 'tests = ["tests/test_core.py", "tests/test_slow.py"]'
        )
    )
    env = {**os.environ, "COVSPLIT_CONFIG": str(suite.config)}
    first = subprocess.Popen(
        [sys.executable, "-m", "nox", "-f", str(REPO / "noxfile.py"), "--envdir", str(suite.envdir), "-s", "worker1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    status_file = suite.output / "worker1_status.json"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not (status_file.exists() and "running" in status_file.read_text()):
        time.sleep(0.1)
    second = suite.nox("-s", "worker1", check=False)
    assert first.wait(timeout=300) == 0
    assert second.returncode != 0
    # The refusal names the running one: the driver runs in the first nox process.
    assert f"worker worker1 is already running (pid {first.pid} on " in second.stdout + second.stderr
    record = status.read(status_file)
    assert record["state"] == status.PASSED and record["outcomes"]["failed"] == 0
    assert "tests/test_slow.py" in record["test_files"]
    assert "INTERNALERROR" not in (suite.output / "worker1_test_output.txt").read_text()


def test_a_worker_of_another_config_in_the_same_folder_is_impossible_to_miss(tmp_path: Path, nox_envdir: Path) -> None:
    suite = copy_suite(tmp_path, nox_envdir, FIXTURES / "crossing")
    other = suite.config.with_name("other.toml")
    other.write_text(suite.config.read_text())
    suite.nox("-s", "worker2", check=False)
    # worker1 is run for the other config: same folder, so the same coverage_output/.
    suite.nox("-s", "worker1", check=True, env={"COVSPLIT_CONFIG": str(other)})
    result = suite.nox("-s", "aggregate", check=False)
    assert result.returncode != 0
    missing = {m["worker"]: m["reason"] for m in suite.read_json("aggregate.json")["missing"]}
    assert "another config" in missing["worker1"] and str(other) in missing["worker1"]
    # The other config's worker keeps its files: its summary still says whose it is.
    summary = (suite.output / "worker1_summary.md").read_text()
    assert f"| Config | `{other}` |" in summary
    assert f"| Config | `{suite.config}` |" in (suite.output / "worker2_summary.md").read_text()


def test_a_project_requirement_that_changes_coverage_is_a_clear_error(tmp_path: Path, nox_envdir: Path) -> None:
    suite = copy_suite(tmp_path, nox_envdir, FIXTURES / "tiny")
    suite.config.write_text(
        suite.config.read_text().replace('install = ["-e ."]', 'install = ["-e .", "coverage==7.6.0"]')
    )
    result = suite.nox("-s", "worker1", check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "project.install changed the measuring tools: coverage 7.6.0 (covsplit needs coverage==7.17.4)" in output
    # Nothing was measured with the wrong coverage, and the next run installs again.
    assert not (suite.output / ".coverage.worker1").exists()
    assert not (suite.envdir / "worker1" / "covsplit-install.json").exists()
