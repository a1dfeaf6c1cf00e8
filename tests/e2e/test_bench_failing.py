"""`make bench ARGS=--failing` plants a failing test for the bench's length, and puts the project back afterwards.

Apart from test_bench.py so that the two bench runs on the tiny project, each minutes long, run side by side
under `make test`'s `--dist loadfile`.
"""

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


def test_bench_plants_a_failing_test_for_its_length_and_puts_the_split_back(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "tiny", tmp_path / "tiny", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    project = tmp_path / "tiny"
    config = project / "workers.toml"
    split = config.read_bytes()
    env = {**os.environ, "COVSPLIT_CONFIG": str(config)}
    env.pop("COVERAGE_FILE", None)
    skips = [
        arg
        for name in ("spec-commands", "covsplit-cold", "covsplit-edit", "covsplit-edit-module")
        for arg in ("--skip", name)
    ]
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "bench.py"), "--repeat", "1", "--bytecode", "unset", "--failing", *skips],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (record,) = json.loads((project / "coverage_output" / "bench.json").read_text())["settings"]
    # The planted test failed in the warm run, in one worker: the serial run and the workers ran the same tests.
    assert record["failing_tests"] == 1 and record["edited_module"] is None
    assert record["combined_equals_serial"] is True
    text = (project / "coverage_output" / "bench.md").read_text()
    assert "The warm runs had 1 failing test (failed or errors)" in text
    # What keeping per-file data costs a full run: warm against the same run without it, side by side.
    assert [c["name"] for c in record["contenders"]] == [
        "serial", "xdist", "covsplit-warm-no-grain", "covsplit-warm", "covsplit-unchanged"
    ]  # fmt: skip
    assert text.count(" x without per-file data ") == 2
    # Gone afterwards, and the split as it was.
    assert not list(project.rglob("test_covsplit_bench_failing.py"))
    assert config.read_bytes() == split and not (project / "workers.schedule.json").exists()
