"""Read and validate ``workers.toml``, the single source of truth of a split.

Everything is checked before any worker runs: a mistake found after a
twenty-minute run is a mistake that cost twenty minutes.  Errors name the
file, the key and the fix, and the command exits with status 2.

Standard library only: the noxfile imports this module to generate its
sessions, before any session virtualenv exists.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from covsplit.discover import is_blank_init, resolve_module, source_files

CONFIG_EXIT_STATUS = 2
DEFAULT_LINE_THRESHOLD = 80.0
DEFAULT_BRANCH_THRESHOLD = 90.0
DEFAULT_BALANCE_TOLERANCE = 1.25
DEFAULT_TIMEOUT = 3600.0

# Session names the noxfile defines itself: a worker may not shadow them.
RESERVED_NAMES = frozenset({"aggregate", "report", "plan", "check", "tests", "lint", "bench"})
_WORKER_HEADER = re.compile(r"^\s*\[\s*workers\.([^\]]+)\]")
WORKER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")

_PROJECT_KEYS = {
    "root",
    "source",
    "source_dir",
    "tests",
    "install",
    "python",
    "pytest_args",
    "env",
    "timeout",
    "xdist",
}
_THRESHOLD_KEYS = {"line", "branch", "balance"}
_WORKER_KEYS = {"title", "modules", "tests", "timeout", "xdist"}
AUTO = "auto"
_TOP_KEYS = {"project", "thresholds", "workers"}


class ConfigError(Exception):
    """A ``workers.toml`` problem, phrased for the person who has to fix it."""

    def __init__(self, path: Path, key: str, problem: str, fix: str) -> None:
        self.path = path
        self.key = key
        self.problem = problem
        self.fix = fix
        super().__init__(f"{path}: {key}: {problem}\n  fix: {fix}")


@dataclass(frozen=True)
class Worker:
    """One worker: the modules whose coverage it owns and the tests it runs."""

    name: str
    title: str
    modules: tuple[str, ...]
    tests: tuple[str, ...]
    timeout: float
    # pytest-xdist processes: 0 (none), a number, or "auto" (the CPUs this worker may use).
    xdist: int | str = 0
    # Source files (relative to the project root, POSIX style) the modules resolve to.
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    path: Path
    root: Path
    source: tuple[str, ...]
    source_dir: str
    test_root: str
    install: tuple[tuple[str, ...], ...]
    python: str | None
    pytest_args: tuple[str, ...]
    env: dict[str, str]
    line_threshold: float
    branch_threshold: float
    balance_tolerance: float
    workers: tuple[Worker, ...]
    # Every source file under the source packages, relative to the root (POSIX), sorted.
    source_files: tuple[str, ...] = ()
    # Source files that no worker owns (blank ``__init__.py`` files excepted).
    unowned: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def suite_dir(self) -> Path:
        """Where ``coverage_output/`` and ``htmlcov/`` live: beside workers.toml."""
        return self.path.parent

    @property
    def output_dir(self) -> Path:
        return self.suite_dir / "coverage_output"

    @property
    def html_dir(self) -> Path:
        return self.suite_dir / "htmlcov"

    @property
    def source_root(self) -> Path:
        return (self.root / self.source_dir).resolve()

    def worker(self, name: str) -> Worker:
        for worker in self.workers:
            if worker.name == name:
                return worker
        known = ", ".join(w.name for w in self.workers)
        raise ConfigError(self.path, "workers", f"no worker named {name!r}", f"use one of: {known}")

    def all_files(self) -> list[str]:
        """Every source file under the source packages, relative to the root."""
        return list(self.source_files)


def _expect(path: Path, key: str, value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    # bool is an int in Python; a threshold of `true` is a mistake, not 1.
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise ConfigError(path, key, f"expected {what}, got {value!r}", f"set {key} to {what}")
    if not isinstance(value, kind):
        raise ConfigError(path, key, f"expected {what}, got {type(value).__name__} {value!r}", f"set {key} to {what}")
    return value


def _string_list(path: Path, key: str, value: Any) -> tuple[str, ...]:
    _expect(path, key, value, list, "a list of strings")
    for item in value:
        _expect(path, key, item, str, "a list of strings")
    return tuple(value)


def _unknown_keys(path: Path, table: str, data: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(
            path,
            f"{table}.{unknown[0]}" if table else unknown[0],
            f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}",
            f"remove it or use one of: {', '.join(sorted(allowed))}",
        )


def _percent(path: Path, key: str, value: Any, default: float) -> float:
    if value is None:
        return default
    number = float(_expect(path, key, value, (int, float), "a number from 0 to 100"))
    if not 0 <= number <= 100:
        raise ConfigError(path, key, f"{number:g} is outside 0-100", f"set {key} to a percentage from 0 to 100")
    return number


def _positive(path: Path, key: str, value: Any, default: float) -> float:
    if value is None:
        return default
    number = float(_expect(path, key, value, (int, float), "a positive number of seconds"))
    if number <= 0:
        raise ConfigError(path, key, f"{number:g} is not positive", f"set {key} to a positive number")
    return number


def _xdist(path: Path, key: str, value: Any, default: int | str) -> int | str:
    if value is None:
        return default
    if value == AUTO:
        return AUTO
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(
            path, key, f'expected 0, a number of processes or "auto", got {value!r}', f'set {key} = "auto" or 2'
        )
    return value


def load(path: str | Path) -> Config:
    """Load and validate a ``workers.toml``; raise :class:`ConfigError` on any problem."""
    path = Path(path).resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "(file)", "file not found", "create it (see README.md) or pass --config") from None
    _reject_duplicate_workers(path, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "(syntax)", f"malformed TOML: {exc}", "fix the TOML syntax at that line") from None
    return parse(path, data)


def _reject_duplicate_workers(path: Path, text: str) -> None:
    # tomllib would say "Cannot declare ... twice"; say which worker, and where.
    first_line: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = _WORKER_HEADER.match(line)
        if not match:
            continue
        name = match.group(1).strip().strip('"')
        if name in first_line:
            raise ConfigError(
                path,
                f"workers.{name}",
                f"two workers named {name!r} (lines {first_line[name]} and {number})",
                "rename or merge one of them",
            )
        first_line[name] = number


def parse(path: Path, data: dict[str, Any]) -> Config:
    """Validate already-parsed TOML data; ``path`` anchors relative paths and messages."""
    _unknown_keys(path, "", data, _TOP_KEYS)
    if "project" not in data:
        raise ConfigError(path, "project", "missing table [project]", "add [project] with root and source")
    project = _expect(path, "project", data["project"], dict, "a table")
    _unknown_keys(path, "project", project, _PROJECT_KEYS)

    root_text = _expect(path, "project.root", project.get("root", "."), str, "a path relative to workers.toml")
    root = (path.parent / root_text).resolve()
    if not root.is_dir():
        raise ConfigError(path, "project.root", f"{root} is not a directory", "point root at the project under test")

    if "source" not in project:
        raise ConfigError(path, "project.source", "missing key", 'list the source packages, e.g. source = ["mypkg"]')
    source = _string_list(path, "project.source", project["source"])
    if not source:
        raise ConfigError(path, "project.source", "empty list", "list at least one source package")
    source_dir = _expect(path, "project.source_dir", project.get("source_dir", "."), str, "a path")
    for index, package in enumerate(source):
        if resolve_module(root, source_dir, package) is None:
            raise ConfigError(
                path,
                f"project.source[{index}]",
                f"{package!r} is neither a package folder nor a module under {root / source_dir}",
                "fix the name, or set project.root / project.source_dir",
            )

    test_root = _expect(path, "project.tests", project.get("tests", "tests"), str, "a path")
    if not (root / test_root).exists():
        raise ConfigError(path, "project.tests", f"{root / test_root} does not exist", "point it at the test folder")

    install_specs = _string_list(path, "project.install", project.get("install", []))
    install: list[tuple[str, ...]] = []
    for index, spec in enumerate(install_specs):
        try:
            install.append(tuple(shlex.split(spec)))
        except ValueError as exc:
            raise ConfigError(path, f"project.install[{index}]", str(exc), "quote it as a shell would") from None

    python = project.get("python")
    if python is not None:
        python = _expect(path, "project.python", python, str, "an interpreter name or path") or None

    pytest_args = _string_list(path, "project.pytest_args", project.get("pytest_args", []))
    env = _expect(path, "project.env", project.get("env", {}), dict, "a table of strings")
    for name, value in env.items():
        _expect(path, f"project.env.{name}", value, str, "a string")
    timeout = _positive(path, "project.timeout", project.get("timeout"), DEFAULT_TIMEOUT)
    xdist = _xdist(path, "project.xdist", project.get("xdist"), 0)

    thresholds = _expect(path, "thresholds", data.get("thresholds", {}), dict, "a table")
    _unknown_keys(path, "thresholds", thresholds, _THRESHOLD_KEYS)
    line = _percent(path, "thresholds.line", thresholds.get("line"), DEFAULT_LINE_THRESHOLD)
    branch = _percent(path, "thresholds.branch", thresholds.get("branch"), DEFAULT_BRANCH_THRESHOLD)
    balance = thresholds.get("balance", DEFAULT_BALANCE_TOLERANCE)
    balance = float(_expect(path, "thresholds.balance", balance, (int, float), "a max/mean ratio >= 1"))
    if balance < 1:
        raise ConfigError(path, "thresholds.balance", f"{balance:g} is below 1", "set a max/mean ratio such as 1.25")

    # Walked once: the noxfile loads the config on every nox call.
    every = tuple(source_files(root, source_dir, source))
    workers = _parse_workers(path, data, root, source_dir, source, set(every), test_root, timeout, xdist)

    owned = {f for w in workers for f in w.files}
    unowned = tuple(f for f in every if f not in owned and not is_blank_init(root / f))
    warnings = ()
    if unowned:
        warnings = (f"{path.name}: {len(unowned)} module(s) owned by no worker: {', '.join(unowned)}",)

    return Config(
        path=path,
        root=root,
        source=source,
        source_dir=source_dir,
        test_root=test_root,
        install=tuple(install),
        python=python,
        pytest_args=pytest_args,
        env=dict(env),
        line_threshold=line,
        branch_threshold=branch,
        balance_tolerance=balance,
        workers=workers,
        source_files=every,
        unowned=unowned,
        warnings=warnings,
    )


def _parse_workers(
    path: Path,
    data: dict[str, Any],
    root: Path,
    source_dir: str,
    source: tuple[str, ...],
    every: set[str],
    test_root: str,
    default_timeout: float,
    default_xdist: int | str = 0,
) -> tuple[Worker, ...]:
    if "workers" not in data:
        raise ConfigError(path, "workers", "missing table [workers]", "add at least one [workers.worker1] table")
    tables = _expect(path, "workers", data["workers"], dict, "a table of [workers.NAME] tables")
    if not tables:
        raise ConfigError(path, "workers", "no workers defined", "add at least one [workers.worker1] table")

    owners: dict[str, str] = {}
    workers = []
    # TOML itself rejects a table defined twice, so names are unique here;
    # names differing only in case would still collide in artifact file names.
    seen_lower: dict[str, str] = {}
    for name, table in tables.items():
        key = f"workers.{name}"
        if not WORKER_NAME.match(name):
            raise ConfigError(
                path, key, f"invalid worker name {name!r}", "use letters, digits, '-' or '_' (e.g. worker1)"
            )
        if name in RESERVED_NAMES:
            raise ConfigError(path, key, f"{name!r} is the name of a built-in session", "rename the worker")
        if name.lower() in seen_lower:
            raise ConfigError(
                path,
                key,
                f"same name as worker {seen_lower[name.lower()]!r} (names are case-insensitive)",
                "rename one",
            )
        seen_lower[name.lower()] = name
        _expect(path, key, table, dict, "a table")
        _unknown_keys(path, key, table, _WORKER_KEYS)

        title = _expect(path, f"{key}.title", table.get("title", name), str, "a string")
        if "modules" not in table:
            raise ConfigError(path, f"{key}.modules", "missing key", "list the modules this worker owns")
        modules = _string_list(path, f"{key}.modules", table["modules"])
        if not modules:
            raise ConfigError(path, f"{key}.modules", "the worker owns no modules", "list at least one module")

        files: list[str] = []
        for index, module in enumerate(modules):
            resolved = resolve_module(root, source_dir, module)
            if resolved is None:
                raise ConfigError(
                    path,
                    f"{key}.modules[{index}]",
                    f"module {module!r} does not exist under {root / source_dir}",
                    "fix the dotted name, or run `nox -s plan` to regenerate the split",
                )
            module_files = [f for f in resolved if f in every]
            if not module_files:
                raise ConfigError(
                    path,
                    f"{key}.modules[{index}]",
                    f"module {module!r} is outside the source packages {', '.join(source)}",
                    "add its package to project.source, or remove it",
                )
            for rel in module_files:
                if rel in owners and owners[rel] != name:
                    raise ConfigError(
                        path,
                        f"{key}.modules[{index}]",
                        f"{rel} is already owned by worker {owners[rel]!r}",
                        "give each module to exactly one worker",
                    )
                owners[rel] = name
            files.extend(f for f in module_files if f not in files)

        tests = _string_list(path, f"{key}.tests", table.get("tests", [test_root]))
        if not tests:
            raise ConfigError(
                path, f"{key}.tests", "empty list", f'leave it out to run the whole test root "{test_root}"'
            )
        for index, test in enumerate(tests):
            # A node id such as tests/test_a.py::test_x selects within a file.
            if not (root / test.split("::", 1)[0]).exists():
                raise ConfigError(
                    path,
                    f"{key}.tests[{index}]",
                    f"{root / test} does not exist",
                    "give a test file or folder relative to project.root",
                )
        timeout = _positive(path, f"{key}.timeout", table.get("timeout"), default_timeout)
        xdist = _xdist(path, f"{key}.xdist", table.get("xdist"), default_xdist)
        workers.append(
            Worker(
                name=name,
                title=title,
                modules=modules,
                tests=tests,
                timeout=timeout,
                xdist=xdist,
                files=tuple(sorted(files)),
            )
        )
    return tuple(workers)
