"""Helpers the noxfile's sessions share, so the noxfile stays wiring only.

Nothing here imports nox: a session is passed in and used through its
public methods.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from covsplit import lock
from covsplit.install_files import FILE_OPTIONS, install_inputs

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


# Options that only name what to install: groups made of these and of requirements can share one call.
_NAMING_OPTIONS = frozenset({"-e", "--editable", *FILE_OPTIONS})


def install_calls(groups: Sequence[Sequence[str]]) -> list[list[str]]:
    """The install commands for ``groups``: consecutive groups that only name requirements merged into one.

    Each ``uv pip install`` resolves anew and revalidates the index pages it
    reads: on attrs a worker's five groups took 1.8 s where two calls take
    1.3 s, and a cold run pays that in every worker.  A group with another
    option (``--no-deps``, ``--index-url``) keeps its own call, so that the
    option applies to that group alone, as written.
    """
    calls: list[list[str]] = []
    mergeable_run = False
    for group in groups:
        args = list(group)
        mergeable = not any(
            arg.startswith("-") and arg not in _NAMING_OPTIONS and arg.partition("=")[0] not in _NAMING_OPTIONS
            for arg in args
        )
        if mergeable and mergeable_run and calls:
            calls[-1].extend(args)
        else:
            calls.append(args)
        mergeable_run = mergeable
    return calls


def install(session: Any, groups: Sequence[Sequence[str]], cwd: Path, project: Sequence[Sequence[str]] = ()) -> bool:
    """Install ``groups``, then the ``project``'s groups, from ``cwd``, unless the venv already has exactly that.

    nox reuses the venv (``reuse_venv=True``); this skips the resolver too,
    which is most of a warm worker's start-up time.  The project's groups
    come in calls of their own (:func:`install_calls`), after covsplit's: a
    project requirement that forces another coverage.py then wins, and
    :func:`install_worker` names it, instead of uv's resolver refusing both.
    """
    location = Path(session.virtualenv.location)
    stamp = location / STAMP_NAME
    fingerprint = install_fingerprint([*groups, *project], cwd, str(session.virtualenv.interpreter or ""))
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == fingerprint:
        session.log("install skipped: requirements unchanged since the last run")
        return False
    stamp.unlink(missing_ok=True)
    with session.chdir(cwd):
        for call in [*install_calls(groups), *install_calls(project)]:
            session.install(*call)
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


def install_worker(
    session: Any, groups: Sequence[Sequence[str]], project: Sequence[Sequence[str]], cwd: Path, requirements: Path
) -> None:
    """Install a worker's virtualenv; after a real install, check the measuring tools kept their pins.

    A project requirement that forces another coverage.py (``coverage<7``,
    an old pytest-cov) would write data the aggregate cannot combine, or
    combine wrongly: stop here instead, and say which and how to fix it.
    """
    if not install(session, groups, cwd, project):
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
    # Once per interpreter (the venv's python links to it), not once per session.
    interpreter = Path(session.bin, "python").resolve()
    stamp = prefix / f".stdlib-{hashlib.sha256(str(interpreter).encode()).hexdigest()[:12]}"
    if not stamp.exists():
        # The workers of a cold run all start here at once: one seeds, the others wait for it (0.3 s).
        with lock.hold(prefix / ".seed.lock", "seeding the bytecode prefix", wait=120.0):
            if not stamp.exists():
                script = "import sysconfig; print(sysconfig.get_paths()['stdlib'])"
                stdlib = str(session.run("python", "-c", script, silent=True, log=False)).strip().splitlines()[-1]
                seed_bytecode_prefix(prefix, Path(stdlib))
                stamp.touch()
    # Python reads an empty value as unset.
    return {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(prefix)}


def seed_bytecode_prefix(prefix: Path, stdlib: Path) -> int:
    """Link the standard library's compiled modules into the pycache ``prefix``; return how many.

    Under a prefix Python looks for bytecode there only, so the
    ``__pycache__`` folders an installed Python ships are never read: each
    worker of a cold run compiled the same 156 standard library modules
    again, 0.4 s of its 1.9 s start on attrs.  A linked file is what Python
    would have written there: it still checks the source's size and time
    stamp against it, and compiles again if they differ.
    """
    linked = 0
    for folder, subfolders, files in os.walk(stdlib):
        # The base interpreter's own installs: a virtualenv never imports them.
        subfolders[:] = [name for name in subfolders if name != "site-packages"]
        here = Path(folder)
        if here.name != "__pycache__":
            continue
        source_folder = here.parent
        target = prefix / source_folder.relative_to(source_folder.anchor)
        # Only what an unoptimised interpreter reads (no .opt-1, .opt-2).
        for name in (n for n in files if n.endswith(".pyc") and ".opt-" not in n):
            target.mkdir(parents=True, exist_ok=True)
            try:
                os.link(here / name, target / name)
            except FileExistsError:
                continue
            except OSError:
                # Another file system: a copy serves as well.
                shutil.copy2(here / name, target / name)
            linked += 1
    return linked


def run_worker(session: Any, cfg: Any, name: str, covsplit_env: Mapping[str, str]) -> None:
    """Run worker ``name`` from the session's own process, with the session virtualenv's pytest.

    The driver needs only the standard library, so no interpreter is started
    for it.  Alone, the worker also reports what its own tests covered (that
    needs coverage.py, so it runs in the virtualenv); in a full run the
    aggregate writes its reports from the combined data instead.
    """
    from covsplit import capacity, exits, worker

    # Under `nox -j` without make's count, assume every worker shares the machine: never oversubscribe.
    concurrent = None
    if capacity.JOBS_VARIABLE not in os.environ and getattr(session, "parallel", False):
        concurrent = len(cfg.workers)
    bytecode = bytecode_environment(session)
    env = {**virtualenv_environment(session), **bytecode}
    code = worker.run(cfg, name, python=str(Path(session.bin) / "python"), env=env, concurrent=concurrent)
    if code == exits.BUSY:
        session.error(f"{name} is already running: this run did nothing (see the message above)")
    if os.environ.get(DEFER_REPORTS) != "1":
        session.run("python", "-m", "covsplit", "worker-reports", name, env={**covsplit_env, **bytecode})
    if code:
        session.error(f"{name} did not pass: see {cfg.layout.worker(name).summary}")


def run_collect(session: Any, cfg: Any) -> None:
    """Collect the whole suite from the session's own process, with the session virtualenv's pytest."""
    from covsplit import collect

    env = {**virtualenv_environment(session), **bytecode_environment(session)}
    if collect.run(cfg, python=str(Path(session.bin) / "python"), env=env):
        session.error("the suite could not be collected: see the message above")
