"""Shared pieces of the end-to-end tests: real nox sessions on copies of real projects.

Nothing here is faked: nox creates real virtualenvs (uv backend), installs
real pytest and pytest-cov, and the checks compare covsplit's artifacts with
an independent ``coverage run -m pytest`` of the same tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "projects"


@dataclass
class Suite:
    """A project copied into a temp folder, with its workers.toml, and the nox to drive it."""

    config: Path
    envdir: Path

    @property
    def root(self) -> Path:
        import tomllib

        data = tomllib.loads(self.config.read_text())
        return (self.config.parent / data["project"].get("root", ".")).resolve()

    @property
    def output(self) -> Path:
        return self.config.parent / "coverage_output"

    def nox(
        self, *args: str, check: bool | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "COVSPLIT_CONFIG": str(self.config), **(env or {})}
        env.pop("COVERAGE_FILE", None)
        result = subprocess.run(
            [sys.executable, "-m", "nox", "-f", str(REPO / "noxfile.py"), "--envdir", str(self.envdir), *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if check is not None:
            assert (result.returncode == 0) is check, result.stdout[-4000:] + result.stderr[-4000:]
        return result

    def venv_python(self, session: str) -> Path:
        return self.envdir / session / "bin" / "python"

    def read_json(self, name: str) -> dict:
        return json.loads((self.output / name).read_text())


# What a make run hands its recipes: its command line's variables (`make test ARGS=...` exports ARGS) and
# its flags.  A make the tests start must not inherit them.
MAKE_VARIABLES = frozenset(
    ["ARGS", "CONFIG", "FULL", "JOBS", "MAKEFLAGS", "MAKELEVEL", "NOXFLAGS", "RETRY", "ROOT", "SEED", "WORKERS"]
)


def fresh_env() -> dict[str, str]:
    """The environment of a fresh shell: no make variables, no covsplit settings, no coverage data file."""
    drop = {*MAKE_VARIABLES, "COVERAGE_FILE"}
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("COVSPLIT_")}


def make(suite: Suite, target: str, *args: str, ok: bool | None = True) -> subprocess.CompletedProcess[str]:
    """``make TARGET CONFIG=<suite's config>`` from the checkout, as a person types it; ``ok``: the status expected.

    Whatever the caller's environment says about covsplit, a seed or a make
    level, the run starts as a fresh shell's would.
    """
    done = subprocess.run(
        ["make", "-C", str(REPO), "--no-print-directory", target, f"CONFIG={suite.config}",
         f"NOXFLAGS=--envdir {suite.envdir}", *args],
        env=fresh_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    if ok is not None:
        assert (done.returncode == 0) is ok, done.stdout[-4000:] + done.stderr[-4000:]
    return done


def started_tests(suite: Suite, workers: Iterable[str]) -> Counter[str]:
    """Every test the workers' latest runs started, by node id, from their progress records."""
    counts: Counter[str] = Counter()
    for name in workers:
        for line in (suite.output / f"{name}_progress.jsonl").read_text().splitlines():
            record = json.loads(line)
            if record.get("event") == "start":
                counts[record["nodeid"]] += 1
    return counts


def results_by_test(suite: Suite, workers: Iterable[str]) -> Counter[str]:
    """Every test in the workers' results, by node id: what their latest runs ran or kept from the run before.

    A worker that re-ran some of its test files (covsplit.file_grain) started only those; its JUnit file
    holds every test of the worker, as a full run's does.
    """
    sys.path.insert(0, str(REPO / "scripts"))
    from covsplit import junit

    counts: Counter[str] = Counter()
    for name in workers:
        for result in junit.read_junit(suite.output / f"{name}_junit.xml", suite.root):
            if "::" in result.nodeid:
                counts[result.nodeid] += 1
    return counts


