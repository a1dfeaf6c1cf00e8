"""`make init` as README shows it: a workers.toml for a repository, written where CONFIG says, that runs.

The file named by CONFIG does not exist before init writes it, while the
noxfile loads a workers.toml on every call: the target must not need the
file it is about to create.
"""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from e2e_support import FIXTURES, REPO, Suite, fresh_env

pytestmark = pytest.mark.e2e


def make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-C", str(REPO), "--no-print-directory", *args],
        env=fresh_env(),
        capture_output=True,
        text=True,
        check=False,
    )


def test_init_writes_the_file_config_names_and_the_split_runs(tmp_path: Path, nox_envdir: Path) -> None:
    project = tmp_path / "repo"
    shutil.copytree(FIXTURES / "tiny", project, ignore=shutil.ignore_patterns("workers.toml", "__pycache__"))
    config = tmp_path / "splits" / "workers.toml"
    flags = f"NOXFLAGS=--envdir {nox_envdir}"

    done = make("init", f"ROOT={project}", "WORKERS=2", f"CONFIG={config}", flags)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert config.is_file() and f"wrote {config}" in done.stdout
    suite = Suite(config=config, envdir=nox_envdir)
    assert suite.root == project
    # Titles a reader tells apart and checks against each worker's modules (unit test_titles_on_projects holds
    # them on every fixture project and worker count).
    assert [w["title"] for w in tomllib.loads(config.read_text())["workers"].values()] == ["Tiny (Core)", "Tiny (Io)"]
    # What init wrote is a split every command takes: each worker runs and the aggregate combines them all
    # (tiny's branch coverage is under the default gate, so the run's status is the gate's, not checked here).
    make("coverage-all", f"CONFIG={config}", flags)
    aggregate = suite.read_json("aggregate.json")
    assert aggregate["complete"] is True
    assert {(w["name"], w["state"]) for w in aggregate["workers"]} == {("worker1", "passed"), ("worker2", "passed")}
