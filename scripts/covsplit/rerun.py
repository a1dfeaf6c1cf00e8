"""A worker run of some of its test files: what it sets aside before pytest, and the results it writes after.

:mod:`covsplit.file_grain` decides which test files run again; this module
does the driver's part.  Before pytest starts, the previous run's data
file, JUnit results, durations and inputs are set aside.  pytest collects
every file of the worker, as a full run does, and runs the chosen ones.
Afterwards the worker's files are what a full run writes: the previous
data with the re-run files' contexts and the collection's taken out,
combined with this run's by coverage.py's own ``combine``; the outcomes
and seconds of the kept files added to this run's, in collection order.

Standard library only, like the driver; coverage.py's command runs in the
worker's virtualenv.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from covsplit import (
    collection,
    context_data,
    durations,
    file_grain,
    fsio,
    inputs,
    junit,
    lock,
    outputs,
    shuffle,
    source_shape,
    status,
)
from covsplit.config import Config, Worker
from covsplit.contexts import COLLECT, file_of, fixtures_of, unit_of
from covsplit.digests import DigestCache
from covsplit.layout import WorkerPaths

# Set by `make coverage-all FULL=1` and `RETRY=1`: run whole, or run failed test files again.
FULL_ENV, RETRY_ENV = "COVSPLIT_FULL", "COVSPLIT_RETRY"
# Set: the worker measures no test file apart (no coverage context per test file), so its next run runs whole;
# `make bench` compares full runs with and without, which is what keeping the per-file data costs.
NO_GRAIN_ENV = "COVSPLIT_NO_FILE_GRAIN"


@dataclass(frozen=True)
class Kept:
    """A partial run's plan and what the previous run left, set aside until the merge."""

    partial: file_grain.Partial
    data: Path
    junit: Path
    durations: dict[str, Any] | None
    inputs: dict[str, Any]
    started_at: str
    rerun_list: Path
    # The seed the kept files were shuffled with (None: not shuffled): the files run again must use it too.
    seed: int | None = None
    # When the previous run's failures ran: its own start, or earlier when it had kept them all itself.
    failures_from: str = ""


def _failed_files(cfg: Config, paths: WorkerPaths) -> list[str]:
    try:
        results = junit.read_junit(paths.junit, cfg.root)
    except junit.JUnitError:
        return []
    return sorted({r.file for r in results if r.outcome in (junit.FAILED, junit.ERROR) and r.file})


def plan(cfg: Config, worker: Worker, env: Mapping[str, str], cache: DigestCache) -> file_grain.Partial | str:
    """The test files this run of ``worker`` runs again, or why it runs whole."""
    paths = cfg.layout.worker(worker.name)
    if env.get(FULL_ENV):
        return "FULL=1"
    record = status.read(paths.status)
    if record["state"] not in (status.PASSED, status.FAILED):
        return f"its last run {record['state']}"
    shuffled = record.get("shuffled_by") or ()
    why_whole = shuffle.whole_run_reason(record.get("seed"), shuffled, env) if shuffled else ""
    if why_whole:
        return why_whole
    if not paths.data_file.exists() or not paths.junit.exists():
        return "its last run left no data or results"
    recorded = inputs.read(paths.inputs)
    if recorded is None or recorded.get("started_at") != record.get("started_at"):
        return "its recorded inputs belong to another of its runs"
    found, other = inputs.changed_files(cfg, worker, recorded, cache, outputs.known(cfg))
    retry = _failed_files(cfg, paths) if env.get(RETRY_ENV) else []
    if not found and not other and not retry:
        return "nothing it depends on changed: asked for, it runs whole"
    return file_grain.plan(cfg, worker, recorded, found, other, retry)


def set_aside(cfg: Config, worker: Worker, partial: file_grain.Partial) -> Kept:
    """Move the previous run's data and results where the new run does not touch them, and list what to run."""
    paths = cfg.layout.worker(worker.name)
    # Not "<data file>.*": pytest-cov combines every such file it finds into the new data.
    data, kept_junit, rerun_list = paths.kept_data, paths.kept_junit, paths.rerun_list
    shutil.copyfile(paths.data_file, data)
    shutil.copyfile(paths.junit, kept_junit)
    fsio.write_json(rerun_list, list(partial.run))
    previous = fsio.read_json(paths.durations)
    recorded = inputs.read(paths.inputs) or {}
    record = status.read(paths.status)
    started = str(record.get("started_at") or "")
    seed = record.get("seed") if record.get("shuffled_by") else None
    before = record.get("rerun")
    failures_from = str(before.get("failures_from") or started) if isinstance(before, dict) else started
    return Kept(
        partial, data, kept_junit, previous if isinstance(previous, dict) else None, recorded, started, rerun_list,
        seed if isinstance(seed, int) else None, failures_from,
    )  # fmt: skip


def discard(kept: Kept) -> None:
    for path in (kept.data, kept.junit, kept.rerun_list):
        path.unlink(missing_ok=True)


def _selected(cfg: Config, worker: Worker) -> list[str]:
    record = collection.read_collection(cfg.layout.worker(worker.name).collection)
    return list(record.selected) if record else []


