"""`make bench` runs on a tiny project and writes bench.json in the shape other tools read (no timing checked)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_support import FIXTURES, REPO

pytestmark = pytest.mark.e2e


def test_bench_writes_its_shape_on_a_tiny_project(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "tiny", tmp_path / "tiny", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    config = tmp_path / "tiny" / "workers.toml"
    env = {**os.environ, "COVSPLIT_CONFIG": str(config)}
    env.pop("COVERAGE_FILE", None)
    result = subprocess.run(
        # One bytecode setting, the CI image's: test_bench_failing.py runs the other, side by side with this.
        [
            sys.executable,
            str(REPO / "bench" / "bench.py"),
            "--repeat",
            "1",
            "--bytecode",
            "set",
            "--skip",
            "covsplit-warm-no-grain",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    bench = json.loads((config.parent / "coverage_output" / "bench.json").read_text())
    assert bench["project"] == "tiny" and bench["runs"] == 1 and bench["cpus"] == os.cpu_count()
    assert [record["bytecode_written"] for record in bench["settings"]] == [False]
    for record in bench["settings"]:
        assert set(record) >= {"contenders", "combined_equals_serial", "overhead_s_per_worker", "simulation"}
        names = [c["name"] for c in record["contenders"]]
        assert names == [
            "serial", "xdist", "spec-commands", "covsplit-warm", "covsplit-cold", "covsplit-edit",
            "covsplit-edit-module", "covsplit-unchanged",
        ]  # fmt: skip
        # The edited test file is restored afterwards.
        assert record["edited"].startswith("tests/") and record["edited_seconds"] > 0
        assert not (config.parent / record["edited"]).read_text().count("covsplit bench edit")
        # The edited module: one of the project's, executed by some of its test files, restored afterwards.
        module = record["edited_module"]
        assert module["path"].startswith("tiny/") and 0 < module["test_files"] <= module["of_test_files"] == 2
        assert (config.parent / module["path"]).read_bytes() == (FIXTURES / "tiny" / module["path"]).read_bytes()
        assert record["failing_tests"] == 0
        for contender in record["contenders"]:
            assert set(contender) == {"name", "wall_s", "cpu_s", "peak_mib"}
            assert all(isinstance(contender[k], float) and contender[k] > 0 for k in ("wall_s", "cpu_s", "peak_mib"))
        assert record["combined_equals_serial"] is True and record["differences"] == []
        assert isinstance(record["overhead_s_per_worker"], float) and record["overhead_s_per_worker"] > 0
        # The schedule simulated for a larger fleet, from the seconds the runs measured.
        assert [row["workers"] for row in record["simulation"]] == [16, 64]
        assert all(row["heaviest_s"] >= row["ideal_s"] > 0 for row in record["simulation"])
        # The aggregate and report as they measured themselves inside a full run and an incremental one.
        assert set(record["aggregate"]) == {"after-full", "after-edit"}
        for cost in record["aggregate"].values():
            assert set(cost) == {"wall_s", "cpu_s"} and cost["wall_s"] > 0 and cost["cpu_s"] > 0
    text = (config.parent / "coverage_output" / "bench.md").read_text()
    assert text.count("| covsplit-warm |") == 1 and "Wall / faster of serial, xdist" in text
    assert "## PYTHONDONTWRITEBYTECODE set" in text and "## Bytecode written" not in text
    assert text.count("### Targets") == 1 and "covsplit-unchanged" in text and "x warm" in text
    assert text.count("- the aggregate and report after-full: ") == 1
    assert text.count("covsplit-edit-module inserts `_ = None` at line") == 1
