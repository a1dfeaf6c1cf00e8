"""Measured seconds: what each test file costs a worker, and what a worker costs before any file.

The one measure of time the planner balances and the report shows.  A
worker's pytest wall time splits into the seconds of each test file it
ran (collecting it, imports included, plus running its tests, from the
``pytest_durations`` plugin) and a fixed cost no file accounts for
(interpreter and plugin start, coverage start and save).  The parts add
up to the wall time, so a plan built on them predicts what the next run
will really take.

Standard library only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

from covsplit import fsio
from covsplit.layout import DURATIONS_SUFFIX

SCHEMA = 1


def uncontended(wall_s: float, cpu_s: float, contention: float) -> float:
    """The seconds a span would take with a core of its own, from its wall and CPU seconds in a crowd.

    With ``contention`` processes per core (five workers on two cores:
    2.5), a span that only computes takes about ``contention`` times its CPU
    seconds of wall time, waiting for a core the rest; a span that sleeps or
    waits for I/O takes its wall time whatever the crowd.  So the span costs
    its CPU seconds plus whatever wall time the crowd cannot explain.  Alone
    (contention 1) that is the wall time.  Measured in a crowd, the light
    workers' tests, which ran only while all five did, looked 2.5 times
    their cost and the heavy workers' tests, which finished alone, did not:
    attrs planned on those seconds ran 17 s against 38 s workers.
    """
    if contention <= 1:
        return wall_s
    return min(wall_s, cpu_s + max(0.0, wall_s - cpu_s * contention))


def record(
    raw_path: Path,
    path: Path,
    root: Path,
    worker: str,
    wall_s: float,
    cpu_s: float | None = None,
    contention: float = 1.0,
) -> None:
    """Turn the plugin's raw file (absolute paths) into the worker's durations file; drop it when there is none.

    ``cpu_s`` is the CPU time of pytest (per process under xdist), ``contention`` how
    many processes shared each core (at most) while it ran: every second
    recorded is ``uncontended``, so runs measured alone and in a crowd agree.
    A run that left no raw file (pytest killed) measured nothing: an older
    file must not pass for this run's figures.
    """
    raw = fsio.read_json(raw_path)
    raw_path.unlink(missing_ok=True)
    if not isinstance(raw, dict) or not isinstance(raw.get("files"), dict):
        path.unlink(missing_ok=True)
        return

    def seconds(wall: Any, cpu: Any) -> float:
        wall = float(wall or 0.0)
        return uncontended(wall, float(cpu), contention) if isinstance(cpu, int | float) else wall

    files: dict[str, float] = {}
    collect: dict[str, float] = {}
    for name, entry in raw["files"].items():
        collected = seconds(entry.get("collect_s"), entry.get("collect_cpu_s"))
        rel = _relative(name, root)
        files[rel] = round(files.get(rel, 0.0) + collected + seconds(entry.get("tests_s"), entry.get("tests_cpu_s")), 6)
        collect[rel] = round(collect.get(rel, 0.0) + collected, 6)
    tests: dict[str, dict[str, float]] = {}
    cpu_tests = raw.get("tests_cpu") or {}
    for name, nodes in (raw.get("tests") or {}).items():
        if isinstance(nodes, dict):
            cpu_nodes = cpu_tests.get(name) or {}
            tests.setdefault(_relative(name, root), {}).update(
                {str(k): round(seconds(v, cpu_nodes.get(k)), 6) for k, v in nodes.items()}
            )
    worker_s = uncontended(wall_s, cpu_s, contention) if cpu_s is not None else wall_s
    fixed = max(0.0, worker_s - sum(files.values()))
    fsio.write_json(
        path,
        {
            "schema": SCHEMA,
            "worker": worker,
            "wall_s": round(wall_s, 6),
            "fixed_s": round(fixed, 6),
            # Processes per core while it ran: above 1, every figure below had the crowd's wait taken out.
            "contention": round(contention, 3),
            "files": files,
            # Seconds collecting each file (in `files` too), and each test's own seconds by node id.
            "collect": collect,
            "tests": tests,
        },
    )


def keep_files(path: Path, previous: Mapping[str, Any] | None, kept: Iterable[str]) -> None:
    """After a run of some of a worker's units: the kept units' seconds from ``previous``, its full run's.

    A unit is a test file, or one test (a node id) of a file measured one
    test at a time: such a test's seconds are added to its file's, which
    this run measured for its other tests.  The run's own wall and fixed
    seconds are those of a part; the previous run's stand for the worker,
    as a full run would have measured them.
    """
    current = fsio.read_json(path)
    if not _valid(current) or not _valid(previous):
        return
    merged = dict(current)
    units = list(kept)
    for key in ("files", "collect", "tests"):
        part = dict(current.get(key) or {})
        for file in units:
            if "::" in file:
                continue
            if file in (previous.get(key) or {}):
                part[file] = previous[key][file]
            else:
                part.pop(file, None)
        merged[key] = dict(sorted(part.items()))
    for node in (unit for unit in units if "::" in unit):
        file = node.partition("::")[0]
        seconds = (previous["tests"].get(file) or {}).get(node) if isinstance(previous.get("tests"), dict) else None
        if not isinstance(seconds, int | float):
            continue
        merged["tests"][file] = dict(sorted({**(merged["tests"].get(file) or {}), node: seconds}.items()))
        merged["files"][file] = round(float(merged["files"].get(file, 0.0)) + seconds, 6)
    merged["wall_s"], merged["fixed_s"] = previous.get("wall_s"), previous.get("fixed_s")
    fsio.write_json(path, merged)


def _relative(name: str, root: Path) -> str:
    absolute = Path(name)
    return absolute.relative_to(root).as_posix() if absolute.is_relative_to(root) else absolute.as_posix()


@dataclass(frozen=True)
class Measured:
    """Everything earlier runs measured, read from every ``*_durations.json`` in the output folder."""

    # Seconds per test file (relative to the project root); the mean where several runs measured one.
    files: Mapping[str, float] = field(default_factory=dict)
    # Each measured worker's fixed cost, seconds.
    fixed: Mapping[str, float] = field(default_factory=dict)
    # Each measured worker's pytest wall time, seconds.
    wall: Mapping[str, float] = field(default_factory=dict)
    # Seconds collecting each test file, and each test's seconds by file and node id (where measured).
    collect: Mapping[str, float] = field(default_factory=dict)
    tests: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    @property
    def fixed_per_worker(self) -> float:
        """The fixed cost a worker pays, as measured (mean over workers); 0 when nothing was measured."""
        return sum(self.fixed.values()) / len(self.fixed) if self.fixed else 0.0


def read(output_dir: Path) -> Measured:
    samples: dict[str, list[float]] = defaultdict(list)
    collect: dict[str, list[float]] = defaultdict(list)
    tests: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    fixed: dict[str, float] = {}
    wall: dict[str, float] = {}
    for path in sorted(output_dir.glob(f"*{DURATIONS_SUFFIX}")):
        data = fsio.read_json(path)
        if not _valid(data):
            continue
        worker = str(data.get("worker") or path.name[: -len(DURATIONS_SUFFIX)])
        fixed[worker] = float(data["fixed_s"])
        wall[worker] = float(data["wall_s"])
        for name, seconds in data["files"].items():
            samples[name].append(float(seconds))
        for name, seconds in (data.get("collect") or {}).items():
            collect[name].append(float(seconds))
        for name, nodes in (data.get("tests") or {}).items():
            for node, seconds in nodes.items():
                tests[name][node].append(float(seconds))
    per_test = {name: _means(nodes) for name, nodes in tests.items()}
    collected = _means(collect)
    files = _means(samples)
    for name, nodes in per_test.items():
        # A file shared between workers: each measured its own tests and paid the collection; together,
        # the file costs one collection and all its tests.
        files[name] = collected.get(name, 0.0) + sum(nodes.values())
    return Measured(files=files, fixed=fixed, wall=wall, collect=collected, tests=per_test)


def _means(samples: Mapping[str, list[float]]) -> dict[str, float]:
    return {name: sum(values) / len(values) for name, values in samples.items()}


def _valid(data: Any) -> TypeGuard[dict[str, Any]]:
    return (
        isinstance(data, dict)
        and data.get("schema") == SCHEMA
        and isinstance(data.get("files"), dict)
        and all(isinstance(v, int | float) for v in data["files"].values())
        and isinstance(data.get("fixed_s"), int | float)
        and isinstance(data.get("wall_s"), int | float)
    )


def seconds_for(test_files: Iterable[str], measured: Mapping[str, float]) -> tuple[dict[str, float], float | None]:
    """Seconds per test file: measured, else the mean of the measured ones (None when none was measured)."""
    test_files = list(test_files)
    known = {t: measured[t] for t in test_files if t in measured}
    average = sum(known.values()) / len(known) if known else None
    fallback = average if average is not None else 1.0
    return {t: known.get(t, fallback) for t in test_files}, average
