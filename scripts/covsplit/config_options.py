"""The options of ``workers.toml``, declared once, as coverage.py's ``CONFIG_FILE_OPTIONS``.

Each key's table, default, check, whether a worker inherits it, and what
it means: config.py parses from it (:func:`read_table`; only what needs the
project root, such as whether a named test file exists, is checked there),
the unknown-key hint lists it, and README's reference table is it rendered
(a test holds them equal).
Standard library only.
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from covsplit.tomlcheck import (
    ConfigError,
    Option,
    Problems,
    expect,
    memory,
    optional_seconds,
    percent,
    positive,
    string_list,
    xdist,
)

DEFAULT_LINE_THRESHOLD = 80.0
DEFAULT_BRANCH_THRESHOLD = 90.0
DEFAULT_BALANCE_TOLERANCE = 1.10
DEFAULT_TIMEOUT = 3600.0
# A minute: about what one worker of a small suite takes, so a run with failures is not made much slower.
DEFAULT_DIAGNOSE_BUDGET = 60.0

REQUIRED = object()


# The checks of the keys read one way only; each is (path, key, value or None when left out, default) -> value.
def _root(path: Path, key: str, value: Any, default: str) -> Path:
    text = expect(path, key, default if value is None else value, str, "a path relative to workers.toml")
    root = (path.parent / text).resolve()
    if not root.is_dir():
        raise ConfigError(path, key, f"{root} is not a directory", "point root at the project under test")
    return root


def _source(path: Path, key: str, value: Any, default: object) -> tuple[str, ...]:
    if value is None:
        raise ConfigError(path, key, "missing key", 'list the source packages, e.g. source = ["mypkg"]')
    source = string_list(path, key, value)
    if not source:
        raise ConfigError(path, key, "empty list", "list at least one source package")
    return source


def _text(path: Path, key: str, value: Any, default: str) -> str:
    return expect(path, key, default if value is None else value, str, "a path")


def _strings(path: Path, key: str, value: Any, default: tuple[str, ...]) -> tuple[str, ...]:
    return default if value is None else string_list(path, key, value)


def _test_paths(path: Path, key: str, value: Any, default: str) -> tuple[str, ...]:
    """One path, or several (a repository that tests only some of its test folders), as the planner compares them.

    ``"tests/"`` and ``"./tests"`` are ``"tests"``: test files are matched
    against these as folder prefixes, and ``"tests//"`` matches none.
    """
    value = default if value is None else value
    paths = (value,) if isinstance(value, str) else string_list(path, key, value)
    if not paths:
        raise ConfigError(path, key, "empty list", 'leave it out for "tests", or list the test folders')
    return tuple(posixpath.normpath(p) for p in paths)


def _test_folders(path: Path, key: str, value: Any, default: tuple[str, ...]) -> tuple[str, ...]:
    """Test files or folders, written as :func:`_test_paths` writes them."""
    return tuple(posixpath.normpath(p) for p in _strings(path, key, value, default))


def _groups(path: Path, key: str, value: Any, default: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
    """Lists of test files; whether each is a test file under the root is config's check (it needs the root)."""
    if value is None:
        return default
    expect(path, key, value, list, GROUPS)
    return tuple(string_list(path, f"{key}[{index}]", group) for index, group in enumerate(value))


GROUPS = (
    'a list of lists of test files, e.g. [["tests/test_a.py", "tests/test_b.py"]], or of node ids of one file, '
    'e.g. [["tests/test_a.py::TestSetup", "tests/test_a.py::TestAfterSetup"]]'
)


