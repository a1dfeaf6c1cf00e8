"""Sessions for covsplit: one per worker of workers.toml, then aggregate and report.

Wiring only; the logic lives in scripts/covsplit.  `nox -l` lists them.
Use another split with COVSPLIT_CONFIG=path/to/workers.toml.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nox

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE / "scripts"
REQUIREMENTS = SCRIPTS / "requirements"
sys.path.insert(0, str(SCRIPTS))

from covsplit import config  # noqa: E402
from covsplit.nox_support import (  # noqa: E402
    bytecode_environment,
    envdir_name,
    install,
    install_worker,
    run_collect,
    run_worker,
)

CONFIG_PATH = Path(os.environ.get("COVSPLIT_CONFIG", HERE / "workers.toml")).resolve()
try:
    CONFIG = config.load(CONFIG_PATH)
except config.ConfigError as exc:
    sys.exit(config.complain(exc))

# The parallel runner (-j, allow_parallel) and the uv backend as this noxfile uses them.
nox.needs_version = ">=2026.10.20"
nox.options.default_venv_backend = "uv|virtualenv"
# Virtualenvs are keyed by the project they serve (--envdir still wins).
nox.options.envdir = str(HERE / ".nox" / envdir_name(CONFIG_PATH, CONFIG.root))
nox.options.reuse_venv = "yes"
nox.options.error_on_external_run = True
# Never let uv fetch an interpreter: workers use the Python nox runs on, or project.python.
os.environ.setdefault("UV_PYTHON_DOWNLOADS", "never")
nox.options.sessions = [*(w.name for w in CONFIG.workers), "aggregate", "report"]

COVSPLIT_ENV = {"PYTHONPATH": str(SCRIPTS), "COVSPLIT_CONFIG": str(CONFIG_PATH)}
TOOLS = [("-r", str(REQUIREMENTS / "tools.txt"))]


def covsplit(session: nox.Session, *args: str) -> None:
    session.run("python", "-m", "covsplit", *args, env={**COVSPLIT_ENV, **bytecode_environment(session)})


def _worker_requirements(*workers: config.Worker) -> list[tuple[str, str]]:
    requirements = [("-r", str(REQUIREMENTS / "worker.txt"))]
    if any(worker.xdist for worker in workers):
        requirements.append(("-r", str(REQUIREMENTS / "worker-xdist.txt")))
    if any(worker.test_timeout for worker in workers):
        requirements.append(("-r", str(REQUIREMENTS / "worker-timeout.txt")))
    return requirements


def _worker_session(worker: config.Worker) -> None:
    requirements = _worker_requirements(worker)

    def session_for_worker(session: nox.Session) -> None:
        install_worker(session, requirements, CONFIG.install, CONFIG.root, REQUIREMENTS / "worker.txt")
        run_worker(session, CONFIG, worker.name, COVSPLIT_ENV)

    session_for_worker.__doc__ = f"{worker.title}: {', '.join(worker.modules)}"
    # Workers are independent: `nox -j auto -t workers` may run them at once.
    nox.session(name=worker.name, python=CONFIG.python, tags=["workers"], allow_parallel=True)(session_for_worker)


for _worker in CONFIG.workers:
    _worker_session(_worker)


@nox.session(python=CONFIG.python, default=False, allow_parallel=True)
def collect(session: nox.Session) -> None:
    """Collect the whole suite as one serial pytest run does: the tests every run of the split is checked against."""
    install_worker(
        session, _worker_requirements(*CONFIG.workers), CONFIG.install, CONFIG.root, REQUIREMENTS / "worker.txt"
    )
    run_collect(session, CONFIG)


@nox.session
def aggregate(session: nox.Session) -> None:
    """Combine all workers' coverage; gate line and branch coverage separately (-- --report: then report)."""
    install(session, TOOLS, HERE)
    covsplit(session, "aggregate", *session.posargs)


@nox.session
def report(session: nox.Session) -> None:
    """Write coverage_output/report.md and report.html from workers.toml and the artifacts."""
    install(session, TOOLS, HERE)
    covsplit(session, "report")


@nox.session(default=False)
def plan(session: nox.Session) -> None:
    """Compute a balanced split and rewrite workers.toml (-- --workers N --by statements|duration --dry-run)."""
    install(session, TOOLS, HERE)
    covsplit(session, "plan", *session.posargs)


@nox.session(default=False, python=CONFIG.python)
def diagnose(session: nox.Session) -> None:
    """Which failed tests fail in a serial run too, and which tests the others need (-- --apply: keep them together)."""
    requirements = [("-r", str(REQUIREMENTS / "worker.txt"))]
    # Installed as a worker is: the diagnosis runs the project's tests.
    install_worker(session, requirements, CONFIG.install, CONFIG.root, REQUIREMENTS / "worker.txt")
    args = [arg for arg in session.posargs if arg != "--apply"]
    covsplit(session, "diagnose", *args)
    if "--apply" in session.posargs:
        session.notify("plan", ["--keep-diagnosed"])
    elif "--auto" not in args:
        # By hand: the report shows the verdicts now (after a run, the aggregate's report comes next anyway).
        session.notify("report")


@nox.session(default=False)
def init(session: nox.Session) -> None:
    """Write a workers.toml for a repository from its own settings, then plan it (-- --root PATH --workers N)."""
    install(session, TOOLS, HERE)
    covsplit(session, "init", *session.posargs)


@nox.session(default=False)
def check(session: nox.Session) -> None:
    """Check workers.toml against the code: ownership, test files, balance."""
    install(session, TOOLS, HERE)
    covsplit(session, "check", *session.posargs)


@nox.session(default=False)
def tests(session: nox.Session) -> None:
    """The suite's own unit and end-to-end tests, in two processes (each test module whole in one)."""
    install(session, [("-r", str(REQUIREMENTS / "dev.txt"))], HERE)
    # loadfile: an end-to-end module's steps share one project and run in order.
    # No path here: pytest's testpaths (tests/) unless ARGS names some, so `make test ARGS=tests/unit/x.py` runs x.
    session.run("python", "-m", "pytest", "-n", "2", "--dist", "loadfile", *session.posargs)


@nox.session(default=False)
def lint(session: nox.Session) -> None:
    """ruff over the suite and the example project; mypy over the suite's own code (pyproject.toml)."""
    install(session, [("-r", str(REQUIREMENTS / "dev.txt"))], HERE)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Time covsplit against serial, xdist and the spec's commands, warm and cold (bench.json, bench.md; minutes)."""
    session.run("python", str(HERE / "bench" / "bench.py"), *session.posargs, env={"COVSPLIT_CONFIG": str(CONFIG_PATH)})
