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

import configparser
import contextlib
import itertools
import os
import re
import shlex
import sys
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from covsplit import config, discover, exits, fsio, init_tests, node_ids

# The names projects give the extra, dependency group or tox environment their tests need, most specific first.
TEST_NAMES = ("test", "tests", "testing", "dev")
# covsplit installs and pins these itself; a project's own pin of them would break the measurement.
OWN_TOOLS = frozenset({"pytest", "pytest-cov", "coverage", "pytest-xdist", "pytest-timeout"})
# Folders beside the packages that are never the code under test.
NOT_SOURCE = frozenset(
    {"tests", "test", "testing", "docs", "doc", "examples", "example", "benchmarks", "bench", "scripts", "tools",
     "build", "dist", "site-packages", "typings", "changelog.d", "requirements", "ci", "tasks"}
)  # fmt: skip
# Top-level modules that belong to the build or the tests, not to the project.
NOT_MODULES = frozenset({"setup", "conftest", "noxfile", "tasks", "fabfile", "manage", "versioneer", "hatch_build"})


@dataclass(frozen=True)
class Choice:
    """One decision: the key it sets, why, and whether a person should check it (a guess)."""

    key: str
    why: str
    guess: bool = False
    # What the `# check:` mark on the key's line says, when more than "a guess".
    mark: str = ""


@dataclass
class Survey:
    """What a repository declares, as workers.toml needs it."""

    root: Path
    source_dir: str = "."
    source: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    install: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    pytest_args: list[str] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)

    def say(self, key: str, why: str, guess: bool = False, mark: str = "") -> None:
        self.choices.append(Choice(key, why, guess, mark))


# --------------------------------------------------------------------------- reading what the project declares


def _pyproject(root: Path) -> dict[str, Any]:
    try:
        return tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8-sig"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def _ini(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    with contextlib.suppress(OSError, configparser.Error):
        parser.read(path, encoding="utf-8")
    return parser


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip() and not line.strip().startswith("#")]