def _install(path: Path, key: str, value: Any, default: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    install: list[tuple[str, ...]] = []
    for index, spec in enumerate(_strings(path, key, value, default)):
        try:
            install.append(tuple(shlex.split(spec)))
        except ValueError as exc:
            raise ConfigError(path, f"{key}[{index}]", str(exc), "quote it as a shell would") from None
    return tuple(install)


def _python(path: Path, key: str, value: Any, default: None) -> str | None:
    if value is None:
        return default
    return expect(path, key, value, str, "an interpreter name or path") or None


def _env(path: Path, key: str, value: Any, default: dict[str, str]) -> dict[str, str]:
    """A table of strings; every value that is not one is its own problem."""
    env = expect(path, key, default if value is None else value, dict, "a table of strings")
    problems = []
    for name, item in env.items():
        try:
            expect(path, f"{key}.{name}", item, str, "a string")
        except ConfigError as exc:
            problems.append(exc)
    if problems:
        raise ConfigError.of(problems)
    return dict(env)


def _budget(path: Path, key: str, value: Any, default: float) -> float:
    """Seconds, where 0 turns the automatic diagnosis off."""
    if value is None:
        return default
    number = float(expect(path, key, value, (int, float), "a number of seconds (0: never by itself)"))
    if number < 0:
        raise ConfigError(path, key, f"{number:g} is negative", f"set {key} to 0 (off) or a number of seconds")
    return number


def _optional_percent(path: Path, key: str, value: Any, default: None) -> float | None:
    return None if value is None else percent(path, key, value, 0.0)


def _precision(path: Path, key: str, value: Any, default: int) -> int:
    """coverage.py's ``precision``: the decimals a total is rounded to before its ``fail_under`` comparison."""
    number = expect(path, key, default if value is None else value, int, "a number of decimals from 0 to 10")
    if not 0 <= number <= 10:
        raise ConfigError(path, key, f"{number} is outside 0-10", f"set {key} to coverage.py's precision (0 to 10)")
    return int(number)


def _flag(path: Path, key: str, value: Any, default: bool) -> bool:
    return bool(expect(path, key, default if value is None else value, bool, "true or false"))


def _origin(path: Path, key: str, value: Any, default: str) -> str:
    return str(
        expect(
            path,
            key,
            default if value is None else value,
            str,
            'a file and key, e.g. "setup.cfg [coverage:report] fail_under"',
        )
    )


def _balance(path: Path, key: str, value: Any, default: float) -> float:
    balance = float(expect(path, key, default if value is None else value, (int, float), "a max/mean ratio >= 1"))
    if balance < 1:
        raise ConfigError(path, key, f"{balance:g} is below 1", "set a max/mean ratio such as 1.25")
    return balance


# fmt: off
OPTIONS: tuple[Option, ...] = (
    Option("project", "root", ".", '`"."`',
           "the project under test, relative to `workers.toml`; pytest runs from here", _root),
    Option("project", "source", REQUIRED, "required",
           "the source packages (dotted names); every worker measures all of them, so the combined data is exact",
           _source),
    Option("project", "source_dir", ".", '`"."`',
           'where the packages live under `root` (`"src"` for a src layout)', _text),
    Option("project", "tests", "tests", '`"tests"`',
           'the project\'s test suite: one path, or a list (`["tests/unit", "tests/models"]`) when only some test '
           "folders are its suite; a worker without `tests` runs all of them, and `plan` never widens the scope",
           _test_paths),
    Option("project", "keep_together", (), "`[]`",
           "groups of test files (lists of paths) a schedule always runs in one worker and never cuts: tests that "
           "depend on each other's order; or groups of node ids of one file (`\"tests/test_a.py::TestX\"`) that "
           "run in one worker while the rest of the file may be shared", _groups),
    Option("project", "not_run", (), "`[]`",
           "test files or folders inside `tests` that no worker runs on purpose; any other test file no worker "
           "runs is a `make check` problem and a next step in the report", _test_folders),
    Option("project", "install", (), "`[]`",
           'one `pip`/`uv pip install` argument string per entry, run from `root` (`"-e ."`, `"-r '
           'requirements.txt"`)', _install),
    Option("project", "python", None, "the Python running nox",
           "interpreter for the worker virtualenvs (never downloaded)", _python),
    Option("project", "pytest_args", (), "`[]`",
           "extra pytest arguments for every worker", _strings),
    Option("project", "timeout", DEFAULT_TIMEOUT, "`3600`",
           "seconds before a worker's pytest is killed (recorded as `timeout`, naming the test that was running)",
           positive, inherited=True, attribute="timeout"),
    Option("project", "xdist", 0, "`0`",
           'pytest-xdist processes inside each worker: `0`, a number, or `"auto"`; held to the worker\'s share of '
           "the CPUs when several workers share a machine, so the machine is never oversubscribed",
           xdist, inherited=True, attribute="xdist"),
    Option("project", "test_timeout", None, "none",
           "seconds one test may run (pytest-timeout, installed in such workers only): a hanging test fails "
           "alone, named in the status, and the rest of the worker's tests still run",
           optional_seconds, inherited=True, attribute="test_timeout"),
    Option("project", "memory_limit", None, "none",
           'the address space a worker\'s pytest may use: MiB, or `"4GiB"`; a test asking for more gets '
           "`MemoryError` and fails alone, named in the status, instead of the OOM killer taking the run. (It "
           "limits virtual memory: libraries that reserve large address ranges, some BLAS and JIT builds, need a "
           "generous value.)",
           memory, inherited=True, attribute="memory_limit_mib"),
    Option("project", "diagnose_budget", DEFAULT_DIAGNOSE_BUDGET, "`60`",
           "seconds `make coverage-all` may spend, after a run with failed tests, finding out which fail in a "
           "serial run too and which tests the others need (`make diagnose` does it on demand, unbounded); "
           "not started when its first run alone would take longer; `0`: never by itself", _budget),
    Option("project", "per_test_contexts", False, "`false`",
           "measure each test file the schedule cuts between workers one coverage context per test, so that an "
           "edit re-runs the tests of it that ran the edit, not every sharing worker's piece. It pays where such a "
           "file's tests each run a small part of the code (pygments' `test_basic_api.py`, a test per lexer: a "
           "lexer edit 0.58x -> 0.38x of a full run, for a full run 8% slower) and costs where each runs much of "
           "it (babel's `test_dates.py` and `test_smoke.py`: a full run 35% slower, no gain)", _flag),
    Option("project", "env", {}, "`{}`",
           "environment variables for the workers' pytest (`PYTHONPATH`, `HF_HUB_OFFLINE`, ...)", _env),
    Option("thresholds", "line", DEFAULT_LINE_THRESHOLD, "`80` (covsplit's default)",
           "the combined line coverage gate, in percent", percent),
    Option("thresholds", "branch", DEFAULT_BRANCH_THRESHOLD, "`90` (covsplit's default)",
           "the combined branch coverage gate, in percent", percent),
    Option("thresholds", "total", None, "none",
           "coverage.py's total, statements and branches together, gated as coverage.py's `fail_under` gates it: "
           "rounded to `total_precision` decimals (or the threshold's own, if more) by Python's `round`, and `100` "
           "needs every line and branch. With `total` set, `line` and `branch` gate only when written: covsplit's "
           "defaults are not added on top of a gate the project chose", _optional_percent),
    Option("thresholds", "total_precision", 0, "`0`", "coverage.py's `precision`", _precision),
    Option("thresholds", "total_branch", True, "`true`",
           "whether branches count in the total (coverage.py's `[run] branch`, pytest-cov's `--cov-branch`)", _flag),
    Option("thresholds", "total_from", "", '`""`',
           "where the project declares it (file and key), shown beside the gate", _origin),
    Option("thresholds", "balance", DEFAULT_BALANCE_TOLERANCE, "`1.10`",
           "the max/mean statements `check` accepts and the planner keeps to", _balance),
    Option("workers", "title", None, "the worker's name",
           "what the worker covers, for people"),
    Option("workers", "modules", REQUIRED, "required",
           "packages, subpackages or single modules by dotted name; each module owned by exactly one worker"),
    Option("workers", "tests", None, "the project's `tests`",
           "files or folders relative to `root`"),
)
# fmt: on
INHERITED = tuple(option for option in OPTIONS if option.inherited)


def read_table(path: Path, table: str, data: Mapping[str, Any], problems: Problems) -> dict[str, Any]:
    """Every option of ``table`` (``project`` or ``thresholds``) as its check reads it from ``data``.

    A key whose check fails is reported to ``problems`` and left out, so
    that what depends on it (module names on a root that does not exist) is
    not checked as well.
    """
    values = {}
    for option in OPTIONS:
        if option.table == table and option.check is not None:
            try:
                values[option.key] = option.check(path, f"{table}.{option.key}", data.get(option.key), option.default)
            except ConfigError as exc:
                problems.add(exc)
    return values


def keys(table: str) -> list[str]:
    """The keys a table may hold; a worker's include those it inherits from [project]."""
    declared = [option.key for option in OPTIONS if option.table == table]
    return declared + [option.key for option in INHERITED] if table == "workers" else declared


def reference_table(table: str = "project") -> str:
    """README's reference table of ``[project]`` (or ``[thresholds]``), from :data:`OPTIONS`."""
    rows = ["| key | default | meaning |", "| --- | --- | --- |"]
    for option in OPTIONS:
        if option.table == table:
            name = "[project.env]" if option.key == "env" else option.key
            rows.append(f"| `{name}` | {option.shown} | {option.help} |")
    return "\n".join(rows) + "\n"
