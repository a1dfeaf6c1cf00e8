"""A test file heavier than a worker's share runs in pieces across workers, and every test runs exactly once.

One copy of a three-worker project whose tests/test_heavy.py holds most of the seconds: planned before
any run, its tests are dealt to every worker; that first run measures each test, `make plan ARGS="--by
duration"` shares the file between workers through the schedule file, a module edit re-runs only the
shared file's tests that ran it, and then the file changes (a test added to a class another worker runs,
a new test function, a test removed).  Whatever the schedule, the
tests the workers ran together are exactly one serial collection, none twice, and the combined coverage
equals a serial run file by file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from e2e_support import (
    FIXTURES,
    Suite,
    copy_suite,
    independent_run,
    line_facts,
    make,
    results_by_test,
    serial_collection,
    started_tests,
)

pytestmark = pytest.mark.e2e

WORKERS = ("worker1", "worker2", "worker3")
HEAVY = "tests/test_heavy.py"


def assert_each_test_once_and_exact(suite: Suite, tmp_path: Path) -> None:
    counts = results_by_test(suite, WORKERS)
    assert sorted(counts) == sorted(serial_collection(suite))
    assert [node for node, n in counts.items() if n > 1] == []
    serial = independent_run(suite.venv_python("worker1"), suite.root, ["tests"], ["pkg"], tmp_path / "serial")
    combined = suite.read_json("combined_coverage.json")
    for name in serial.coverage["files"]:
        assert line_facts(combined, name) == line_facts(serial.coverage, name), name


def test_a_slow_file_is_shared_and_each_test_runs_once(tmp_path_factory: pytest.TempPathFactory) -> None:
    suite = copy_suite(tmp_path_factory.mktemp("heavy"), tmp_path_factory.mktemp("envs"), FIXTURES / "heavyfile")
    # Planned before any run: every worker lists the suite, whose tests are dealt round-robin.
    make(suite, "plan", "ARGS=--workers 3")
    schedule = json.loads((suite.config.parent / "workers.schedule.json").read_text())
    assert schedule["files"] == {"tests": {"dealt": list(WORKERS)}}
    make(suite, "coverage-all")
    assert_each_test_once_and_exact(suite, tmp_path_factory.mktemp("first"))
    # The slow file's tests ran in every worker, not in one.
    assert {name for name in WORKERS if HEAVY in (suite.output / f"{name}_progress.jsonl").read_text()} == set(WORKERS)

    planned = make(suite, "plan", "ARGS=--by duration")
    assert f"{HEAVY} (" in planned.stdout and "workers share it" in planned.stdout
    schedule = json.loads((suite.config.parent / "workers.schedule.json").read_text())
    entry = schedule["files"][HEAVY]
    sharing_workers = {entry["owner"], *entry["parts"]}
    assert len(sharing_workers) >= 2
    make(suite, "coverage-all")
    assert_each_test_once_and_exact(suite, tmp_path_factory.mktemp("shared"))
    # The file's tests are spread: more than one worker ran some of them.
    runners = {name for name in WORKERS if HEAVY in (suite.output / f"{name}_progress.jsonl").read_text()}
    assert runners == sharing_workers

    # A shared file is measured one test at a time: an edit of classify() re-runs the three tests that ran it,
    # not each sharing worker's whole piece, and every worker's results stay a full run's.
    core = suite.root / "pkg/core.py"
    edited = core.read_text().replace('        return "zero"\n', '        label = "zero"\n        return label\n')
    core.write_text(edited)
    before = {name: suite.read_json(f"{name}_status.json")["started_at"] for name in WORKERS}
    make(suite, "coverage-all")
    ran = [name for name in WORKERS if suite.read_json(f"{name}_status.json")["started_at"] != before[name]]
    classify_tests = {f"{HEAVY}::TestClassify::test_{name}" for name in ("negative", "zero", "positive")}
    assert started_tests(suite, ran) == dict.fromkeys(classify_tests, 1)
    assert_each_test_once_and_exact(suite, tmp_path_factory.mktemp("edited"))

    # The file changes after the schedule was made: a test added to a class a piece names, a new
    # function (no piece names it: the owner runs it), and a test removed.
    heavy = suite.root / HEAVY
    text = heavy.read_text()
    text = text.replace('    def test_zero(self):\n        work(1)\n        assert classify(0) == "zero"\n\n', "")
    text = text.replace(
        "class TestClassify:\n",
        'class TestClassify:\n    def test_large(self):\n        assert classify(10**6) == "positive"\n\n',
    )
    heavy.write_text(text + "\n\ndef test_added_later():\n    assert work(2, pause=0) == 1\n")
    make(suite, "coverage-all")
    counts = started_tests(suite, WORKERS)
    assert counts[f"{HEAVY}::test_added_later"] == 1
    assert counts[f"{HEAVY}::TestClassify::test_large"] == 1
    assert f"{HEAVY}::TestClassify::test_zero" not in counts
    assert_each_test_once_and_exact(suite, tmp_path_factory.mktemp("changed"))