def collected_units(cfg: Config, worker: Worker) -> list[str]:
    """The worker's units its latest run collected to run, in collection order (its collection record).

    A unit is a test file, or a test of a file measured one test at a time (:mod:`covsplit.contexts`).
    """
    per_test = file_grain.per_test_files(cfg, worker)
    return list(dict.fromkeys(unit_of(node, per_test) for node in _selected(cfg, worker)))


def kept_units(cfg: Config, worker: Worker, kept: Kept) -> list[str]:
    """The worker's units whose results come from the previous run: every unit collected, less the re-run."""
    return [unit for unit in collected_units(cfg, worker) if not kept.partial.runs(unit)]


def merge(cfg: Config, worker: Worker, kept: Kept, python: str, env: Mapping[str, str]) -> str:
    """Make the worker's data, JUnit results and durations those of a full run; "" or what went wrong."""
    paths = cfg.layout.worker(worker.name)
    keep = set(kept_units(cfg, worker, kept))
    gone = [*kept.partial.run, *kept.partial.removed]
    # A per-test file's shared fixtures are measured again by any of its tests that runs.
    context_data.prune(kept.data, [*gone, *sorted({fixtures_of(file_of(unit)) for unit in gone}), COLLECT])
    for key, mapping in kept.partial.moved.items():
        context_data.move_lines(kept.data, inputs.absolute(str(cfg.root), key), mapping)
    problem = _combine(paths, kept.data, python, cfg.root, env)
    if problem:
        return problem
    selected = _selected(cfg, worker)
    order = {file: index for index, file in enumerate(dict.fromkeys(map(file_of, selected)))}
    per_test = set(file_grain.per_test_files(cfg, worker))
    if paths.junit.exists():
        junit.merge_kept(
            kept.junit, paths.junit, cfg.root, lambda node, file: (node if file in per_test else file) in keep,
            order, {node: index for index, node in enumerate(selected)},
        )  # fmt: skip
    else:
        shutil.copyfile(kept.junit, paths.junit)
    return ""


def merge_durations(cfg: Config, worker: Worker, kept: Kept) -> None:
    """The kept units' seconds into the durations this run wrote (after the driver wrote them)."""
    durations.keep_files(cfg.layout.worker(worker.name).durations, kept.durations, kept_units(cfg, worker, kept))


def _combine(paths: WorkerPaths, previous: Path, python: str, root: Path, env: Mapping[str, str]) -> str:
    """This run's data plus the kept part of the previous one, into the worker's data file (coverage combine)."""
    fresh = paths.fresh_data
    if paths.data_file.exists():
        os.replace(paths.data_file, fresh)
    pieces = [str(previous)] + ([str(fresh)] if fresh.exists() else [])
    command = [python, "-m", "coverage", "combine", "--keep", f"--data-file={paths.data_file}", *pieces]
    done = subprocess.run(command, cwd=root, env=dict(env), capture_output=True, text=True, check=False)
    fresh.unlink(missing_ok=True)
    if done.returncode != 0 or not paths.data_file.exists():
        print(done.stdout + done.stderr, file=sys.stderr)
        return f"could not combine the kept coverage with this run's: {done.stderr.strip()[-300:]}"
    return ""


def grain_of(cfg: Config, worker: Worker, observed: Mapping[str, Any], kept: Kept | None) -> dict[str, Any] | None:
    """The per-file record of the worker's data as it stands (merged, after a partial run)."""
    paths = cfg.layout.worker(worker.name)
    data = context_data.measured(paths.data_file)
    if data is None:
        return None
    units = collected_units(cfg, worker)
    reads = {str(file): list(keys) for file, keys in (observed.get("read_by_file") or {}).items()}
    previous = kept.inputs.get(file_grain.KEY) if kept else None
    rerun = set(kept.partial.run) if kept else None
    return file_grain.build(cfg, data, reads, units, previous, rerun, file_grain.per_test_files(cfg, worker))


def observed_with_kept(cfg: Config, worker: Worker, observed: Mapping[str, Any], kept: Kept) -> dict[str, Any]:
    """What pytest saw in this run, plus every file the kept part of the previous run depended on."""
    root = str(cfg.root)
    merged = dict(observed)
    previous = [inputs.absolute(root, key) for key in (kept.inputs.get("files") or {})]
    merged["imported"] = sorted({*(observed.get("imported") or []), *previous})
    data = context_data.measured(cfg.layout.worker(worker.name).data_file)
    if data is not None:
        executed = set().union(*data.by_context.values()) if data.by_context else set()
        merged["executed"] = sorted({*(observed.get("executed") or []), *executed})
    return merged


def prepare(cfg: Config, worker: Worker) -> Kept | None:
    """Before pytest: when only some test files' inputs changed, set the previous results aside; None: run whole."""
    cache = DigestCache(cfg.layout.digest_cache)
    decided = plan(cfg, worker, os.environ, cache)
    cache.save()
    if isinstance(decided, str):
        print(f"{worker.name}: running every test file ({decided})", file=sys.stderr)
        return None
    kept = set_aside(cfg, worker, decided)
    total = len((kept.inputs.get(file_grain.KEY) or {}).get("tests") or {})
    print(
        f"{worker.name}: running {decided.describe(total)}; the others' results are kept from {kept.started_at}",
        file=sys.stderr,
    )
    return kept


