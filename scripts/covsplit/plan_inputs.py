"""What the planner reads, once: ``workers.toml`` as it stands, and the code, tests and earlier runs.

The I/O edge of the planner.  ``workers.toml`` is read leniently (the
planner's job is to repair a stale split), with the workers as written
(:class:`OldWorker`); :func:`gather` reads the source files and their
statements, the test files and the seconds earlier runs measured into one
:class:`Inputs`, from which planning is pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from covsplit import config, config_options, discover, durations, suite_files
from covsplit.statements import count_statements


@dataclass(frozen=True)
class OldWorker:
    """A worker as the current ``workers.toml`` describes it, read leniently.

    Leniently, because the planner's job is to repair a stale split: a module
    that no longer exists is recorded in ``missing``, not raised.
    """

    name: str
    title: str
    modules: tuple[str, ...]
    files: tuple[str, ...]
    tests: tuple[str, ...]
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
    """The suite settings (validated by config.py) and the workers as written."""

    path: Path
    cfg: config.Config
    data: dict[str, Any]
    text: str
    old: tuple[OldWorker, ...]


def load_settings(path: str | Path) -> Settings:
    """The settings (config.read, lenient: whatever state the workers are in) and the workers as written."""
    loaded = config.read(path, lenient=True)
    cfg = loaded.cfg
    tests = suite_files.test_files(cfg)
    return Settings(
        path=cfg.path, cfg=cfg, data=loaded.data, text=loaded.text, old=read_old_workers(cfg, loaded.data, tests)
    )


def read_old_workers(cfg: config.Config, data: Mapping[str, Any], test_files: Sequence[str]) -> tuple[OldWorker, ...]:
    """The workers of the raw TOML, with what each owns and runs today."""
    every = set(cfg.all_files())
    tables = data.get("workers")
    if not isinstance(tables, dict):
        return ()
    workers = []
    for name, table in tables.items():
        if not isinstance(table, dict):
            continue
        modules = tuple(_strings(table.get("modules")))
        files: list[str] = []
        missing = []
        for module in modules:
            resolved = [f for f in discover.resolve_module(cfg.root, cfg.source_dir, module) or [] if f in every]
            if not resolved:
                missing.append(module)
            files.extend(f for f in resolved if f not in files)
        entries = _strings(table.get("tests", list(cfg.test_paths)))
        tests = sorted({t for entry in entries for t in expand_tests(cfg.root, entry, test_files)})
        raw_title = table.get("title")
        title = raw_title if isinstance(raw_title, str) else name
        workers.append(OldWorker(name, title, modules, tuple(sorted(files)), tuple(tests), tuple(missing)))
    return tuple(workers)


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def expand_tests(root: Path, entry: str, test_files: Sequence[str]) -> list[str]:
    """The discovered test files a ``tests`` entry (file, folder or node id) makes pytest run."""
    target = PurePosixPath(entry.split("::", 1)[0]).as_posix().rstrip("/")
    if target in ("", "."):
        return list(test_files)
    if (root / target).is_file():
        return [target] if target in test_files else []
    prefix = target + "/"
    return [t for t in test_files if t.startswith(prefix)]


@dataclass(frozen=True)
class Inputs:
    """Everything the planner needs, read from disk once; planning itself is pure."""

    source_dir: str
    source: tuple[str, ...]
    test_root: str
    files: tuple[str, ...]
    statements: Mapping[str, int]
    test_files: tuple[str, ...]
    blank: frozenset[str] = frozenset()
    # Test files on disk outside the declared scope (project.not_run, or beside project.tests):
    # a folder holding one is never written as a whole, or a worker would run it.
    out_of_scope: frozenset[str] = frozenset()
    # Measured seconds per test file, collection included (earlier runs' *_durations.json).
    durations: Mapping[str, float] = field(default_factory=dict)
    # The measured fixed cost of a worker (pytest start, coverage save), seconds.
    fixed: float = 0.0
    # Can this dotted name be written in workers.toml, standing for exactly these files?
    nameable: Callable[[str, tuple[str, ...]], bool] = field(default=lambda dotted, files: True)
    # The max/mean statements a split may reach to keep folders whole (thresholds.balance).
    tolerance: float = config_options.DEFAULT_BALANCE_TOLERANCE
    # Measured seconds of each test by file and node id, and of collecting each file: a file heavier than a
    # worker's share is shared between workers (covsplit.schedule.place).
    tests: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    collect: Mapping[str, float] = field(default_factory=dict)
    # project.keep_together: test files a schedule never separates.
    together: tuple[tuple[str, ...], ...] = ()
    # project.tests: no worker lists a folder above them (empty: the test root bounds the scope).
    test_paths: tuple[str, ...] = ()


def gather(cfg: config.Config) -> Inputs:
    """Read the code, the tests and the previous runs' artifacts (the I/O edge of the planner)."""
    files = tuple(cfg.all_files())
    # The declared scope only (project.tests, less project.not_run): planning never widens it.
    test_files = tuple(suite_files.test_files(cfg))
    on_disk = suite_files.test_files(cfg, [cfg.test_root], leave_out=())
    measured = durations.read(cfg.layout.output_dir)
    return Inputs(
        source_dir=cfg.source_dir,
        source=cfg.source,
        test_root=cfg.test_root,
        files=files,
        statements=count_statements(cfg.root, files),
        test_files=test_files,
        blank=frozenset(f for f in files if discover.is_blank_init(cfg.root / f)),
        out_of_scope=frozenset(on_disk) - frozenset(test_files),
        durations=measured.files,
        fixed=measured.fixed_per_worker,
        nameable=resolver_check(cfg.root, cfg.source_dir),
        tolerance=cfg.balance_tolerance,
        tests={file: nodes for file, nodes in measured.tests.items() if file in test_files},
        collect=measured.collect,
        together=cfg.keep_together,
        test_paths=tuple(cfg.test_paths),
    )


def resolver_check(root: Path, source_dir: str) -> Callable[[str, tuple[str, ...]], bool]:
    """Whether config.py will resolve a dotted name to exactly the given files.

    ``evaluation/8ball_eval.py`` has no dotted name (``8ball_eval`` is not an
    identifier), so it can only be owned through its folder, which then
    cannot be split.
    """

    def check(dotted: str, files: tuple[str, ...]) -> bool:
        resolved = discover.resolve_module(root, source_dir, dotted)
        return resolved is not None and set(resolved) == set(files)

    return check


def seconds_per_test(inputs: Inputs) -> tuple[dict[str, float], float | None]:
    """Seconds per test file: measured, else the average of the measured ones (None if none was)."""
    return durations.seconds_for(inputs.test_files, inputs.durations)
