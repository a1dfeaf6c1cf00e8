"""Round trip on a copy of the example: plan, run, plan by duration, run again.

Wall-clock time is noisy, so the makespan is compared on the seconds the
first run measured (each test file's collection and tests, and the fixed
cost of a worker, from the workers' durations files): re-planning by
duration must not make the split's slowest worker slower on those same
seconds, lands within 10% of the ideal, and leaves ownership as it was.
Whatever the split, the combined coverage must not change.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest
from e2e_support import REPO, Suite

pytestmark = pytest.mark.e2e


def recorded_seconds(output: Path) -> tuple[dict[str, float], float]:
    """Seconds per test file and the mean fixed cost of a worker, from the workers' durations files."""
    seconds: dict[str, float] = {}
    fixed = []
    for path in output.glob("*_durations.json"):
        record = json.loads(path.read_text())
        seconds.update(record["files"])
        fixed.append(record["fixed_s"])
    return seconds, sum(fixed) / len(fixed)


def worker_tests(config: Path, root: Path) -> list[list[str]]:
    """Each worker's test files, folders expanded."""
    workers = tomllib.loads(config.read_text())["workers"]
    result = []
    for table in workers.values():
        files: list[str] = []
        for entry in table.get("tests", ["tests"]):
            path = root / entry
            found = sorted(path.rglob("test_*.py")) if path.is_dir() else [path]
            files += [p.relative_to(root).as_posix() for p in found]
        result.append(files)
    return result


def makespan(split: list[list[str]], seconds: dict[str, float], fixed: float) -> float:
    return fixed + max(sum(seconds.get(test, 0.0) for test in tests) for tests in split)


def ownership(config: Path) -> list[list[str]]:
    return [table["modules"] for table in tomllib.loads(config.read_text())["workers"].values()]


def run_all(suite: Suite) -> None:
    suite.nox("-t", "workers", check=True)
    suite.nox("-s", "aggregate", check=True)


def test_plan_run_replan_by_duration(tmp_path: Path, nox_envdir: Path) -> None:
    shutil.copytree(REPO / "example", tmp_path / "example", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copy(REPO / "workers.toml", tmp_path / "workers.toml")
    suite = Suite(config=tmp_path / "workers.toml", envdir=nox_envdir)
    original_comments = [line for line in suite.config.read_text().splitlines() if line.startswith("#")]

    suite.nox("-s", "plan", "--", "--workers", "4", check=True)
    assert len(tomllib.loads(suite.config.read_text())["workers"]) == 4
    assert [line for line in suite.config.read_text().splitlines() if line.startswith("#")][:3] == original_comments[:3]
    suite.nox("-s", "check", check=True)

    run_all(suite)
    first = suite.read_json("combined_coverage.json")["totals"]
    seconds, fixed = recorded_seconds(suite.output)
    by_statements = makespan(worker_tests(suite.config, suite.root), seconds, fixed)
    owners = ownership(suite.config)

    suite.nox("-s", "plan", "--", "--by", "duration", check=True)
    by_duration = makespan(worker_tests(suite.config, suite.root), seconds, fixed)
    ideal = fixed + max(sum(seconds.values()) / 4, max(seconds.values()))
    assert by_duration <= by_statements + 1e-9
    assert by_duration <= ideal * 1.10
    assert ownership(suite.config) == owners  # scheduling moved tests, not modules

    # Every test file runs in exactly one worker after re-planning.
    split = worker_tests(suite.config, suite.root)
    flat = [test for tests in split for test in tests]
    assert len(flat) == len(set(flat)) == len(seconds)

    run_all(suite)
    second = suite.read_json("combined_coverage.json")["totals"]
    for key in ("num_statements", "covered_lines", "num_branches", "covered_branches"):
        assert second[key] == first[key], key
