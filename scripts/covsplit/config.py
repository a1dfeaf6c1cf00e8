"""Read and validate ``workers.toml``, the single source of truth of a split.

Everything is checked before any worker runs: a mistake found after a
twenty-minute run is a mistake that cost twenty minutes.  Errors name the
file, the key and the fix, and the command exits with status 2.

Standard library only: the noxfile imports this module to generate its
sessions, before any session virtualenv exists.
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from covsplit import exits, sharing
from covsplit.discover import is_blank_init, resolve_module, source_files
from covsplit.layout import Layout
from covsplit.sharing import SharedFile

# exits.CONFIG, under the name the noxfile and tests know.
CONFIG_EXIT_STATUS = exits.CONFIG
DEFAULT_LINE_THRESHOLD = 80.0
DEFAULT_BRANCH_THRESHOLD = 90.0
DEFAULT_BALANCE_TOLERANCE = 1.10
DEFAULT_TIMEOUT = 3600.0

# Session names the noxfile defines itself: a worker may not shadow them.
# More workers than this is a mistake (a generated file gone wrong), not a split: each is a virtualenv.
MAX_WORKERS = 64
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
    "test_timeout",
    "memory_limit",
    "xdist",
    "not_run",
    "keep_together",
}
_THRESHOLD_KEYS = {"line", "branch", "balance"}
_WORKER_KEYS = {"title", "modules", "tests", "timeout", "test_timeout", "memory_limit", "xdist"}
AUTO = "auto"
_TOP_KEYS = {"project", "thresholds", "workers"}


class ConfigError(Exception):
    """A ``workers.toml`` problem, phrased for the person who has to fix it.

    One error may carry several problems (``problems``): validation goes on
    past the first, so a user fixes six missing test paths in one go, not in
    six runs.  ``key``, ``problem`` and ``fix`` are the first one's.
    """

    def __init__(self, path: Path, key: str, problem: str, fix: str) -> None:
        self.path = path
        self.key = key
        self.problem = problem
        self.fix = fix
        self.problems: list[ConfigError] = [self]
        super().__init__(f"{path}: {key}: {problem}\n  fix: {fix}")

    @classmethod
    def of(cls, problems: list[ConfigError]) -> ConfigError:
        """One error that lists every problem found."""
        first = problems[0]
        error = cls(first.path, first.key, first.problem, first.fix)
        error.problems = list(problems)
        error.args = ("\n".join(str(problem) for problem in problems),)
        return error


def complain(error: ConfigError) -> int:
    """Print a config error as every command prints it; return the exit status that goes with it."""
    print(f"error: {error}", file=sys.stderr)
    return CONFIG_EXIT_STATUS


class _Problems:
    """Collects problems so that validation can go on past each one."""

    def __init__(self) -> None:
        self.found: list[ConfigError] = []

    def attempt(self, check: Callable[[], Any], default: Any = None) -> Any:
        try:
            return check()
        except ConfigError as exc:
            self.found.extend(exc.problems)
            return default

    def add(self, error: ConfigError) -> None:
        self.found.extend(error.problems)

    def raise_any(self) -> None:
        if self.found:
            raise ConfigError.of(self.found)


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
    # Seconds one test may take (pytest-timeout), and the address space pytest may use, in MiB.
    test_timeout: float | None = None
    memory_limit_mib: int | None = None
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
    # project.tests: every test path the project's suite is (one, or several folders).
    test_paths: tuple[str, ...] = ("tests",)
    # project.not_run: test files or folders no worker runs, on purpose (check does not flag them).
    not_run: tuple[str, ...] = ()
    # project.keep_together: groups of test files a schedule never separates (tests that depend on each other).
    keep_together: tuple[tuple[str, ...], ...] = ()
    # Test files several workers share, from the schedule file beside workers.toml (covsplit.sharing).
    shared: Mapping[str, SharedFile] = field(default_factory=dict)
    warnings: tuple[str, ...] = field(default=())

    @property
    def suite_dir(self) -> Path:
        """Where ``coverage_output/`` and ``htmlcov/`` live: beside workers.toml."""
        return self.path.parent

    @property
    def layout(self) -> Layout:
        """Where this config's outputs go (covsplit.layout)."""
        return Layout.beside(self.suite_dir)

    # Left for plan.gather and report/ (model.py, inputs.py), which read cfg.output_dir: they move to
    # cfg.layout.output_dir as those modules are split (issue 18); then this property goes.
    @property
    def output_dir(self) -> Path:
        return self.layout.output_dir

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
    """Every unknown key is its own problem, with the known key it most likely meant."""
    errors = []
    for unknown in sorted(set(data) - allowed):
        guess = difflib.get_close_matches(unknown, sorted(allowed), n=1, cutoff=0.6)
        fix = f"did you mean {guess[0]!r}?" if guess else f"remove it or use one of: {', '.join(sorted(allowed))}"
        errors.append(ConfigError(path, f"{table}.{unknown}" if table else unknown, "unknown key", fix))
    if errors:
        raise ConfigError.of(errors)


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


