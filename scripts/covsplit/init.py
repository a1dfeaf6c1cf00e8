"""``covsplit init``: a working ``workers.toml`` for a repository, read from its own packaging and test settings.

Every real project tried so far needed its source folder, its test extras
and its test paths worked out by reading its ``pyproject.toml``; a person
who wants coverage split five ways should not have to learn packaging
first.  So this module reads what the project already declares, the way
its tools read it (``tomllib`` for pyproject, ``configparser`` for
setup.cfg and tox.ini, ``packaging`` for requirements), and says for each
choice why it made it.  Where it has to guess it still writes its best
guess, marked ``# check:`` on the line to look at.

The survey is pure (a folder in, choices out); :func:`run` writes the file
and hands it to the planner, which splits it into workers.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from covsplit import config, discover, exits, fsio, init_tests, init_thresholds, schedule_file
from covsplit.config_options import DEFAULT_BRANCH_THRESHOLD, DEFAULT_LINE_THRESHOLD
from covsplit.init_install import find_install, find_pytest_needs
from covsplit.init_read import Survey, as_list, pytest_settings, read_pyproject
from covsplit.init_source import find_source


def find_tests(survey: Survey, ini: Mapping[str, Any], ini_source: str) -> None:
    """The test paths: pytest's ``testpaths``, else what holds every test file a root run collects (init_tests)."""
    if _find_tests(survey, ini, ini_source):
        return
    verdict = init_tests.compare(survey.root, ini, survey.tests)
    if verdict is not None:
        survey.choices = [c for c in survey.choices if c.key != "project.tests"]
        survey.tests = verdict.paths
        survey.say("project.tests", verdict.why, verdict.guess, verdict.mark)


def _find_tests(survey: Survey, ini: Mapping[str, Any], ini_source: str) -> bool:
    """The first guess at the test paths; True when pytest's ``testpaths`` declared them (nothing to compare)."""
    root = survey.root
    # Every declared path, test files by name or not: pytest collects them all (doctests of a package, documents).
    declared = [p.rstrip("/") for p in as_list(ini.get("testpaths", [])) if (root / p).exists()]
    if declared:
        survey.tests = declared
        survey.say("project.tests", f"{', '.join(declared)}: testpaths in {ini_source}")
        return True
    for folder in ("tests", "test", "testing"):
        if (root / folder).is_dir() and discover.test_files(root, folder):
            survey.tests = [folder]
            survey.say("project.tests", f"{folder}: the folder its test files are in")
            return False
    beside = sorted(p.name for p in root.glob("*.py") if p.name.startswith("test_") or p.name.endswith("_test.py"))
    if beside:
        survey.tests = beside
        survey.say("project.tests", f"{', '.join(beside)}: test files beside the code, at the root")
        return False
    inside = [
        Path(survey.source_dir, *package.split("."), folder).as_posix()
        for package in survey.source
        for folder in ("tests", "test")
        if (root / survey.source_dir / package / folder).is_dir()
    ]
    inside = [p.removeprefix("./") for p in inside if discover.test_files(root, p.removeprefix("./"))]
    if inside:
        survey.tests = inside
        survey.say("project.tests", f"{', '.join(inside)}: tests inside the package")
        return False
    survey.tests = ["."]
    survey.say("project.tests", "no test folder found: every test file under the root", True)
    return False


def survey(root: Path) -> Survey:
    """Every choice for ``root``, with the reason for each."""
    root = root.resolve()
    result = Survey(root=root)
    pyproject = read_pyproject(root)
    ini, ini_source = pytest_settings(root, pyproject)
    find_source(result, pyproject)
    find_tests(result, ini, ini_source)
    find_install(result, pyproject)
    find_pytest_needs(result, ini, ini_source)
    find_threshold(result, ini_source, as_list(ini.get("addopts", "")))
    return result


def find_threshold(survey: Survey, ini_source: str, addopts: Sequence[str]) -> None:
    """The project's own coverage gate (covsplit.init_thresholds), or say that the gates are covsplit's defaults."""
    found = init_thresholds.read(survey.root, ini_source, addopts, survey.source)
    survey.threshold = found.threshold
    if found.threshold is not None:
        survey.say("thresholds", found.why)
        if found.also_measured:
            also = ", ".join(found.also_measured)
            survey.say(
                "thresholds.total",
                f"the project's own total also measures {also}, which covsplit does not (it measures "
                f"project.source): the same tests can give another total; lower or raise it here if so",
                True,
                f"the project's total also measures {also}",
            )
        return
    why = found.why or "the project declares no coverage threshold (no fail_under, no --cov-fail-under)"
    survey.say(
        "thresholds",
        f"{why}; the gates are covsplit's defaults, line {DEFAULT_LINE_THRESHOLD:g}% and branch "
        f"{DEFAULT_BRANCH_THRESHOLD:g}%: change them in [thresholds] of workers.toml (line, branch, or total)",
        found.guess,
    )


