"""Round trip on a copy of the example: plan, run, plan by duration, run again.

Wall-clock time is noisy, so the makespan is compared on the durations
pytest recorded in the first run: re-planning by duration must not make the
split's slowest worker slower on those same durations, and lands within 5%
of the ideal.  Whatever the split, the combined coverage must not change.
"""

from __future__ import annotations

import shutil
import tomllib
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import pytest
from e2e_support import REPO, Suite

pytestmark = pytest.mark.e2e


def recorded_seconds(output: Path) -> dict[str, float]:
    """Seconds per test file, straight from the JUnit files pytest wrote (xunit1 has `file`)."""
    seconds: dict[str, float] = defaultdict(float)
    for junit in output.glob("*_junit.xml"):
        for case in ET.parse(junit).getroot().iter("testcase"):
            seconds[case.get("file", "")] += float(case.get("time", 0))
    return dict(seconds)


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


def makespan(split: list[list[str]], seconds: dict[str, float]) -> float:
    return max(sum(seconds.get(test, 0.0) for test in tests) for tests in split)


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
    seconds = recorded_seconds(suite.output)
    by_statements = makespan(worker_tests(suite.config, suite.root), seconds)

    suite.nox("-s", "plan", "--", "--by", "duration", check=True)
    by_duration = makespan(worker_tests(suite.config, suite.root), seconds)
    ideal = max(sum(seconds.values()) / 4, max(seconds.values()))
    assert by_duration <= by_statements + 1e-9
    assert by_duration <= ideal * 1.05

    # Every test file runs in exactly one worker after re-planning.
    split = worker_tests(suite.config, suite.root)
    flat = [test for tests in split for test in tests]
    assert len(flat) == len(set(flat)) == len(seconds)

    run_all(suite)
    second = suite.read_json("combined_coverage.json")["totals"]
    for key in ("num_statements", "covered_lines", "num_branches", "covered_branches"):
        assert second[key] == first[key], key
