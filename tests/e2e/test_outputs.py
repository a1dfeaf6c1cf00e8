"""Files the tests write are outputs, not inputs: a suite writing under its tests is complete, then reused.

One copy of tests/fixtures/projects/writes, three workers: its tests write tests/output/*.txt, a file
beside the data file they read (tests/data/input.title.txt beside tests/data/input.txt), and two test
files both append to tests/record.txt.  Planned before any run, every worker lists the whole tree, so
every worker's tree holds every other worker's outputs.  The first `make coverage-all` must be complete
(no worker stale on a tree nobody touched), the second must run no worker, and an edit of the data file
must re-run exactly the workers that read it.  The racing pair is named, from the write records, with
the keep_together group that fixes it.  Each run is compared with one serial run: the tests run (node
ids and outcomes) and the coverage file by file (lines and branches).
"""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from e2e_support import FIXTURES, REPO, Suite, copy_suite, independent_run, line_facts, make

pytestmark = pytest.mark.e2e

WORKERS = ("worker1", "worker2", "worker3")
DATA = "tests/data/input.txt"
RACERS = ("tests/test_record_a.py", "tests/test_record_b.py")


def pending(suite: Suite) -> str:
    env = {**os.environ, "COVSPLIT_CONFIG": str(suite.config), "PYTHONPATH": str(REPO / "scripts")}
    done = subprocess.run(
        ["python3", "-m", "covsplit", "pending"], env=env, capture_output=True, text=True, check=True, cwd=REPO
    )
    return done.stdout.strip()


def started(suite: Suite) -> dict[str, str]:
    return {name: suite.read_json(f"{name}_status.json")["started_at"] for name in WORKERS}


def outcomes(junit: Path) -> dict[str, str]:
    """Each test's outcome by node id, from a JUnit file (pytest's own record)."""
    found = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        path = case.get("classname", "").replace(".", "/")
        nodeid = f"{path}.py::{case.get('name')}"
        kinds = {child.tag for child in case} & {"failure", "error", "skipped"}
        found[nodeid] = kinds.pop() if kinds else "passed"
    return found


def assert_equals_a_serial_run(suite: Suite, tmp_path: Path) -> None:
    ran: dict[str, str] = {}
    for name in WORKERS:
        theirs = outcomes(suite.output / f"{name}_junit.xml")
        assert not set(theirs) & set(ran), f"{name} ran a test another worker ran"
        ran.update(theirs)
    serial = independent_run(suite.venv_python("worker1"), suite.root, ["tests"], ["pkg"], tmp_path)
    assert ran == outcomes(tmp_path / "junit.xml")
    assert set(ran.values()) == {"passed"}
    combined = suite.read_json("combined_coverage.json")
    assert sorted(combined["files"]) == sorted(serial.coverage["files"])
    for name in combined["files"]:
        assert line_facts(combined, name) == line_facts(serial.coverage, name), name


def readers_of(suite: Suite, rel: str) -> set[str]:
    """The workers whose recorded inputs hold ``rel``."""
    return {name for name in WORKERS if rel in suite.read_json(f"{name}_inputs.json")["files"]}


def test_files_the_tests_write_are_outputs_and_the_racing_pair_is_named(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    suite = copy_suite(tmp_path_factory.mktemp("writes"), tmp_path_factory.mktemp("envs"), FIXTURES / "writes")
    make(suite, "plan", "ARGS=--workers 3")
    assert json.loads((suite.config.parent / "workers.schedule.json").read_text())["files"] == {
        "tests": {"dealt": list(WORKERS)}
    }
    make(suite, "coverage-all")
    aggregate = suite.read_json("aggregate.json")
    assert aggregate["complete"] is True and aggregate["missing"] == []
    assert {w["name"]: w["stale"] for w in aggregate["workers"]} == {name: [] for name in WORKERS}
    # What the tests wrote is recorded as outputs by the workers whose tests wrote it, and as no worker's input.
    written = {name: suite.read_json(f"{name}_inputs.json")["outputs"] for name in WORKERS}
    every_output = {path for outputs in written.values() for path in outputs}
    assert {"tests/output/plain.txt", "tests/output/upper.txt", "tests/data/input.title.txt"} <= every_output
    assert "tests/record.txt" in every_output
    for name in WORKERS:
        assert not set(suite.read_json(f"{name}_inputs.json")["files"]) & set(written[name])
    # The data file beside the outputs is an input of every worker (dealt, each lists the whole tree).
    assert readers_of(suite, DATA) == set(WORKERS)

    # The two test files appending to one record run in different workers: named, with the fix.
    writers = {name for name in WORKERS if "tests/record.txt" in written[name]}
    assert len(writers) == 2
    assert aggregate["races"] == [{"paths": ["tests/record.txt"], "tests": list(RACERS), "workers": sorted(writers)}]
    group = 'keep_together = [["tests/test_record_a.py", "tests/test_record_b.py"]]'
    report = (suite.output / "report.md").read_text()
    assert "`tests/test_record_a.py` and `tests/test_record_b.py`" in report
    assert f"both write `tests/record.txt`: `{group}`" in report
    assert_equals_a_serial_run(suite, tmp_path_factory.mktemp("serial1"))

    # Nothing changed (the serial run above wrote the outputs again): no worker runs.
    before = started(suite)
    assert pending(suite) == ""
    make(suite, "coverage-all")
    assert started(suite) == before

    # Placed by measured seconds, then the data file edited: the workers that read it run again, only they.
    make(suite, "plan", "ARGS=--by duration")
    make(suite, "coverage-all")
    readers = readers_of(suite, DATA)
    # Read by the tests of test_render.py: their workers, now only some, read it (the audit hook's record).
    rendering = {
        name
        for name in WORKERS
        if any(node.startswith("tests/test_render.py::") for node in outcomes(suite.output / f"{name}_junit.xml"))
    }
    assert readers == rendering and readers != set(WORKERS)
    assert pending(suite) == ""
    before = started(suite)
    data = suite.root / DATA
    data.write_text(data.read_text() + "a fourth line, added by a person\n")
    assert set(pending(suite).split()) == readers
    make(suite, "coverage-all")
    now = started(suite)
    assert {name for name in WORKERS if now[name] != before[name]} == readers
    assert suite.read_json("aggregate.json")["complete"] is True
    assert_equals_a_serial_run(suite, tmp_path_factory.mktemp("serial2"))
