"""Unit tests of covsplit.report: every figure of the status document is computed, and gaps are named.

Each test builds a tiny project in tmp_path whose source files have a known
number of statements (one assignment per line), so a static count and the
artifacts' counts agree whichever the report uses.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from covsplit import config, fsio, report, status
from covsplit.report.steps import AddTests
from covsplit.report.views import HeavyModule, SlowFile

# Statements per module of the fixture project; pkg/__init__.py is blank.
SIZES = {"pkg/a.py": 100, "pkg/b.py": 60, "pkg/c.py": 40}


def make_project(
    tmp_path: Path,
    sizes: dict[str, int] | None = None,
    titles: tuple[str, str] = ("Alpha", "Beta"),
    extra_toml: str = "",
) -> config.Config:
    """A project with two workers: worker1 owns pkg.a, worker2 owns pkg.b and pkg.c."""
    sizes = sizes or SIZES
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    for rel, count in sizes.items():
        (tmp_path / rel).write_text("".join(f"x{i} = {i}\n" for i in range(count)))
    (tmp_path / "tests" / "sub").mkdir(parents=True)
    for rel in ("tests/test_a.py", "tests/test_b.py", "tests/sub/test_c.py", "tests/helper.py"):
        (tmp_path / rel).write_text("def test_nothing():\n    pass\n")
    modules2 = ", ".join(f'"pkg.{Path(rel).stem}"' for rel in sizes if rel != "pkg/a.py")
    (tmp_path / "workers.toml").write_text(
        f"""
[project]
root = "."
source = ["pkg"]
tests = "tests"

[thresholds]
line = 80
branch = 90
balance = 1.25
{extra_toml}
[workers.worker1]
title = {json.dumps(titles[0])}
modules = ["pkg.a"]
tests = ["tests/test_a.py"]

[workers.worker2]
title = {json.dumps(titles[1])}
modules = [{modules2}]
tests = ["tests/test_b.py", "tests/sub"]
""",
        encoding="utf-8",
    )
    return config.load(tmp_path / "workers.toml")


def run(cfg: config.Config, session: str) -> str:
    """A command as the report must phrase it: with the config it came from (not the repository's default)."""
    return f"COVSPLIT_CONFIG={cfg.path} nox -s {session}"


def write_status(cfg: config.Config, name: str, **overrides: Any) -> None:
    """A finished worker's status, passing with full coverage unless overridden."""
    worker = cfg.worker(name)
    paths = cfg.layout.worker(name)
    record: dict[str, Any] = {
        "worker": name,
        "title": worker.title,
        "modules": list(worker.modules),
        "files": list(worker.files),
        "tests": list(worker.tests),
        "state": status.PASSED,
        "pid": 1,
        "host": "elsewhere",
        "started_at": "2026-11-24T12:00:00+00:00",
        "finished_at": "2026-11-24T12:00:09+00:00",
        "duration_s": 9.0,
        "exit_status": 0,
        "command": ["python", "-m", "pytest", *worker.tests],
        "command_line": f"cd /x && python -m pytest {' '.join(worker.tests)}",
        "outcomes": {"tests": 4, "passed": 4, "failed": 0, "errors": 0, "skipped": 0},
        "coverage": None,
        "test_files": {},
        "failure_categories": {},
        "message": "",
        "artifacts": paths.artifacts(),
    }
    record.update(overrides)
    if record["coverage"] is None and record["state"] in (status.PASSED, status.FAILED):
        stmts = sum(SIZES.get(f, 0) for f in worker.files)
        record["coverage"] = {
            "statements": stmts,
            "covered_lines": stmts,
            "line_percent": 100.0,
            "branches": 10,
            "covered_branches": 10,
            "branch_percent": 100.0,
        }
    status.write(paths.status, record)


def write_worker_json(cfg: config.Config, name: str, files: dict[str, tuple[int, int, int, int]]) -> None:
    """coverage.py-style JSON: path -> (statements, covered lines, branches, covered branches)."""
    paths = cfg.layout.worker(name)
    fsio.write_json(paths.coverage_json, {"files": {path: {"summary": _summary(*v)} for path, v in files.items()}})


def _summary(stmts: int, covered: int, branches: int, covered_branches: int) -> dict[str, Any]:
    return {
        "num_statements": stmts,
        "covered_lines": covered,
        "missing_lines": stmts - covered,
        "num_branches": branches,
        "covered_branches": covered_branches,
    }


def write_aggregate(
    cfg: config.Config,
    files: dict[str, tuple[int, int, int, int]],
    missing: list[dict[str, str]] | None = None,
    generated_at: str = "2026-11-24T12:05:00+00:00",
) -> None:
    owners = {f: w.name for w in cfg.workers for f in w.files}
    rows = {
        path: {
            "owner": owners.get(path),
            "statements": s,
            "covered_lines": c,
            "branches": b,
            "covered_branches": cb,
            "line_percent": None,
            "branch_percent": None,
            "missing_lines": [],
        }
        for path, (s, c, b, cb) in files.items()
    }
    totals = {
        "files": len(files),
        "statements": sum(v[0] for v in files.values()),
        "covered_lines": sum(v[1] for v in files.values()),
        "branches": sum(v[2] for v in files.values()),
        "covered_branches": sum(v[3] for v in files.values()),
        "line_percent": None,
        "branch_percent": None,
    }
    fsio.write_json(
        cfg.layout.output_dir / "aggregate.json",
        {
            "schema": 1,
            "generated_at": generated_at,
            "complete": not missing,
            "missing": missing or [],
            "workers": [{"name": w.name, "state": "passed", "data_file": True} for w in cfg.workers],
            "totals": totals,
            "gates": [],
            "files": rows,
        },
    )


def all_green(cfg: config.Config) -> None:
    """Both workers passed with every file fully covered, and a complete aggregate."""
    for name in ("worker1", "worker2"):
        write_status(cfg, name)
    write_worker_json(cfg, "worker1", {"pkg/a.py": (100, 100, 4, 4)})
    write_worker_json(cfg, "worker2", {"pkg/b.py": (60, 60, 4, 4), "pkg/c.py": (40, 40, 2, 2)})
    write_aggregate(cfg, {"pkg/a.py": (100, 100, 4, 4), "pkg/b.py": (60, 60, 4, 4), "pkg/c.py": (40, 40, 2, 2)})


def phrased(model: report.ReportModel) -> list[str]:
    """The next steps as report.md phrases them: one string per step, its list items on the lines after it."""
    section = report.render_markdown(model).split("## Next Steps\n\n", 1)[1]
    return [step.strip() for step in re.split(r"^\d+\. ", section, flags=re.MULTILINE)[1:]]


def render(cfg: config.Config) -> tuple[report.ReportModel, str, str]:
    model = report.model_for(cfg)
    return model, report.render_markdown(model), report.render_html(model)


# --- formatting -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (report.percent(2, 3), "66.67"),  # rounded as coverage.py shows it
        (report.percent(99_999, 100_000), "99.99"),  # never 100.00 unless exact
        (report.percent(199_999, 200_000), "99.99"),
        (report.percent(1, 1), "100.00"),
        (report.percent(29, 100), "29.00"),  # 0.29 * 100 is 28.999... in floats
        (report.percent(0, 7), "0.00"),
        (28.999999999999996, "29.00"),  # float noise from JSON is not a missing hundredth
        (99.999, "99.99"),
        (None, "n/a"),
    ],
)
def test_format_percent_shows_what_coverage_py_shows(value: Any, text: str) -> None:
    assert report.format_percent(value) == text


