"""A suite whose test environment shuffles its tests (pytest-randomly) runs with one seed, said and repeatable.

The fixture's requirements install pytest-randomly; its tests' coverage depends on their order (a branch
taken only once another file's test ran first, in the same worker) and on random inputs.  `make
coverage-all SEED=1234` runs every worker with that seed, records it in each status, names it in the
verdict and the report; a second run with the same seed (FULL=1) gives the same combined coverage, line
by line and branch by branch; the tests run are a serial collection.  A fresh seed per run leaves the
data reusable; an explicit other SEED reruns the workers.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from e2e_support import FIXTURES, REPO, Suite, copy_suite, line_facts, make, serial_collection, started_tests

pytestmark = pytest.mark.e2e

WORKERS = ("worker1", "worker2")


def pending(suite: Suite, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("COVSPLIT_")}
    return subprocess.run(
        ["python3", "-m", "covsplit", "pending"],
        env={**base, "PYTHONPATH": str(REPO / "scripts"), "COVSPLIT_CONFIG": str(suite.config), **env},
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def facts(suite: Suite) -> dict[str, tuple]:
    combined = suite.read_json("combined_coverage.json")
    return {name: line_facts(combined, name) for name in combined["files"]}


def test_one_seed_for_every_worker_said_and_repeated(tmp_path_factory: pytest.TempPathFactory) -> None:
    suite = copy_suite(tmp_path_factory.mktemp("shuffled"), tmp_path_factory.mktemp("envs"), FIXTURES / "shuffled")
    first = make(suite, "coverage-all", "SEED=1234")
    for name in WORKERS:
        record = json.loads((suite.output / f"{name}_status.json").read_text())
        assert (record["state"], record["seed"], record["shuffled_by"]) == ("passed", 1234, ["pytest-randomly"])
        assert "--covsplit-seed=1234" in record["command"]
    assert "seed 1234" in first.stdout and "SEED=1234" in first.stdout
    report = (suite.output / "report.md").read_text()
    assert "seed 1234" in report and "SEED=1234" in report and "varies between runs by design" in report
    assert "seed 1234" in (suite.output / "report.html").read_text()
    counts = started_tests(suite, WORKERS)
    assert sorted(counts) == sorted(serial_collection(suite, "-p", "no:randomly"))
    assert max(counts.values()) == 1
    before = facts(suite)
    assert set(before) == {"pkg/__init__.py", "pkg/dice.py", "pkg/state.py"}

    # A fresh seed per run reuses the data; an explicit other seed runs the workers again.
    assert pending(suite).stdout.strip() == ""
    other = pending(suite, COVSPLIT_SEED="99")
    assert other.stdout.split() == list(WORKERS)
    assert "it ran with seed 1234, not SEED=99" in other.stderr
    assert pending(suite, COVSPLIT_SEED="twelve").returncode == 2

    make(suite, "coverage-all", "SEED=1234", "FULL=1")
    assert [json.loads((suite.output / f"{n}_status.json").read_text())["seed"] for n in WORKERS] == [1234, 1234]
    assert facts(suite) == before

    # One test file edited, no SEED: the worker runs that file again with the seed its kept data ran with (a
    # fresh one would give the dice other faces), and the combined coverage is the full run's with that seed.
    dice = suite.root / "tests" / "test_dice.py"
    dice.write_text(dice.read_text() + "# edited\n")
    edited = make(suite, "coverage-all")
    assert "worker2: running 1 of 1 test files (tests/test_dice.py changed)" in edited.stderr
    record = json.loads((suite.output / "worker2_status.json").read_text())
    assert (record["seed"], record["rerun"]["ran"]) == (1234, ["tests/test_dice.py"])
    assert "--covsplit-seed=1234" in record["command"]
    assert facts(suite) == before
