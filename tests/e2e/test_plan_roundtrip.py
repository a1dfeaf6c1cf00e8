"""Round trip on a copy of the example: plan, run, plan by duration, run again.

Wall-clock time is noisy, so the makespan is judged on the seconds the
first run measured (each test's seconds, each file's collection and the
fixed cost of a worker, from the workers' durations files): the first plan
deals the tests; re-planned by duration, the slowest worker lands within
10% of the ideal on those seconds, and ownership stays as it was.
Whatever the split, the combined coverage must not change.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from e2e_support import REPO, Suite

from covsplit import run_once, schedule_file

pytestmark = pytest.mark.e2e


@dataclass
class Recorded:
    """What the workers' durations files measured: each test's seconds, each file's collection, the fixed cost."""

    tests: dict[str, dict[str, float]]
    collect: dict[str, float]
    fixed: float

    def file(self, name: str) -> float:
        return self.collect.get(name, 0.0) + sum(self.tests.get(name, {}).values())


def recorded(output: Path) -> Recorded:
    tests: dict[str, dict[str, float]] = {}
    collect: dict[str, float] = {}
    fixed = []
    for path in output.glob("*_durations.json"):
        record = json.loads(path.read_text())
        for file, nodes in record["tests"].items():
            tests.setdefault(file, {}).update(nodes)
        for file, seconds in record["collect"].items():
            collect[file] = max(collect.get(file, 0.0), seconds)
        fixed.append(record["fixed_s"])
    return Recorded(tests, collect, sum(fixed) / len(fixed))


def worker_tests(config: Path, root: Path) -> dict[str, list[str]]:
    """Each worker's test files, folders expanded."""
    workers = tomllib.loads(config.read_text())["workers"]
    result = {}
    for name, table in workers.items():
        files: list[str] = []
        for entry in table.get("tests", ["tests"]):
            path = root / entry
            found = sorted(path.rglob("test_*.py")) if path.is_dir() else [path]
            files += [p.relative_to(root).as_posix() for p in found]
        result[name] = files
    return result


def makespan(config: Path, root: Path, seconds: Recorded) -> float:
    """The heaviest worker on the recorded seconds: its files, and its pieces of the files the schedule shares."""
    schedule = config.with_name("workers.schedule.json")
    shared = schedule_file.read(schedule)
    loads = []
    for worker, files in worker_tests(config, root).items():
        load = seconds.fixed
        for file in files:
            entry = shared.get(file)
            if entry is None:
                load += seconds.file(file)
            else:
                mine = [s for node, s in seconds.tests[file].items() if run_once.runs_here(node, entry, worker)]
                load += seconds.collect.get(file, 0.0) + sum(mine)
        loads.append(load)
    return max(loads)


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
    seconds = recorded(suite.output)
    owners = ownership(suite.config)

    suite.nox("-s", "plan", "--", "--by", "duration", check=True)
    # No dealt path is left: every test file runs whole in one worker, or in pieces the schedule names.
    entries = schedule_file.read(suite.config.with_name("workers.schedule.json")).values()
    assert not any(isinstance(entry, schedule_file.DealtPath) for entry in entries)
    total = sum(seconds.file(name) for name in seconds.tests)
    longest = max(s for nodes in seconds.tests.values() for s in nodes.values())
    ideal = seconds.fixed + max(total / 4, longest)
    assert makespan(suite.config, suite.root, seconds) <= ideal * 1.10
    assert ownership(suite.config) == owners  # scheduling moved tests, not modules

    # Every test file runs in exactly one worker after re-planning, unless the schedule shares it.
    shared = set(schedule_file.read(suite.config.with_name("workers.schedule.json")))
    flat = [test for tests in worker_tests(suite.config, suite.root).values() for test in tests if test not in shared]
    assert len(flat) == len(set(flat)) == len(seconds.tests) - len(shared)

    run_all(suite)
    second = suite.read_json("combined_coverage.json")["totals"]
    for key in ("num_statements", "covered_lines", "num_branches", "covered_branches"):
        assert second[key] == first[key], key