def test_percent_of_nothing_is_none() -> None:
    assert report.percent(0, 0) is None
    assert report.percent(None, 10) is None


# --- summary statistics and balance ----------------------------------------


def test_totals_target_modules_and_test_files(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    model, md, html_text = render(cfg)
    assert model.total_statements == 200
    assert model.target == 100
    assert model.modules == 4  # a, b, c and the blank __init__.py
    assert model.test_files == 3  # helper.py is not a test file
    assert "**Total Statements**: 200" in md
    assert "**Target per Worker**: 100 statements (200 / 2)" in md
    assert "**Modules**: 4" in md
    assert "**Test Files**: 3 under `tests/`" in md
    assert [w.test_files for w in model.workers] == [1, 2]
    assert 'id="card-total-statements"' in html_text


def test_balance_shares_and_max_mean(tmp_path: Path) -> None:
    cfg = make_project(tmp_path, sizes={"pkg/a.py": 150, "pkg/b.py": 30, "pkg/c.py": 20})
    model, md, _ = render(cfg)
    w1, w2 = model.workers
    assert (w1.statements, w2.statements) == (150, 50)
    assert model.target == 100
    assert (w1.share, w2.share) == (Fraction(3, 2), Fraction(1, 2))
    assert (w1.balance, w2.balance) == ("High", "Low")
    assert model.max_mean == Fraction(3, 2)
    assert (model.heaviest, model.lightest) == ("worker1", "worker2")
    assert "| **worker1** | `pkg/` | 150 | 1 | 150.00% | High |" in md
    # pkg/a.py alone is 150 of 200 statements: no split of two workers gets below 1.50, so none is asked for.
    assert model.floor == HeavyModule("pkg/a.py", 150, Fraction(3, 2))
    assert (
        "**Max/mean (statements)**: 1.50, within the tolerance of 1.25 times the floor of 1.50 "
        "(`pkg/a.py` alone is 150 statements, and no split divides a module)"
    ) in md
    assert not any(step.startswith("Rebalance the split") for step in phrased(model))


def test_an_imbalance_a_split_can_fix_is_a_next_step(tmp_path: Path) -> None:
    # worker2 is heavy by two modules together; moving one of them fixes it.
    cfg = make_project(tmp_path, sizes={"pkg/a.py": 40, "pkg/b.py": 80, "pkg/c.py": 80})
    model, md, _ = render(cfg)
    assert model.floor is None and model.max_mean == Fraction(8, 5)
    assert "**Max/mean (statements)**: 1.60, above the tolerance of 1.25 (heaviest worker2" in md
    steps = " ".join(phrased(model))
    assert "Rebalance the split: max/mean is 1.60 in statements, above 1.25;" in steps
    assert "heaviest **worker2**" in steps and "lightest **worker1**" in steps


def test_balanced_split_is_within_tolerance(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    model, md, _ = render(cfg)
    assert [w.balance for w in model.workers] == ["Balanced", "Balanced"]
    assert model.max_mean == 1
    assert "**Max/mean (statements)**: 1.00, within the tolerance of 1.25" in md


def test_seconds_max_mean_from_recorded_durations(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    write_status(cfg, "worker1", duration_s=30.0)
    write_status(cfg, "worker2", duration_s=10.0)
    model, md, _ = render(cfg)
    assert model.seconds_mean == 20.0
    assert model.seconds_max_mean == 1.5
    assert "**Max/mean (seconds)**: 1.50, above the tolerance (mean 20.00 s)" in md
    assert "| 30.00 s |" in md
    assert any("Rebalance by time" in step for step in phrased(model))


def write_durations(cfg: config.Config, *per_worker: dict[str, float], fixed: float = 2.0) -> None:
    """worker1's, worker2's, ... measured seconds per test file, as the durations plugin records them."""
    for number, files in enumerate(per_worker, 1):
        name = f"worker{number}"
        record = {"schema": 1, "worker": name, "wall_s": fixed + sum(files.values()), "fixed_s": fixed, "files": files}
        fsio.write_json(cfg.layout.output_dir / f"{name}_durations.json", record)


def test_a_test_file_slower_than_a_share_sets_the_seconds_floor(tmp_path: Path) -> None:
    # dateutil's tests/test_tzpath_data.py alone outlasts an even share: no schedule gets worker1 below it.
    cfg = make_project(tmp_path)
    write_status(cfg, "worker1", duration_s=30.0)
    write_status(cfg, "worker2", duration_s=10.0)
    write_durations(cfg, {"tests/test_a.py": 28.0}, {"tests/test_b.py": 4.0, "tests/sub/test_c.py": 4.0})
    model, md, _ = render(cfg)
    # (2 + 28) / (2 + 36 / 2) = 1.5: the split is as good as a split of whole test files can be.
    assert model.seconds_floor == SlowFile("tests/test_a.py", 28.0, Fraction(3, 2))
    assert (
        "**Max/mean (seconds)**: 1.50, within the tolerance times the floor of 1.50 (`tests/test_a.py` alone takes "
        "28.00 s) (mean 20.00 s)"
    ) in md
    assert not any("Rebalance by time" in step for step in phrased(model))
    # No file outlasts a share (12 s each, 20 s a share): the workers' 30 s and 10 s can be evened out.
    write_durations(cfg, {"tests/test_a.py": 12.0}, {"tests/test_b.py": 12.0, "tests/sub/test_c.py": 12.0})
    model, md, _ = render(cfg)
    assert model.seconds_floor is None
    assert any(
        step.startswith("Rebalance by time: max/mean is 1.50 in seconds, above 1.25;") for step in phrased(model)
    )


def test_seconds_absent_when_nothing_recorded(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    model, md, _ = render(cfg)
    assert model.seconds_max_mean is None
    assert "**Max/mean (seconds)**: n/a" in md


# --- worker sections and status --------------------------------------------


def test_module_table_prefers_combined_data_over_worker_own(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    write_status(cfg, "worker1")
    write_worker_json(cfg, "worker1", {"pkg/a.py": (100, 50, 10, 5)})
    model, md, _ = render(cfg)
    row = model.workers[0].files[0]
    assert (row.source, report.format_percent(row.counts.line_percent)) == ("worker", "50.00")
    assert "| `pkg/a.py` | 100 | 50.00% | 50.00% |" in md

    write_aggregate(cfg, {"pkg/a.py": (100, 90, 10, 9)}, missing=[{"worker": "worker2", "state": "not run"}])
    model, md, _ = render(cfg)
    row = model.workers[0].files[0]
    assert (row.source, report.format_percent(row.counts.line_percent)) == ("combined", "90.00")
    assert "| `pkg/a.py` | 100 | 90.00% | 90.00% |" in md


def test_well_covered_and_uncovered_files_include_never_imported(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    write_status(cfg, "worker2")
    # pkg/c.py was never imported by worker2's tests: absent from its JSON.
    write_worker_json(cfg, "worker2", {"pkg/b.py": (60, 57, 4, 4)})
    model, md, _ = render(cfg)
    w2 = model.workers[1]
    assert [r.path for r in w2.well_covered] == ["pkg/b.py"]
    assert [(r.path, r.counts.statements) for r in w2.uncovered] == [("pkg/c.py", 40)]
    assert "- `pkg/b.py`: 95.00% (57/60 stmts)" in md
    assert "- `pkg/c.py` (40 stmts)" in md


def test_failed_worker_status_and_next_step(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    all_green(cfg)
    write_status(
        cfg,
        "worker2",
        state=status.FAILED,
        exit_status=1,
        outcomes={"tests": 10, "passed": 7, "failed": 2, "errors": 1, "skipped": 0},
        failure_categories={"TypeError": 2, "Setup error: ValueError": 1},
    )
    model, md, html_text = render(cfg)
    assert "### worker2 - ❌ TESTS FAILED" in md
    assert "- **Test Results**: 7 passed, 2 failed, 1 error, 0 skipped (10 total)" in md
    assert "| TypeError | 2 | 66.67% |" in md
    assert "| Setup error: ValueError | 1 | 33.33% |" in md
    steps = phrased(model)
    assert len(steps) == 1
    assert "Fix **worker2**'s 2 failed and 1 errored of 10 tests; top category: TypeError (2 of 3)" in steps[0]
    assert f"`{run(cfg, 'worker2')}`" in steps[0]
    assert 'data-worker="worker2" data-state="failed"' in html_text
    assert '<span class="count failed" data-value="2"' in html_text


def test_everything_fine_has_no_next_steps(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    all_green(cfg)
    model, md, html_text = render(cfg)
    assert model.next_steps == ()
    assert "Nothing to do: all 2 workers passed, combined line 100.00% >= 80%, combined branch 100.00% >= 90%" in md
    assert 'id="nothing-to-do"' in html_text
    assert "PARTIAL" not in md and "PARTIAL" not in html_text


def test_missing_worker_gets_rerun_command(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    write_status(cfg, "worker1")
    write_worker_json(cfg, "worker1", {"pkg/a.py": (100, 100, 4, 4)})
    model, md, _ = render(cfg)
    w2 = model.workers[1]
    assert w2.state == status.NOT_RUN and not w2.command_ran
    assert "### worker2 - ⏳ NOT RUN" in md
    assert any("Rerun **worker2** (not run" in s and f"`{run(cfg, 'worker2')}`" in s for s in phrased(model))
    # Its files are at 0% only because nothing ran: they are not listed as needing tests.
    assert not any("Add tests" in s for s in phrased(model))


def test_crashed_and_timed_out_workers(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    write_status(cfg, "worker1", state=status.CRASHED, outcomes=None, message="pytest died (signal 9)")
    write_status(cfg, "worker2", state=status.TIMEOUT, outcomes=None)
    model, md, _ = render(cfg)
    assert "### worker1 - 💥 CRASHED" in md
    assert "- **Message**: pytest died (signal 9)" in md
    assert "### worker2 - ⏱️ TIMED OUT" in md
    texts = phrased(model)
    assert any(f"Rerun **worker1** (crashed; pytest died (signal 9)): `{run(cfg, 'worker1')}`." in t for t in texts)
    assert any("**worker2** timed out" in t and f"`{run(cfg, 'worker2')}`" in t for t in texts)


def test_files_under_thresholds_ordered_by_missed_statements(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    all_green(cfg)
    # a: 30 missed; b: 15 missed; c: lines fine but branches under 90%.
    write_aggregate(cfg, {"pkg/a.py": (100, 70, 4, 4), "pkg/b.py": (60, 45, 4, 4), "pkg/c.py": (40, 40, 10, 5)})
    model, _, _ = render(cfg)
    step = next(s for s in model.next_steps if isinstance(s, AddTests))
    assert (step.total, [row.path for row in step.items]) == (3, ["pkg/a.py", "pkg/b.py", "pkg/c.py"])
    text = next(s for s in phrased(model) if s.startswith("Add tests"))
    assert "3 files under the thresholds" in text
    assert "\n   - `pkg/a.py` (worker1): 30 of 100 statements missed, line 70.00%" in text
    texts = phrased(model)
    # Line 155/200 = 77.5%, branch 13/18 = 72.2222...%: the shortfall rounds up, the actual floors.
    assert any("combined line gate fails: 77.50% < 80%, short by 2.50 points" in t for t in texts)
    assert any("combined branch gate fails: 72.22% < 90%, short by 17.78 points" in t for t in texts)


# --- combined coverage and gates -------------------------------------------


def test_partial_aggregate_is_marked_and_names_missing_worker(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    write_status(cfg, "worker1")
    write_worker_json(cfg, "worker1", {"pkg/a.py": (100, 100, 4, 4)})
    write_aggregate(
        cfg,
        {"pkg/a.py": (100, 100, 4, 4), "pkg/b.py": (60, 0, 4, 0), "pkg/c.py": (40, 0, 2, 0)},
        missing=[{"worker": "worker2", "state": "not run", "reason": "no status file worker2_status.json"}],
    )
    model, md, html_text = render(cfg)
    assert model.combined is not None and not model.combined.complete
    assert "> **PARTIAL**: the aggregate lacks **worker2** (not run: no status file worker2_status.json)" in md
    assert "— PARTIAL" in md
    assert 'id="partial"' in html_text and 'class="missing-worker" data-worker="worker2"' in html_text
    assert 'data-state="partial"' in html_text


def test_a_stale_worker_is_named_with_what_changed_and_the_command_that_refreshes_it(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    all_green(cfg)
    reason = "its inputs changed since it ran (2026-11-24T11:00:00+00:00): pkg/b.py changed"
    write_aggregate(
        cfg,
        {"pkg/a.py": (100, 100, 4, 4), "pkg/b.py": (60, 0, 4, 0), "pkg/c.py": (40, 0, 2, 0)},
        missing=[{"worker": "worker2", "state": "stale", "reason": reason}],
    )
    model, _md, html_text = render(cfg)
    assert model.combined is not None and not model.combined.complete
    steps = phrased(model)
    refresh = next(s for s in steps if s.startswith("Refresh"))
    assert refresh.startswith("Refresh **worker2**: its data was measured against other versions of its inputs")
    assert f"`{run(cfg, 'worker2 aggregate report')}` runs it again" in refresh
    assert f"**worker2**: {reason}" in refresh
    assert "worker2</strong>: its inputs changed since it ran" in html_text
    # The verdict names it too.
    assert "PARTIAL: worker2 stale" in report.render_verdict(model, "report.html")


def test_the_verdict_says_which_workers_were_reused_and_from_when(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    all_green(cfg)
    write_status(cfg, "worker1", finished_at="2026-11-24T12:00:00+00:00")
    write_status(cfg, "worker2", finished_at="2026-11-24T12:10:00+00:00")
    model = report.model_for(cfg)
    verdict = report.render_verdict(model, "report.html", datetime(2026, 11, 24, 12, 5, tzinfo=UTC))
    lines = {line.split()[0]: line for line in verdict.splitlines() if line.strip().startswith("worker")}
    assert "reused from 2026-11-24 12:00:00 UTC" in lines["worker1"]
    assert "reused" not in lines["worker2"]
    assert "reused" not in report.render_verdict(model, "report.html")


def test_aggregate_absent_is_said(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    write_status(cfg, "worker1")
    model, md, html_text = render(cfg)
    assert model.combined is None
    assert "**The aggregate has not run**" in md
    assert 'id="aggregate-absent"' in html_text
    assert any(f"`{run(cfg, 'aggregate')}` (aggregate has not run)" in s for s in phrased(model))


def test_gate_is_exact_and_shortfall_rounds_up(tmp_path: Path) -> None:
    cfg = make_project(tmp_path, sizes={"pkg/a.py": 5000, "pkg/b.py": 3000, "pkg/c.py": 2000})
    all_green(cfg)
    write_aggregate(cfg, {"pkg/a.py": (5000, 4999, 4, 4), "pkg/b.py": (3000, 3000, 4, 4), "pkg/c.py": (2000, 0, 2, 2)})
    model, md, _ = render(cfg)
    assert model.combined is not None
    line = model.combined.gates[0]
    assert line.actual == Fraction(7999, 100)
    assert line.passed is False
    assert (
        "| line | 7,999 | 10,000 | 79.99% | 80% (workers.toml [thresholds] line) | ❌ failed (short by 0.01 points) |"
        in md
    )


def test_a_project_s_total_gate_is_labelled_with_where_it_was_declared(tmp_path: Path) -> None:
    """A total carried over from the project's fail_under gates alone, counted as coverage.py counts it, and says so."""
    extra = 'total = 85\ntotal_from = "setup.cfg [coverage:report] fail_under"\n'
    cfg = make_project(tmp_path, sizes={"pkg/a.py": 100, "pkg/b.py": 100}, extra_toml=extra)
    all_green(cfg)
    # 170 of 200 statements and 6 of 8 branches: 176/208 = 84.6%, which coverage.py rounds to 85 and passes.
    write_aggregate(cfg, {"pkg/a.py": (100, 90, 4, 4), "pkg/b.py": (100, 80, 4, 2)})
    model, md, html_text = render(cfg)
    assert model.combined is not None
    names = [gate.name for gate in model.combined.gates]
    assert names == ["line", "branch", "total"]  # line and branch are written in this file too
    total = model.combined.gates[-1]
    assert total.passed is True and total.counted == (176, 208)
    source = "the project's setup.cfg [coverage:report] fail_under"
    assert f"| total | 176 | 208 | 84.62% | 85% ({source}) | ✅ passed |" in md
    assert '<small class="gate-source">the project&#39;s setup.cfg [coverage:report] fail_under</small>' in html_text


def test_stale_aggregate_is_flagged(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    all_green(cfg)
    write_aggregate(
        cfg,
        {"pkg/a.py": (100, 100, 4, 4), "pkg/b.py": (60, 60, 4, 4), "pkg/c.py": (40, 40, 2, 2)},
        generated_at="2026-11-24T11:00:00+00:00",
    )
    model, md, _ = render(cfg)
    assert model.combined is not None and model.combined.outdated_by == ("worker1", "worker2")
    assert "> **Out of date**" in md
    assert any(s.startswith(f"Rerun `{run(cfg, 'aggregate')}`") for s in phrased(model))


# --- robustness and output --------------------------------------------------


def test_write_report_with_nothing_run(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    assert report.write_report(cfg) == 0
    md = (cfg.layout.output_dir / "report.md").read_text(encoding="utf-8")
    assert (cfg.layout.output_dir / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert f"No worker has run yet: run them all with `make coverage-all CONFIG={cfg.path}`." in md
    assert "**The aggregate has not run**" in md


def test_write_report_survives_garbage_inputs(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    cfg.layout.output_dir.mkdir()
    (cfg.layout.output_dir / "aggregate.json").write_text("{not json")
    (cfg.layout.output_dir / "worker1_status.json").write_text("[1, 2]")
    (cfg.layout.output_dir / "worker1_coverage.json").write_text("null")
    write_status(cfg, "worker2", outcomes="nonsense", coverage={"statements": "many"}, duration_s=True)
    assert report.write_report(cfg) == 0
    md = (cfg.layout.output_dir / "report.md").read_text(encoding="utf-8")
    assert "**The aggregate.json is unreadable**" in md
    assert "### worker1 - 💥 CRASHED" in md


def test_html_escapes_text(tmp_path: Path) -> None:
    cfg = make_project(tmp_path, titles=("<script>alert(1)</script> & co", 'Beta "quoted"'))
    write_status(cfg, "worker1", failure_categories={"<b>Err</b>": 1}, state=status.FAILED)
    _, _, html_text = render(cfg)
    assert "<script>alert(1)</script>" not in html_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html_text
    assert "Beta &#34;quoted&#34;" in html_text
    assert "<b>Err</b>" not in html_text
    assert "<script" not in html_text.lower().replace("&lt;script", "")


def test_html_bars_links_and_data_attributes(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    all_green(cfg)
    write_status(
        cfg, "worker1", coverage={"statements": 1000, "covered_lines": 912, "branches": 4, "covered_branches": 3}
    )
    (cfg.layout.html_dir / "worker1").mkdir(parents=True)
    (cfg.layout.html_dir / "worker1" / "index.html").write_text("<html></html>")
    (cfg.layout.html_dir / "combined").mkdir(parents=True)
    (cfg.layout.html_dir / "combined" / "index.html").write_text("<html></html>")
    _, _, html_text = render(cfg)
    bars = re.findall(r'<div class="bar (line|branch)[^"]*" data-worker="(\w+)" data-value="([\d.]*)"', html_text)
    assert ("line", "worker1", "91.20") in bars
    assert ("branch", "worker1", "75.00") in bars
    assert ("line", "worker2", "100.00") in bars
    assert 'href="../htmlcov/worker1/index.html"' in html_text
    assert 'href="../htmlcov/combined/index.html"' in html_text
    # worker2 has no HTML report on disk: no dead link.
    assert 'href="../htmlcov/worker2/index.html"' not in html_text
    assert "<script" not in html_text and "http" not in html_text


def test_markdown_keeps_titles_and_messages_as_text(tmp_path: Path) -> None:
    cfg = make_project(tmp_path, titles=("Parsing <fast> & small", "Beta"))
    write_status(cfg, "worker1", state=status.CRASHED, outcomes=None, message="pytest said <boom>")
    _, md, html_text = render(cfg)
    assert "## worker1: Parsing &lt;fast&gt; &amp; small" in md
    assert "- **Message**: pytest said &lt;boom&gt;" in md
    assert "nox -s worker1  # Parsing <fast> & small" in md  # inside a code block, verbatim
    # The same step text in HTML shows the message once escaped, not double-escaped.
    assert "pytest said &lt;boom&gt;" in html_text
    assert "&amp;lt;" not in html_text


def test_failure_analysis_is_cited_only_when_it_exists(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    all_green(cfg)
    write_status(
        cfg,
        "worker1",
        state=status.FAILED,
        outcomes={"tests": 4, "passed": 3, "failed": 1, "errors": 0, "skipped": 0},
        failure_categories={"KeyError": 1},
    )
    model, _, _ = render(cfg)
    assert phrased(model)[0].startswith("Fix **worker1**'s 1 failed of 4 tests; top category: KeyError (1 of 1)")
    assert "worker1_failure_analysis" not in phrased(model)[0]
    (cfg.layout.output_dir / "worker1_failure_analysis.md").write_text("# analysis\n")
    model, md, _ = render(cfg)
    assert "see `worker1_failure_analysis.md`" in phrased(model)[0]
    assert "- Failure analysis: [worker1_failure_analysis.md](worker1_failure_analysis.md)" in md


def test_failures_a_partial_run_kept_are_said_reused_with_when_they_ran(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    all_green(cfg)
    outcomes = {"tests": 4, "passed": 3, "failed": 1, "errors": 0, "skipped": 0}
    kept = {"ran": ["tests/test_a.py"], "why": [], "kept_from": "2026-11-24T11:00:00+00:00"}
    write_status(cfg, "worker1", state=status.FAILED, outcomes=outcomes, rerun=kept)
    model, _, _ = render(cfg)
    assert "reused" not in phrased(model)[0]
    kept["failures_from"] = kept["kept_from"]
    write_status(cfg, "worker1", state=status.FAILED, outcomes=outcomes, rerun=kept)
    model, _, _ = render(cfg)
    assert phrased(model)[0].startswith(
        "Fix **worker1**'s 1 failed of 4 tests (reused from 2026-11-24 11:00:00 UTC: its latest run ran other test "
        "files only, and their inputs did not change)"
    )


def test_an_unparsable_file_costs_only_its_own_count(tmp_path: Path) -> None:
    pytest.importorskip("covsplit.statements")
    cfg = make_project(tmp_path)
    (tmp_path / "pkg" / "c.py").write_text("def broken(:\n")
    assert report.write_report(cfg) == 0
    model = report.model_for(cfg)
    assert model.uncounted_files == ("pkg/c.py",)
    assert model.total_statements == 160
    assert any("pkg/c.py" in warning for warning in model.warnings)
    md = (cfg.layout.output_dir / "report.md").read_text(encoding="utf-8")
    assert "no statement count for 1 file(s): `pkg/c.py`" in md


def test_report_names_files_whose_coverage_differs_from_a_serial_run(tmp_path: Path) -> None:
    import shutil

    from covsplit import config as config_module
    from covsplit import report as report_module

    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "projects" / "tiny"
    shutil.copytree(fixture, tmp_path / "tiny")
    cfg = config_module.load(tmp_path / "tiny" / "workers.toml")
    cfg.layout.output_dir.mkdir()
    (cfg.layout.output_dir / "bench.json").write_text('{"differences": ["tiny/core/maths.py"]}')
    warnings = report_module.collect_inputs(cfg).warnings
    assert any("differs from one serial run in 1 file" in w and "tiny/core/maths.py" in w for w in warnings)
    (cfg.layout.output_dir / "bench.json").write_text('{"differences": []}')
    assert not any("serial run" in w for w in report_module.collect_inputs(cfg).warnings)


def test_project_wide_test_totals_add_up_every_worker(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    write_status(cfg, "worker1", outcomes={"tests": 10, "passed": 7, "failed": 2, "errors": 1, "skipped": 0})
    model, md, _html = render(cfg)
    line = next(text for text in md.splitlines() if text.startswith("- **Test Results (all workers)**"))
    outcomes = [w.outcomes for w in model.workers if w.outcomes]
    assert outcomes, "the fixture must record outcomes for this test to mean anything"
    for key in ("passed", "failed", "errors", "skipped"):
        total = sum(o[key] for o in outcomes)
        assert f"{total:,} {report.outcome_word(key, total)}" in line
    silent = [w.name for w in model.workers if not w.outcomes]
    assert (f"no results from {', '.join(silent)}" in line) is bool(silent)


def test_html_escapes_test_names_messages_and_file_names_from_results(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    all_green(cfg)
    write_status(
        cfg,
        "worker1",
        state=status.CRASHED,
        outcomes={"tests": 2, "passed": 1, "failed": 1, "errors": 0, "skipped": 0},
        message="pytest died while running tests/test_a.py::test_x[<script>alert(3)</script>]",
        failure_categories={"AssertionError: <script>alert(4)</script>": 1},
    )
    paths = cfg.layout.worker("worker1")
    paths.junit.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" tests="2" failures="1">'
        '<testcase classname="tests.test_a" name="test_x[&lt;script&gt;alert(1)&lt;/script&gt;]" '
        'file="tests/test_a.py" time="3.5"><failure message="&lt;script&gt;alert(2)&lt;/script&gt;">'
        "boom</failure></testcase>"
        '<testcase classname="tests.test_a" name="test_y" file="tests/test_a.py" time="0.1"/>'
        "</testsuite></testsuites>"
    )
    paths.failure_analysis.write_text("# analysis\n")
    _, _, html_text = render(cfg)
    assert "test_x[&lt;script&gt;alert(1)&lt;/script&gt;]" in html_text  # the slowest tests name it, escaped
    for n in range(1, 5):
        assert f"<script>alert({n})" not in html_text
    assert "<script" not in html_text.lower().replace("&lt;script", "")
    # Every worker's failure analysis that exists is linked from the page.
    assert 'href="worker1_failure_analysis.md"' in html_text


def test_a_failing_workers_step_names_each_category_with_its_files(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    all_green(cfg)
    write_status(
        cfg,
        "worker2",
        state=status.FAILED,
        outcomes={"tests": 10, "passed": 7, "failed": 2, "errors": 1, "skipped": 0},
        failure_categories={"TypeError": 2, "Setup error: ValueError": 1},
        failure_files={
            "TypeError": ["tests/test_b.py", "tests/sub/test_c.py"],
            "Setup error: ValueError": ["tests/test_b.py"],
        },
    )
    model, md, html_text = render(cfg)
    assert phrased(model)[0].splitlines()[1:] == [
        "   - TypeError (2): `tests/test_b.py`, `tests/sub/test_c.py`",
        "   - Setup error: ValueError (1): `tests/test_b.py`",
    ]
    assert "`tests/sub/test_c.py`" in md and "<code>tests/sub/test_c.py</code>" in html_text


def test_the_verdict_needs_no_templating_library(tmp_path: Path) -> None:
    # CI's last step runs `python -m covsplit verdict` with the runner's own Python: standard library only.
    cfg = make_project(tmp_path)
    all_green(cfg)
    code = (
        "import sys; from covsplit import cli; code = cli.main(['verdict', '--strict', '--config', sys.argv[1]]); "
        "print('jinja2' in sys.modules, code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(cfg.path)],
        env={"PYTHONPATH": str(Path(__file__).resolve().parents[2] / "scripts")},
        capture_output=True,
        text=True,
    )
    assert done.stdout.splitlines()[-1] == "False 0", done.stdout + done.stderr
    assert "covsplit verdict" in done.stdout


def test_a_file_without_branches_reads_n_a_not_a_percentage(tmp_path: Path) -> None:
    cfg = make_project(tmp_path)
    all_green(cfg)
    write_aggregate(cfg, {"pkg/a.py": (100, 50, 0, 0), "pkg/b.py": (60, 60, 4, 4), "pkg/c.py": (40, 40, 2, 2)})
    model, md, html_text = render(cfg)
    step = next(s for s in phrased(model) if s.startswith("Add tests"))
    assert "`pkg/a.py` (worker1): 50 of 100 statements missed, line 50.00%, branch n/a" in step
    assert "n/a%" not in md and "n/a%" not in html_text


def test_tallies_read_as_pytest_writes_them(tmp_path: Path) -> None:
    # "1 error", "2 errors": a user comparing with pytest's last line sees the same words.
    cfg = make_project(tmp_path)
    all_green(cfg)
    for name, errors in (("worker1", 1), ("worker2", 2)):
        write_status(
            cfg,
            name,
            state=status.FAILED,
            outcomes={"tests": 5, "passed": 5 - errors, "failed": 0, "errors": errors, "skipped": 0},
        )
    model, md, html_text = render(cfg)
    verdict = report.render_verdict(model, cfg.root / "report.html")
    for text in (md, verdict):
        assert "1 errors" not in text
        assert "4 passed, 0 failed, 1 error" in text and "3 passed, 0 failed, 2 errors" in text
    assert "3 errors" in md  # the project-wide total
    assert "</span> error ·" in html_text and "</span> errors ·" in html_text
