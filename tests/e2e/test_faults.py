"""Bad days for a worker: each fault ends in a clear status that names the test, and loses nothing else.

One fixture project (tests/fixtures/projects/faults) has a worker per fault.
Most run together in one nox run (as `make coverage-all` would run them);
the ones that need a signal from outside run on their own.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from e2e_support import FIXTURES, REPO, Suite, copy_suite

from covsplit import status

pytestmark = pytest.mark.e2e

TOGETHER = ("healthy", "exits", "segfaults", "hangs", "memory", "conftest", "empty")


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory, nox_envdir: Path) -> Suite:
    suite = copy_suite(tmp_path_factory.mktemp("faults"), nox_envdir, FIXTURES / "faults")
    suite.nox("-s", *TOGETHER, check=False)
    suite.nox("-s", "aggregate", check=False)
    return suite


def record(suite: Suite, name: str) -> dict:
    return suite.read_json(f"{name}_status.json")


def test_a_test_that_exits_the_process_is_named_and_what_ran_before_is_kept(faults: Suite) -> None:
    exits = record(faults, "exits")
    assert exits["state"] == status.CRASHED
    assert "exited with status 3 while running tests/test_exit.py::test_exits_the_process" in exits["message"]
    # The test that finished before the exit keeps its outcome, and its coverage.
    assert exits["outcomes"]["passed"] == 1 and exits["outcomes"]["tests"] == 1
    assert "coverage measured up to the last save before it is kept" in exits["message"]
    words = faults.read_json("exits_coverage.json")["files"]["faulty/words.py"]["executed_lines"]
    assert 2 in words  # shout's body ran under test_words, before the exit
    assert "test_exits_the_process" in (faults.output / "exits_summary.md").read_text()


def test_a_segfault_names_the_signal_and_the_test(faults: Suite) -> None:
    segfaults = record(faults, "segfaults")
    assert segfaults["state"] == status.CRASHED
    assert "SIGSEGV" in segfaults["message"]
    assert "while running tests/test_segfault.py::test_segfaults" in segfaults["message"]


def test_a_hanging_test_fails_alone_under_test_timeout(faults: Suite) -> None:
    hangs = record(faults, "hangs")
    # The rest of the file ran: the hang cost 2 s, not the worker's whole timeout.
    assert hangs["outcomes"] == {"tests": 3, "passed": 2, "failed": 1, "errors": 0, "skipped": 0}
    assert "timed out after test_timeout = 2 s: tests/test_hangs.py::test_hangs" in hangs["message"]


def test_a_test_asking_for_too_much_memory_fails_alone_under_memory_limit(faults: Suite) -> None:
    memory = record(faults, "memory")
    assert memory["state"] == status.FAILED
    assert memory["outcomes"]["passed"] == 1 and memory["outcomes"]["failed"] == 1
    assert (
        "ran out of memory under memory_limit = 1024 MiB: tests/test_memory.py::test_asks_for_24_gb"
        in (memory["message"])
    )


def test_a_conftest_that_fails_to_import_is_named(faults: Suite) -> None:
    conftest = record(faults, "conftest")
    assert conftest["state"] == status.CRASHED
    assert "tests/broken/conftest.py" in conftest["message"]
    assert "No module named 'module_that_does_not_exist'" in conftest["message"]


def test_a_worker_that_collects_nothing_says_so(faults: Suite) -> None:
    empty = record(faults, "empty")
    assert empty["state"] == status.FAILED and "collected no tests" in empty["message"]


def test_the_healthy_worker_is_intact_and_the_aggregate_names_the_rest(faults: Suite) -> None:
    assert record(faults, "healthy")["state"] == status.PASSED
    shapes = faults.read_json("combined_coverage.json")["files"]["faulty/shapes.py"]
    assert shapes["summary"]["missing_lines"] == 1  # only the negative-side raise is unrun
    aggregate = faults.read_json("aggregate.json")
    assert aggregate["complete"] is False
    missing = {entry["worker"] for entry in aggregate["missing"]}
    assert {"exits", "segfaults", "conftest", "killed"} <= missing and "healthy" not in missing
    # No half-written file anywhere.
    leftovers = [p.name for p in faults.output.iterdir() if p.name.endswith((".partial", ".tmp"))]
    assert not leftovers


def _wait_for(path: Path, seconds: float = 180) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return path.read_text()
        time.sleep(0.1)
    raise AssertionError(f"{path} never appeared")


def _start(suite: Suite, pid_file: Path, ignoring_sigint: bool = False) -> subprocess.Popen[bytes]:
    env = {**os.environ, "COVSPLIT_CONFIG": str(suite.config), "FAULTS_PID_FILE": str(pid_file)}
    env.pop("COVERAGE_FILE", None)
    return subprocess.Popen(
        [sys.executable, "-m", "nox", "-f", str(REPO / "noxfile.py"), "--envdir", str(suite.envdir), "-s", "killed"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        # A background job of a shell without job control (`make test &`, nohup) starts with SIGINT ignored.
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignoring_sigint else None,
    )


def _gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] == "Z"


def test_sigkill_from_outside_names_the_test_that_was_running(tmp_path: Path, nox_envdir: Path) -> None:
    suite = copy_suite(tmp_path, nox_envdir, FIXTURES / "faults")
    pid_file = tmp_path / "pytest.pid"
    process = _start(suite, pid_file)
    pytest_pid = int(_wait_for(pid_file))
    os.kill(pytest_pid, signal.SIGKILL)  # the OOM killer, or a person
    process.wait(timeout=120)
    killed = record(suite, "killed")
    assert killed["state"] == status.CRASHED
    assert "SIGKILL" in killed["message"]
    assert "while running tests/test_killed.py::test_waits_to_be_killed" in killed["message"]


@pytest.mark.parametrize(
    ("sig", "ignoring_sigint"),
    [(signal.SIGINT, False), (signal.SIGTERM, False), (signal.SIGTERM, True)],
    ids=["ctrl-c", "sigterm", "sigterm-in-a-background-job"],
)
def test_stopping_the_run_leaves_a_status_and_no_orphan(
    tmp_path: Path, nox_envdir: Path, sig: int, ignoring_sigint: bool
) -> None:
    suite = copy_suite(tmp_path, nox_envdir, FIXTURES / "faults")
    pid_file = tmp_path / "pytest.pid"
    process = _start(suite, pid_file, ignoring_sigint)
    pytest_pid = int(_wait_for(pid_file))
    # Ctrl-C reaches the whole foreground group; CI cancelling a job sends SIGTERM the same way.
    os.killpg(process.pid, sig)
    process.wait(timeout=60)
    deadline = time.monotonic() + 15
    while not _gone(pytest_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(pytest_pid), "pytest outlived the run that started it"
    killed = record(suite, "killed")
    assert killed["state"] == status.CRASHED
    assert "interrupted" in killed["message"]
    assert "while running tests/test_killed.py::test_waits_to_be_killed" in killed["message"]
    assert not [p.name for p in suite.output.iterdir() if p.name.endswith((".partial", ".tmp"))]
    # The next run starts clean: the lock was released, the stale status replaced.
    assert json.loads((suite.output / "killed_status.json").read_text())["state"] != status.RUNNING