def _optional_seconds(path: Path, key: str, value: Any, default: float | None) -> float | None:
    return default if value is None else _positive(path, key, value, 0.0)


_MEMORY_UNITS = {"mib": 1, "m": 1, "gib": 1024, "g": 1024}
_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)


def _memory(path: Path, key: str, value: Any, default: int | None) -> int | None:
    """A memory size in MiB: a number of MiB, or a string such as "512MiB" or "4GiB"."""
    if value is None:
        return default
    fix = f'set {key} to a number of MiB or a size such as "4GiB"'
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(path, key, f"expected a memory size, got {value!r}", fix)
    match = _MEMORY.match(str(value))
    unit = (match.group(2) or "mib").lower() if match else ""
    if match is None or unit not in _MEMORY_UNITS:
        raise ConfigError(path, key, f"{value!r} is not a memory size", fix)
    mib = int(float(match.group(1)) * _MEMORY_UNITS[unit])
    if mib < 64:
        raise ConfigError(path, key, f"{value!r} is below 64 MiB: Python alone needs more", fix)
    return mib


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


def _test_paths(path: Path, project: dict[str, Any]) -> tuple[str, ...]:
    """``project.tests``: one path, or several (a repository that tests only some of its test folders)."""
    value = project.get("tests", "tests")
    if isinstance(value, str):
        return (value,)
    paths = _string_list(path, "project.tests", value)
    if not paths:
        raise ConfigError(path, "project.tests", "empty list", 'leave it out for "tests", or list the test folders')
    return paths


def _groups(path: Path, root: Path | None, value: Any) -> tuple[tuple[str, ...], ...]:
    """project.keep_together: lists of test files (relative to the root) that always run in one worker."""
    key = "project.keep_together"
    what = 'a list of lists of test files, e.g. [["tests/test_a.py", "tests/test_b.py"]]'
    _expect(path, key, value, list, what)
    groups = []
    for index, group in enumerate(value):
        files = _string_list(path, f"{key}[{index}]", group)
        for file in files:
            if root is not None and not (root / file).is_file():
                raise ConfigError(path, f"{key}[{index}]", f"{file!r} is not a test file under {root}", what)
        groups.append(files)
    return tuple(groups)


def _inside(root: Path, candidate: Path) -> bool:
    return candidate.resolve().is_relative_to(root.resolve())


def _root(path: Path, project: dict[str, Any]) -> Path:
    root_text = _expect(path, "project.root", project.get("root", "."), str, "a path relative to workers.toml")
    root = (path.parent / root_text).resolve()
    if not root.is_dir():
        raise ConfigError(path, "project.root", f"{root} is not a directory", "point root at the project under test")
    return root


def _source(path: Path, project: dict[str, Any]) -> tuple[str, ...]:
    if "source" not in project:
        raise ConfigError(path, "project.source", "missing key", 'list the source packages, e.g. source = ["mypkg"]')
    source = _string_list(path, "project.source", project["source"])
    if not source:
        raise ConfigError(path, "project.source", "empty list", "list at least one source package")
    return source


