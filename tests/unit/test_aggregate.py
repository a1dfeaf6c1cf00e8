"""The aggregate's computations: totals, separate gates, partial detection, grouping."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from covsplit import aggregate, reuse, status
from covsplit.gates import GateSpec
from covsplit.numbers import Counts, Gate


def pair(totals: Counts, line: float, branch: float) -> list[Gate]:
    """covsplit's line and branch gates on ``totals``, as covsplit.gates builds them."""
    return [GateSpec("line", line, "").gate(totals), GateSpec("branch", branch, "").gate(totals)]


def summary(statements: int, covered: int, branches: int = 0, covered_branches: int = 0) -> dict:
    return {
        "num_statements": statements,
        "covered_lines": covered,
        "num_branches": branches,
        "covered_branches": covered_branches,
    }


def test_figures_sum_files_and_keep_exact_percentages() -> None:
    totals = aggregate.figures([summary(3, 1, 4, 3), summary(0, 0), summary(6, 6, 2, 0)])
    assert (totals.files, totals.statements, totals.covered_lines) == (3, 9, 7)
    assert totals.line_percent == Fraction(700, 9)
    assert totals.branch_percent == Fraction(300, 6)


def test_nothing_to_measure_is_not_zero_percent() -> None:
    totals = aggregate.figures([summary(0, 0)])
    assert totals.line_percent is None and totals.branch_percent is None
    # Nothing to measure neither passes nor fails a gate.
    assert all(gate.passed is None and not gate.failed for gate in pair(totals, 80, 90))


def test_line_and_branch_are_gated_separately() -> None:
    # 95% lines would pass a blended gate; 85% branches fail their own.
    totals = aggregate.figures([summary(100, 95, 20, 17)])
    line, branch = pair(totals, 80, 90)
    assert line.passed and not branch.passed
    assert branch.shortfall == 5
    assert branch.describe() == "branch coverage 85.00% against 90%: FAILED by 5.00 points"


def test_gate_is_exact_at_the_edge() -> None:
    # 7999/10000 = 79.99%: fails 80 and says so with a non-zero shortfall.
    (line, _) = pair(aggregate.figures([summary(10000, 7999)]), 80, 90)
    assert not line.passed
    assert "FAILED by 0.01 points" in line.describe()
    # 2/3 floors to 66.66 for display, but passes a 66.66 threshold exactly.
    (line, _) = pair(aggregate.figures([summary(3, 2)]), 66.66, 0)
    assert line.passed


def _state(name: str, state: str, message: str = "", has_data: bool = True, **fields: object) -> reuse.WorkerState:
    values: dict[str, object] = dict(
        name=name, title="", state=state, message=message, has_data=has_data, root=None, started_at=None,
        finished_at=None, seed=None, shuffled_by=(), outcomes=None, foreign_config="", changes=(),
    )  # fmt: skip
    return reuse.WorkerState(**(values | fields))  # type: ignore[arg-type]


def test_partial_detection_names_each_worker_and_why() -> None:
    states = [
        _state("worker1", status.PASSED),
        _state("worker2", status.FAILED),
        _state("worker3", status.NOT_RUN, "no status file", has_data=False),
        _state("worker4", status.CRASHED, "pytest died from signal 9"),
        _state("worker5", status.PASSED, has_data=False),
        _state("worker6", status.TIMEOUT),
        _state("worker7", status.PASSED, changes=("pkg/a.py changed",)),
    ]
    missing = reuse.missing(states)
    assert [(m["worker"], m["state"]) for m in missing] == [
        ("worker3", "not run"),
        ("worker4", "crashed"),
        ("worker5", "passed"),
        ("worker6", "timeout"),
        ("worker7", "stale"),
    ]
    assert missing[1]["reason"] == "pytest died from signal 9"
    assert "no coverage data" in missing[2]["reason"]
    assert missing[4]["reason"].endswith("pkg/a.py changed")
    # A failed worker's data is complete and combined; a crashed one's kept data is combined, and named missing.
    assert [s.name for s in states if s.combinable] == ["worker1", "worker2", "worker4", "worker6"]


