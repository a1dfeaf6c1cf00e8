"""A table of bad workers.toml files: each stops with status 2, one message naming the file, key and fix.

Run through the command line's entry point, as a user meets them, with each
command that reads the file (validate, check, plan): in this process, since
the table is 160 runs and an interpreter's start cost 0.3 s of each; one
case runs in its own process to show the two say the same.  They read the
file with one loader, so a
mistake in the settings gives each of them the same message.  Mistakes in
the workers are what check lists (status 1) and what plan repairs.  Earlier
artifacts are left exactly as they were.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from covsplit import cli, config, exits

REPO = Path(__file__).resolve().parents[2]

GOOD = """\
[project]
root = "proj"
source = ["pkg"]
tests = "tests"

[workers.worker1]
title = "Pkg (Core)"
modules = ["pkg.core"]
tests = ["tests/test_core.py"]

[workers.worker2]
title = "Pkg (Extra)"
modules = ["pkg.extra"]
tests = ["tests/test_extra.py"]
"""


def many_workers(count: int) -> str:
    head = GOOD.split("[workers.worker1]")[0]
    return head + "".join(f'\n[workers.w{i}]\nmodules = ["pkg.core"]\n' for i in range(count))


KEEP = "keep_together = "
TESTS = 'tests = "tests"'

# (id, the file's text, the key the message must name, words it must contain)
CASES = [
    ("syntax", GOOD + "\n[workers.worker3\n", "(syntax)", "malformed TOML"),
    ("empty-file", "", "project", "missing"),
    ("missing-project", GOOD.split("[workers.worker1]")[1].join(["[workers.worker1]", ""]), "project", "missing"),
    ("missing-workers", GOOD.split("[workers.worker1]")[0], "workers", "missing"),
    ("unknown-key", GOOD.replace('source = ["pkg"]', 'sorce = ["pkg"]\nsource = ["pkg"]'), "project.sorce",
     "did you mean 'source'"),
    ("unknown-worker-key", GOOD.replace('title = "Pkg (Core)"', 'titel = "Pkg (Core)"'), "workers.worker1.titel",
     "did you mean 'title'"),
    ("source-not-a-list", GOOD.replace('source = ["pkg"]', "source = 3"), "project.source", "list of strings"),
    ("title-not-a-string", GOOD.replace('title = "Pkg (Core)"', "title = 5"), "workers.worker1.title", "string"),
    ("modules-not-a-list", GOOD.replace('modules = ["pkg.core"]', 'modules = "pkg.core"'),
     "workers.worker1.modules", "list of strings"),
    ("threshold-high", GOOD + "\n[thresholds]\nline = 180\n", "thresholds.line", "outside 0-100"),
    ("threshold-negative", GOOD + "\n[thresholds]\nbranch = -5\n", "thresholds.branch", "outside 0-100"),
    ("threshold-type", GOOD + '\n[thresholds]\nline = "80%"\n', "thresholds.line", "number"),
    ("module-missing", GOOD.replace('modules = ["pkg.extra"]', 'modules = ["pkg.ghost"]'),
     "workers.worker2.modules[0]", "does not exist"),
    ("overlapping-ownership", GOOD.replace('modules = ["pkg.extra"]', 'modules = ["pkg"]'),
     "workers.worker2.modules[0]", "already owned"),
    ("duplicate-worker", GOOD + '\n[workers.worker1]\nmodules = ["pkg.extra"]\n', "workers.worker1",
     "two workers named"),
    ("named-like-aggregate", GOOD.replace("[workers.worker2]", "[workers.aggregate]"), "workers.aggregate",
     "built-in session"),
    ("named-like-report", GOOD.replace("[workers.worker2]", "[workers.report]"), "workers.report",
     "built-in session"),
    ("name-with-spaces", GOOD.replace("[workers.worker2]", '[workers."worker two"]'), "workers.worker two",
     "invalid worker name"),
    ("test-path-missing", GOOD.replace('tests = ["tests/test_core.py"]', 'tests = ["tests/test_gone.py"]'),
     "workers.worker1.tests[0]", "does not exist"),
    ("test-path-escapes", GOOD.replace('tests = ["tests/test_core.py"]', 'tests = ["../elsewhere/test_x.py"]'),
     "workers.worker1.tests[0]", "outside the project"),
    ("root-missing", GOOD.replace('root = "proj"', 'root = "../nowhere"'), "project.root", "not a directory"),
    ("source-dir-escapes", GOOD.replace('root = "proj"', 'root = "proj"\nsource_dir = "../elsewhere"'),
     "project.source_dir", "outside the project"),
    ("env-not-a-string", GOOD.replace('tests = "tests"', 'tests = "tests"\n\n[project.env]\nSEED = 42', 1),
     "project.env.SEED", "string"),
    ("xdist-negative", GOOD.replace('tests = "tests"', 'tests = "tests"\nxdist = -2', 1), "project.xdist",
     "number of processes"),
    ("timeout-zero", GOOD.replace('tests = "tests"', 'tests = "tests"\ntimeout = 0', 1), "project.timeout",
     "not positive"),
    ("memory-limit-words", GOOD.replace('tests = "tests"', 'tests = "tests"\nmemory_limit = "lots"', 1),
     "project.memory_limit", "not a memory size"),
    ("test-timeout-string", GOOD.replace('title = "Pkg (Core)"', 'title = "Pkg (Core)"\ntest_timeout = "5s"'),
     "workers.worker1.test_timeout", "number"),
    ("pytest-args-not-strings", GOOD.replace('tests = "tests"', 'tests = "tests"\npytest_args = ["-x", 3]', 1),
     "project.pytest_args", "list of strings"),
    ("keep-together-missing-file", GOOD.replace(TESTS, f'{TESTS}\n{KEEP}[["tests/test_gone.py::TestX"]]', 1),
     "project.keep_together[0]", "is not a test file"),
    ("keep-together-mixed", GOOD.replace(TESTS, f'{TESTS}\n{KEEP}[["tests/test_core.py::t", "tests/test_extra.py"]]'),
     "project.keep_together[0]", "mixes files"),
    ("worker-not-a-table", GOOD + '\n[workers]\nworker3 = "everything"\n', "workers.worker3", "expected a table"),
    ("too-many-workers", many_workers(200), "workers", "200 workers"),
    # What Windows editors write does not hide a mistake, nor move it.
    ("bom-and-unknown-key", "\ufeff" + GOOD.replace('source = ["pkg"]', 'sorce = ["pkg"]'), "project.sorce",
     "did you mean 'source'"),
    ("crlf-and-unknown-key", GOOD.replace('source = ["pkg"]', 'sorce = ["pkg"]').replace("\n", "\r\n"),
     "project.sorce", "did you mean 'source'"),
    ("crlf-and-duplicate-worker", (GOOD + '\n[workers.worker1]\nmodules = ["pkg.extra"]\n').replace("\n", "\r\n"),
     "workers.worker1", "lines 6 and 16"),
]  # fmt: skip

# Mistakes in a worker's table: validate stops on them; check lists them with everything else that does not
# hold (status 1); plan replaces the workers, so it either repairs them or says why it cannot.
IN_A_WORKER = {
    "missing-workers", "unknown-worker-key", "title-not-a-string", "modules-not-a-list", "module-missing",
    "overlapping-ownership", "named-like-aggregate", "named-like-report", "name-with-spaces", "test-path-missing",
    "test-path-escapes", "test-timeout-string", "worker-not-a-table", "too-many-workers",
}  # fmt: skip
# What plan replaces (modules, tests, the number of workers); the rest of a worker (its name, keys, title and
# own options) it keeps as written, so there it stops as validate does.
PLAN_REPLACES = {
    "missing-workers", "modules-not-a-list", "module-missing", "overlapping-ownership", "test-path-missing",
    "test-path-escapes", "too-many-workers",
}  # fmt: skip
COMMANDS = {"validate": ["validate"], "check": ["check"], "plan": ["plan", "--dry-run"]}


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "core.py").write_text("X = 1\n")
    (root / "pkg" / "extra.py").write_text("Y = 2\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_core.py").write_text("def test_x():\n    pass\n")
    (root / "tests" / "test_extra.py").write_text("def test_y():\n    pass\n")
    # What an earlier run produced: a bad config must not touch it.
    (tmp_path / "coverage_output").mkdir()
    (tmp_path / "coverage_output" / "worker1_summary.md").write_text("from an earlier run\n")
    (tmp_path / "htmlcov" / "worker1").mkdir(parents=True)
    (tmp_path / "htmlcov" / "worker1" / "index.html").write_text("<p>earlier</p>\n")
    return tmp_path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def covsplit(path: Path, command: str) -> subprocess.CompletedProcess[str]:
    """``python -m covsplit --config PATH COMMAND``, run by its entry point in this process."""
    out, err = io.StringIO(), io.StringIO()
    argv = ["--config", str(path), *COMMANDS[command]]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())


def covsplit_process(path: Path, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "covsplit", "--config", str(path), *COMMANDS[command]],
        env={**os.environ, "PYTHONPATH": str(REPO / "scripts")},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_a_separate_process_says_exactly_what_the_entry_point_says(suite: Path, command: str) -> None:
    path = suite / "workers.toml"
    path.write_text(CASES[0][1], encoding="utf-8")
    alone, here = covsplit_process(path, command), covsplit(path, command)
    assert (alone.returncode, alone.stdout, alone.stderr) == (here.returncode, here.stdout, here.stderr)
    assert alone.returncode == exits.CONFIG


def test_there_are_at_least_25_distinct_bad_files() -> None:
    assert len({text for _id, text, _key, _words in CASES}) >= 25


# A worker's mistake stops validate only: check lists it, plan repairs it (the test after this one).
STOPPING = [
    pytest.param(command, text, key, words, id=f"{case}-{command}")
    for case, text, key, words in CASES
    for command in COMMANDS
    if command == "validate" or case not in IN_A_WORKER
]


@pytest.mark.parametrize(("command", "text", "key", "words"), STOPPING)
def test_a_bad_file_stops_with_2_naming_file_key_and_fix(
    suite: Path, command: str, text: str, key: str, words: str
) -> None:
    path = suite / "workers.toml"
    path.write_text(text, encoding="utf-8")
    before = snapshot(suite / "coverage_output") | snapshot(suite / "htmlcov")

    result = covsplit(path, command)

    assert result.returncode == exits.CONFIG, result.stdout + result.stderr
    assert not result.stdout
    message = result.stderr
    assert message.startswith(f"error: {path}: {key}:"), message
    assert words in message, message
    assert "fix:" in message, message
    assert snapshot(suite / "coverage_output") | snapshot(suite / "htmlcov") == before


@pytest.mark.parametrize("case", sorted(IN_A_WORKER))
def test_a_workers_mistake_is_listed_by_check_and_never_crashes_plan(suite: Path, case: str) -> None:
    text = next(text for id_, text, _key, _words in CASES if id_ == case)
    path = suite / "workers.toml"
    path.write_text(text, encoding="utf-8")
    before = snapshot(suite)

    checked = covsplit(path, "check")
    planned = covsplit(path, "plan")

    assert checked.returncode == exits.FAILED, checked.stdout + checked.stderr
    assert checked.stdout.startswith("covsplit check: ") and "problem" in checked.stdout.splitlines()[0]
    assert "Traceback" not in planned.stderr, planned.stderr
    if case == "missing-workers":
        assert planned.returncode == exits.CONFIG and "--workers N" in planned.stderr
    elif case in PLAN_REPLACES:
        assert planned.returncode in (0, 1), planned.stderr  # repaired, or a plain reason (more workers than modules)
        assert "internal error" not in planned.stderr
    else:
        assert planned.returncode == exits.CONFIG, planned.stderr
        assert planned.stderr == covsplit(path, "validate").stderr
    assert snapshot(suite) == before  # a dry run writes nothing


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("variant", ["bom", "crlf", "bom-and-crlf"])
def test_a_byte_order_mark_or_windows_line_endings_still_load(suite: Path, variant: str, command: str) -> None:
    # What Windows editors write: a user expects the file to load, in every command, not a syntax error.
    text = GOOD.replace("\n", "\r\n") if "crlf" in variant else GOOD
    data = text.encode("utf-8")
    path = suite / "workers.toml"
    path.write_bytes(b"\xef\xbb\xbf" + data if "bom" in variant else data)
    cfg = config.load(path)
    assert [w.name for w in cfg.workers] == ["worker1", "worker2"]
    assert cfg.workers[0].title == "Pkg (Core)"
    result = covsplit(path, command)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not result.stderr
