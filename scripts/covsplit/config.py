"""Read and validate ``workers.toml``, the single source of truth of a split.

Everything is checked before any worker runs: a mistake found after a
twenty-minute run is a mistake that cost twenty minutes.  Errors name the
file, the key and the fix, and the command exits with status 2.

Standard library only: the noxfile imports this module to generate its
sessions, before any session virtualenv exists.
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from covsplit import exits, gates, node_ids, run_once, schedule_file
from covsplit.config_options import (
    DEFAULT_BALANCE_TOLERANCE,
    DEFAULT_BRANCH_THRESHOLD,
    DEFAULT_DIAGNOSE_BUDGET,
    DEFAULT_LINE_THRESHOLD,
    GROUPS,
    INHERITED,
    keys,
    read_table,
)
from covsplit.config_workers import (
    Worker,
    inside,
    parse_workers,
)
from covsplit.discover import is_blank_init, resolve_module, source_files
from covsplit.layout import Layout
from covsplit.schedule_file import ScheduleEntry
from covsplit.tomlcheck import (
    ConfigError,
    Problems,
    expect,
    unknown_keys,
)

_WORKER_HEADER = re.compile(r"^\s*\[\s*workers\.([^\]]+)\]")


_TOP_KEYS = ("project", "thresholds", "workers")


def complain(error: ConfigError) -> int:
    """Print a config error as every command prints it; return the exit status that goes with it."""
    print(f"error: {error}", file=sys.stderr)
    return exits.CONFIG


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
    # The thresholds single files are measured against (the line and branch gates', else the project's total).
    line_threshold: float
    branch_threshold: float
    balance_tolerance: float
    workers: tuple[Worker, ...]
    # The coverage gates [thresholds] declares, each with who chose it (covsplit.gates); empty in a Config made
    # in code, whose gates are its line and branch thresholds.
    gate_specs: tuple[gates.GateSpec, ...] = ()
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
    # Test files several workers share, from the schedule file beside workers.toml (covsplit.schedule_file).
    shared: Mapping[str, ScheduleEntry] = field(default_factory=dict)
    warnings: tuple[str, ...] = field(default=())
    # project.diagnose_budget: seconds make coverage-all may spend diagnosing failures by itself (0: never).
    diagnose_budget: float = DEFAULT_DIAGNOSE_BUDGET
    # project.per_test_contexts: shared test files measured one coverage context per test (covsplit.file_grain).
    per_test_contexts: bool = False

    @property
    def suite_dir(self) -> Path:
        """Where ``coverage_output/`` and ``htmlcov/`` live: beside workers.toml."""
        return self.path.parent

    @property
    def layout(self) -> Layout:
        """Where this config's outputs go (covsplit.layout)."""
        return Layout.beside(self.suite_dir)

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