def _install(path: Path, project: dict[str, Any]) -> tuple[tuple[str, ...], ...]:
    install: list[tuple[str, ...]] = []
    for index, spec in enumerate(_string_list(path, "project.install", project.get("install", []))):
        try:
            install.append(tuple(shlex.split(spec)))
        except ValueError as exc:
            raise ConfigError(path, f"project.install[{index}]", str(exc), "quote it as a shell would") from None
    return tuple(install)


def _python(path: Path, project: dict[str, Any]) -> str | None:
    python = project.get("python")
    if python is None:
        return None
    return _expect(path, "project.python", python, str, "an interpreter name or path") or None


def _balance(path: Path, thresholds: dict[str, Any]) -> float:
    balance = float(
        _expect(
            path,
            "thresholds.balance",
            thresholds.get("balance", DEFAULT_BALANCE_TOLERANCE),
            (int, float),
            "a max/mean ratio >= 1",
        )
    )
    if balance < 1:
        raise ConfigError(path, "thresholds.balance", f"{balance:g} is below 1", "set a max/mean ratio such as 1.25")
    return balance


@dataclass(frozen=True)
class Loaded:
    """``workers.toml`` as one loader read it: the checked settings, and the file as written."""

    cfg: Config
    # The TOML data and the text (byte order mark dropped, line endings normalised) the settings came from.
    data: dict[str, Any]
    text: str


def load(path: str | Path) -> Config:
    """Load and validate a ``workers.toml`` strictly; raise :class:`ConfigError` on any problem."""
    return read(path).cfg


def read(path: str | Path, *, lenient: bool = False) -> Loaded:
    """The one reader of ``workers.toml``: every command sees the file the same way.

    Strict (the default): the settings and every worker must hold, as a run
    needs them.  Lenient: the settings must hold, the workers are taken as
    written, whatever state they are in (missing, empty, naming modules
    since renamed): a stale split is exactly what ``plan`` must be able to
    replace, and what ``check`` must be able to list problem by problem.
    The lenient config has one stand-in worker owning every source package.
    """
    path = Path(path).resolve()
    try:
        # utf-8-sig: a byte order mark (as Windows editors write) is not part of the TOML; read_text turns
        # Windows line endings into newlines, so a file edited on Windows loads, and is rewritten, the same.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(path, "(file)", "file not found", "create it (see README.md) or pass --config") from None
    _reject_duplicate_workers(path, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "(syntax)", f"malformed TOML: {exc}", "fix the TOML syntax at that line") from None
    if lenient:
        project = data.get("project")
        source = project.get("source") if isinstance(project, dict) else None
        stand_in = {"covsplit-plan": {"modules": list(source) if isinstance(source, list) else []}}
        return Loaded(parse(path, {**data, "workers": stand_in}), data, text)
    cfg = parse(path, data)
    return Loaded(replace(cfg, shared=_shared_files(cfg)), data, text)


def _shared_files(cfg: Config) -> dict[str, SharedFile]:
    """The schedule file's shared test files, checked against the workers that must run them."""
    schedule = sharing.path_for(cfg.path)
    fix = f'run `make plan ARGS="--by duration"` to write it anew, or delete {schedule.name}'
    try:
        shared = sharing.read(schedule)
    except sharing.ScheduleError as exc:
        raise ConfigError(schedule, "(file)", str(exc), fix) from None
    names = {worker.name: worker for worker in cfg.workers}
    problems = []
    for file, entry in shared.items():
        for name in sorted(entry.workers):
            worker = names.get(name)
            if worker is None:
                problems.append(
                    ConfigError(schedule, f"files.{file}", f"names worker {name!r}, not in {cfg.path.name}", fix)
                )
            elif not any(_covers(entry_path, file) for entry_path in worker.tests):
                problems.append(
                    ConfigError(
                        schedule, f"files.{file}", f"gives part of it to {name}, whose tests do not include it", fix
                    )
                )
    if problems:
        raise ConfigError.of(problems)
    return shared


