"""statements.count_statements agrees with a real `coverage json`, file by file."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from covsplit.discover import source_files
from covsplit.statements import StatementCountError, count_statements

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "plan_statements"
EXAMPLE = Path(__file__).resolve().parents[2] / "example"

# Executes every fixture file, so `coverage json` reports each one, including
# the ones in folders without __init__.py that a --source scan would skip.
DRIVER = """
import runpy, sys
for path in sys.argv[1:]:
    runpy.run_path(path)
"""


def _coverage_json(cwd: Path, run_args: list[str]) -> dict[str, int]:
    """num_statements per file from the coverage.py command line, run in ``cwd``."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run([sys.executable, "-m", "coverage", "run", *run_args], cwd=cwd, env=env, check=True)
    subprocess.run([sys.executable, "-m", "coverage", "json", "-o", "cov.json", "-q"], cwd=cwd, env=env, check=True)
    report = json.loads((cwd / "cov.json").read_text())
    return {name: entry["summary"]["num_statements"] for name, entry in report["files"].items()}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(FIXTURE, root)
    (root / "driver.py").write_text(DRIVER)
    return root


def test_counts_equal_coverage_json(project: Path) -> None:
    files = source_files(project, ".", ["pkg"])
    assert "pkg/nsfolder/loose.py" in files and "pkg/nsfolder/deeper/docs_only.py" in files
    expected = _coverage_json(project, ["driver.py", *files])
    expected.pop("driver.py")

    counts = count_statements(project, files)

    assert set(expected) == set(files)
    assert counts == expected
    # The fixture is only a test if it contains what makes counting hard.
    assert counts["pkg/nsfolder/deeper/docs_only.py"] == 0
    assert counts["pkg/decorated.py"] > 20


def test_target_configuration_is_honoured(project: Path) -> None:
    with_config = count_statements(project, ["pkg/decorated.py"])
    (project / "pyproject.toml").unlink()
    without_config = count_statements(project, ["pkg/decorated.py"])
    # exclude_also removes __repr__ (2 statements) and the raise (1) beyond coverage.py's defaults.
    assert with_config["pkg/decorated.py"] == without_config["pkg/decorated.py"] - 3


def test_coveragerc_takes_precedence_like_coverage_does(project: Path) -> None:
    # coverage.py reads .coveragerc before pyproject.toml; so must the counter.
    (project / ".coveragerc").write_text("[report]\nexclude_also =\n    ^C = 3\n")
    files = ["pkg/nsfolder/deeper/excluded_all.py"]
    expected = _coverage_json(project, ["driver.py", *files])
    assert count_statements(project, files) == {files[0]: expected[files[0]]} == {files[0]: 0}


def test_unparsable_file_is_named(project: Path) -> None:
    (project / "pkg" / "broken.py").write_text("def f(:\n")
    with pytest.raises(StatementCountError, match=r"pkg/broken\.py"):
        count_statements(project, ["pkg/sub/plain.py", "pkg/broken.py"])


def test_cwd_is_restored_and_empty_input(project: Path) -> None:
    before = Path.cwd()
    assert count_statements(project, []) == {}
    count_statements(project, ["pkg/sub/plain.py"])
    assert Path.cwd() == before


@pytest.mark.skipif(not EXAMPLE.is_dir(), reason="example/ not written yet")
def test_counts_equal_coverage_json_on_the_example(tmp_path: Path) -> None:
    root = tmp_path / "example"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".coverage*", "__pycache__", "coverage_output"))
    packages = [p.name for p in sorted(root.iterdir()) if p.is_dir() and (p / "__init__.py").exists()]
    packages = [p for p in packages if p != "tests"]
    assert packages
    (root / "empty_driver.py").write_text("")
    # --source makes coverage.py report unexecuted files of those packages itself.
    expected = _coverage_json(root, [f"--source={','.join(packages)}", "empty_driver.py"])
    files = source_files(root, ".", packages)
    counts = count_statements(root, files)
    compared = {name: counts[name] for name in expected}
    assert compared == expected
    # coverage.py's --source scan reports every file of a package that has __init__.py all the way down.
    in_packages = [f for f in files if all((root / p / "__init__.py").exists() for p in Path(f).parents[:-1])]
    assert set(expected) == set(in_packages) and in_packages
