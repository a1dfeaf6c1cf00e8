"""End-to-end on a copy of the bundled example with the default workers.toml.

Every number covsplit writes is checked against an independent run:
plain ``coverage run -m pytest`` of the same tests (no covsplit code, no
pytest-cov), and for the aggregate one serial run of the whole test root.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from e2e_support import REPO, IndependentRun, Suite, independent_run, line_facts

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory, nox_envdir: Path) -> Suite:
    base = tmp_path_factory.mktemp("example")
    shutil.copytree(
        REPO / "example", base / "example", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", ".coverage*")
    )
    shutil.copy(REPO / "workers.toml", base / "workers.toml")
    suite = Suite(config=base / "workers.toml", envdir=nox_envdir)
    names = [f"worker{n}" for n in range(1, 6)]
    # One nox call runs the five workers one after the other, then aggregate and report,
    # as `make coverage-all` does: the aggregate writes every worker's coverage reports.
    suite.nox("-s", *names, "aggregate", "report", check=True, env={"COVSPLIT_DEFER_REPORTS": "1"})
    return suite


@pytest.fixture(scope="module")
def serial(example: Suite, tmp_path_factory: pytest.TempPathFactory) -> IndependentRun:
    """One plain serial run of the whole test root: the reference for every coverage figure."""
    return independent_run(
        example.venv_python("worker1"),
        example.root,
        ["tests"],
        ["conversion", "evaluation", "training", "models"],
        tmp_path_factory.mktemp("serial"),
    )


@pytest.mark.parametrize("name", [f"worker{n}" for n in range(1, 6)])
def test_each_worker_matches_an_independent_run(
    example: Suite, serial: IndependentRun, name: str, tmp_path: Path
) -> None:
    status = example.read_json(f"{name}_status.json")
    assert status["state"] == "passed"
    independent = independent_run(
        example.venv_python(name),
        example.root,
        status["tests"],
        ["conversion", "evaluation", "training", "models"],
        tmp_path / name,
    )
    assert status["outcomes"] == independent.outcomes
    # The worker's figures are its modules under the whole suite: exactly the serial run
    # restricted to the modules it owns (what the spec's `pytest --cov=<modules> tests/` measured).
    worker_json = example.read_json(f"{name}_coverage.json")
    assert sorted(worker_json["files"]) == sorted(status["files"])
    for file in worker_json["files"]:
        if file in serial.coverage["files"]:
            assert line_facts(worker_json, file) == line_facts(serial.coverage, file), file
        else:  # never imported by any test: every statement missed
            assert worker_json["files"][file]["summary"]["covered_lines"] == 0, file
    aggregate = {w["name"]: w["coverage"] for w in example.read_json("aggregate.json")["workers"]}
    assert aggregate[name]["statements"] == worker_json["totals"]["num_statements"]
    assert aggregate[name]["covered_branches"] == worker_json["totals"]["covered_branches"]
    summary = (example.output / f"{name}_summary.md").read_text()
    assert "under the whole suite" in summary
    assert f"| {worker_json['totals']['num_statements']} | {worker_json['totals']['covered_lines']} |" in summary
    for artifact in ("summary.md", "failure_analysis.md", "test_output.txt"):
        assert (example.output / f"{name}_{artifact}").stat().st_size > 0
    assert (example.config.parent / "htmlcov" / name / "index.html").is_file()
    # Measured seconds: every test file it ran, plus a fixed cost, adding up to pytest's wall time.
    durations = example.read_json(f"{name}_durations.json")
    assert set(durations["files"]) >= set(status["test_files"])
    assert sum(durations["files"].values()) + durations["fixed_s"] == pytest.approx(status["duration_s"], abs=0.01)


def test_combined_coverage_equals_one_serial_run(example: Suite, serial: IndependentRun) -> None:
    combined = example.read_json("combined_coverage.json")
    for file in serial.coverage["files"]:
        assert line_facts(combined, file) == line_facts(serial.coverage, file), file
    # The never-imported module is there too, at 0%, with coverage.py's own statement count.
    legacy = combined["files"]["conversion/legacy_cli.py"]["summary"]
    assert legacy["covered_lines"] == 0 and legacy["num_statements"] > 0
    aggregate = example.read_json("aggregate.json")
    assert aggregate["complete"] is True
    assert aggregate["totals"]["statements"] == combined["totals"]["num_statements"]
    assert aggregate["totals"]["covered_lines"] == combined["totals"]["covered_lines"]
    # The five workers' tests together are the whole suite, each test once.
    passed = sum(example.read_json(f"worker{n}_status.json")["outcomes"]["passed"] for n in range(1, 6))
    assert passed == serial.outcomes["passed"]
    assert all(gate["passed"] for gate in aggregate["gates"])


def test_report_numbers_come_from_the_data(example: Suite) -> None:
    report = (example.output / "report.md").read_text()
    combined = example.read_json("combined_coverage.json")
    total = combined["totals"]["num_statements"]
    assert f"**Total Statements**: {total:,}" in report
    for n in range(1, 6):
        assert f"worker{n}" in report
    assert (example.output / "report.html").is_file()


def test_lost_worker_data_makes_aggregate_and_report_partial(example: Suite) -> None:
    data = example.output / ".coverage.worker3"
    kept = data.with_name("kept.worker3")
    data.rename(kept)
    try:
        result = example.nox("-s", "aggregate", check=False)
        example.nox("-s", "report", check=True)
        aggregate = example.read_json("aggregate.json")
        report = (example.output / "report.md").read_text()
        html = (example.output / "report.html").read_text()
    finally:
        kept.rename(data)
        example.nox("-s", "aggregate", "report", check=True)
    assert result.returncode != 0
    assert aggregate["complete"] is False
    assert [m["worker"] for m in aggregate["missing"]] == ["worker3"]
    assert "PARTIAL" in report and "worker3" in report.split("PARTIAL", 1)[1][:2000]
    assert 'data-worker="worker3"' in html


def test_report_lists_the_slowest_tests_from_the_junit_results(example: Suite) -> None:
    import xml.etree.ElementTree as ET

    slowest = max(
        (float(case.get("time", 0)), case.get("name"))
        for n in range(1, 6)
        for case in ET.parse(example.output / f"worker{n}_junit.xml").getroot().iter("testcase")
    )
    report = (example.output / "report.md").read_text()
    section = report.split("### Slowest Tests (10)", 1)[1].split("\n---\n", 1)[0]
    first_row = next(line for line in section.splitlines() if line.startswith("| `"))
    assert f"::{slowest[1]}`" in first_row and f"| {slowest[0]:.2f} |" in first_row
    assert 'id="slowest"' in (example.output / "report.html").read_text()
