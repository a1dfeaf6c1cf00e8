"""What ``make coverage-all`` must run: the workers whose data cannot be reused, and whether the aggregate must run.

A worker's data is reused, whenever it was measured, when its run
finished (passed, or failed: a failure whose inputs did not change is
reported again, not re-run), was made for this config, left its data file
and every input it recorded still matches the tree (the rule is
:mod:`covsplit.reuse`'s).  Every other worker runs: stale, crashed, timed
out, never run, or run for another config; ``RETRY=1`` also runs the failed
ones, ``FULL=1`` every one.  A worker whose tests and collection never ran
the function bodies an edit changed keeps its data, renumbered where it
lies (:func:`covsplit.rerun.follow_edits`), and is reused.  The aggregate
and report run again when anything they read changed
(:func:`covsplit.inputs.combined_digest`); with nothing changed, ``make
coverage-all`` runs nothing and prints the verdict it had.

Standard library only, like the driver: it runs before any virtualenv.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from covsplit import aggregate, capacity, exits, fsio, inputs, rerun, reuse, shuffle, suite
from covsplit.config import Config
from covsplit.digests import DigestCache


def decide(
    cfg: Config,
    cache: DigestCache,
    full: bool = False,
    seed: int | None = None,
    retry: bool = False,
    states: Sequence[reuse.WorkerState] | None = None,
) -> list[reuse.Decision]:
    """Run or reuse, for each worker in order (:func:`covsplit.reuse.decide`); ``states``: read already."""
    return [reuse.decide(state, full, retry, seed) for state in states or reuse.states(cfg, cache)]


def aggregate_current(cfg: Config, cache: DigestCache) -> bool:
    """Whether ``aggregate.json`` and the report were made from exactly what the workers and the tree hold now."""
    layout = cfg.layout
    recorded = fsio.read_json(layout.aggregate_json)
    if not isinstance(recorded, dict) or recorded.get("schema") != aggregate.SCHEMA:
        return False
    for path in (layout.report_md, layout.report_html):
        # The report is written after the aggregate (`-- --report`); one older than it is out of date.
        if not path.exists() or path.stat().st_mtime_ns < layout.aggregate_json.stat().st_mtime_ns:
            return False
    # A diagnosis made after the report (`make diagnose`) is shown by the next one.
    diagnosis = layout.diagnosis_json
    if diagnosis.exists() and diagnosis.stat().st_mtime_ns > layout.report_md.stat().st_mtime_ns:
        return False
    changed = reuse.changes_by_worker(reuse.states(cfg, cache))
    return recorded.get("inputs_digest") == inputs.combined_digest(cfg, cache, changed, inputs.own_code())


def run(cfg: Config, full: bool = False, combined: bool = False, only: Sequence[str] = (), retry: bool = False) -> int:
    """Print the worker sessions to run (one line), or with ``combined`` "aggregate" when it must run; say why.

    ``only`` limits the answer to those workers (a CI job asking about its own).
    """
    cache = DigestCache(cfg.layout.digest_cache)
    if combined:
        print("" if aggregate_current(cfg, cache) else "aggregate")
        cache.save()
        return 0
    for name in only:
        cfg.worker(name)  # an unknown name is a ConfigError, said before anything is decided
    try:
        seed = shuffle.given_seed(os.environ)
    except shuffle.SeedError as exc:
        print(f"covsplit: {exc}", file=sys.stderr)
        return exits.CONFIG
    rerun.forget_sources(cfg)
    states = reuse.states(cfg, cache)
    stale = [s.name for s in states if s.standing is reuse.Standing.STALE and (not only or s.name in only)]
    followed = rerun.follow_edits(cfg, cache, stale) if not full else []
    for line in followed:
        print(f"covsplit: {line}", file=sys.stderr)
    if followed:  # those workers are current now
        states = reuse.states(cfg, cache)
    decisions = [d for d in decide(cfg, cache, full, seed, retry, states) if not only or d.worker in only]
    cache.save()
    running = [d for d in decisions if d.run]
    reused = [d for d in decisions if not d.run]
    if running:
        listed = "; ".join(f"{d.worker} ({d.why})" for d in running)
        print(f"covsplit: running {listed}", file=sys.stderr)
    if reused:
        listed = "; ".join(f"{d.worker} ({d.why})" for d in reused)
        print(f"covsplit: reusing {listed}", file=sys.stderr)
    sessions = [d.worker for d in running]
    if not only:
        changed = suite.changes(cfg, suite.read(cfg), cache)
        cache.save()
        if changed and not suite.refreshed_by(cfg, changed, [cfg.worker(name) for name in sessions]):
            # First, so that it starts while the workers do: it is checked against them at the aggregate.
            sessions.insert(0, capacity.COLLECT_SESSION)
            print(f"covsplit: collecting the suite again ({suite.describe(changed)})", file=sys.stderr)
    print(" ".join(sessions))
    return 0
