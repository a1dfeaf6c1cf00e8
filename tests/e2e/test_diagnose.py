"""A failure only the split causes is found and fixed by covsplit: `make diagnose`, then `make diagnose ARGS=--apply`.

The splitdeps fixture is cut on purpose: tests/test_b.py uses `pkg.sub`, which only tests/test_a.py imports
(docutils' test_publisher.py and its writer module), and it runs in another worker; TestCached needs
TestEnable to have switched a cache on (pyparsing's packrat classes), and the schedule file gives it to a
third worker; tests/test_genuine.py has a test that fails in any order.  The first `make coverage-all`
fails and diagnoses by itself (the suite is far below the default budget); `make diagnose` names the test
each split-caused failure needs and says the genuine one fails serially too; `--apply` keeps them together
and plans again; the next run passes them, runs the serial collection exactly once, and its combined
coverage equals a serial run file by file.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from e2e_support import FIXTURES, Suite, copy_suite, independent_run, line_facts, make, serial_collection, started_tests

pytestmark = pytest.mark.e2e

WORKERS = ("worker1", "worker2", "worker3")
USES_SUB = "tests/test_b.py::test_uses_sub"
CACHED = "tests/test_cache.py::TestCached::test_cached"
BROKEN = "tests/test_genuine.py::test_genuinely_broken"


def outcomes(suite: Suite) -> dict[str, str]:
    """Every test the workers' latest runs finished, with its outcome, from their progress records."""
    found: dict[str, str] = {}
    for name in WORKERS:
        for line in (suite.output / f"{name}_progress.jsonl").read_text().splitlines():
            record = json.loads(line)
            if "outcome" in record and found.get(record["nodeid"]) != "failed":
                found[record["nodeid"]] = "failed" if record["outcome"] in ("failed", "error") else record["outcome"]
    counts = started_tests(suite, WORKERS)
    assert [node for node, n in counts.items() if n > 1] == []
    assert sorted(counts) == sorted(found)
    return found


def test_split_caused_failures_are_diagnosed_and_fixed(
    tmp_path_factory: pytest.TempPathFactory, nox_envdir: Path
) -> None:
    base = tmp_path_factory.mktemp("splitdeps")
    suite = copy_suite(base, nox_envdir, FIXTURES / "splitdeps")
    (base / "workers.schedule.json").write_text((FIXTURES / "splitdeps" / "workers.schedule.json").read_text())

    make(suite, "coverage-all", ok=False)
    first = outcomes(suite)
    assert {node for node, outcome in first.items() if outcome == "failed"} == {USES_SUB, CACHED, BROKEN}
    # Diagnosed by itself within the default budget, keyed by the runs it diagnosed.
    diagnosis = suite.read_json("diagnosis.json")
    statuses = {name: suite.read_json(f"{name}_status.json") for name in WORKERS}
    assert diagnosis["runs"] == {name: statuses[name]["started_at"] for name in ("worker2", "worker3")}

    shown = make(suite, "diagnose").stdout
    assert "already diagnoses these runs" in shown
    by_test = {f["test"]: f for f in suite.read_json("diagnosis.json")["findings"]}
    assert by_test[BROKEN]["verdict"] == "serial"
    assert by_test[USES_SUB]["verdict"] == "split"
    assert [n.split("::")[0] for n in by_test[USES_SUB]["needs"]] == ["tests/test_a.py"]
    assert by_test[USES_SUB]["group"] == ["tests/test_a.py", "tests/test_b.py"]
    assert by_test[CACHED]["needs"] == ["tests/test_cache.py::TestEnable::test_enable"]
    assert by_test[CACHED]["group"] == ["tests/test_cache.py::TestEnable", "tests/test_cache.py::TestCached"]
    report = (suite.output / "report.md").read_text()
    assert f"`{USES_SUB}`: caused by the split: passes after `tests/test_a.py::" in report
    assert f"`{BROKEN}`: fails in a serial run too" in report
    assert "ARGS=--apply` adds the fixes to `project.keep_together`" in report

    make(suite, "diagnose", "ARGS=--apply")
    kept = tomllib.loads(suite.config.read_text())["project"]["keep_together"]
    assert kept == [by_test[USES_SUB]["group"], by_test[CACHED]["group"]]

    make(suite, "coverage-all", ok=False)
    second = outcomes(suite)
    assert {node for node, outcome in second.items() if outcome == "failed"} == {BROKEN}
    assert sorted(second) == sorted(serial_collection(suite))
    serial = independent_run(suite.venv_python("worker1"), suite.root, ["tests"], ["pkg"], base / "serial")
    assert serial.outcomes["failed"] == 1 and serial.outcomes["tests"] == len(second)
    combined = suite.read_json("combined_coverage.json")
    assert sorted(combined["files"]) == sorted(serial.coverage["files"])
    for name in serial.coverage["files"]:
        assert line_facts(combined, name) == line_facts(serial.coverage, name), name
    # The new run's diagnosis covers the genuine failure alone; the old findings are not shown for it.
    findings = suite.read_json("diagnosis.json")["findings"]
    assert [(f["test"], f["verdict"]) for f in findings] == [(BROKEN, "serial")]
    assert "caused by the split" not in (suite.output / "report.md").read_text()
