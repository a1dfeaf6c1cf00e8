"""covsplit.gates: the one builder of the gates, and a project's total computed exactly as coverage.py gates it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from covsplit import config, gates
from covsplit.gates import GateSpec
from covsplit.numbers import Counts, fails_under

PROJECT = '[project]\nroot = "proj"\nsource = ["pkg"]\n[workers.w1]\nmodules = ["pkg"]\n'


@pytest.fixture
def toml(tmp_path: Path) -> Path:
    (tmp_path / "proj" / "pkg").mkdir(parents=True)
    (tmp_path / "proj" / "pkg" / "__init__.py").write_text("X = 1\n")
    (tmp_path / "proj" / "tests").mkdir()
    return tmp_path / "workers.toml"


def specs(path: Path, thresholds: str) -> list[tuple[str, float, str]]:
    path.write_text(PROJECT + "[thresholds]\n" + thresholds)
    return [(s.name, s.threshold, s.source) for s in gates.of(config.load(path))]


def test_defaults_written_values_and_a_total_each_name_their_source(toml: Path) -> None:
    assert specs(toml, "") == [("line", 80.0, "covsplit's default"), ("branch", 90.0, "covsplit's default")]
    assert specs(toml, "line = 70\n") == [
        ("line", 70.0, "workers.toml [thresholds] line"),
        ("branch", 90.0, "covsplit's default"),
    ]
    # A total is a gate someone chose: covsplit's defaults are not added on top of it.
    assert specs(toml, "total = 85\n") == [("total", 85.0, "workers.toml [thresholds] total")]
    assert specs(toml, 'total = 85\ntotal_from = "tox.ini [coverage:report] fail_under"\nbranch = 60\n') == [
        ("branch", 60.0, "workers.toml [thresholds] branch"),
        ("total", 85.0, "the project's tox.ini [coverage:report] fail_under"),
    ]
    cfg = config.load(toml)
    # Single files are listed against the line threshold, else the project's one number.
    assert (cfg.line_threshold, cfg.branch_threshold) == (85.0, 60.0)


@pytest.mark.parametrize(
    ("thresholds", "key", "said"),
    [
        ("total = 120\n", "thresholds.total", "outside 0-100"),
        ('total = "85"\n', "thresholds.total", "number"),
        ("total = 85\ntotal_precision = 11\n", "thresholds.total_precision", "outside 0-10"),
        ("total = 85\ntotal_precision = 1.5\n", "thresholds.total_precision", "decimals"),
        ("total = 85\ntotal_branch = 1\n", "thresholds.total_branch", "true or false"),
        ("total = 85\ntotal_from = 3\n", "thresholds.total_from", "file and key"),
        ("total_precision = 2\n", "thresholds.total_precision", "set thresholds.total"),
    ],
)
def test_bad_total_settings_are_named_with_their_fix(toml: Path, thresholds: str, key: str, said: str) -> None:
    toml.write_text(PROJECT + "[thresholds]\n" + thresholds)
    with pytest.raises(config.ConfigError) as caught:
        config.load(toml)
    assert key in str(caught.value) and said in str(caught.value)


def test_the_one_builder_gives_each_gate_its_counts() -> None:
    totals = Counts(statements=100, covered_lines=90, branches=20, covered_branches=10, files=1)
    built = [
        spec.gate(totals)
        for spec in (GateSpec("line", 80, ""), GateSpec("branch", 90, ""), GateSpec("total", 85, "", 0, True))
    ]
    assert [g.counted for g in built] == [(90, 100), (10, 20), (100, 120)]
    assert [g.passed for g in built] == [True, False, False]
    # Without branches, coverage.py's total is the statements alone.
    assert GateSpec("total", 85, "", 0, False).gate(totals).passed


def test_coverage_py_s_rule_rounds_to_the_precision_and_100_means_every_line() -> None:
    from coverage.results import should_fail_under

    assert not fails_under(84.6, 85, 0)  # rounds to 85: passes, as coverage.py's own gate does
    assert fails_under(84.5, 85, 0)  # Python's round: 84.5 is 84
    assert not fails_under(84.96, 85, 1) and fails_under(84.94, 85, 1)
    assert fails_under(99.9999, 100, 0)
    assert fails_under(85.0, 85.05, 0)  # the threshold's own decimals count
    grid = [(t / 7, f, p) for t in range(0, 701, 3) for f in (0, 33.3, 50, 85, 85.05, 99.5, 100) for p in (0, 1, 2)]
    assert all(fails_under(*case) == should_fail_under(*case) for case in grid)


def test_the_total_gate_passes_and_fails_exactly_where_coverage_report_fail_under_does(tmp_path: Path) -> None:
    """A real coverage.py run: our total gate against ``coverage report --fail-under`` at thresholds around it."""
    lines = (
        ["def f(x):"]
        + [f"    if x == {i}:\n        return {i}" for i in range(7)]
        + ["    return -1", "", "f(1)", "f(3)"]
    )
    (tmp_path / "mod.py").write_text("\n".join(lines) + "\n")
    run = [sys.executable, "-m", "coverage"]
    subprocess.run([*run, "run", "--branch", "mod.py"], cwd=tmp_path, check=True)
    subprocess.run([*run, "json", "-o", "cov.json"], cwd=tmp_path, check=True, capture_output=True)
    totals = Counts.of_summary(json.loads((tmp_path / "cov.json").read_text())["totals"])
    actual = totals.coverage_total(True)
    assert actual is not None
    checked = 0
    for precision in (0, 1, 2):
        for threshold in sorted({round(actual, 0), round(actual, 1), round(actual, 2), 50.0, 55.5, 100.0}):
            ours = GateSpec("total", threshold, "", precision, True).gate(totals).passed
            theirs = subprocess.run(
                [*run, "report", f"--fail-under={threshold}", f"--precision={precision}"],
                cwd=tmp_path,
                capture_output=True,
            ).returncode
            assert ours == (theirs == 0), (threshold, precision, actual)
            checked += 1
    assert checked >= 12
