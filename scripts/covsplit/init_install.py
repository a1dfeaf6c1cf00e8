"""What ``init`` says the tests need installed: the project, its test extra or group, requirement files, plugins."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from covsplit import node_ids
from covsplit.init_read import Survey, as_list, ini_lines, read_ini
from covsplit.init_requirements import TEST_NAMES, group, needed, shell_word
from covsplit.init_tox import find_tox_install


def find_install(survey: Survey, pyproject: Mapping[str, Any]) -> None:
    """The project itself (editable) and what its tests need: extras, dependency groups, requirement files, tox."""
    root = survey.root
    installable = any((root / name).is_file() for name in ("pyproject.toml", "setup.py", "setup.cfg")) and bool(
        pyproject.get("project") or pyproject.get("build-system") or (root / "setup.py").is_file()
        or (root / "setup.cfg").is_file()
    )  # fmt: skip
    extras = pyproject.get("project", {}).get("optional-dependencies", {})
    setup_cfg = read_ini(root / "setup.cfg")
    if not extras and setup_cfg.has_section("options.extras_require"):
        extras = {k: ini_lines(v) for k, v in setup_cfg["options.extras_require"].items()}
    extra = next((n for n in TEST_NAMES if n in extras and needed(extras[n])), None)
    if installable:
        survey.install.append(f"-e .[{extra}]" if extra else "-e .")
        survey.say(
            "project.install",
            f'"-e .[{extra}]": the project, editable, with its {extra!r} extra'
            if extra
            else '"-e .": the project, editable',
        )
    else:
        survey.env["PYTHONPATH"] = survey.source_dir
        survey.say("project.env", f"PYTHONPATH = {survey.source_dir!r}: the project declares no build to install", True)

    groups = pyproject.get("dependency-groups", {})
    chosen = next((n for n in TEST_NAMES if n in groups and needed(group(groups, n))), None)
    if chosen:
        wanted = needed(group(groups, chosen))
        survey.install += [shell_word(text) for text in wanted]
        survey.say("project.install", f"{len(wanted)} requirement(s) of its {chosen!r} dependency group (PEP 735)")

    files = sorted({*root.glob("requirements*test*.txt"), *root.glob("test*requirements*.txt"),
                    *root.glob("requirements/test*.txt"), *root.glob("requirements/*test*.txt")})  # fmt: skip
    for path in files:
        survey.install.append(f"-r {path.relative_to(root).as_posix()}")
        survey.say("project.install", f'"-r {path.relative_to(root).as_posix()}": a requirements file for its tests')

    if not extra and not chosen and not files:
        find_tox_install(survey, read_ini(root / "tox.ini"), installable)


def find_pytest_needs(survey: Survey, ini: Mapping[str, Any], ini_source: str) -> None:
    """What the project's own pytest settings ask for: plugins to install, options covsplit replaces."""
    args = as_list(ini.get("addopts", ""))
    plugins = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "-p" and not args[i + 1].startswith("no:")]
    if any(a.startswith("--cov") for a in args):
        survey.say("pytest", f"its addopts ({ini_source}) measure coverage: covsplit drops those options itself")
    if any(a in ("-n", "--numprocesses", "--dist") or a.startswith(("-n", "--numprocesses=")) for a in args):
        survey.install.append("pytest-xdist")
        survey.say("project.install", f"pytest-xdist: its addopts ({ini_source}) use it")
    source_tested = any(
        node_ids.covers(path, Path(survey.source_dir, *package.split(".")).as_posix().removeprefix("./"))
        for path in survey.tests
        for package in survey.source
    )
    if "--doctest-modules" in args and not source_tested:
        survey.say(
            "pytest",
            f"its addopts ({ini_source}) collect doctests from the modules: they run only where pytest is pointed "
            "at the source, so only the test files' doctests run here",
            True,
        )
    for plugin in plugins:
        survey.say(
            "pytest", f"its addopts load the plugin {plugin!r}: install its package if it is not the project's", True
        )
    required = as_list(ini.get("required_plugins", []))
    plugins_needed = needed(required)
    if plugins_needed:
        survey.install += [shell_word(r) for r in plugins_needed]
        survey.say("project.install", f"{', '.join(plugins_needed)}: required_plugins in {ini_source}")
    if (survey.root / "conftest.py").is_file():
        survey.say("pytest", "a conftest.py at the root applies to every worker")
