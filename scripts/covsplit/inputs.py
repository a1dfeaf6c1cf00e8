"""What a worker's result depends on, recorded when it runs and checked against the tree later.

coverage.py's ``combine`` trusts its inputs: data measured against an
older version of a file is mapped line by line onto the new one, and a
helper inserted above executed code shows as covered.  In the spec's daily
workflow (each worker re-runs its own slice while the others' data stays)
that is the normal case, not an accident.  So each worker run records
content digests of everything it depended on, and nothing is combined, or
reused by ``make coverage-all``, unless every one still matches:

* the files its run executed (its own coverage data) and every module it
  imported from inside the project (``sys.modules`` at the end of the run,
  in every xdist process): source, test helpers, conftests;
* every file inside the project its pytest processes opened to read (an
  audit hook, :mod:`covsplit.pytest_inputs`): data files, wherever they lie;
* every file under its test paths (data files too), so an added or
  removed file counts;
* the ``conftest.py`` files above its test paths and the configuration
  files pytest and coverage.py read at the root, also when absent (adding
  one counts);
* the files its install depends on (requirement files, project metadata);
* the ``workers.toml`` settings that reach it (not titles or ownership:
  those change reports, not measurements);
* the installed distributions of its virtualenv, when that virtualenv is
  on this machine.

Not covered: files a test reads from outside the project, the network,
the clock, environment variables not set in ``workers.toml``.  A file
modified while the worker ran is recorded as such and never matches.

Files the tests write are outputs, not inputs (:mod:`covsplit.outputs`):
the ones this run's processes wrote are recorded apart, and a file the last
run of any worker wrote is checked for no worker.

Standard library only (the driver and ``covsplit pending`` have no
coverage.py); the pytest side is :mod:`covsplit.pytest_inputs`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from covsplit import digests, fsio, outputs
from covsplit.config import Config, Worker
from covsplit.digests import ABSENT, DigestCache
from covsplit.install_files import install_inputs

SCHEMA = 1
# Recorded for a file modified while the worker ran: it matches no content, so the worker is stale.
CHANGED_DURING_RUN = "changed while the worker ran"
# Read by pytest and coverage.py from the project root: adding one changes a run.
ROOT_CONFIG_FILES = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg", ".coveragerc")
# Folders under test paths that tools write into as they run: never inputs.
_WRITTEN_BY_TOOLS = {"__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache", ".tox", ".nox"}
# Bumped when what combined_digest covers changes.
COMBINED_DIGEST_VERSION = "combined-1"
# How many changes a message names before it counts the rest.
SHOWN_CHANGES = 5


def settings(cfg: Config, worker: Worker) -> dict[str, Any]:
    """The ``workers.toml`` settings that reach a worker's measurement (not its title or its modules)."""
    return {
        "source": list(cfg.source),
        "source_dir": cfg.source_dir,
        "tests": list(worker.tests),
        "install": [list(group) for group in cfg.install],
        "python": cfg.python,
        "pytest_args": list(cfg.pytest_args),
        "env": dict(sorted(cfg.env.items())),
        "timeout": worker.timeout,
        "test_timeout": worker.test_timeout,
        "memory_limit": worker.memory_limit_mib,
        "xdist": worker.xdist,
        # Which parts of shared test files it runs (covsplit.schedule_file).
        "shared": {file: entry.as_dict() for file, entry in sorted(cfg.shared.items()) if worker.name in entry.workers},
    }


def relative_key(root: str, path: str) -> str:
    """A path as recorded: relative to the project root (so a fleet's checkouts agree), else absolute."""
    prefix = root.rstrip(os.sep) + os.sep
    return path[len(prefix) :].replace(os.sep, "/") if path.startswith(prefix) else path


def absolute(root: str, key: str) -> str:
    return key if os.path.isabs(key) else os.path.join(root, key)


def _test_path(entry: str) -> str:
    return entry.split("::", 1)[0].rstrip("/") or "."


def tree_files(root: Path, entry: str) -> Iterator[str]:
    """Every file under one test path (a file or a folder), the tools' own caches left out."""
    base = os.path.join(root, _test_path(entry))
    if os.path.isfile(base):
        yield base
        return
    for folder, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if d not in _WRITTEN_BY_TOOLS and not d.endswith(".egg-info"))
        for name in sorted(files):
            if not name.endswith((".pyc", ".pyo")) and not name.startswith(".coverage"):
                yield os.path.join(folder, name)


