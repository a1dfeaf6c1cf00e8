"""The ``[workers.NAME]`` tables of ``workers.toml``: each worker's name, modules, tests and own options.

config.py reads the file and the settings; this module checks the workers
against them, every problem of every worker collected, none raised, so a
user fixes all of them in one go.  Standard library only, as config.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from covsplit.discover import resolve_module
from covsplit.tomlcheck import ConfigError, Option, Problems, expect, string_list, unknown_keys

# More workers than this is a mistake (a generated file gone wrong), not a split: each is a virtualenv.
MAX_WORKERS = 64
# Session names the noxfile defines itself: a worker may not shadow them.
RESERVED_NAMES = frozenset(
    {"aggregate", "report", "plan", "init", "check", "tests", "lint", "bench", "collect", "diagnose"}
)
WORKER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


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


def inside(root: Path, candidate: Path) -> bool:
    return candidate.resolve().is_relative_to(root.resolve())


def parse_workers(
    path: Path,
    data: dict[str, Any],
    root: Path,
    source_dir: str,
    source: tuple[str, ...],
    every: set[str],
    test_paths: tuple[str, ...],
    inherited: Mapping[str, Any],
    collected: Problems,
    options: Sequence[Option],
    allowed: Sequence[str],
    *,
    settings_only: bool = False,
) -> tuple[Worker, ...]:
    """The workers, each checked in full: every problem of every worker goes to ``collected``.

    ``settings_only``: only what ``plan`` keeps of each worker as written (its
    name, its keys, its title and own options), not the modules and tests it
    replaces; no worker is returned.
    """
    tables = _worker_tables(path, data, collected, settings_only=settings_only)
    owners: dict[str, str] = {}
    workers = []
    # TOML itself rejects a table defined twice, so names are unique here;
    # names differing only in case would still collide in artifact file names.
    seen_lower: dict[str, str] = {}
    for name, table in tables.items():
        key = f"workers.{name}"
        problem = _name_problem(path, name, seen_lower)
        if problem is not None:
            collected.add(problem)
            continue
        seen_lower[name.lower()] = name
        if collected.attempt(partial(expect, path, key, table, dict, "a table")) is None:
            continue
        collected.attempt(partial(unknown_keys, path, key, table, allowed))
        title = collected.attempt(
            partial(expect, path, f"{key}.title", table.get("title", name), str, "a string"), name
        )
        if settings_only:
            inherited_values(path, key, table, inherited, options, collected)
            continue
        worker = _parse_worker(path, name, title, table, root, source_dir, source, every, test_paths, owners, collected)
        if worker is None:
            continue
        own = inherited_values(path, key, table, inherited, options, collected)
        workers.append(Worker(**worker, **{option.attribute: own[option.key] for option in options}))
    return tuple(workers)


def _worker_tables(path: Path, data: dict[str, Any], collected: Problems, *, settings_only: bool) -> dict[str, Any]:
    """The ``[workers.NAME]`` tables by name; none (the problem collected) when there are none or too many."""
    if "workers" not in data:
        collected.add(
            ConfigError(path, "workers", "missing table [workers]", "add at least one [workers.worker1] table")
        )
        return {}
    tables = collected.attempt(
        lambda: expect(path, "workers", data["workers"], dict, "a table of [workers.NAME] tables")
    )
    if tables is None:
        return {}
    if not tables:
        collected.add(ConfigError(path, "workers", "no workers defined", "add at least one [workers.worker1] table"))
        return {}
    if len(tables) > MAX_WORKERS and not settings_only:  # plan is how a split that wide is merged
        collected.add(
            ConfigError(
                path,
                "workers",
                f"{len(tables)} workers; covsplit runs at most {MAX_WORKERS}",
                f'merge them: `make plan ARGS="--workers {MAX_WORKERS}"` (a CI matrix this wide is slower, not faster)',
            )
        )
        return {}
    return tables


def _name_problem(path: Path, name: str, seen_lower: Mapping[str, str]) -> ConfigError | None:
    """Why ``name`` cannot name a worker (not an identifier, a built-in session, taken up to case), if it cannot."""
    key = f"workers.{name}"
    if not WORKER_NAME.match(name):
        return ConfigError(path, key, f"invalid worker name {name!r}", "use letters, digits, '-' or '_' (e.g. worker1)")
    if name in RESERVED_NAMES:
        return ConfigError(path, key, f"{name!r} is the name of a built-in session", "rename the worker")
    if name.lower() in seen_lower:
        return ConfigError(
            path, key, f"same name as worker {seen_lower[name.lower()]!r} (names are case-insensitive)", "rename one"
        )
    return None


def inherited_values(
    path: Path,
    table_key: str,
    table: Mapping[str, Any],
    defaults: Mapping[str, Any],
    options: Sequence[Option],
    problems: Problems,
) -> dict[str, Any]:
    """The options a worker inherits, as ``table`` sets them over ``defaults`` (a broken one keeps its default)."""
    values = {}
    for option in options:
        assert option.check is not None  # every inherited option declares its check
        default = defaults[option.key]
        values[option.key] = problems.attempt(
            partial(option.check, path, f"{table_key}.{option.key}", table.get(option.key), default), default
        )
    return values


def _parse_worker(
    path: Path,
    name: str,
    title: str,
    table: dict[str, Any],
    root: Path,
    source_dir: str,
    source: tuple[str, ...],
    every: set[str],
    test_paths: tuple[str, ...],
    owners: dict[str, str],
    problems: Problems,
) -> dict[str, Any] | None:
    """One worker's modules and tests (its title already checked); None when it has no usable modules."""
    key = f"workers.{name}"
    if "modules" not in table:
        problems.add(ConfigError(path, f"{key}.modules", "missing key", "list the modules this worker owns"))
        return None
    modules = problems.attempt(lambda: string_list(path, f"{key}.modules", table["modules"]))
    if modules is None:
        return None
    if not modules:
        problems.add(ConfigError(path, f"{key}.modules", "the worker owns no modules", "list at least one module"))
        return None

    files = _module_files(path, key, name, modules, root, source_dir, source, every, owners, problems)
    tests = _tests(path, key, table, root, test_paths, problems)
    return {"name": name, "title": title, "modules": modules, "tests": tests, "files": tuple(sorted(files))}


def _module_files(
    path: Path,
    key: str,
    name: str,
    modules: Sequence[str],
    root: Path,
    source_dir: str,
    source: tuple[str, ...],
    every: set[str],
    owners: dict[str, str],
    problems: Problems,
) -> list[str]:
    """The source files a worker's modules resolve to; each file owned once (``owners`` records who owns it)."""
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
    return files


def _tests(
    path: Path, key: str, table: Mapping[str, Any], root: Path, test_paths: tuple[str, ...], problems: Problems
) -> tuple[str, ...]:
    """A worker's test paths (all of ``project.tests`` when it lists none), each inside the root and on disk."""
    tests = problems.attempt(lambda: string_list(path, f"{key}.tests", table.get("tests", list(test_paths))), ())
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
        if not inside(root, root / test.split("::", 1)[0]):
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
    return tests
