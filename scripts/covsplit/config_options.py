"""The options of ``workers.toml``, declared once, as coverage.py's ``CONFIG_FILE_OPTIONS``.

Each key's table, default, check, whether a worker inherits it, and what
it means: config.py parses from it, the unknown-key hint lists it, and
README's reference table is it rendered (a test holds them equal).
Standard library only.
"""

from __future__ import annotations

from covsplit.tomlcheck import Option, memory, optional_seconds, positive, xdist

DEFAULT_LINE_THRESHOLD = 80.0
DEFAULT_BRANCH_THRESHOLD = 90.0
DEFAULT_BALANCE_TOLERANCE = 1.10
DEFAULT_TIMEOUT = 3600.0

REQUIRED = object()

# fmt: off
OPTIONS: tuple[Option, ...] = (
    Option("project", "root", ".", '`"."`',
           "the project under test, relative to `workers.toml`; pytest runs from here"),
    Option("project", "source", REQUIRED, "required",
           "the source packages (dotted names); every worker measures all of them, so the combined data is exact"),
    Option("project", "source_dir", ".", '`"."`',
           'where the packages live under `root` (`"src"` for a src layout)'),
    Option("project", "tests", "tests", '`"tests"`',
           'the project\'s test suite: one path, or a list (`["tests/unit", "tests/models"]`) when only some test '
           "folders are its suite; a worker without `tests` runs all of them, and `plan` never widens the scope"),
    Option("project", "keep_together", (), "`[]`",
           "groups of test files (lists of paths) a schedule always runs in one worker and never cuts: tests that "
           "depend on each other's order"),
    Option("project", "not_run", (), "`[]`",
           "test files or folders inside `tests` that no worker runs on purpose; any other test file no worker "
           "runs is a `make check` problem and a next step in the report"),
    Option("project", "install", (), "`[]`",
           'one `pip`/`uv pip install` argument string per entry, run from `root` (`"-e ."`, `"-r '
           'requirements.txt"`)'),
    Option("project", "python", None, "the Python running nox",
           "interpreter for the worker virtualenvs (never downloaded)"),
    Option("project", "pytest_args", (), "`[]`",
           "extra pytest arguments for every worker"),
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
    Option("project", "env", {}, "`{}`",
           "environment variables for the workers' pytest (`PYTHONPATH`, `HF_HUB_OFFLINE`, ...)"),
    Option("thresholds", "line", DEFAULT_LINE_THRESHOLD, "`80`",
           "the combined line coverage gate, in percent"),
    Option("thresholds", "branch", DEFAULT_BRANCH_THRESHOLD, "`90`",
           "the combined branch coverage gate, in percent"),
    Option("thresholds", "balance", DEFAULT_BALANCE_TOLERANCE, "`1.10`",
           "the max/mean statements `check` accepts and the planner keeps to"),
    Option("workers", "title", None, "the worker's name",
           "what the worker covers, for people"),
    Option("workers", "modules", REQUIRED, "required",
           "packages, subpackages or single modules by dotted name; each module owned by exactly one worker"),
    Option("workers", "tests", None, "the project's `tests`",
           "files or folders relative to `root`"),
)
# fmt: on
INHERITED = tuple(option for option in OPTIONS if option.inherited)


def keys(table: str) -> list[str]:
    """The keys a table may hold; a worker's include those it inherits from [project]."""
    declared = [option.key for option in OPTIONS if option.table == table]
    return declared + [option.key for option in INHERITED] if table == "workers" else declared


def reference_table() -> str:
    """README's reference table of ``[project]``, from :data:`OPTIONS`."""
    rows = ["| key | default | meaning |", "| --- | --- | --- |"]
    for option in OPTIONS:
        if option.table == "project":
            name = "[project.env]" if option.key == "env" else option.key
            rows.append(f"| `{name}` | {option.shown} | {option.help} |")
    return "\n".join(rows) + "\n"
