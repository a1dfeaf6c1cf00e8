"""The pytest command a worker runs, the environment it runs in, and the shell line that reproduces it.

Standard library only, and apart from the driver: the report shows the
command of a worker that has not run yet without importing the runner.
Commands are argument lists, never shell strings; the shell line is for
people to read and paste, every part quoted.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from covsplit import file_grain, schedule_file
from covsplit.config import Config, Worker
from covsplit.layout import partial_path

SCRIPTS_DIR = Path(__file__).resolve().parents[1]


def pytest_command(
    cfg: Config,
    worker: Worker,
    junit_path: Path,
    durations_path: Path,
    python: str = sys.executable,
    processes: int = 0,
    seed: int | None = None,
    rerun: Path | None = None,
    contexts: bool = True,
) -> list[str]:
    """The exact pytest command a worker runs, from the project root.

    Every package under ``project.source`` is measured, not only the owned
    ones, so that the workers' data combine into exactly one serial run.
    No per-test contexts: they cost as much again as the measurement itself
    and nothing in a run needs them.  ``seed``: the run's one seed for the
    plugins that shuffle the tests, if the project's environment has any.
    ``rerun``: the list of the test files to run, when the others' results
    are kept (:mod:`covsplit.rerun`).  One coverage context per test file
    (:mod:`covsplit.pytest_contexts`) tells what each executed, unless
    ``contexts`` is false.
    """
    sources = [Path(cfg.source_dir, *package.split(".")).as_posix() for package in cfg.source]
    return [
        python,
        "-m",
        "pytest",
        *worker.tests,
        "-p",
        "covsplit.pytest_isolation",
        "-p",
        "covsplit.pytest_durations",
        f"--covsplit-durations={durations_path}",
        "-p",
        "covsplit.pytest_progress",
        f"--covsplit-progress={cfg.layout.worker(worker.name).progress}",
        "-p",
        "covsplit.pytest_inputs",
        f"--covsplit-inputs={cfg.layout.worker(worker.name).observed}",
        # One coverage context per test file, in one process: under xdist, a process's early write would be
        # erased by a sibling starting later (pytest-cov's parallel erase), so such a worker runs whole.
        *(_context_options(cfg, worker) if processes <= 1 and contexts else []),
        # Test files shared with other workers (covsplit.schedule_file): only this worker's part of them runs;
        # and files the suite's conftest ignores do not run although named here.
        *_schedule_options(cfg, worker),
        *([f"--covsplit-rerun={rerun}"] if rerun else []),
        *_seed_options(cfg, worker, seed),
        "-p",
        "no:cacheprovider",
        "--continue-on-collection-errors",
        f"--junitxml={junit_path}",
        "-o",
        "junit_family=xunit1",
        "-o",
        "junit_duration_report=total",
        # Progress as tests done out of collected ("[120/450]"): the line nox's status board shows.
        "-o",
        "console_output_style=count",
        "--cov-reset",
        *[f"--cov={source}" for source in sources],
        "--cov-branch",
        # No report from pytest-cov: a terminal table analyses every measured
        # file (about a second per worker here); the driver reports the owned ones.
        "--cov-report=",
        "--cov-fail-under=0",
        # pytest-cov combines the xdist processes' data into the worker's one data file.
        *(["-n", str(processes)] if processes > 1 else []),
        # pytest-timeout (installed for such workers only): a hanging test fails alone, the run goes on.
        *([f"--timeout={worker.test_timeout:g}"] if worker.test_timeout else []),
        *cfg.pytest_args,
    ]


def _context_options(cfg: Config, worker: Worker) -> list[str]:
    per_test = file_grain.per_test_files(cfg, worker)
    return ["-p", "covsplit.pytest_contexts", "--covsplit-contexts", *(f"--covsplit-per-test={f}" for f in per_test)]


def _schedule_options(cfg: Config, worker: Worker) -> list[str]:
    options = [
        "-p",
        "covsplit.pytest_schedule",
        f"--covsplit-worker={worker.name}",
        f"--covsplit-collection={cfg.layout.worker(worker.name).collection}",
    ]
    if cfg.shared:
        options.append(f"--covsplit-schedule={schedule_file.path_for(cfg.path)}")
    return options


def _seed_options(cfg: Config, worker: Worker, seed: int | None) -> list[str]:
    if seed is None:
        return []
    record = cfg.layout.worker(worker.name).shuffle
    return ["-p", "covsplit.pytest_seed", f"--covsplit-seed={seed}", f"--covsplit-shuffle={record}"]


def pytest_environment(cfg: Config, data_file: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment pytest runs in: the caller's, the config's, and the worker's data file.

    ``COVERAGE_FILE`` gives each worker its own data file, so workers running
    at once in one tree never read or overwrite each other's ``.coverage``.
    """
    env = dict(os.environ if base is None else base)
    env.update(cfg.env)
    env["COVERAGE_FILE"] = str(data_file)
    env["PYTHONPATH"] = _pythonpath(env.get("PYTHONPATH", ""))
    return env


