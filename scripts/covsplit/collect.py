"""``covsplit collect``: one serial collection of the whole suite, recorded as the suite (:mod:`covsplit.suite`).

Workers refresh the record as they run, for the test paths they hold;
what none of them holds (a conftest above them changed, a file was added
where no worker looks, the configuration changed) needs pytest's own
collection of every test path, with the project's settings, from its
root.  That is this command, run in a virtualenv with the project
installed (the ``collect`` session); ``make coverage-all`` runs it, beside
the workers, only when the record no longer fits the tree and no worker
will refresh it.

Standard library only: like the worker driver, it runs in the nox
session's own process and starts the virtualenv's pytest.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping

from covsplit import collection, digests, exits, suite
from covsplit.commands import pytest_environment
from covsplit.config import Config
from covsplit.digests import DigestCache


def command(cfg: Config, python: str) -> list[str]:
    """``pytest --collect-only`` over the project's test paths, recording what it collected."""
    return [
        python,
        "-m",
        "pytest",
        *suite.paths_for_collect(cfg),
        "--collect-only",
        "-q",
        "-p",
        "covsplit.pytest_schedule",
        f"--covsplit-collection={cfg.layout.collect_output}",
        "-p",
        "no:cacheprovider",
        "--continue-on-collection-errors",
        *cfg.pytest_args,
        # Last: whatever coverage options the project's addopts or pytest_args hold, nothing is measured.
        "--no-cov",
    ]


def run(cfg: Config, python: str = sys.executable, env: Mapping[str, str] | None = None) -> int:
    """Collect the suite and record it; 0 when pytest collected (collection errors are recorded, not fatal)."""
    cfg.layout.output_dir.mkdir(parents=True, exist_ok=True)
    cfg.layout.collect_output.unlink(missing_ok=True)
    started_ns = digests.file_clock_ns(cfg.layout.output_dir)
    pytest_env = pytest_environment(cfg, cfg.layout.output_dir / ".coverage.collect", env)
    try:
        done = subprocess.run(
            command(cfg, python), cwd=cfg.root, env=pytest_env, capture_output=True, text=True, timeout=_timeout(cfg)
        )
    except subprocess.TimeoutExpired:
        print(f"collect: pytest did not finish collecting within {_timeout(cfg):g} s", file=sys.stderr)
        return exits.FAILED
    collected = collection.read_collection(cfg.layout.collect_output)
    if collected is None:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        print(f"collect: pytest collected nothing (exit status {done.returncode}):\n{tail}", file=sys.stderr)
        return exits.FAILED
    cache = DigestCache(cfg.layout.digest_cache)
    suite.update(cfg, collected, "collect", started_ns, cache)
    cache.save()
    cfg.layout.collect_output.unlink(missing_ok=True)
    files = len({collection.file_of(node) for node in collected.tests})
    errors = f", {len(collected.errors)} could not be collected" if collected.errors else ""
    print(f"collect: the suite holds {len(collected.tests)} tests in {files} files{errors} ({cfg.layout.suite})")
    return exits.OK


def _timeout(cfg: Config) -> float:
    """A collection is bounded by the longest time a worker may run."""
    return float(max((worker.timeout for worker in cfg.workers), default=3600))
