"""Benchmark covsplit against the alternatives on one project: ``make bench [CONFIG=...]``.

Contenders, run alternately (one round runs each once) and repeated, each
reported as the median of its runs:

* ``serial``: one ``pytest --cov=<every source package> --cov-branch`` over
  the tests the workers run, writing the JSON and HTML reports;
* ``xdist``: the same with ``-n auto``;
* ``spec-commands``: the seed document's literal per-worker commands, each
  ``pytest --cov=<its modules> <whole test root>`` with the same reports,
  all at once as its "Parallel Execution" section runs them;
* ``covsplit-warm``: ``make coverage-all FULL=1`` (every worker runs) with
  its virtualenvs in place;
* ``covsplit-cold``: the same into an empty nox envdir (every virtualenv
  created and installed; uv's download cache stays warm);
* ``covsplit-edit``: one worker's test file edited (a comment appended to
  the file of median measured seconds), then ``make coverage-all``: the
  daily workflow, where only that file runs again;
* ``covsplit-edit-module``: one source module that about a tenth of the
  test files execute edited inside a function body those tests run (a
  no-op statement inserted, removed again before the next round), then
  ``make coverage-all``: the daily workflow's other half, a change to the code;
* ``covsplit-unchanged``: ``make coverage-all`` with nothing changed.

The module is picked once per state of the project's sources and tests,
from a serial run with per-test coverage contexts in the baseline
virtualenv (the pick is kept beside that virtualenv).

Baselines run in a virtualenv of their own with the project, pytest-cov
and pytest-xdist.  Every contender's output goes to a folder that is reused
from run to run, so coverage.py's HTML report redoes only changed pages for
all of them alike.  Measured per run: wall seconds, CPU seconds of the whole
process tree (user + system, from the children's resource usage), and the
peak of the tree's summed resident memory (sampled every 0.2 s from /proc).

The whole field runs twice: with ``PYTHONDONTWRITEBYTECODE`` set (as in
many CI images; the bytecode earlier runs wrote is removed first) and
unset (as on a developer's machine), since start-up costs differ by the
setting and covsplit starts more interpreters than its baselines.

Writes ``coverage_output/bench.json`` (the shape other tools read: one
record per setting) and ``bench.md``.  Timing lives here, never in tests.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from covsplit import (  # noqa: E402
    config,
    discover,
    durations,
    fsio,
    rerun,
    run_once,
    schedule,
    schedule_file,
    shuffle,
    status,
)
from covsplit.layout import DURATIONS_SUFFIX  # noqa: E402
from covsplit.nox_support import envdir_name, install_fingerprint  # noqa: E402

CONTENDERS = (
    "serial", "xdist", "spec-commands", "covsplit-warm-no-grain", "covsplit-warm", "covsplit-cold", "covsplit-edit",
    "covsplit-edit-module", "covsplit-unchanged",
)  # fmt: skip
REQUIREMENTS = REPO / "scripts" / "requirements"
# Serial runs of at least this long are "real projects" for the targets; shorter ones are fixed-cost bound.
LONG_RUN_S = 10.0


@dataclass
class Sample:
    wall_s: float
    cpu_s: float
    peak_mib: float
    returncode: int


@dataclass
class Contender:
    name: str
    run: Callable[[], Sample]
    samples: list[Sample] = field(default_factory=list)

    def median(self, key: str) -> float:
        return statistics.median(getattr(sample, key) for sample in self.samples)


# --------------------------------------------------------------------------- measuring


def _tree_rss_mib(root: int) -> float:
    """Summed resident memory of ``root`` and every process below it.

    Walks the tree through /proc's children lists, so a sample costs in
    proportion to the run's own processes, not to everything on the machine.
    """
    total_pages, frontier, seen = 0, [root], set()
    while frontier:
        pid = frontier.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            total_pages += int(Path(f"/proc/{pid}/statm").read_text().split()[1])
            for task in os.scandir(f"/proc/{pid}/task"):
                frontier.extend(int(child) for child in Path(task.path, "children").read_text().split())
        except (OSError, ValueError):
            continue  # the process ended between two reads
    return total_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(command: Sequence[str], cwd: Path, env: Mapping[str, str], log: Path) -> Sample:
    """Run ``command`` to its end: wall time, CPU of its whole tree, peak memory of its tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = 0.0
    started = time.perf_counter()
    with open(log, "ab") as out:
        process = subprocess.Popen(command, cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            # Sparse enough not to take CPU from the run it measures.
            while not done.wait(0.2):
                peak = max(peak, _tree_rss_mib(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        returncode = process.wait()
        done.set()
        sampler.join()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Sample(round(wall, 3), round(cpu, 3), round(peak, 1), returncode)


def measure_all(commands: Sequence[Sequence[str]], cwd: Path, env: Mapping[str, str], log: Path) -> Sample:
    """Several commands started together (the spec's per-worker commands), measured as one run."""
    script = " & ".join(subprocess.list2cmdline(list(c)) for c in commands) + " & wait"
    return measure(["bash", "-c", script], cwd, env, log)


# --------------------------------------------------------------------------- contenders


def baseline_location(cfg: config.Config) -> Path:
    return REPO / ".nox" / envdir_name(cfg.path, cfg.root) / "bench-baseline"


def baseline_python(cfg: config.Config) -> Path:
    """A virtualenv with the project, pytest-cov and pytest-xdist, made once and reused while its inputs hold."""
    uv = shutil.which("uv", path=str(REPO / ".tools" / "bin")) or "uv"
    location = baseline_location(cfg)
    python = location / "bin" / "python"
    groups = [
        ("-r", str(REQUIREMENTS / "worker.txt")),
        ("-r", str(REQUIREMENTS / "worker-xdist.txt")),
        *cfg.install,
    ]
    stamp = location / "covsplit-install.json"
    fingerprint = install_fingerprint(groups, cfg.root, str(python))
    if stamp.is_file() and stamp.read_text() == fingerprint:
        return python
    subprocess.run([uv, "venv", "--quiet", "--clear", "--python", sys.executable, str(location)], check=True)
    for group in groups:
        subprocess.run([uv, "pip", "install", "--quiet", "--python", str(python), *group], cwd=cfg.root, check=True)
    stamp.write_text(fingerprint)
    return python


def test_paths(cfg: config.Config) -> list[str]:
    """What covsplit's workers run, together: the union of their test paths."""
    paths: list[str] = []
    for worker in cfg.workers:
        paths.extend(t for t in worker.tests if t not in paths)
    return paths


# An older plan's files, named on the command line, may include one the suite's collection passes over (babel's
# test project under tests/messages/data, before covsplit.suite left such files out): the run goes on past it.
COLLECTION = ("-p", "no:cacheprovider", "--continue-on-collection-errors")


# One seed for every contender of a bench, where the project's environment shuffles its tests (pytest-randomly):
# each runs the same tests in the same order on the same random inputs, so their coverage compares (a fresh seed
# per run gave pygments' random-input tests other inputs, and other lines, in every contender) and their times
# do too.  A constant, so that a seed under which a project's test hangs is found once, not at random.
DEFAULT_SEED = 1


def seeded(seed: int, shuffled: bool, env: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
    """The options and environment that give a baseline's pytest the workers' seed (covsplit.pytest_seed)."""
    if not shuffled:
        return [], dict(env)
    paths = [str(REPO / "scripts"), *filter(None, [env.get("PYTHONPATH")])]
    return ["-p", "covsplit.pytest_seed", f"--covsplit-seed={seed}"], {**env, "PYTHONPATH": os.pathsep.join(paths)}


def pytest_run(python: Path, cfg: config.Config, out: Path, covs: Sequence[str], tests: Sequence[str]) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    return [
        str(python), "-m", "pytest", "-q", *COLLECTION, *tests, *[f"--cov={c}" for c in covs],
        "--cov-branch", f"--cov-report=json:{out / 'coverage.json'}", f"--cov-report=html:{out / 'html'}",
        *cfg.pytest_args,
    ]  # fmt: skip


def median_file(own: Mapping[str, Sequence[str]], seconds: Mapping[str, float]) -> tuple[str, str, float] | None:
    """The test file of median measured seconds among those one worker runs: (worker, file, seconds).

    The typical edit: a test file of the suite's middle, not its heaviest
    (whose own tests may take a fifth of the run) nor its first by name.
    Ties go by name, so the pick is the same from run to run.
    """
    timed = sorted((seconds[f], f, name) for name, files in own.items() for f in files if f in seconds)
    if not timed:
        return None
    spent, file, worker = timed[(len(timed) - 1) // 2]
    return worker, file, spent


class EditedTestFile:
    """A test file only one worker runs, of median measured seconds, edited where no test sees; restored at the end."""

    def __init__(self, cfg: config.Config) -> None:
        self.cfg = cfg
        self.worker = ""
        self.path: Path | None = None
        self.original = b""
        self.edits = 0
        self.seconds: float | None = None

    def _choose(self) -> Path:
        # Chosen at the first edit, from the seconds the runs before it measured.
        cfg = self.cfg
        # A file only one worker runs: editing a file several workers share re-runs all of them.
        listed = {w.name: discover.test_files_in(cfg.root, w.tests) for w in cfg.workers}
        own = {name: [f for f in files if run_once.entry_for(f, cfg.shared) is None] for name, files in listed.items()}
        picked = median_file(own, durations.read(cfg.layout.output_dir).files)
        if picked is not None:
            self.worker, file, self.seconds = picked
            path = cfg.root / file
            self.original = path.read_bytes()
            return path
        seconds = {w.name: status.read(cfg.layout.worker(w.name).status).get("duration_s") for w in cfg.workers}
        timed = sorted((s, name) for name, s in seconds.items() if isinstance(s, int | float) and own[name])
        self.worker = timed[len(timed) // 2][1] if timed else cfg.workers[0].name
        worker = cfg.worker(self.worker)
        # Dealt before any run was measured, every file is every worker's: the edit re-runs them all.
        path = cfg.root / (own[self.worker] or listed[self.worker] or list(worker.tests))[0]
        self.original = path.read_bytes()
        return path

    def toggle(self) -> None:
        if self.path is None:
            self.path = self._choose()
        self.edits += 1
        self.path.write_bytes(self.original + f"\n# covsplit bench edit {self.edits}\n".encode())

    def restore(self) -> None:
        if self.path is not None:
            self.path.write_bytes(self.original)


# --------------------------------------------------------------------------- the module edit

# The share of the suite's test files the edited module should be executed by: "about a tenth".
MODULE_SHARE = 0.1
# A statement that changes the module's text and compiled code but no outcome; a new local is all it makes.
NO_OP = "_ = None"
# Bumped when the pick's rule changes, so that a pick kept from an older rule is made again.
PICK_RULE = 2


def test_file_of(context: str) -> str | None:
    """The test file a pytest-cov ``--cov-context=test`` context names (``path::node|phase``); None for no test."""
    node = context.rsplit("|", 1)[0]
    return node.split("::", 1)[0] if "::" in node else None


def test_files_by_line(contexts: Mapping[str, Sequence[str]]) -> dict[int, set[str]]:
    """For each executed line of one file (coverage's JSON ``contexts``, keys as text), the test files that ran it."""
    lines: dict[int, set[str]] = {}
    for line, names in contexts.items():
        files = {f for f in map(test_file_of, names) if f is not None}
        if files:
            lines[int(line)] = files
    return lines


def lines_outside_tests(contexts: Mapping[str, Sequence[str]]) -> set[int]:
    """The lines of one file something ran outside any test: while collecting (importing), mostly."""
    return {int(line) for line, names in contexts.items() if any(test_file_of(name) is None for name in names)}


def modules_by_share(executed: Mapping[str, Mapping[int, set[str]]], test_files: int, share: float) -> list[str]:
    """Source files that some test executes, the one whose share of the ``test_files`` is nearest ``share`` first.

    Ties go to the file more test files execute (a larger share of
    the same distance is the harder case), then by name, so the pick is
    the same from run to run.
    """

    def reach(name: str) -> int:
        return len(set().union(*executed[name].values()))

    candidates = [name for name in executed if reach(name)]
    return sorted(candidates, key=lambda name: (abs(reach(name) / max(test_files, 1) - share), -reach(name), name))


def _first_body_statement(function: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.stmt | None:
    """The body's first statement after its docstring, if it has one."""
    first = function.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return function.body[1] if len(function.body) > 1 else None
    return first


@dataclass(frozen=True)
class EditPoint:
    line: int  # 1-based: the new statement goes before it
    indent: str
    test_files: int  # how many test files execute the statement it goes before


def edit_point(
    source: str, lines: Mapping[int, set[str]], outside: Set[int] = frozenset(), *, collected: bool = True
) -> EditPoint | None:
    """Where a no-op goes: before the first statement of a function body that tests execute, at its indentation.

    After any docstring, which stays the function's ``__doc__``; on a
    line of its own (a body on the ``def`` line, or a statement after a
    docstring on its line, is passed over); before the decorators of a
    decorated first statement.  A function that reads a name ``_`` or
    calls ``locals`` is passed over: the new local would change what it
    sees.  Unless ``collected``, a body that also ran outside any test
    (``outside``: while collecting, babel's ``find_entrypoints`` through a
    module-level call) is passed over: such an edit changes what every
    importer shares, and runs whole each worker whose collection ran it.
    Of the rest, the statement the most test files execute, the earliest on ties.
    """
    # Split on newlines only, as the parser counts lines (str.splitlines also splits at form feeds).
    text = source.split("\n")
    best: EditPoint | None = None
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        first = _first_body_statement(node)
        if first is None:
            continue
        decorators = getattr(first, "decorator_list", [])
        start = min([first.lineno, *(d.lineno for d in decorators)])
        # coverage.py counts a decorated definition at its first decorator, the parser at its ``def``.
        ran = lines.get(start) or lines.get(first.lineno)
        if not ran or {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} & {"_", "locals"}:
            continue
        if not collected and (start in outside or first.lineno in outside):
            continue
        opening = text[start - 1]
        if decorators:
            own_line = opening.lstrip().startswith("@")
        else:
            own_line = not opening.encode()[: first.col_offset].decode(errors="replace").strip()
        if not own_line:
            continue
        indent = opening[: len(opening) - len(opening.lstrip())]
        point = EditPoint(start, indent, len(ran))
        if best is None or (-point.test_files, point.line) < (-best.test_files, best.line):
            best = point
    return best


def insert_statement(source: str, point: EditPoint, statement: str = NO_OP) -> str:
    """``source`` with ``statement`` on a line of its own before ``point.line``, indented as that line is."""
    lines = source.split("\n")
    ending = "\r" if lines[point.line - 1].endswith("\r") else ""
    lines.insert(point.line - 1, f"{point.indent}{statement}{ending}")
    return "\n".join(lines)


def sources_digest(cfg: config.Config, tests: Sequence[str]) -> str:
    """What the pick depends on: the names and contents of the source packages' and the test paths' Python files."""
    digest = hashlib.sha256()
    places = [cfg.root / cfg.source_dir / Path(*package.split(".")) for package in cfg.source]
    places += [cfg.root / t.split("::", 1)[0] for t in tests]
    for place in places:
        # A package is a folder, or a single module beside the others.
        found = sorted(place.rglob("*.py")) if place.is_dir() else [place, place.with_name(place.name + ".py")]
        for path in found:
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(cfg.root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _reach(lines: Mapping[int, set[str]]) -> set[str]:
    return set().union(*lines.values())


def pick_module(cfg: config.Config, python: Path, log: Path) -> dict[str, Any]:
    """The module to edit and where, from a serial run with per-test contexts; kept and reused while the tree holds.

    Per-test contexts double the cost of measuring, so the run is made
    once per state of the sources and tests (kept beside the baseline
    virtualenv), never per bench pass.
    """
    tests = test_paths(cfg)
    cache = baseline_location(cfg).parent / "bench-module.json"
    fingerprint = f"{PICK_RULE}:{sources_digest(cfg, tests)}"
    kept = fsio.read_json(cache)
    if isinstance(kept, dict) and kept.get("fingerprint") == fingerprint:
        return kept
    sources = [Path(cfg.source_dir, *package.split(".")).as_posix() for package in cfg.source]
    with tempfile.TemporaryDirectory(prefix="covsplit-bench-contexts-") as scratch:
        data, report = Path(scratch, ".coverage"), Path(scratch, "contexts.json")
        env = {**os.environ, **cfg.env, "COVERAGE_FILE": str(data)}
        command = [
            str(python), "-m", "pytest", "-q", *COLLECTION, *tests, *[f"--cov={c}" for c in sources],
            "--cov-branch", "--cov-context=test", "--cov-report=", *cfg.pytest_args,
        ]  # fmt: skip
        with open(log, "ab") as out:
            # Failing tests still say what they executed: the run's status does not matter here.
            subprocess.run(command, cwd=cfg.root, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
            # -i: a file the tests wrote and removed has no source to read; its lines do not matter here.
            to_json = ["coverage", "json", "-i", "--show-contexts", f"--data-file={data}", "-o", str(report)]
            subprocess.run(
                [str(python), "-m", *to_json], cwd=cfg.root, env=env, stdout=out, stderr=subprocess.STDOUT, check=False
            )
        if not report.is_file():
            tail = log.read_text(errors="replace")[-3000:]
            raise SystemExit(f"bench: the run with per-test contexts wrote no coverage (see its end below)\n{tail}")
        files = json.loads(report.read_text())["files"]
    executed = {name: test_files_by_line(entry.get("contexts", {})) for name, entry in files.items()}
    outside = {name: lines_outside_tests(entry.get("contexts", {})) for name, entry in files.items()}
    ran = set().union(*(_reach(lines) for lines in executed.values()))
    total = len(set(discover.test_files_in(cfg.root, tests)) | ran)
    # A body only tests run first, the common edit; one collection runs too only when no module has such a body.
    for collected in (False, True):
        for name in modules_by_share(executed, total, MODULE_SHARE):
            path = Path(name) if Path(name).is_absolute() else cfg.root / name
            source = path.read_bytes().decode("utf-8", "surrogateescape")
            point = edit_point(source, executed[name], outside[name], collected=collected)
            if point is not None:
                pick = {
                    "fingerprint": fingerprint,
                    "path": path.relative_to(cfg.root).as_posix(),
                    "line": point.line,
                    "indent": point.indent,
                    "statement_test_files": point.test_files,
                    "test_files": len(_reach(executed[name])),
                    "of_test_files": total,
                    "runs_while_collecting": collected,
                }
                fsio.write_json(cache, pick)
                return pick
    raise SystemExit("bench: no source module has a function body the tests execute; --skip covsplit-edit-module")


class EditedModule:
    """The picked module with a no-op inserted, for one run; restored at the start of the next round and at the end.

    The contender after it (``covsplit-unchanged``) finds the module as
    the edited run left it, so nothing changed for it; the next round's
    baselines and full runs, which rewrite every worker's data, measure
    the module as the project has it, so the combined coverage they leave
    compares with the serial run's.
    """

    def __init__(self, cfg: config.Config, chosen: Mapping[str, Any]) -> None:
        self.chosen = chosen
        self.path = cfg.root / chosen["path"]
        self.original = self.path.read_bytes()

    def edit(self) -> None:
        point = EditPoint(self.chosen["line"], self.chosen["indent"], self.chosen["statement_test_files"])
        text = insert_statement(self.original.decode("utf-8", "surrogateescape"), point)
        self.path.write_bytes(text.encode("utf-8", "surrogateescape"))

    def restore(self) -> None:
        self.path.write_bytes(self.original)


FAILING_TEST = '''"""Added by covsplit's bench (--failing) for the length of one bench: a failure that stays."""


def test_covsplit_bench_fails():
    assert False, "covsplit bench: this test fails on every run"
'''


class FailingTest:
    """A test file that always fails, planted in the project's tests for a whole bench and removed at the end.

    For the targets that must hold with a failure that stays, on a project
    whose own tests all pass.  The file goes in the first test path that is
    a folder, and the split is planned again (``make plan --by duration``,
    or dealt before any run) so that one worker runs it; ``workers.toml``
    and its schedule file are put back as they were at the end.
    """

    NAME = "test_covsplit_bench_failing.py"

    def __init__(self, cfg: config.Config) -> None:
        self.cfg = cfg
        self.path: Path | None = None
        self.kept: dict[Path, bytes | None] = {}

    def plant(self) -> None:
        cfg = self.cfg
        # The project's own test paths: the workers' entries may name a folder of a suite's data (babel's
        # tests/messages/data, which its conftest ignores, was the first folder of an older plan).
        folders = [t for t in cfg.test_paths if (cfg.root / t).is_dir()]
        folder = folders[0] if folders else Path(discover.test_files_in(cfg.root, test_paths(cfg))[0]).parent
        self.path = cfg.root / folder / self.NAME
        for kept in (cfg.path, schedule_file.path_for(cfg.path)):
            self.kept[kept] = kept.read_bytes() if kept.is_file() else None
        self.path.write_text(FAILING_TEST)
        # By the measured seconds where a run measured them; else dealt, as before any run.
        measured = any(cfg.layout.output_dir.glob(f"*{DURATIONS_SUFFIX}"))
        make = ["make", "--no-print-directory", "-C", str(REPO), f"CONFIG={cfg.path}", "plan"]
        # ARGS always: a make that started this one (make test ARGS=...) passes its own down otherwise.
        subprocess.run([*make, f"ARGS={'--by duration' if measured else ''}"], check=True, stdout=subprocess.DEVNULL)

    def remove(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)
        for kept, content in self.kept.items():
            if content is None:
                kept.unlink(missing_ok=True)
            else:
                kept.write_bytes(content)


def contenders(
    cfg: config.Config,
    python: Path,
    scratch: Path,
    log: Path,
    edited: EditedTestFile,
    module: EditedModule | None,
    seed: int = DEFAULT_SEED,
    shuffled: bool = False,
) -> list[Contender]:
    sources = [Path(cfg.source_dir, *package.split(".")).as_posix() for package in cfg.source]
    tests = test_paths(cfg)
    seed_options, base_env = seeded(seed, shuffled, {**os.environ, **cfg.env})
    base_env.pop("COVERAGE_FILE", None)
    # The workers take the bench's seed as `make coverage-all SEED=n` gives it.
    covsplit_env = {**os.environ, shuffle.SEED_VARIABLE: str(seed)}

    def baseline(name: str, extra: Sequence[str]) -> Callable[[], Sample]:
        out = scratch / name
        env = {**base_env, "COVERAGE_FILE": str(out / ".coverage")}
        command = [*pytest_run(python, cfg, out, sources, tests), *seed_options, *extra]
        return lambda: measure(command, cfg.root, env, log)

    def spec_commands() -> Sample:
        commands = []
        for worker in cfg.workers:
            out = scratch / "spec" / worker.name
            command = [*pytest_run(python, cfg, out, worker.modules, [cfg.test_root]), *seed_options]
            commands.append(["env", f"COVERAGE_FILE={out / '.coverage'}", *command])
        return measure_all(commands, cfg.root, base_env, log)

    make = ["make", "--no-print-directory", "-C", str(REPO), f"CONFIG={cfg.path}", "coverage-all"]
    full = [*make, "FULL=1"]

    def cold() -> Sample:
        envdir = Path(tempfile.mkdtemp(prefix="envs-", dir=scratch))
        try:
            return measure([*full, f"NOXFLAGS=--envdir {envdir}"], REPO, covsplit_env, log)
        finally:
            shutil.rmtree(envdir, ignore_errors=True)

    def warm(env: Mapping[str, str]) -> Callable[[], Sample]:
        def run() -> Sample:
            # A full run as after a day's edits: every report written from scratch, nothing kept from the last round.
            for kept in (cfg.layout.report_cache, cfg.layout.report_keys):
                kept.unlink(missing_ok=True)
            return measure(full, REPO, env, log)

        return run

    def edit() -> Sample:
        edited.toggle()
        return measure(make, REPO, covsplit_env, log)

    def edit_module() -> Sample:
        assert module is not None, "covsplit-edit-module runs only with a picked module"
        module.edit()
        return measure(make, REPO, covsplit_env, log)

    return [
        Contender("serial", baseline("serial", [])),
        Contender("xdist", baseline("xdist", ["-n", "auto"])),
        Contender("spec-commands", spec_commands),
        # Just before covsplit-warm, so that the incremental runs after it find per-file data to keep.
        Contender("covsplit-warm-no-grain", warm({**covsplit_env, rerun.NO_GRAIN_ENV: "1"})),
        Contender("covsplit-warm", warm(covsplit_env)),
        Contender("covsplit-cold", cold),
        Contender("covsplit-edit", edit),
        Contender("covsplit-edit-module", edit_module),
        Contender("covsplit-unchanged", lambda: measure(make, REPO, covsplit_env, log)),
    ]


# --------------------------------------------------------------------------- comparing


def coverage_differences(combined: Mapping[str, Any], serial: Mapping[str, Any]) -> list[str]:
    """Files whose executed lines, branches or statements differ between covsplit's combined data and a serial run.

    covsplit also lists never-imported files at 0%; a file the serial run
    did not report is a difference only if covsplit saw it executed.
    """
    ours, theirs = combined.get("files", {}), serial.get("files", {})
    different = []
    for name in sorted(set(ours) | set(theirs)):
        if name not in theirs:
            if ours[name].get("executed_lines"):
                different.append(name)
            continue
        if name not in ours:
            different.append(name)
            continue
        a, b = ours[name], theirs[name]
        if (
            a.get("executed_lines") != b.get("executed_lines")
            or sorted(map(tuple, a.get("executed_branches", []))) != sorted(map(tuple, b.get("executed_branches", [])))
            or a["summary"]["num_statements"] != b["summary"]["num_statements"]
        ):
            different.append(name)
    return different


def simulation(cfg: config.Config, fleets: Sequence[int] = (16, 64)) -> list[dict[str, float]]:
    """The heaviest worker against the ideal on larger fleets, from the seconds this run measured: no machine needed."""
    measured = durations.read(cfg.layout.output_dir)
    files = {t: s for t, s in measured.files.items() if (cfg.root / t).is_file()}
    rows = []
    for workers in fleets:
        heaviest, ideal = schedule.simulate(files, measured.tests, measured.collect, workers, measured.fixed_per_worker)
        rows.append({"workers": workers, "heaviest_s": round(heaviest, 3), "ideal_s": round(ideal, 3)})
    return rows


def worker_overhead(cfg: config.Config) -> tuple[float, float]:
    """Mean CPU seconds per worker session outside pytest, and the sum of the sessions' CPU, from the statuses."""
    outside, sessions = [], 0.0
    for worker in cfg.workers:
        record = status.read(cfg.layout.worker(worker.name).status)
        session, pytest_cpu = record.get("session_cpu_s"), record.get("pytest_cpu_s")
        if isinstance(session, int | float) and isinstance(pytest_cpu, int | float):
            outside.append(session - pytest_cpu)
            sessions += session
    return (sum(outside) / len(outside) if outside else float("nan")), sessions


# --------------------------------------------------------------------------- reporting


# Limits on re-running what changed, as ratios of a full warm run of the same split, by the serial run's seconds:
# issue 28's on projects of a minute or more; below that the earlier ones (the example keeps its own targets).
INCREMENTAL_LIMITS: tuple[tuple[float, Mapping[str, float]], ...] = (
    (60.0, {"covsplit-edit": 0.15, "covsplit-edit-module": 0.3, "covsplit-unchanged": 0.05}),
    (LONG_RUN_S, {"covsplit-edit": 0.5, "covsplit-edit-module": 0.5, "covsplit-unchanged": 0.15}),
    (0.0, {"covsplit-edit": 0.7, "covsplit-edit-module": 0.7, "covsplit-unchanged": 0.3}),
)
# The aggregate and report after one worker re-ran, against after a full run (CPU): they should cost what changed.
AGGREGATE_CPU_LIMIT = 1 / 3
# A full run may be this much slower than before a change (``--before``), or than one that keeps no per-file
# data (covsplit-warm-no-grain): keeping more data must stay cheap.
FULL_RUN_SLOWDOWN = 1.05


def incremental_limits(serial_s: float) -> Mapping[str, float]:
    return next(limits for floor, limits in INCREMENTAL_LIMITS if serial_s >= floor)


def verdicts(
    results: Mapping[str, Mapping[str, float]],
    overhead: float,
    equal: bool,
    failing: int = 0,
    before: Mapping[str, float] | None = None,
) -> list[str]:
    """The targets met or not; ``failing``: tests that failed in the warm run; ``before``: an earlier warm run."""
    serial, xdist = results["serial"], results["xdist"]
    faster = min(serial["wall_s"], xdist["wall_s"])
    warm = results["covsplit-warm"]
    lines = []

    def verdict(ok: bool, text: str) -> None:
        lines.append(f"- {'met' if ok else 'NOT MET'}: {text}")

    if serial["wall_s"] >= LONG_RUN_S:
        verdict(warm["wall_s"] <= faster, f"warm {warm['wall_s']:.2f} s <= the faster baseline {faster:.2f} s")
        verdict(
            warm["cpu_s"] <= 1.3 * serial["cpu_s"],
            f"warm CPU {warm['cpu_s']:.2f} s <= 1.3 x serial CPU {serial['cpu_s']:.2f} s "
            f"({warm['cpu_s'] / serial['cpu_s']:.2f}x)",
        )
        if "covsplit-cold" in results:
            cold = results["covsplit-cold"]["wall_s"]
            verdict(cold <= 1.3 * faster, f"cold {cold:.2f} s <= 1.3 x the faster baseline ({cold / faster:.2f}x)")
    else:
        verdict(warm["wall_s"] <= 1.2 * faster, f"warm {warm['wall_s']:.2f} s <= 1.2 x the faster baseline "
                f"{faster:.2f} s ({warm['wall_s'] / faster:.2f}x; serial run under {LONG_RUN_S:g} s)")  # fmt: skip
        verdict(overhead < 0.5, f"covsplit's own CPU outside pytest {overhead:.2f} s per worker < 0.5 s")
    # Re-running what changed, against a full warm run of the same split.
    with_failures = f", with {failing} failing test{'s' if failing != 1 else ''}" if failing else ""
    for name, limit in incremental_limits(serial["wall_s"]).items():
        if name in results:
            ratio = results[name]["wall_s"] / warm["wall_s"]
            verdict(
                ratio <= limit,
                f"{name} {results[name]['wall_s']:.2f} s <= {limit:g} x warm ({ratio:.2f}x{with_failures})",
            )
    full, incremental = results.get("aggregate-after-full"), results.get("aggregate-after-edit")
    if full and incremental:
        ratio = incremental["cpu_s"] / full["cpu_s"]
        verdict(
            ratio <= AGGREGATE_CPU_LIMIT,
            f"aggregate and report CPU after an edit {incremental['cpu_s']:.2f} s <= 1/3 x after a full run "
            f"{full['cpu_s']:.2f} s ({ratio:.2f}x)",
        )
    if "covsplit-warm-no-grain" in results:
        whole = results["covsplit-warm-no-grain"]
        for key, what in (("wall_s", "wall"), ("cpu_s", "CPU")):
            ratio = warm[key] / whole[key]
            verdict(
                ratio <= FULL_RUN_SLOWDOWN,
                f"warm {what} {warm[key]:.2f} s <= {FULL_RUN_SLOWDOWN:g} x without per-file data {whole[key]:.2f} s "
                f"({ratio:.2f}x)",
            )
    if before:
        for key, what in (("wall_s", "wall"), ("cpu_s", "CPU")):
            ratio = warm[key] / before[key]
            verdict(
                ratio <= FULL_RUN_SLOWDOWN,
                f"warm {what} {warm[key]:.2f} s <= {FULL_RUN_SLOWDOWN:g} x before {before[key]:.2f} s ({ratio:.2f}x)",
            )
    verdict(equal, "combined coverage equals the serial run, file by file")
    return lines


def aggregate_cost(costs: Mapping[str, Sequence[Mapping[str, float]]]) -> dict[str, dict[str, float]]:
    """The median wall and CPU seconds of the aggregate and report after a full run and after an edit."""
    names = {"covsplit-warm": "after-full", "covsplit-edit": "after-edit"}
    return {
        names[name]: {key: statistics.median(float(c[key]) for c in samples) for key in ("wall_s", "cpu_s")}
        for name, samples in costs.items()
        if samples
    }


def earlier_warm(bench: Mapping[str, Any], bytecode_written: bool) -> dict[str, float] | None:
    """covsplit-warm of an earlier bench.json (``--before``) under the same bytecode setting, if it ran there."""
    for record in bench.get("settings", []):
        if record.get("bytecode_written") == bytecode_written:
            for contender in record.get("contenders", []):
                if contender.get("name") == "covsplit-warm":
                    return {"wall_s": float(contender["wall_s"]), "cpu_s": float(contender["cpu_s"])}
    return None


def failing_tests(cfg: config.Config) -> int:
    """Tests that failed or errored in the workers' last runs, from their statuses."""
    total = 0
    for worker in cfg.workers:
        outcomes = status.read(cfg.layout.worker(worker.name).status).get("outcomes") or {}
        total += sum(int(outcomes.get(key) or 0) for key in ("failed", "errors"))
    return total


def _bytecode(written: bool) -> str:
    return "bytecode written (PYTHONDONTWRITEBYTECODE unset)" if written else "PYTHONDONTWRITEBYTECODE set"


def render(record: Mapping[str, Any], results: Mapping[str, Mapping[str, float]], notes: Sequence[str]) -> str:
    serial = results["serial"]
    faster = min(serial["wall_s"], results["xdist"]["wall_s"])
    lines = [
        f"## {_bytecode(record['bytecode_written'])[0].upper()}{_bytecode(record['bytecode_written'])[1:]}",
        "",
        f"Project `{record['project']}`, {record['workers']} workers, {record['cpus']} CPUs, "
        f"median of {record['runs']} alternating runs.  "
        f"Rerun: `make bench CONFIG={record['config']}`.",
        "",
        "| Contender | Wall s | CPU s | Peak MiB | Wall / faster of serial, xdist | CPU / serial | Wall / warm |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    warm = results["covsplit-warm"]["wall_s"]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | {r['peak_mib']:,.0f} "
            f"| {r['wall_s'] / faster:.2f}x | {r['cpu_s'] / serial['cpu_s']:.2f}x | {r['wall_s'] / warm:.2f}x |"
        )
    if record.get("seed") is not None:
        lines += ["", f"The tests are shuffled: every contender used seed {record['seed']} (`--seed`)."]
    if record.get("edited"):
        spent = record.get("edited_seconds")
        of = f" (the test file of median measured seconds: {spent:.2f} s in a full run)" if spent is not None else ""
        lines += ["", f"covsplit-edit appends a comment to `{record['edited']}`{of} before each run."]
    if record.get("edited_module"):
        module = record["edited_module"]
        lines += [
            "",
            f"covsplit-edit-module inserts `{NO_OP}` at line {module['line']} of `{module['path']}` (executed by "
            f"{module['test_files']} of {module['of_test_files']} test files) before its run and removes it before "
            "the next round."
            + (
                " Every function body the tests run there also runs outside any test (while collecting): each worker "
                "whose collection ran it runs whole."
                if module.get("runs_while_collecting")
                else ""
            ),
        ]
    if record.get("failing_tests"):
        failing = record["failing_tests"]
        lines += ["", f"The warm runs had {failing} failing test{'s' if failing != 1 else ''} (failed or errors)."]
    lines += ["", "### Targets", "", *notes, "", "### Where covsplit's own time goes (CPU seconds, warm run)", ""]
    lines += record["overhead_lines"]
    if record.get("simulation"):
        lines += ["", "### A larger fleet, simulated from the measured seconds (covsplit.schedule.simulate)", ""]
        lines += [
            f"- {row['workers']} workers: heaviest {row['heaviest_s']:.2f} s, ideal {row['ideal_s']:.2f} s "
            f"({row['heaviest_s'] / row['ideal_s']:.2f}x)"
            for row in record["simulation"]
        ]
    if record["differences"]:
        lines += ["", "### Coverage that differs from the serial run", ""]
        lines += [f"- `{name}`" for name in record["differences"]]
    return "\n".join(lines) + "\n"


BYTECODE_SETTINGS = {"set": False, "unset": True}


def forget_bytecode(cfg: config.Config) -> None:
    """Remove the bytecode earlier runs wrote, so a run with PYTHONDONTWRITEBYTECODE set compiles as a CI image does.

    Python reads a ``.pyc`` it finds whatever the variable says: after a
    pass that wrote them, the next pass would measure a developer's machine.
    """
    places = [cfg.root, REPO / "scripts", REPO / "bench", REPO / ".nox" / envdir_name(cfg.path, cfg.root)]
    for place in places:
        for cache in sorted(place.rglob("__pycache__"), reverse=True) if place.is_dir() else ():
            shutil.rmtree(cache, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds (default 3; the median of each is reported)")
    parser.add_argument("--skip-cold", action="store_true", help="leave out the cold run")
    parser.add_argument(
        "--skip", action="append", default=[], choices=CONTENDERS[2:], help="leave out this contender (repeatable)"
    )
    parser.add_argument(
        "--bytecode",
        choices=["both", *BYTECODE_SETTINGS],
        default="both",
        help="PYTHONDONTWRITEBYTECODE set (as in many CI images), unset (as on a developer's machine), or both "
        "(default: one pass each, set first)",
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="an earlier bench.json of the same project (copy it away first): covsplit-warm against its own, "
        "to tell what a change costs a full run",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"the seed every contender shuffles with, where a plugin shuffles the tests (default {DEFAULT_SEED})",
    )
    parser.add_argument(
        "--failing",
        action="store_true",
        help="plant a test file that always fails in the project's tests for the whole bench (removed at the end; "
        "the split is planned again to run it and put back afterwards)",
    )
    args = parser.parse_args(argv)
    if args.before:
        args.before = json.loads(args.before.read_text())

    cfg = config.load(os.environ.get("COVSPLIT_CONFIG", REPO / "workers.toml"))
    cfg.layout.output_dir.mkdir(parents=True, exist_ok=True)
    settings = list(BYTECODE_SETTINGS) if args.bytecode == "both" else [args.bytecode]
    records, texts = [], []
    saved = os.environ.get("PYTHONDONTWRITEBYTECODE")
    failing = FailingTest(cfg) if args.failing else None
    try:
        if failing is not None:
            failing.plant()
            # The plan just rewrote the split: read it as the runs will.
            cfg = config.load(cfg.path)
        for setting in settings:
            # Every contender and everything it starts inherits this process's environment.
            if BYTECODE_SETTINGS[setting]:
                os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
            else:
                os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
                forget_bytecode(cfg)
            record, text = one_pass(cfg, args)
            records.append(record)
            texts.append(text)
    finally:
        if failing is not None:
            failing.remove()
        if saved is None:
            os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        else:
            os.environ["PYTHONDONTWRITEBYTECODE"] = saved
    fsio.write_json(
        cfg.layout.bench_json,
        {"project": cfg.root.name, "cpus": os.cpu_count() or 1, "runs": args.repeat, "settings": records},
    )
    text = "# covsplit benchmark\n\n" + "\n".join(texts)
    fsio.write_text(cfg.layout.bench_md, text)
    print(text)
    return 0


def one_pass(cfg: config.Config, args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    """Every contender, alternating and repeated, under this process's bytecode setting: the record and its text."""
    scratch = Path(tempfile.mkdtemp(prefix="covsplit-bench-"))
    log = scratch / "bench.log"
    edited = EditedTestFile(cfg)
    module: EditedModule | None = None
    try:
        python = baseline_python(cfg)
        skipped = {*args.skip, *(["covsplit-cold"] if args.skip_cold else [])}
        if "covsplit-edit-module" not in skipped:
            # Before any contender runs: the pick reads the tree as it is, no edit in it.
            module = EditedModule(cfg, pick_module(cfg, python, log))
        # One look at the baseline's plugins (a subprocess) for the options and the record alike.
        shuffled = bool(shuffle.installed(str(python)))
        field = contenders(cfg, python, scratch, log, edited, module, args.seed, shuffled)
        field = [c for c in field if c.name not in skipped]
        # Warm-up: make the worker virtualenvs and every output folder once; not timed.
        for contender in field:
            if contender.name != "covsplit-cold":
                contender.run()
        overheads, outside_sessions, failing = [], [], 0
        combined: Any = None
        # The aggregate and report inside a full run and an incremental one, as they measured themselves.
        aggregate_costs: dict[str, list[dict[str, float]]] = {"covsplit-warm": [], "covsplit-edit": []}
        for _round in range(args.repeat):
            if module is not None:
                module.restore()
            for contender in field:
                # A run whose aggregate did not finish leaves no cost, not an earlier run's.
                cfg.layout.aggregate_cost.unlink(missing_ok=True)
                sample = contender.run()
                contender.samples.append(sample)
                print(f"{contender.name}: {sample.wall_s:.2f} s wall, {sample.cpu_s:.2f} s CPU", file=sys.stderr)
                cost = fsio.read_json(cfg.layout.aggregate_cost)
                if contender.name in aggregate_costs and isinstance(cost, dict):
                    aggregate_costs[contender.name].append(cost)
                if contender.name == "covsplit-warm":
                    per_worker, sessions = worker_overhead(cfg)
                    overheads.append(per_worker)
                    outside_sessions.append(sample.cpu_s - sessions)
                    failing = max(failing, failing_tests(cfg))
                    # Of the tree the serial run measured: the runs after it may edit a module.
                    combined = fsio.read_json(cfg.layout.combined_json)
        crashed = [c.name for c in field for s in c.samples if s.returncode not in (0, 1, 2)]
        results = {
            c.name: {"wall_s": c.median("wall_s"), "cpu_s": c.median("cpu_s"), "peak_mib": c.median("peak_mib")}
            for c in field
        }
        serial_json = json.loads((scratch / "serial" / "coverage.json").read_text())
        differences = coverage_differences(combined or fsio.read_json(cfg.layout.combined_json) or {}, serial_json)
        overhead = statistics.median(overheads)
        record: dict[str, Any] = {
            "bytecode_written": not os.environ.get("PYTHONDONTWRITEBYTECODE"),
            "contenders": [{"name": name, **values} for name, values in results.items()],
            "combined_equals_serial": not differences,
            "edited": str(edited.path.relative_to(cfg.root)) if edited.path else None,
            "edited_seconds": edited.seconds,
            "edited_module": (
                {k: module.chosen[k] for k in ("path", "line", "test_files", "of_test_files")} if module else None
            ),
            "failing_tests": failing,
            # The seed every contender shuffled with; None where nothing shuffles the tests.
            "seed": args.seed if shuffled else None,
            "overhead_s_per_worker": round(overhead, 3),
            "differences": differences,
            "simulation": simulation(cfg),
            "aggregate": aggregate_cost(aggregate_costs),
        }
        before = earlier_warm(args.before, record["bytecode_written"]) if args.before else None
        # The aggregate's own cost after a full run and after an edit, as the verdicts name them.
        costs = {f"aggregate-{when}": figures for when, figures in record["aggregate"].items()}
        notes = verdicts({**results, **costs}, overhead, not differences, failing, before)
        if crashed:
            notes.append(f"- runs that ended with an unexpected status (see {log}): {', '.join(sorted(set(crashed)))}")
        rest = statistics.median(outside_sessions)
        text = render(
            {
                **record,
                "project": cfg.root.name,
                "cpus": os.cpu_count() or 1,
                "runs": args.repeat,
                "workers": len(cfg.workers),
                "config": cfg.path,
                "overhead_lines": [
                    f"- each worker session outside its pytest (nox, virtualenv check, driver): {overhead:.2f} s",
                    f"- the rest of the run (make, nox's parent, aggregate, report): {rest:.2f} s",
                    *(
                        f"- the aggregate and report {when}: {cost['wall_s']:.2f} s wall, {cost['cpu_s']:.2f} s CPU"
                        for when, cost in record["aggregate"].items()
                    ),
                ],
            },
            results,
            notes,
        )
        return record, text
    finally:
        edited.restore()
        if module is not None:
            module.restore()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