def config_files(cfg: Config, worker: Worker) -> list[Path]:
    """The conftests above the worker's test paths and the root's configuration files, present or not."""
    return config_files_for(cfg.root, worker.tests)


def config_files_for(root: Path, entries: Iterable[str]) -> list[Path]:
    """The conftests above these test paths and the root's configuration files, present or not."""
    found = [root / name for name in ROOT_CONFIG_FILES]
    for entry in entries:
        target = (root / _test_path(entry)).resolve()
        folder = target if target.is_dir() else target.parent
        try:
            parts = folder.relative_to(root).parts
        except ValueError:
            continue
        found.append(root / "conftest.py")
        for depth in range(1, len(parts) + 1):
            found.append(root.joinpath(*parts[:depth], "conftest.py"))
    return list(dict.fromkeys(found))


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def observed_files(cfg: Config, observed: Mapping[str, Any]) -> list[Path]:
    """The files inside the project that pytest reported it executed, imported or read (its environment left out).

    Read files are relative to the root; the others absolute.
    """
    root = cfg.root
    outside = [Path(p) for p in (observed.get("prefix"), *(observed.get("site_packages") or [])) if p]
    found = []
    for name in [*(observed.get("executed") or []), *(observed.get("imported") or []), *(observed.get("read") or [])]:
        path = Path(name)
        if not path.is_absolute():
            path = root / path
        if _inside(path, root) and not any(_inside(path, folder) for folder in outside):
            found.append(path)
    inipath = observed.get("inipath")
    if inipath:
        found.append(Path(inipath))
    return found


def record(
    cfg: Config,
    worker: Worker,
    observed: Mapping[str, Any],
    started_at: str,
    started_ns: int,
    cache: DigestCache,
) -> dict[str, Any]:
    """Everything the run depended on, as content digests; written beside the worker's status."""
    root = cfg.root
    paths: list[str] = [str(path) for path in observed_files(cfg, observed)]
    for entry in worker.tests:
        paths += tree_files(root, entry)
    paths += [str(path) for path in (*config_files(cfg, worker), *install_inputs(cfg.install, root))]
    # What this run's own processes wrote is what it produced, not what it read.
    written = written_files(observed)
    files: dict[str, str] = {}
    for path in dict.fromkeys(paths):
        key = relative_key(str(root), path)
        # A folder a test opened (to list it, or with os.open) is no content: the files in it are.
        if key in written or os.path.isdir(path):
            continue
        # Edited while pytest ran: the measurement may have seen either version.
        files[key] = CHANGED_DURING_RUN if digests.modified_since(path, started_ns) else cache.digest(path)
    return {
        "schema": SCHEMA,
        "worker": worker.name,
        "started_at": started_at,
        "settings": settings(cfg, worker),
        "trees": [_test_path(entry) for entry in worker.tests],
        "files": dict(sorted(files.items())),
        outputs.KEY: dict(sorted(written.items())),
        "environment": {
            "python": observed.get("python"),
            "site_packages": list(observed.get("site_packages") or []),
            "installed": observed.get("installed"),
        },
    }


def written_files(observed: Mapping[str, Any]) -> dict[str, list[str]]:
    """The project-relative files the run's processes wrote, each with the tests that wrote it."""
    found = observed.get("written")
    if not isinstance(found, Mapping):
        return {}
    return {str(path): sorted(map(str, nodes)) for path, nodes in found.items() if isinstance(nodes, list)}


def _describe(changes: list[str]) -> list[str]:
    if len(changes) <= SHOWN_CHANGES:
        return changes
    return [*changes[:SHOWN_CHANGES], f"and {len(changes) - SHOWN_CHANGES} more"]


# The kinds of file change changed_files names.
CHANGED, ADDED, REMOVED, DURING_RUN = "changed", "added", "removed", "changed while it ran"