def pytest_settings(root: Path, pyproject: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """pytest's ini options and the file they come from, in pytest's own order of precedence."""
    ini = _ini(root / "pytest.ini")
    if ini.has_section("pytest"):
        return dict(ini["pytest"]), "pytest.ini"
    options = pyproject.get("tool", {}).get("pytest", {}).get("ini_options")
    if isinstance(options, dict):
        return options, "pyproject.toml [tool.pytest.ini_options]"
    for name, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        parser = _ini(root / name)
        if parser.has_section(section):
            return dict(parser[section]), f"{name} [{section}]"
    return {}, ""


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return shlex.split(value)
    return [str(item) for item in value] if isinstance(value, list) else []


# --------------------------------------------------------------------------- source packages


def _project_name(pyproject: Mapping[str, Any], root: Path) -> str:
    name = pyproject.get("project", {}).get("name") or pyproject.get("tool", {}).get("poetry", {}).get("name")
    if not name:
        parser = _ini(root / "setup.cfg")
        name = parser.get("metadata", "name", fallback="") if parser.has_section("metadata") else ""
    return canonicalize_name(str(name or root.name)).replace("-", "_")


def _has_python(folder: Path) -> bool:
    return any(True for _ in folder.rglob("*.py"))


def _declared_packages(pyproject: Mapping[str, Any]) -> list[str]:
    """Top-level packages the build configuration names (setuptools, hatch, flit, poetry)."""
    tool = pyproject.get("tool", {})
    found: list[str] = []
    setuptools = tool.get("setuptools", {})
    if isinstance(setuptools.get("packages"), list):
        found += [str(p).split(".")[0] for p in setuptools["packages"]]
    find = setuptools.get("packages", {}).get("find", {}) if isinstance(setuptools.get("packages"), dict) else {}
    found += [str(p).rstrip("*").rstrip(".").split(".")[0] for p in find.get("include", []) if str(p).rstrip("*.")]
    found += [str(m) for m in setuptools.get("py-modules", [])]
    wheel = tool.get("hatch", {}).get("build", {}).get("targets", {}).get("wheel", {})
    found += [Path(str(p)).name for p in wheel.get("packages", [])]
    flit = tool.get("flit", {}).get("module", {}).get("name")
    if flit:
        found.append(str(flit))
    for entry in tool.get("poetry", {}).get("packages", []):
        if isinstance(entry, dict) and entry.get("include"):
            found.append(str(entry["include"]).split("/")[0])
    return list(dict.fromkeys(p for p in found if p and p.isidentifier()))


def _namespace_package(base: Path, pyproject: Mapping[str, Any], root: Path) -> str | None:
    """``jaraco.functools`` for a project of that name whose code is jaraco/functools/ with no jaraco/__init__.py."""
    raw = str(pyproject.get("project", {}).get("name") or root.name)
    for dotted in (raw.replace("-", ".").replace("_", "."), _project_name(pyproject, root)):
        folder = base.joinpath(*dotted.split("."))
        if all(part.isidentifier() for part in dotted.split(".")) and folder.is_dir() and _has_python(folder):
            return dotted
    return None


def find_source(survey: Survey, pyproject: Mapping[str, Any]) -> None:
    """``source_dir`` and ``source``: src layout or flat, packages, namespace packages, single modules."""
    root = survey.root
    base_dir = "src" if (root / "src").is_dir() and _has_python(root / "src") else "."
    base = root / base_dir
    declared = [
        name for name in _declared_packages(pyproject) if (base / name).is_dir() or (base / f"{name}.py").is_file()
    ]
    packages = sorted(
        child.name
        for child in base.iterdir()
        if child.is_dir()
        and child.name.isidentifier()
        and child.name not in NOT_SOURCE
        and not child.name.startswith((".", "_"))
        and ((child / "__init__.py").is_file() or (base_dir == "src" and _has_python(child)))
    )
    modules = sorted(
        child.stem
        for child in base.glob("*.py")
        if child.stem.isidentifier() and child.stem not in NOT_MODULES and not child.stem.startswith("test")
    )
    name = _project_name(pyproject, root)
    survey.source_dir = base_dir
    layout = "a src layout" if base_dir == "src" else "a flat layout"
    if declared:
        survey.source = declared
        survey.say("project.source", f"{', '.join(declared)}: the packages its build configuration ships ({layout})")
    elif packages:
        survey.source = packages
        survey.say("project.source", f"{', '.join(packages)}: the package folders of {layout}")
    elif name in modules or len(modules) == 1:
        module = name if name in modules else modules[0]
        survey.source = [module]
        survey.say("project.source", f"{module}: a single-module project ({module}.py)")
    elif namespace := _namespace_package(base, pyproject, root):
        survey.source = [namespace]
        survey.say("project.source", f"{namespace}: a namespace package named after the project")
    else:
        survey.source = modules or [name]
        survey.say("project.source", "no package folder found: check that these are the modules under test", True)
    if base_dir != ".":
        survey.say("project.source_dir", f'"{base_dir}": the packages live under {base_dir}/')


# --------------------------------------------------------------------------- tests


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
    declared = [p.rstrip("/") for p in _as_list(ini.get("testpaths", [])) if (root / p).exists()]
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


# --------------------------------------------------------------------------- what the tests need installed


def _shell_word(text: str) -> str:
    """``text`` as one word of an install entry (split as a shell would), quoted the way a person would write it.

    A marker's quotes ("tomli; python_version<'3.11'") read plainly inside double quotes; ``shlex.quote`` alone
    would write ``'tomli; python_version<'"'"'3.11'"'"''``.
    """
    if "'" in text and not any(c in text for c in '"\\$`'):
        return f'"{text}"'
    return shlex.quote(text)


def _requirement(text: str) -> Requirement | None:
    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


def _needed(requirements: Iterable[str]) -> list[str]:
    """Requirements covsplit does not install itself, as written (markers kept)."""
    kept = []
    for text in requirements:
        requirement = _requirement(text)
        if requirement is None or canonicalize_name(requirement.name) not in OWN_TOOLS:
            kept.append(text)
    return kept


def _group(groups: Mapping[str, Any], name: str, seen: frozenset[str] = frozenset()) -> list[str]:
    """A PEP 735 dependency group's requirements, its ``include-group`` entries expanded."""
    found = []
    for entry in groups.get(name, []):
        if isinstance(entry, str):
            found.append(entry)
        elif isinstance(entry, dict) and entry.get("include-group") and entry["include-group"] not in seen:
            found += _group(groups, entry["include-group"], seen | {name})
    return found


def find_install(survey: Survey, pyproject: Mapping[str, Any]) -> None:
    """The project itself (editable) and what its tests need: extras, dependency groups, requirement files, tox."""
    root = survey.root
    installable = any((root / name).is_file() for name in ("pyproject.toml", "setup.py", "setup.cfg")) and bool(
        pyproject.get("project") or pyproject.get("build-system") or (root / "setup.py").is_file()
        or (root / "setup.cfg").is_file()
    )  # fmt: skip
    extras = pyproject.get("project", {}).get("optional-dependencies", {})
    setup_cfg = _ini(root / "setup.cfg")
    if not extras and setup_cfg.has_section("options.extras_require"):
        extras = {k: _lines(v) for k, v in setup_cfg["options.extras_require"].items()}
    extra = next((n for n in TEST_NAMES if n in extras and _needed(extras[n])), None)
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
    group = next((n for n in TEST_NAMES if n in groups and _needed(_group(groups, n))), None)
    if group:
        needed = _needed(_group(groups, group))
        survey.install += [_shell_word(text) for text in needed]
        survey.say("project.install", f"{len(needed)} requirement(s) of its {group!r} dependency group (PEP 735)")

    files = sorted({*root.glob("requirements*test*.txt"), *root.glob("test*requirements*.txt"),
                    *root.glob("requirements/test*.txt"), *root.glob("requirements/*test*.txt")})  # fmt: skip
    for path in files:
        survey.install.append(f"-r {path.relative_to(root).as_posix()}")
        survey.say("project.install", f'"-r {path.relative_to(root).as_posix()}": a requirements file for its tests')

    if not extra and not group and not files:
        find_tox_install(survey, _ini(root / "tox.ini"), installable)


# "unit-!py315t: matplotlib": tox's factor condition, then the value. The colon is followed by a space, which a URL's
# ("git+https://...") is not.
_FACTOR_LINE = re.compile(r"^(?P<condition>[\w{},!.+-]+):\s+(?P<value>.+)$")
_PYTHON_FACTOR = re.compile(r"^(py|pypy|cpython)\d*t?$")
# Environments that run the tests, when no command line says which one runs pytest.
_TEST_FACTORS = frozenset({*TEST_NAMES, "unit", "pytest"})


def _alternatives(condition: str) -> list[list[str]]:
    """tox's factor condition as alternatives (",") of factors that must all hold ("-"); braces expanded."""
    alternatives: list[list[str]] = []
    for part in re.split(r",(?![^{]*})", condition):
        pieces = re.split(r"({[^}]*})", part)
        choices = [piece[1:-1].split(",") if piece.startswith("{") else [piece] for piece in pieces]
        alternatives += [[f for f in "".join(combo).split("-") if f] for combo in itertools.product(*choices)]
    return alternatives


def _for_factors(lines: Iterable[str], wanted: frozenset[str]) -> tuple[list[str], list[str]]:
    """The values of ``lines`` that hold in an environment with the ``wanted`` factors, and the lines left out.

    A factor that names a Python version holds (the workers run one interpreter, whichever it is), and so does a
    negated one: ``unit-!py315t: matplotlib`` is meant for every unit environment but one.
    """
    kept, left_out = [], []
    for line in lines:
        match = _FACTOR_LINE.match(line)
        if match is None:
            kept.append(line)
        elif any(
            all(f.startswith("!") or _PYTHON_FACTOR.match(f) or f in wanted for f in factors)
            for factors in _alternatives(match["condition"])
        ):
            kept.append(match["value"].strip())
        else:
            left_out.append(line)
    return kept, left_out


def _pytest_factors(tox: configparser.ConfigParser) -> frozenset[str]:
    """The factors of the environment whose commands run pytest (``unit: pytest tests``), else the usual names."""
    commands = _lines(tox.get("testenv", "commands", fallback=""))
    found: set[str] = set()
    for line in commands:
        match = _FACTOR_LINE.match(line)
        if match and re.search(r"\bpytest\b|\bpy\.test\b", match["value"]):
            found.update(f for alt in _alternatives(match["condition"]) for f in alt if not f.startswith("!"))
    return frozenset(found) or _TEST_FACTORS


def find_tox_install(survey: Survey, tox: configparser.ConfigParser, installable: bool) -> None:
    """What tox's [testenv] installs for the environment that runs pytest: its deps and its extras."""
    if not tox.has_section("testenv"):
        return
    wanted = _pytest_factors(tox)
    deps, left_out = _for_factors(_lines(tox.get("testenv", "deps", fallback="")), wanted)
    deps = [d for d in deps if not d.startswith(("{", "-c", "--"))]
    needed = _needed(d for d in deps if not d.startswith("-r"))
    survey.install += [_shell_word(d) for d in needed]
    # "-rrequirements-dev.txt", as tox allows it: one option and one path for the installer.
    survey.install += [f"-r {d[2:].strip()}" for d in deps if d.startswith("-r")]
    if deps:
        survey.say("project.install", f"{len(deps)} dependency line(s) of tox.ini [testenv]")
    extras_lines, extras_left_out = _for_factors(_lines(tox.get("testenv", "extras", fallback="")), wanted)
    extras = sorted({e.strip() for line in extras_lines for e in line.split(",") if e.strip()})
    if extras and installable and survey.install and survey.install[0] == "-e .":
        survey.install[0] = f"-e .[{','.join(extras)}]"
        survey.say("project.install", f'"-e .[{",".join(extras)}]": the extras tox.ini [testenv] installs')
    if left_out or extras_left_out:
        survey.say(
            "project.install",
            f"left out {len(left_out) + len(extras_left_out)} tox.ini [testenv] line(s) for environments that do "
            f"not run pytest: {'; '.join([*left_out, *extras_left_out])}",
        )


# --------------------------------------------------------------------------- pytest settings that matter


def find_pytest_needs(survey: Survey, ini: Mapping[str, Any], ini_source: str) -> None:
    """What the project's own pytest settings ask for: plugins to install, options covsplit replaces."""
    args = _as_list(ini.get("addopts", ""))
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
    required = _as_list(ini.get("required_plugins", []))
    needed = _needed(required)
    if needed:
        survey.install += [_shell_word(r) for r in needed]
        survey.say("project.install", f"{', '.join(needed)}: required_plugins in {ini_source}")
    if (survey.root / "conftest.py").is_file():
        survey.say("pytest", "a conftest.py at the root applies to every worker")


def survey(root: Path) -> Survey:
    """Every choice for ``root``, with the reason for each."""
    root = root.resolve()
    result = Survey(root=root)
    pyproject = _pyproject(root)
    ini, ini_source = pytest_settings(root, pyproject)
    find_source(result, pyproject)
    find_tests(result, ini, ini_source)
    find_install(result, pyproject)
    find_pytest_needs(result, ini, ini_source)
    return result


# --------------------------------------------------------------------------- the file


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