def test_packages_group_top_level_folders_and_respect_source_dir() -> None:
    files = {
        "src/training/losses.py": {"summary": summary(10, 5)},
        "src/training/sub/deep.py": {"summary": summary(10, 10)},
        "src/models/net.py": {"summary": summary(4, 0)},
        "src/single.py": {"summary": summary(2, 2)},
    }
    groups = aggregate.group_by_package(files, "src")
    assert list(groups) == ["models", "single", "training"]
    assert groups["training"].statements == 20 and groups["training"].covered_lines == 15


def test_furthest_below_orders_by_missed_statements() -> None:
    rows = {
        name: aggregate.FileCounts(None, Counts(statements, covered), [])
        for name, (statements, covered) in {
            "a.py": (10, 7),
            "b.py": (100, 70),
            "c.py": (10, 10),
            "d.py": (0, 0),
        }.items()
    }
    assert aggregate.furthest_below(rows, 80) == ["b.py", "a.py"]


def test_worker_states_read_status_files(tmp_path: Path) -> None:
    from covsplit import config

    (tmp_path / "proj" / "pkg").mkdir(parents=True)
    (tmp_path / "proj" / "pkg" / "m.py").write_text("X = 1\n")
    (tmp_path / "proj" / "tests").mkdir()
    path = tmp_path / "workers.toml"
    path.write_text('[project]\nroot = "proj"\nsource = ["pkg"]\n[workers.w1]\nmodules = ["pkg"]\n')
    cfg = config.load(path)
    paths = cfg.layout.worker("w1")
    assert reuse.states(cfg)[0].state == status.NOT_RUN
    status.write(paths.status, {"state": status.PASSED})
    paths.data_file.write_bytes(b"")
    state = reuse.states(cfg)[0]
    assert (state.state, state.has_data, state.standing) == (status.PASSED, True, reuse.Standing.STALE)


@pytest.mark.parametrize("state", [status.RUNNING])
def test_a_running_worker_on_another_host_is_missing(tmp_path: Path, state: str) -> None:
    path = tmp_path / "s.json"
    status.write(path, {"state": state, "host": "elsewhere", "pid": 1})
    record = status.read(path)
    assert record["state"] == status.RUNNING
    assert reuse.missing([_state("w", record["state"])])


def test_titles_with_pipes_and_tags_keep_the_aggregate_table_whole(tmp_path: Path) -> None:
    from covsplit import config
    from covsplit.markdown_escape import md_cell, md_code

    (tmp_path / "proj" / "pkg").mkdir(parents=True)
    (tmp_path / "proj" / "pkg" / "m.py").write_text("X = 1\n")
    (tmp_path / "proj" / "tests").mkdir()
    path = tmp_path / "workers.toml"
    path.write_text(
        '[project]\nroot = "proj"\nsource = ["pkg"]\n'
        '[workers.w1]\ntitle = "Parsing | Lexing <fast> & more"\nmodules = ["pkg"]\n'
    )
    cfg = config.load(path)
    totals = aggregate.figures([summary(10, 8)])
    doc = aggregate.render_summary(
        cfg, totals, pair(totals, 80, 90), [], {"w1": totals}, {}, {}, "2026-11-24T00:00:00+00:00"
    )
    row = next(line for line in doc.splitlines() if line.startswith("| w1 |"))
    # Six cells: every pipe inside the title is escaped, and no HTML tag is opened.
    assert len(row.replace("\\|", "").split("|")) == 8, row
    assert "<fast>" not in row and "&lt;fast&gt;" in row and "&amp; more" in row
    # Inside a code span the text is shown as it is (entities would print literally), pipes still escaped.
    assert md_cell(md_code("a<b|c")) == "`a<b\\|c`"
    assert md_cell("line\nbreak") == "line break"