def changed_files(
    cfg: Config,
    worker: Worker,
    recorded: Mapping[str, Any] | None,
    cache: DigestCache,
    written: frozenset[str] | None = None,
) -> tuple[list[tuple[str, str]], list[str]]:
    """What differs between the tree now and what the worker's run depended on: (file, kind) pairs, and the rest.

    The rest are changes that are no one file's: the recorded inputs
    themselves, the worker's settings, its installed packages.  ``written``
    is :func:`covsplit.outputs.known` (read when not given): files some
    worker's last run wrote, which are no worker's inputs.
    """
    if not isinstance(recorded, Mapping):
        return [], ["it recorded no inputs (a run of an older covsplit, or one that did not finish)"]
    if recorded.get("schema") != SCHEMA or recorded.get("worker") != worker.name:
        return [], ["its inputs were recorded by another version of covsplit"]
    other = []
    now = settings(cfg, worker)
    before = recorded.get("settings") or {}
    for key, value in now.items():
        if before.get(key) != value:
            other.append(f"its setting {key} in {cfg.path.name} changed")
    root = str(cfg.root)
    files = recorded.get("files") or {}
    if written is None:
        written = outputs.known(cfg)
    found: list[tuple[str, str]] = []
    for key, digest in files.items():
        if key in written:
            continue
        if digest == CHANGED_DURING_RUN:
            found.append((key, DURING_RUN))
            continue
        current = cache.digest(absolute(root, key))
        if current == digest:
            continue
        found.append((key, REMOVED if current == ABSENT else ADDED if digest == ABSENT else CHANGED))
    known = set(files)
    for tree in recorded.get("trees") or []:
        for path in tree_files(cfg.root, tree):
            key = relative_key(root, path)
            if key not in known and key not in written:
                found.append((key, ADDED))
    environment = recorded.get("environment") or {}
    site = [Path(p) for p in environment.get("site_packages") or []]
    # The virtualenv is checked where it is on this machine; on a fleet's aggregator, its install inputs stand in.
    if site and all(folder.is_dir() for folder in site) and digests.installed(site) != environment.get("installed"):
        other.append("the packages installed in its virtualenv changed")
    return found, other


def changes(
    cfg: Config,
    worker: Worker,
    recorded: Mapping[str, Any] | None,
    cache: DigestCache,
    written: frozenset[str] | None = None,
) -> list[str]:
    """What differs between the tree now and what the worker's run depended on, in words; empty when nothing does."""
    found, other = changed_files(cfg, worker, recorded, cache, written)
    # The worker's settings first, its installed packages last, as a person reads what changed.
    first = [reason for reason in other if reason.startswith("its setting")]
    last = [reason for reason in other if not reason.startswith("its setting")]
    return _describe([*first, *(f"{key} {kind}" for key, kind in found), *last])


def read(path: Path) -> dict[str, Any] | None:
    data = fsio.read_json(path)
    return data if isinstance(data, dict) else None


def stale_reasons(
    cfg: Config, worker: Worker, run: Mapping[str, Any], cache: DigestCache, written: frozenset[str] | None = None
) -> list[str]:
    """Why the data of the worker's run ``run`` (its status) no longer fits the tree; empty when it still does."""
    recorded = read(cfg.layout.worker(worker.name).inputs)
    if recorded is not None and recorded.get("started_at") != run.get("started_at"):
        return ["its recorded inputs belong to another of its runs"]
    return changes(cfg, worker, recorded, cache, written)


def own_code() -> list[Path]:
    """covsplit's own code and templates: a new version of covsplit writes its reports anew."""
    package = Path(__file__).resolve().parent
    return sorted(p for p in package.rglob("*") if p.suffix in (".py", ".j2", ".css") and p.is_file())


def combined_digest(cfg: Config, cache: DigestCache, stale: Mapping[str, list[str]], extra: Iterable[Path] = ()) -> str:
    """A digest of everything the aggregate and the report read: when it is unchanged they need not run again.

    The workers' results (status, recorded inputs, data) and what is stale
    among them now (``stale``, from :func:`changes`), the config, every
    source file (a file no test ran still counts its statements), the root's
    configuration, and ``extra`` (covsplit's own code).
    """
    parts: list[str] = [COMBINED_DIGEST_VERSION, digests.hash_bytes(cfg.path.read_bytes()), repr(sorted(stale.items()))]
    for worker in cfg.workers:
        paths = cfg.layout.worker(worker.name)
        status_data = fsio.read_json(paths.status)
        if isinstance(status_data, dict):
            # The reports a worker run alone writes later change its coverage figures, not its result.
            status_data = {k: v for k, v in status_data.items() if k not in ("coverage", "coverage_scope")}
        parts.append(repr(status_data))
        parts += [cache.digest(paths.inputs), cache.digest(paths.data_file)]
    root = cfg.root
    parts += [cache.digest(root / rel) for rel in cfg.all_files()]
    parts += [cache.digest(root / name) for name in ROOT_CONFIG_FILES]
    parts += [cache.digest(path) for path in extra]
    return digests.hash_bytes("\n".join(parts).encode())