def serial_collection(suite: Suite, *options: str) -> list[str]:
    """The node ids one serial ``pytest --collect-only tests`` lists, in worker1's virtualenv."""
    done = subprocess.run(
        [str(suite.venv_python("worker1")), "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         *options, "tests"],
        cwd=suite.root, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [line for line in done.stdout.splitlines() if "::" in line]


def copy_suite(tmp_path: Path, envdir: Path, project: Path, config_text: str | None = None) -> Suite:
    """Copy ``project`` to ``tmp_path/project`` and put a workers.toml beside it."""
    target = tmp_path / "project"
    shutil.copytree(
        project, target, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", ".coverage*", "htmlcov")
    )
    config = tmp_path / "workers.toml"
    if config_text is None:
        config_text = (target / "workers.toml").read_text().replace('root = "."', 'root = "project"')
    config.write_text(config_text)
    return Suite(config=config, envdir=envdir)


@dataclass
class IndependentRun:
    coverage: dict  # coverage.py JSON
    outcomes: dict  # counts read straight from the JUnit XML's <testsuite> attributes


def independent_run(python: Path, root: Path, tests: list[str], sources: list[str], out: Path) -> IndependentRun:
    """Plain ``coverage run -m pytest``: no covsplit code, no pytest-cov, no addopts."""
    out.mkdir(parents=True, exist_ok=True)
    data = out / ".coverage"
    junit = out / "junit.xml"
    env = {k: v for k, v in os.environ.items() if k not in ("COVERAGE_FILE", "PYTHONPATH")}
    subprocess.run(
        [
            str(python), "-m", "coverage", "run", "--branch", f"--source={','.join(sources)}", f"--data-file={data}",
            "-m", "pytest", *tests, "-o", "addopts=", "-p", "no:cacheprovider", "--continue-on-collection-errors",
            f"--junitxml={junit}", "-q",
        ],
        cwd=root, env=env, check=False, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        [str(python), "-m", "coverage", "json", f"--data-file={data}", "-o", str(out / "coverage.json")],
        cwd=root, env=env, check=True, capture_output=True,
    )  # fmt: skip
    suite = ET.parse(junit).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    tests_run, failures, errors, skipped = (int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
    outcomes = {
        "tests": tests_run,
        "failed": failures,
        "errors": errors,
        "skipped": skipped,
        "passed": tests_run - failures - errors - skipped,
    }
    return IndependentRun(coverage=json.loads((out / "coverage.json").read_text()), outcomes=outcomes)


def line_facts(report: dict, name: str) -> tuple[list[int], int, list, int]:
    """What must agree between two coverage.py JSON reports for one file."""
    entry = report["files"][name]
    return (
        entry["executed_lines"],
        entry["summary"]["num_statements"],
        sorted(map(tuple, entry.get("executed_branches", []))),
        entry["summary"].get("num_branches", 0),
    )


@dataclass
class Faithfulness:
    """A split's run against one serial pytest run of the same tree: tests by node id and outcome, coverage by file."""

    serial_tests: dict[str, str]
    split_tests: dict[str, list[str]]
    differences: list[str]


def serial_against_split(suite: Suite, out: Path, python: Path | None = None) -> Faithfulness:
    """Run the project's suite once, serially, as its own configuration says, and compare the split's last run.

    The serial run is plain ``pytest --cov`` over the project's test paths with its own addopts and
    ``project.pytest_args``, in a worker's virtualenv; the split's tests are read from every worker's JUnit
    file and its coverage from ``combined_coverage.json``.  Both sides go through one JUnit reader.
    """
    import tomllib

    from covsplit.junit import read_junit

    project = tomllib.loads(suite.config.read_text())["project"]
    tests = project.get("tests", "tests")
    tests = [tests] if isinstance(tests, str) else list(tests)
    source_dir = project.get("source_dir", ".")
    sources = [str(Path(source_dir, *name.split("."))) for name in project["source"]]
    out.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("COVERAGE_FILE", "PYTHONPATH")}
    env.update(project.get("env", {}), COVERAGE_FILE=str(out / ".coverage"))
    python = python or suite.venv_python("worker1")
    subprocess.run(
        [
            str(python), "-m", "pytest", *tests, "-p", "no:cacheprovider", *[f"--cov={s}" for s in sources],
            "--cov-branch", f"--cov-report=json:{out / 'serial.json'}", f"--junitxml={out / 'serial.xml'}",
            "-o", "junit_family=xunit1", "--continue-on-collection-errors", *project.get("pytest_args", []),
        ],
        cwd=suite.root, env=env, check=False, capture_output=True,
    )  # fmt: skip
    serial = {r.nodeid: r.outcome for r in read_junit(out / "serial.xml", suite.root)}
    split: dict[str, list[str]] = {}
    for junit in sorted(suite.output.glob("worker*_junit.xml")):
        for result in read_junit(junit, suite.root):
            split.setdefault(result.nodeid, []).append(result.outcome)
    differences = [f"{node}: serial {serial.get(node)}, split {split.get(node)}" for node in sorted({*serial, *split})
                   if split.get(node) != ([serial[node]] if node in serial else None)]  # fmt: skip
    serial_cov = json.loads((out / "serial.json").read_text())
    combined = suite.read_json("combined_coverage.json")
    for name in sorted({*serial_cov["files"], *combined["files"]}):
        if name not in serial_cov["files"] or name not in combined["files"]:
            differences.append(f"{name}: measured by one side only")
        elif line_facts(serial_cov, name) != line_facts(combined, name):
            differences.append(f"{name}: lines or branches differ from the serial run")
    return Faithfulness(serial, split, differences)