def _covers(test_path: str, file: str) -> bool:
    if "::" in test_path:
        return False
    base = test_path.rstrip("/")
    return base in (".", "") or file == base or file.startswith(base + "/")


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
    """Validate already-parsed TOML data; ``path`` anchors relative paths and messages.

    Every problem is reported at once; a check that depends on a broken
    setting (module names on a root that does not exist) is skipped.
    """
    problems = _Problems()
    problems.attempt(lambda: _unknown_keys(path, "", data, _TOP_KEYS))
    if "project" not in data:
        problems.add(ConfigError(path, "project", "missing table [project]", "add [project] with root and source"))
        problems.raise_any()
    project = problems.attempt(lambda: _expect(path, "project", data["project"], dict, "a table"))
    problems.raise_any()
    problems.attempt(lambda: _unknown_keys(path, "project", project, _PROJECT_KEYS))

    root = problems.attempt(lambda: _root(path, project))
    source: tuple[str, ...] = problems.attempt(lambda: _source(path, project), ())
    source_dir = problems.attempt(
        lambda: _expect(path, "project.source_dir", project.get("source_dir", "."), str, "a path"), "."
    )
    if root is not None and not _inside(root, root / source_dir):
        problems.add(
            ConfigError(
                path,
                "project.source_dir",
                f"{source_dir!r} is outside the project root {root}",
                'give a folder under project.root (e.g. "src"), or move project.root up',
            )
        )
        source = ()
    for index, package in enumerate(source):
        if root is not None and resolve_module(root, source_dir, package) is None:
            problems.add(
                ConfigError(
                    path,
                    f"project.source[{index}]",
                    f"{package!r} is neither a package folder nor a module under {root / source_dir}",
                    "fix the name, or set project.root / project.source_dir",
                )
            )

    test_paths: tuple[str, ...] = problems.attempt(lambda: _test_paths(path, project), ("tests",))
    not_run: tuple[str, ...] = problems.attempt(
        lambda: _string_list(path, "project.not_run", project.get("not_run", [])), ()
    )
    for key, entries in (("project.tests", test_paths), ("project.not_run", not_run)):
        for index, entry in enumerate(entries):
            where = f"{key}[{index}]" if key == "project.not_run" or len(test_paths) > 1 else key
            if root is None:
                continue
            if not _inside(root, root / entry):
                problems.add(
                    ConfigError(path, where, f"{entry!r} is outside the project root", "give a path inside it")
                )
            elif not (root / entry).exists():
                problems.add(
                    ConfigError(path, where, f"{root / entry} does not exist", "point it at a test file or folder")
                )
    keep_together = problems.attempt(lambda: _groups(path, root, project.get("keep_together", [])), ())
    # Where test names are relative to (the planner's naming convention): the folder every test path shares.
    test_root = test_paths[0] if len(test_paths) == 1 else (os.path.commonpath(test_paths) or ".")

    install = problems.attempt(lambda: _install(path, project), ())
    python = problems.attempt(lambda: _python(path, project))
    pytest_args = problems.attempt(
        lambda: _string_list(path, "project.pytest_args", project.get("pytest_args", [])), ()
    )
    env = problems.attempt(lambda: _expect(path, "project.env", project.get("env", {}), dict, "a table of strings"), {})
    for name, value in env.items():
        problems.attempt(partial(_expect, path, f"project.env.{name}", value, str, "a string"))
    timeout = problems.attempt(
        lambda: _positive(path, "project.timeout", project.get("timeout"), DEFAULT_TIMEOUT), DEFAULT_TIMEOUT
    )
    xdist = problems.attempt(lambda: _xdist(path, "project.xdist", project.get("xdist"), 0), 0)
    test_timeout = problems.attempt(
        lambda: _optional_seconds(path, "project.test_timeout", project.get("test_timeout"), None)
    )
    memory_limit = problems.attempt(lambda: _memory(path, "project.memory_limit", project.get("memory_limit"), None))

    thresholds = problems.attempt(lambda: _expect(path, "thresholds", data.get("thresholds", {}), dict, "a table"), {})
    problems.attempt(lambda: _unknown_keys(path, "thresholds", thresholds, _THRESHOLD_KEYS))
    line = problems.attempt(
        lambda: _percent(path, "thresholds.line", thresholds.get("line"), DEFAULT_LINE_THRESHOLD),
        DEFAULT_LINE_THRESHOLD,
    )
    branch = problems.attempt(
        lambda: _percent(path, "thresholds.branch", thresholds.get("branch"), DEFAULT_BRANCH_THRESHOLD),
        DEFAULT_BRANCH_THRESHOLD,
    )
    balance = problems.attempt(lambda: _balance(path, thresholds), DEFAULT_BALANCE_TOLERANCE)
    if root is None or not source:
        # Workers name modules and tests under the root: nothing more can be checked.
        problems.raise_any()

    # Walked once: the noxfile loads the config on every nox call.
    every = tuple(source_files(root, source_dir, source))
    workers = _parse_workers(
        path,
        data,
        root,
        source_dir,
        source,
        set(every),
        test_paths,
        timeout,
        xdist,
        problems,
        test_timeout,
        memory_limit,
    )
    problems.raise_any()

    owned = {f for w in workers for f in w.files}
    unowned = tuple(f for f in every if f not in owned and not is_blank_init(root / f))
    warnings: tuple[str, ...] = ()
    if unowned:
        warnings = (f"{path.name}: {len(unowned)} module(s) owned by no worker: {', '.join(unowned)}",)

    return Config(
        path=path,
        root=root,
        source=source,
        source_dir=source_dir,
        test_root=test_root,
        test_paths=test_paths,
        not_run=not_run,
        keep_together=keep_together,
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
    test_paths: tuple[str, ...],
    default_timeout: float,
    default_xdist: int | str,
    collected: _Problems,
    default_test_timeout: float | None,
    default_memory_limit: int | None,
) -> tuple[Worker, ...]:
    """The workers, each checked in full: every problem of every worker goes to ``collected``."""
    if "workers" not in data:
        collected.add(
            ConfigError(path, "workers", "missing table [workers]", "add at least one [workers.worker1] table")
        )
        return ()
    tables = collected.attempt(
        lambda: _expect(path, "workers", data["workers"], dict, "a table of [workers.NAME] tables")
    )
    if tables is None:
        return ()
    if not tables:
        collected.add(ConfigError(path, "workers", "no workers defined", "add at least one [workers.worker1] table"))
        return ()

    if len(tables) > MAX_WORKERS:
        collected.add(
            ConfigError(
                path,
                "workers",
                f"{len(tables)} workers; covsplit runs at most {MAX_WORKERS}",
                f'merge them: `make plan ARGS="--workers {MAX_WORKERS}"` (a CI matrix this wide is slower, not faster)',
            )
        )
        return ()
    owners: dict[str, str] = {}
    workers = []
    # TOML itself rejects a table defined twice, so names are unique here;
    # names differing only in case would still collide in artifact file names.
    seen_lower: dict[str, str] = {}
    for name, table in tables.items():
        key = f"workers.{name}"
        if not WORKER_NAME.match(name):
            collected.add(
                ConfigError(
                    path, key, f"invalid worker name {name!r}", "use letters, digits, '-' or '_' (e.g. worker1)"
                )
            )
            continue
        if name in RESERVED_NAMES:
            collected.add(ConfigError(path, key, f"{name!r} is the name of a built-in session", "rename the worker"))
            continue
        if name.lower() in seen_lower:
            collected.add(
                ConfigError(
                    path,
                    key,
                    f"same name as worker {seen_lower[name.lower()]!r} (names are case-insensitive)",
                    "rename one",
                )
            )
            continue
        seen_lower[name.lower()] = name
        if collected.attempt(partial(_expect, path, key, table, dict, "a table")) is None:
            continue
        collected.attempt(partial(_unknown_keys, path, key, table, _WORKER_KEYS))
        worker = _parse_worker(path, name, table, root, source_dir, source, every, test_paths, owners, collected)
        if worker is None:
            continue
        timeout = collected.attempt(
            partial(_positive, path, f"{key}.timeout", table.get("timeout"), default_timeout),
            default_timeout,
        )
        xdist = collected.attempt(
            partial(_xdist, path, f"{key}.xdist", table.get("xdist"), default_xdist), default_xdist
        )
        test_timeout = collected.attempt(
            partial(_optional_seconds, path, f"{key}.test_timeout", table.get("test_timeout"), default_test_timeout),
            default_test_timeout,
        )
        memory_limit = collected.attempt(
            partial(_memory, path, f"{key}.memory_limit", table.get("memory_limit"), default_memory_limit),
            default_memory_limit,
        )
        workers.append(
            Worker(
                **{
                    **worker,
                    "timeout": timeout,
                    "xdist": xdist,
                    "test_timeout": test_timeout,
                    "memory_limit_mib": memory_limit,
                }
            )
        )
    return tuple(workers)