def record_inputs(cfg: Config, worker: Worker, started_at: str, started_ns: int, kept: Kept | None) -> None:
    """What the run depended on (covsplit.inputs), from what pytest saw; none when pytest said nothing.

    With each test file's own part (covsplit.file_grain), so that the next
    run can run again only the files whose inputs changed.
    """
    paths = cfg.layout.worker(worker.name)
    observed = inputs.read(paths.observed)
    if observed is None:
        return
    if kept:
        observed = observed_with_kept(cfg, worker, observed, kept)
    cache = DigestCache(cfg.layout.digest_cache)
    record = inputs.record(cfg, worker, observed, started_at, started_ns, cache)
    if kept:
        record[outputs.KEY] = kept_outputs(record.get(outputs.KEY) or {}, kept)
    grain = grain_of(cfg, worker, observed, kept)
    if grain is not None:
        record[file_grain.KEY] = grain
    fsio.write_json(paths.inputs, record)
    cache.save()


def kept_outputs(written: Mapping[str, list[str]], kept: Kept) -> dict[str, list[str]]:
    """This run's outputs and those the kept tests wrote in the run before: a full run's, which the next run skips.

    Without the kept part, a file another worker reads and a kept test
    writes would count as that worker's input again, "changed while it ran".
    """
    gone = set(kept.partial.run) | set(kept.partial.removed)
    merged = {path: set(nodes) for path, nodes in written.items()}
    for path, nodes in (kept.inputs.get(outputs.KEY) or {}).items():
        still = {node for node in nodes if node not in gone and file_of(node) not in gone}
        if still:
            merged.setdefault(path, set()).update(still)
    return {path: sorted(nodes) for path, nodes in sorted(merged.items())}


def follow_edits(cfg: Config, cache: DigestCache, names: Sequence[str]) -> list[str]:
    """Keep the data of the workers ``names`` an edit moved but none of whose tests ran it: renumbered, no run.

    An edit inside function bodies that none of a worker's test files ran,
    and that its collection did not run either, changes nothing the worker
    measured but line numbers.  Such a worker need not start pytest at all:
    its data is renumbered where it lies and its record takes the new
    source, so that it is current again and reused.  Returns what was done,
    one line per worker, for ``make coverage-all`` to say.
    """
    done = []
    for name in names:
        worker = cfg.worker(name)
        decided = plan(cfg, worker, {}, cache)
        if not isinstance(decided, file_grain.Partial) or not decided.moved or decided.run or decided.removed:
            continue
        held = lock.hold(cfg.layout.worker(name).lock, f"worker {name} (following an edit)")
        with contextlib.suppress(lock.Busy), held:  # a running worker measures the edit itself
            if _follow(cfg, worker, decided, cache):
                done.append(f"{name} keeps its data, renumbered: {', '.join(decided.why)}")
    return done


def _follow(cfg: Config, worker: Worker, partial: file_grain.Partial, cache: DigestCache) -> bool:
    paths = cfg.layout.worker(worker.name)
    record = inputs.read(paths.inputs)
    if record is None or not isinstance(record.get(file_grain.KEY), dict):
        return False
    moved = paths.moved_data
    shutil.copyfile(paths.data_file, moved)
    root = str(cfg.root)
    for key, mapping in partial.moved.items():
        lines = context_data.lines_by_context(moved, inputs.absolute(root, key))
        # The plan left collection out (a partial run measures it again): here it must follow too.
        if lines is None or not lines.get(COLLECT, set()) <= mapping.keys():
            moved.unlink()
            return False
        context_data.move_lines(moved, inputs.absolute(root, key), mapping)
    measured = context_data.measured(moved)
    if measured is None:
        moved.unlink()
        return False
    grain = record[file_grain.KEY]
    for key in partial.moved:
        source = file_grain.read_source(cfg.root, key)
        collect = measured.collect_lines.get(inputs.absolute(root, key), set())
        found = source_shape.shape(source, collect, cfg.layout.measured_sources) if source is not None else None
        if source is None or found is None:
            moved.unlink()
            return False
        found["source"] = source_shape.keep(cfg.layout.measured_sources, source)
        grain["shapes"][key] = found
        record["files"][key] = cache.digest(inputs.absolute(root, key))
    # No record while the data changes: a run stopped here runs the worker whole, never renumbers twice.
    paths.inputs.unlink()
    os.replace(moved, paths.data_file)
    fsio.write_json(paths.inputs, record)
    return True


def forget_sources(cfg: Config) -> None:
    """Remove the measured sources no worker's record names any more (an edit made them history)."""
    used: set[str] = set()
    for worker in cfg.workers:
        grain = (inputs.read(cfg.layout.worker(worker.name).inputs) or {}).get(file_grain.KEY) or {}
        used.update(str(shape.get("source")) for shape in (grain.get("shapes") or {}).values())
    source_shape.forget(cfg.layout.measured_sources, used)
