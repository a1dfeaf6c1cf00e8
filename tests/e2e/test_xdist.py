"""pytest-xdist inside a worker: the combined coverage equals a run without it, file by file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from e2e_support import REPO, Suite, independent_run, line_facts

pytestmark = pytest.mark.e2e


def test_combined_coverage_with_xdist_equals_one_serial_run(tmp_path: Path, nox_envdir: Path) -> None:
    shutil.copytree(REPO / "example", tmp_path / "example", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    text = (REPO / "workers.toml").read_text().replace("timeout = 900", 'timeout = 900\nxdist = "auto"')
    (tmp_path / "workers.toml").write_text(text)
    suite = Suite(config=tmp_path / "workers.toml", envdir=nox_envdir)
    # One worker at a time: each may use every CPU of the machine.
    env = {"COVSPLIT_DEFER_REPORTS": "1", "COVSPLIT_JOBS": "1"}
    suite.nox("-s", "worker3", "worker5", check=True, env=env)
    suite.nox("-s", "worker1", "worker2", "worker4", "aggregate", check=True, env=env)

    status = suite.read_json("worker5_status.json")
    assert status["processes"] > 1 and "-n" in status["command"]
    serial = independent_run(
        suite.venv_python("worker1"),
        suite.root,
        ["tests"],
        ["conversion", "evaluation", "training", "models"],
        tmp_path / "serial",
    )
    combined = suite.read_json("combined_coverage.json")
    for file in serial.coverage["files"]:
        assert line_facts(combined, file) == line_facts(serial.coverage, file), file
    passed = sum(suite.read_json(f"worker{n}_status.json")["outcomes"]["passed"] for n in range(1, 6))
    assert passed == serial.outcomes["passed"]
    # Every xdist process's tests are in the worker's durations, not only the last process's to finish.
    measured = suite.read_json("worker5_durations.json")
    timed = sum(len(nodes) for nodes in measured["tests"].values())
    assert timed == status["outcomes"]["passed"] + status["outcomes"]["skipped"] > 0
