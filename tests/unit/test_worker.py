"""The worker driver's pure parts: the command, its environment, the final state, the isolation rule."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from covsplit import commands, config, progress, status
from covsplit.junit import TestResult
from covsplit.pytest_isolation import reports_after_reset
from covsplit.worker_process import PytestRun
from covsplit.worker_state import final_state, verdict


@pytest.fixture
def cfg(tmp_path: Path) -> config.Config:
    for package in ("alpha", "beta"):
        (tmp_path / "proj" / package).mkdir(parents=True)
        (tmp_path / "proj" / package / "__init__.py").write_text("")
    (tmp_path / "proj" / "tests").mkdir()
    path = tmp_path / "workers.toml"
    path.write_text(
        '[project]\nroot = "proj"\nsource = ["alpha", "beta"]\npytest_args = ["-x"]\n'
        '[project.env]\nHF_HUB_OFFLINE = "1"\nPYTHONPATH = "/extra"\n'
        '[workers.worker1]\nmodules = ["alpha"]\n'
    )
    return config.load(path)


def test_command_measures_every_source_package_and_resets_the_targets_options(cfg: config.Config) -> None:
    command = commands.pytest_command(cfg, cfg.workers[0], Path("/out/j.xml"), Path("/out/d.json"), python="py")
    assert command[:4] == ["py", "-m", "pytest", "tests"]
    assert [arg for arg in command if arg.startswith("--cov=")] == ["--cov=alpha", "--cov=beta"]
    # The reset comes before our own options, and the project's extra arguments come last.
    assert command.index("--cov-reset") < command.index("--cov=alpha")
    assert command[-1] == "-x"
    assert "covsplit.pytest_isolation" in command and "--junitxml=/out/j.xml" in command
    assert "covsplit.pytest_durations" in command and "--covsplit-durations=/out/d.json" in command
    # Progress reads as tests done out of collected.
    assert command[command.index("console_output_style=count") - 1] == "-o"
    # Per-test contexts double the cost of measuring; nothing in a run needs them.
    assert not any(arg.startswith("--cov-context") for arg in command)


def test_environment_gives_each_worker_its_data_file(cfg: config.Config) -> None:
    env = commands.pytest_environment(
        cfg, Path("/out/.coverage.worker1"), base={"PATH": "/bin", "COVERAGE_FILE": "x", "PYTHONPATH": "/nox"}
    )
    assert env["COVERAGE_FILE"] == "/out/.coverage.worker1"
    assert env["HF_HUB_OFFLINE"] == "1" and env["PATH"] == "/bin"
    assert env["PYTHONPATH"].split(":") == [str(commands.SCRIPTS_DIR), "/extra"]


def test_command_line_reproduces_the_run(cfg: config.Config) -> None:
    line = commands.command_line(cfg, ["py", "-m", "pytest", "a b"], Path("/o/.c"))
    assert line.startswith(f"cd {cfg.root} && ")
    assert line.endswith("py -m pytest 'a b'")
    # The same environment the run gets: the project's variables, its data file, the plugin path first.
    for assignment in ("HF_HUB_OFFLINE=1", "COVERAGE_FILE=/o/.c", f"PYTHONPATH={commands.SCRIPTS_DIR}:/extra"):
        assert f" {assignment} " in line


def run_with(exit_status: int | None, **flags: bool) -> PytestRun:
    run = PytestRun()
    run.exit_status = exit_status
    for name, value in flags.items():
        setattr(run, name, value)
    return run


OK = {"tests": 2, "passed": 2, "failed": 0, "errors": 0, "skipped": 0}
FAILED = {**OK, "passed": 1, "failed": 1}


@pytest.mark.parametrize(
    ("run", "outcomes", "state", "words"),
    [
        (run_with(0), OK, status.PASSED, ""),
        (run_with(1), FAILED, status.FAILED, ""),
        (run_with(1), {**OK, "errors": 1}, status.FAILED, ""),
        (run_with(2, timed_out=True), OK, status.TIMEOUT, "timeout"),
        (run_with(2, interrupted=True), OK, status.CRASHED, "interrupted"),
        (run_with(-9), None, status.CRASHED, "SIGKILL"),
        (run_with(3), OK, status.CRASHED, "internal error"),
        (run_with(4), None, status.CRASHED, "usage error"),
        (run_with(5), {**OK, "tests": 0, "passed": 0}, status.FAILED, "no tests"),
        (run_with(0), None, status.CRASHED, "no JUnit"),
    ],
)
def test_final_state(run: PytestRun, outcomes: dict | None, state: str, words: str) -> None:
    got_state, message = final_state(run, outcomes, progress.Progress(), from_junit=outcomes is not None)
    assert got_state == state
    assert words in message
    assert bool(message) == bool(words)


RUNNING = progress.Progress(results=[], running="tests/test_x.py::test_dies")


@pytest.mark.parametrize(
    ("run", "words"),
    [
        (run_with(-11), "killed by SIGSEGV (Segmentation fault) while running tests/test_x.py::test_dies"),
        (run_with(3), "exited with status 3 while running tests/test_x.py::test_dies"),
        (run_with(2, interrupted=True), "interrupted (SIGTERM/SIGINT) while running tests/test_x.py::test_dies"),
        (run_with(2, timed_out=True), "timeout while running tests/test_x.py::test_dies"),
    ],
)
def test_a_death_mid_test_names_the_test(run: PytestRun, words: str) -> None:
    _state, message = final_state(run, None, RUNNING, from_junit=False)
    assert words in message


def test_the_verdict_falls_back_to_the_progress_record_and_names_what_is_missing(cfg: config.Config) -> None:
    worker = dataclasses.replace(cfg.workers[0], test_timeout=5.0)
    passed = TestResult("tests/test_x.py::test_ok", "tests/test_x.py", "passed", 0.1, "call", "", "", "")
    timed_out = TestResult(
        "tests/test_x.py::test_slow", "tests/test_x.py", "failed", 9.0, "call",
        "Failed: Timeout (>5.0s) from pytest-timeout.", "Failed", "",
    )  # fmt: skip
    # pytest died before its JUnit file: the tests that finished come from the record it kept as it went.
    died = verdict(run_with(-9), worker, [], "no JUnit XML file", progress.Progress(results=[passed]))
    assert died.state == status.CRASHED and died.results == [passed]
    assert died.outcomes is not None and died.outcomes["passed"] == 1
    # No record either: nothing to count, and the JUnit problem is the message when nothing else is.
    empty = verdict(run_with(1), worker, [], "no JUnit XML file", progress.Progress())
    assert (empty.outcomes, empty.message) == (None, "pytest exited with status 1 and wrote no JUnit results")
    # A test over its time limit is named beside the state.
    slow = verdict(run_with(1), worker, [passed, timed_out], "", progress.Progress())
    assert slow.state == status.FAILED
    assert slow.message == "timed out after test_timeout = 5 s: tests/test_x.py::test_slow"


def test_the_progress_record_gives_outcomes_and_the_running_test(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "tests").mkdir(parents=True)
    test_file = str(root / "tests" / "test_x.py")
    lines = [
        {"event": "start", "nodeid": "tests/test_x.py::test_ok", "file": test_file},
        {"event": "report", "nodeid": "tests/test_x.py::test_ok", "file": test_file, "when": "call",
         "outcome": "passed", "duration": 0.5, "message": ""},
        {"event": "end", "nodeid": "tests/test_x.py::test_ok", "file": test_file},
        {"event": "start", "nodeid": "tests/test_x.py::test_bad", "file": test_file},
        {"event": "report", "nodeid": "tests/test_x.py::test_bad", "file": test_file, "when": "setup",
         "outcome": "failed", "duration": 0.1, "message": "RuntimeError: no fixture"},
        {"event": "end", "nodeid": "tests/test_x.py::test_bad", "file": test_file},
        {"event": "start", "nodeid": "tests/test_x.py::test_dies", "file": test_file},
    ]  # fmt: skip
    path = tmp_path / "progress.jsonl"
    # The last line was cut short by the process dying mid-write.
    path.write_text("".join(json.dumps(line) + "\n" for line in lines) + '{"event": "rep')
    record = progress.read(path, root)
    assert record.running == "tests/test_x.py::test_dies"
    assert [(r.nodeid, r.outcome, r.phase) for r in record.results] == [
        ("tests/test_x.py::test_ok", "passed", "call"),
        ("tests/test_x.py::test_bad", "error", "setup"),
    ]
    assert record.finished == 2
    assert progress.read(tmp_path / "missing.jsonl", root) == progress.Progress()


def test_isolation_keeps_only_reports_after_the_last_reset() -> None:
    target_addopts = ["-v", "--cov=alpha", "--cov-report=html:htmlcov", "--cov-report", "xml"]
    ours = ["--cov-reset", "--cov=beta", "--cov-report=term-missing:skip-covered"]
    assert reports_after_reset([*target_addopts, *ours]) == {"term-missing": "skip-covered"}
    assert reports_after_reset([*target_addopts, "--cov-reset", "--cov-report="]) == {"": None}
    assert reports_after_reset(target_addopts) is None