def check_kept_settings(cfg: Config, data: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigError` if what ``plan`` keeps of each worker as written would not load.

    A lenient read takes the workers as they are, since the planner replaces
    their modules and tests; their names, keys, titles and own options it
    keeps, so a mistake there is the user's to fix, named as ``validate``
    names it, not a planned file that does not load.
    """
    if not data.get("workers"):
        return  # no workers yet: plan writes them
    problems = Problems()
    inherited = {option.key: getattr(cfg.workers[0], option.attribute) for option in INHERITED}
    parse_workers(
        cfg.path,
        dict(data),
        cfg.root,
        cfg.source_dir,
        cfg.source,
        set(cfg.source_files),
        cfg.test_paths,
        inherited,
        problems,
        INHERITED,
        keys("workers"),
        settings_only=True,
    )
    problems.raise_any()


def _shared_files(cfg: Config) -> dict[str, ScheduleEntry]:
    """The schedule file's shared test files, checked against the workers that must run them."""
    schedule = schedule_file.path_for(cfg.path)
    fix = f'run `make plan ARGS="--by duration"` to write it anew, or delete {schedule.name}'
    try:
        shared = schedule_file.read(schedule)
    except schedule_file.ScheduleError as exc:
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
            elif not any(node_ids.covers(entry_path, file) for entry_path in worker.tests):
                problems.append(
                    ConfigError(
                        schedule, f"files.{file}", f"gives part of it to {name}, whose tests do not include it", fix
                    )
                )
        kept = run_once.groups_under(file, cfg.keep_together)
        if isinstance(entry, schedule_file.DealtPath) and set(kept) != set(entry.together):
            problems.append(
                ConfigError(
                    schedule,
                    f"files.{file}.together",
                    "differs from project.keep_together: the deal would separate files kept together",
                    "run `make plan` to deal the tests again",
                )
            )
    if problems:
        raise ConfigError.of(problems)
    return shared


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
    problems = Problems()
    settings = _project_settings(path, data, problems)
    root: Path | None = settings.get("root")
    source_dir: str = settings.get("source_dir", ".")
    source = _checked_source(path, root, source_dir, settings.get("source", ()), problems)
    test_paths: tuple[str, ...] = settings.get("tests", ("tests",))
    not_run: tuple[str, ...] = settings.get("not_run", ())
    keep_together: tuple[tuple[str, ...], ...] = settings.get("keep_together", ())
    if root is not None:
        _check_test_paths(path, root, test_paths, not_run, problems)
        _check_groups(path, root, keep_together, problems)
    # Where test names are relative to (the planner's naming convention): the folder every test path shares.
    test_root = test_paths[0] if len(test_paths) == 1 else (os.path.commonpath(test_paths) or ".")
    # What every worker runs with unless its own table says otherwise (Worker.<attribute>); a broken one keeps
    # its default, so that the workers' own values are still checked.
    inherited = {option.key: settings.get(option.key, option.default) for option in INHERITED}
    thresholds, specs = _thresholds(path, data, problems)
    if root is None or not source:
        # Workers name modules and tests under the root: nothing more can be checked.
        problems.raise_any()
    assert root is not None  # only a root that failed its check, a problem raised just above, is None

    # Walked once: the noxfile loads the config on every nox call.
    every = tuple(source_files(root, source_dir, source))
    workers = parse_workers(
        path, data, root, source_dir, source, set(every), test_paths, inherited, problems, INHERITED, keys("workers")
    )
    problems.raise_any()
    unowned = _unowned(root, every, workers)
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
        install=settings.get("install", ()),
        python=settings.get("python"),
        pytest_args=settings.get("pytest_args", ()),
        env=settings.get("env", {}),
        diagnose_budget=settings.get("diagnose_budget", DEFAULT_DIAGNOSE_BUDGET),
        per_test_contexts=settings.get("per_test_contexts", False),
        line_threshold=gates.file_threshold(specs, "line", DEFAULT_LINE_THRESHOLD),
        branch_threshold=gates.file_threshold(specs, "branch", DEFAULT_BRANCH_THRESHOLD),
        balance_tolerance=thresholds.get("balance", DEFAULT_BALANCE_TOLERANCE),
        gate_specs=specs,
        workers=workers,
        source_files=every,
        unowned=unowned,
        warnings=warnings,
    )


def _project_settings(path: Path, data: dict[str, Any], problems: Problems) -> dict[str, Any]:
    """The top-level keys and ``[project]``'s options as checked; a missing or broken table is raised at once."""
    problems.attempt(lambda: unknown_keys(path, "", data, _TOP_KEYS))
    if "project" not in data:
        problems.add(ConfigError(path, "project", "missing table [project]", "add [project] with root and source"))
        problems.raise_any()
    project = problems.attempt(lambda: expect(path, "project", data["project"], dict, "a table"))
    problems.raise_any()
    problems.attempt(lambda: unknown_keys(path, "project", project, keys("project")))
    return read_table(path, "project", project, problems)


def _checked_source(
    path: Path, root: Path | None, source_dir: str, source: tuple[str, ...], problems: Problems
) -> tuple[str, ...]:
    """``project.source`` where every package exists under ``source_dir``; empty when the folder is outside root."""
    if root is not None and not inside(root, root / source_dir):
        problems.add(
            ConfigError(
                path,
                "project.source_dir",
                f"{source_dir!r} is outside the project root {root}",
                'give a folder under project.root (e.g. "src"), or move project.root up',
            )
        )
        return ()
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
    return source


def _check_test_paths(
    path: Path, root: Path, test_paths: tuple[str, ...], not_run: tuple[str, ...], problems: Problems
) -> None:
    """``project.tests`` and ``project.not_run``: inside the root, and there."""
    for key, entries in (("project.tests", test_paths), ("project.not_run", not_run)):
        for index, entry in enumerate(entries):
            where = f"{key}[{index}]" if key == "project.not_run" or len(test_paths) > 1 else key
            if not inside(root, root / entry):
                problems.add(
                    ConfigError(path, where, f"{entry!r} is outside the project root", "give a path inside it")
                )
            elif not (root / entry).exists():
                problems.add(
                    ConfigError(path, where, f"{root / entry} does not exist", "point it at a test file or folder")
                )


def _check_groups(path: Path, root: Path, keep_together: tuple[tuple[str, ...], ...], problems: Problems) -> None:
    """``project.keep_together``: test files under the root, or node ids of one file."""
    for index, group in enumerate(keep_together):
        key = f"project.keep_together[{index}]"
        for member in group:
            file = node_ids.file_of(member)
            if not (root / file).is_file():
                problems.add(ConfigError(path, key, f"{file!r} is not a test file under {root}", GROUPS))
        # Node ids keep parts of one file together while the rest of it may be cut; a file is kept whole.
        if any("::" in member for member in group) and (
            len({node_ids.file_of(member) for member in group}) > 1 or not all("::" in member for member in group)
        ):
            problems.add(ConfigError(path, key, f"{list(group)} mixes files, or node ids of several files", GROUPS))


def _thresholds(
    path: Path, data: dict[str, Any], problems: Problems
) -> tuple[dict[str, Any], tuple[gates.GateSpec, ...]]:
    """``[thresholds]`` as checked, and the gates it declares (covsplit.gates)."""
    table = problems.attempt(lambda: expect(path, "thresholds", data.get("thresholds", {}), dict, "a table"), {})
    problems.attempt(lambda: unknown_keys(path, "thresholds", table, keys("thresholds")))
    values = read_table(path, "thresholds", table, problems)
    for key in ("total_precision", "total_branch", "total_from"):
        if key in table and "total" not in table:
            problems.add(
                ConfigError(
                    path,
                    f"thresholds.{key}",
                    "describes a total gate that is not set",
                    "set thresholds.total, or remove it",
                )
            )
    return values, gates.declared(path.name, table, values)


def _unowned(root: Path, every: tuple[str, ...], workers: tuple[Worker, ...]) -> tuple[str, ...]:
    """Source files no worker owns, blank ``__init__.py`` files excepted."""
    owned = {f for w in workers for f in w.files}
    return tuple(f for f in every if f not in owned and not is_blank_init(root / f))