def _parse_worker(
    path: Path,
    name: str,
    table: dict[str, Any],
    root: Path,
    source_dir: str,
    source: tuple[str, ...],
    every: set[str],
    test_paths: tuple[str, ...],
    owners: dict[str, str],
    problems: _Problems,
) -> dict[str, Any] | None:
    """One worker's title, modules and tests; None when it has no usable modules."""
    key = f"workers.{name}"
    title = problems.attempt(lambda: _expect(path, f"{key}.title", table.get("title", name), str, "a string"), name)
    if "modules" not in table:
        problems.add(ConfigError(path, f"{key}.modules", "missing key", "list the modules this worker owns"))
        return None
    modules = problems.attempt(lambda: _string_list(path, f"{key}.modules", table["modules"]))
    if modules is None:
        return None
    if not modules:
        problems.add(ConfigError(path, f"{key}.modules", "the worker owns no modules", "list at least one module"))
        return None

    files: list[str] = []
    for index, module in enumerate(modules):
        resolved = resolve_module(root, source_dir, module)
        if resolved is None:
            problems.add(
                ConfigError(
                    path,
                    f"{key}.modules[{index}]",
                    f"module {module!r} does not exist under {root / source_dir}",
                    "fix the dotted name, or run `nox -s plan` to regenerate the split",
                )
            )
            continue
        module_files = [f for f in resolved if f in every]
        if not module_files:
            problems.add(
                ConfigError(
                    path,
                    f"{key}.modules[{index}]",
                    f"module {module!r} is outside the source packages {', '.join(source)}",
                    "add its package to project.source, or remove it",
                )
            )
            continue
        for rel in module_files:
            if rel in owners and owners[rel] != name:
                problems.add(
                    ConfigError(
                        path,
                        f"{key}.modules[{index}]",
                        f"{rel} is already owned by worker {owners[rel]!r}",
                        "give each module to exactly one worker",
                    )
                )
                break
            owners[rel] = name
        files.extend(f for f in module_files if f not in files)

    tests = problems.attempt(lambda: _string_list(path, f"{key}.tests", table.get("tests", list(test_paths))), ())
    if "tests" in table and isinstance(table["tests"], list) and not table["tests"]:
        problems.add(
            ConfigError(
                path,
                f"{key}.tests",
                "empty list",
                f"leave it out to run all of project.tests ({', '.join(test_paths)})",
            )
        )
    for index, test in enumerate(tests):
        # A node id such as tests/test_a.py::test_x selects within a file.
        if not _inside(root, root / test.split("::", 1)[0]):
            problems.add(
                ConfigError(
                    path,
                    f"{key}.tests[{index}]",
                    f"{test!r} is outside the project root {root}",
                    "give a test path relative to project.root, inside it",
                )
            )
            continue
        if not (root / test.split("::", 1)[0]).exists():
            problems.add(
                ConfigError(
                    path,
                    f"{key}.tests[{index}]",
                    f"{root / test} does not exist",
                    "give a test file or folder relative to project.root",
                )
            )
    return {"name": name, "title": title, "modules": modules, "tests": tests, "files": tuple(sorted(files))}
