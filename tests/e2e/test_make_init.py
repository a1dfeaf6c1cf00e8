"""`make init` as README shows it: a workers.toml for a repository, written where CONFIG says, that runs.

The file named by CONFIG does not exist before init writes it, while the
noxfile loads a workers.toml on every call: the target must not need the
file it is about to create.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from e2e_support import FIXTURES, REPO, Suite, fresh_env

from covsplit import config as covsplit_config
from covsplit.gates import GateSpec
from covsplit.numbers import Counts

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


def test_a_project_s_own_fail_under_gates_its_first_run(tmp_path: Path, nox_envdir: Path) -> None:
    """tiny declares coverage.py's fail_under in setup.cfg: init carries it over, and the first run is gated by it.

    covsplit's 80/90 line/branch defaults would fail tiny (its branches are under 90%); its own total does not,
    and the total is the one coverage.py computes: `coverage report --fail-under` on the combined data agrees
    with the gate at thresholds around the figure.
    """
    project = tmp_path / "repo"
    shutil.copytree(FIXTURES / "tiny", project, ignore=shutil.ignore_patterns("workers.toml", "__pycache__"))
    (project / "setup.cfg").write_text("[coverage:run]\nbranch = true\n[coverage:report]\nfail_under = 50\n")
    config = tmp_path / "splits" / "workers.toml"
    flags = f"NOXFLAGS=--envdir {nox_envdir}"

    done = make("init", f"ROOT={project}", "WORKERS=2", f"CONFIG={config}", flags)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "chose: thresholds: total = 50: the project's own gate (setup.cfg [coverage:report] fail_under)" in (
        done.stdout
    )
    # plan rewrote the file init wrote: the gate and where it came from are kept.
    assert 'total_from = "setup.cfg [coverage:report] fail_under"' in config.read_text()

    run = make("coverage-all", f"CONFIG={config}", flags)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "total" in run.stdout and "(the project's setup.cfg [coverage:report] fail_under) ok" in run.stdout
    suite = Suite(config=config, envdir=nox_envdir)
    (gate,) = suite.read_json("aggregate.json")["gates"]
    assert (gate["name"], gate["threshold"], gate["passed"]) == ("total", 50.0, True)
    # coverage.py itself, on the combined data, at thresholds around the figure: it passes and fails where we do.
    totals = Counts.from_dict(suite.read_json("aggregate.json")["totals"])
    assert totals is not None
    data_file = covsplit_config.load(config).layout.combined_data
    for threshold in (int(gate["actual"]), int(gate["actual"]) + 1, round(gate["actual"], 1), 50):
        theirs = subprocess.run(
            [sys.executable, "-m", "coverage", "report", f"--data-file={data_file}", f"--fail-under={threshold}"],
            cwd=project, capture_output=True, text=True, check=False,
        )  # fmt: skip
        ours = GateSpec("total", threshold, "", 0, True).gate(totals).passed
        assert ours == (theirs.returncode == 0), (threshold, gate["actual"], theirs.stdout)