# pytest's own variable for the folder its `pytest-of-<user>` folder of tmp_path folders goes in.
TEMP_ROOT = "PYTEST_DEBUG_TEMPROOT"


def own_temp_root(cfg: Config, name: str) -> Path:
    """A folder of the system's temporary one for worker ``name`` of this config alone, made if missing.

    pytest keeps every run's tmp_path folders under one ``pytest-of-<user>``
    and, as a session ends, removes the oldest: runs at once race there
    (parso's first split run failed as pytest removed another run's garbage
    folder: "Directory not empty").  One serial run has that folder to itself;
    each worker has its own.
    """
    config = hashlib.sha256(str(cfg.layout.output_dir.resolve()).encode()).hexdigest()[:10]
    folder = Path(tempfile.gettempdir(), f"covsplit-{config}-{name}")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _pythonpath(current: str) -> str:
    # The isolation plugin lives beside this package: first, once; the rest kept in order.
    rest = [p for p in current.split(os.pathsep) if p and p != str(SCRIPTS_DIR)]
    return os.pathsep.join([str(SCRIPTS_DIR), *rest])


def command_line(cfg: Config, command: Sequence[str], data_file: Path) -> str:
    """A shell line that reproduces the run by hand, environment included."""
    assignments = {
        **cfg.env,
        "COVERAGE_FILE": str(data_file),
        "PYTHONPATH": _pythonpath(cfg.env.get("PYTHONPATH", "")),
    }
    env_text = " ".join(f"{name}={shlex.quote(value)}" for name, value in assignments.items())
    return f"cd {shlex.quote(str(cfg.root))} && {env_text} {shlex.join(command)}"


def readable(cfg: Config, line: str) -> str:
    """A reproduce line with the suite's own absolute paths made relative to the project, where pytest runs.

    The outputs live beside the config, often far from the project:
    ``../coverage_output/...`` reads better than five absolute paths, and
    still works after the ``cd`` the line starts with.  covsplit's own
    checkout (``PYTHONPATH``) stays absolute: it is no part of the project.
    """
    # Every path the driver puts there is a file inside one of these folders.
    for folder in sorted((cfg.layout.output_dir, cfg.layout.html_dir), key=lambda p: -len(str(p))):
        line = line.replace(f"{folder}/", f"{os.path.relpath(folder, cfg.root)}/")
    return line


def planned_command(cfg: Config, worker: Worker, python: str = "python") -> str:
    """The shell line ``nox -s NAME`` runs, for reports on workers that have not run yet."""
    paths = cfg.layout.worker(worker.name)
    command = pytest_command(cfg, worker, partial_path(paths.junit), partial_path(paths.durations), python)
    return command_line(cfg, command, paths.data_file)


@dataclass(frozen=True)
class Invocation:
    """How a user types a command for one config: the config goes with it, unless it is the default one.

    After running another project's split, ``nox -s worker2`` alone would
    run the bundled example's worker2 and print "passed"; so every command
    a report or summary suggests names the config it came from.
    """

    config: str = ""  # empty: the workers.toml beside the noxfile

    def nox(self, *words: str) -> str:
        line = shlex.join(["nox", *words])
        return f"COVSPLIT_CONFIG={shlex.quote(self.config)} {line}" if self.config else line

    def make(self, target: str) -> str:
        return f"make {target}" + (f" CONFIG={shlex.quote(self.config)}" if self.config else "")


def invocation(cfg: Config) -> Invocation:
    default = SCRIPTS_DIR.parent / "workers.toml"
    return Invocation("" if cfg.path.resolve() == default.resolve() else str(cfg.path))