def _toml_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_toml_string(v) for v in values) + "]"


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(found: Survey, config_dir: Path) -> str:
    """The workers.toml text: one worker owning everything, for the planner to split."""
    root = os.path.relpath(found.root, config_dir)
    guesses = {c.key: c.mark for c in found.choices if c.guess}

    def check(key: str) -> str:
        return f"  # check: {guesses[key] or 'a guess'}, see `make init`'s notes" if key in guesses else ""

    lines = [
        f"# covsplit: the split of {found.root.name}'s coverage work, written by `make init`.",
        "# Each choice below was read from the project's own settings; lines marked `check` are guesses.",
        "",
        "[project]",
        f"root = {_toml_string(root)}",
        f"source = {_toml_list(found.source)}{check('project.source')}",
    ]
    if found.source_dir != ".":
        lines.append(f"source_dir = {_toml_string(found.source_dir)}")
    tests: str = _toml_string(found.tests[0]) if len(found.tests) == 1 else _toml_list(found.tests)
    lines.append(f"tests = {tests}{check('project.tests')}")
    lines.append(f"install = {_toml_list(found.install)}")
    if found.pytest_args:
        lines.append(f"pytest_args = {_toml_list(found.pytest_args)}")
    if found.env:
        lines += ["", "[project.env]"]
        lines += [f"{name} = {_toml_string(value)}{check('project.env')}" for name, value in found.env.items()]
    if found.threshold is not None:
        lines += ["", *found.threshold.toml_lines()]
        lines[-4] += check("thresholds.total")
    else:
        lines += [
            "",
            "# [thresholds]: the project declares none, so covsplit's defaults gate the combined coverage",
            f"# (line = {DEFAULT_LINE_THRESHOLD:g}, branch = {DEFAULT_BRANCH_THRESHOLD:g}); write the project's own "
            "here (line, branch, or total: see README).",
        ]
    lines += ["", "[workers.worker1]", f"modules = {_toml_list(found.source)}", ""]
    return "\n".join(lines)


# Where `make init` writes without CONFIG=: a folder per project, so each keeps its own outputs beside it.
SPLITS_DIR = Path(__file__).resolve().parents[2] / "splits"


def default_path(root: str | Path) -> Path:
    return SPLITS_DIR / Path(root).resolve().name / "workers.toml"


def run(root: str | Path, config_path: str | Path, workers: int, force: bool = False) -> int:
    """``covsplit init``: survey ``root``, write ``config_path`` (never over a file unless ``force``), plan it."""
    root = Path(root).resolve()
    path = Path(config_path).resolve()
    if not root.is_dir():
        print(f"covsplit init: {root} is not a folder: give ROOT=path/to/the/repository", file=sys.stderr)
        return exits.CONFIG
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and not force:
        print(
            f"covsplit init: {path} exists; give another CONFIG=path/to/workers.toml, or ARGS=--force to replace it",
            file=sys.stderr,
        )
        return exits.CONFIG
    found = survey(root)
    for choice in found.choices:
        print(f"{'check' if choice.guess else 'chose'}: {choice.key}: {choice.why}")
    fsio.write_text(path, render(found, path.parent))
    print(f"wrote {path}")
    schedule = schedule_file.path_for(path)
    if schedule.exists():
        # The replaced split's schedule names its workers, not these: the plan below writes this one's.
        schedule.unlink()
        print(f"removed {schedule}: it scheduled the workers of the file replaced")
    print(f'next: make coverage-all CONFIG={path}, then make plan CONFIG={path} ARGS="--by duration"')
    try:
        cfg = config.load(path)
    except config.ConfigError as exc:
        print(f"covsplit init: the file needs a hand: {exc}", file=sys.stderr)
        return exits.CONFIG
    # A worker needs a module to own and a test file to run: a small project gets fewer workers than asked.
    modules = [f for f in cfg.all_files() if not discover.is_blank_init(cfg.root / f)]
    tests = discover.test_files_in(cfg.root, cfg.test_paths)
    possible = max(1, min(workers, len(modules), len(tests)))
    if possible < workers:
        print(f"chose: {possible} worker(s), not {workers}: {len(modules)} module(s) to own, {len(tests)} test file(s)")
    from covsplit import plan

    return plan.run(path, workers=possible)
