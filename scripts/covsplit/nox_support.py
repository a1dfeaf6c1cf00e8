"""Helpers the noxfile's sessions share, so the noxfile stays wiring only.

Nothing here imports nox: a session is passed in and used through its
public methods.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from covsplit.install_files import install_inputs

STAMP_NAME = "covsplit-install.json"
# Set by `make coverage-all` (and CI) when the aggregate will write every worker's coverage reports.
DEFER_REPORTS = "COVSPLIT_DEFER_REPORTS"


def install_fingerprint(groups: Iterable[Sequence[str]], cwd: Path, python: str) -> str:
    groups = [list(group) for group in groups]
    digest = hashlib.sha256(json.dumps([groups, str(cwd), python]).encode())
    for path in install_inputs(groups, cwd):
        digest.update(str(path).encode())
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()


def install(session: Any, groups: Sequence[Sequence[str]], cwd: Path) -> bool:
    """``session.install`` each group from ``cwd``, unless the venv already has exactly that.

    nox reuses the venv (``reuse_venv=True``); this skips the resolver too,
    which is most of a warm worker's start-up time.
    """
    location = Path(session.virtualenv.location)
    stamp = location / STAMP_NAME
    fingerprint = install_fingerprint(groups, cwd, str(session.virtualenv.interpreter or ""))
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == fingerprint:
        session.log("install skipped: requirements unchanged since the last run")
        return False
    stamp.unlink(missing_ok=True)
    with session.chdir(cwd):
        for group in groups:
            session.install(*group)
    stamp.write_text(fingerprint, encoding="utf-8")
    return True


# The measuring tools whose versions every worker must share: the aggregate reads all their data with one.
PINNED = ("coverage", "pytest-cov")


def pinned_versions(requirements: Path) -> dict[str, str]:
    """``name==version`` pins of :data:`PINNED` in a requirements file."""
    pins = {}
    for line in requirements.read_text(encoding="utf-8").splitlines():
        name, sep, version = line.partition("#")[0].strip().partition("==")
        if sep and name.strip().lower() in PINNED:
            pins[name.strip().lower()] = version.strip()
    return pins


def mismatched_versions(installed: Mapping[str, str], pins: Mapping[str, str]) -> list[str]:
    return [
        f"{name} {installed.get(name, 'missing')} (covsplit needs {name}=={version})"
        for name, version in pins.items()
        if installed.get(name) != version
    ]


def install_worker(session: Any, groups: Sequence[Sequence[str]], cwd: Path, requirements: Path) -> None:
    """Install a worker's virtualenv; after a real install, check the measuring tools kept their pins.

    A project requirement that forces another coverage.py (``coverage<7``,
    an old pytest-cov) would write data the aggregate cannot combine, or
    combine wrongly: stop here instead, and say which and how to fix it.
    """
    if not install(session, groups, cwd):
        return
    script = "import importlib.metadata as m, json, sys; print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))"
    output = session.run("python", "-c", script, *PINNED, silent=True, log=False)
    installed = json.loads(str(output).strip().splitlines()[-1])
    problems = mismatched_versions(installed, pinned_versions(requirements))
    if problems:
        # Not marked as installed: the next run installs again once the requirement is fixed.
        (Path(session.virtualenv.location) / STAMP_NAME).unlink(missing_ok=True)
        session.error(
            f"project.install changed the measuring tools: {'; '.join(problems)}. "
            "A requirement of the project pins another version: relax it (covsplit installs these itself), "
            "or install the project's test extras without them."
        )


def envdir_name(config_path: Path, root: Path) -> str:
    """The folder under ``.nox/`` for one config's virtualenvs: the project's name and the config's path.

    nox names a virtualenv after its session, and every config has a
    ``worker1``: without a key, running another project's split reinstalled
    that project into the example's venvs, and the next run reinstalled it
    back (54 s on an ML repository).
    """
    digest = hashlib.sha256(str(config_path.resolve()).encode()).hexdigest()[:8]
    return f"{root.name or 'project'}-{digest}"


def virtualenv_environment(session: Any) -> dict[str, str]:
    """The environment ``session.run`` would give a command: the venv's variables and its bin first on PATH."""
    env = {**os.environ, **{k: v for k, v in session.virtualenv.env.items() if v is not None}}
    for name, value in session.virtualenv.env.items():
        if value is None:
            env.pop(name, None)
    env["PATH"] = os.pathsep.join([session.bin, *([os.environ["PATH"]] if os.environ.get("PATH") else [])])
    return env


def bytecode_environment(session: Any) -> dict[str, str]:
    """Variables that keep compiled bytecode under the nox environments when the caller's say to write none.

    With ``PYTHONDONTWRITEBYTECODE`` set (some CI images and sandboxes set
    it), every process compiles each module it imports from source, and
    pytest rewrites the asserts of every test file and of every plugin's
    package again: on attrs, 1.2 s of a worker's 2.3 s of CPU, paid once per
    worker.  The variable keeps a tree free of ``__pycache__``; a prefix
    under ``.nox/`` keeps it so too, and lets each file be compiled once.
    A prefix the caller chose stays theirs.
    """
    if not os.environ.get("PYTHONDONTWRITEBYTECODE") or os.environ.get("PYTHONPYCACHEPREFIX"):
        return {}
    prefix = Path(session.virtualenv.location).parent / "pycache"
    # Python reads an empty value as unset.
    return {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(prefix)}


def run_worker(session: Any, cfg: Any, name: str, covsplit_env: Mapping[str, str]) -> None:
    """Run worker ``name`` from the session's own process, with the session virtualenv's pytest.

    The driver needs only the standard library, so no interpreter is started
    for it.  Alone, the worker also reports what its own tests covered (that
    needs coverage.py, so it runs in the virtualenv); in a full run the
    aggregate writes its reports from the combined data instead.
    """
    from covsplit import capacity, worker

    # Under `nox -j` without make's count, assume every worker shares the machine: never oversubscribe.
    concurrent = None
    if capacity.JOBS_VARIABLE not in os.environ and getattr(session, "parallel", False):
        concurrent = len(cfg.workers)
    bytecode = bytecode_environment(session)
    env = {**virtualenv_environment(session), **bytecode}
    code = worker.run(cfg, name, python=str(Path(session.bin) / "python"), env=env, concurrent=concurrent)
    if code == worker.BUSY_EXIT_STATUS:
        session.error(f"{name} is already running: this run did nothing (see the message above)")
    if os.environ.get(DEFER_REPORTS) != "1":
        session.run("python", "-m", "covsplit", "worker-reports", name, env={**covsplit_env, **bytecode})
    if code:
        session.error(f"{name} did not pass: see {cfg.layout.worker(name).summary}")
