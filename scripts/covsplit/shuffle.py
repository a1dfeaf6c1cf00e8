"""One seed for every worker of a run, when the project's test environment shuffles the order of its tests.

pytest-randomly (installed by a test extra, often unnoticed) shuffles the
tests and reseeds ``random`` before each test with a seed of its own in
every pytest process: five workers shuffled five ways, tests with random
inputs covered different lines on each run, and no report said so.  So
``make coverage-all`` chooses one seed per run (``SEED=n`` chooses it for
you, to repeat a run) and every worker's pytest gets it through
:mod:`covsplit.pytest_seed`, which asks pytest itself which plugins are
active: the ones loaded from the worker virtualenv's ``pytest11`` entry
points, less those the project disables (``-p no:randomly``).

A fresh seed per run does not make a worker stale: its data is still a
measurement of the tree as it is, and an incremental run would otherwise
rerun everything.  Only an explicit ``SEED=n`` that differs from the seed a
worker ran with runs it again (:func:`covsplit.pending.decide`).

Standard library only: the driver and ``covsplit pending`` use it.
"""

from __future__ import annotations

import random
import subprocess
from collections.abc import Callable, Iterable, Mapping
from typing import Any

# `make coverage-all SEED=n`: a person's choice, which workers that ran with another seed must follow.
SEED_VARIABLE = "COVSPLIT_SEED"
# Chosen once by `make coverage-all` for all of its workers when no SEED is given.
RUN_SEED_VARIABLE = "COVSPLIT_RUN_SEED"
# The plugins that shuffle (or reseed `random`), by the name pytest registers them under, and their distribution.
SHUFFLERS = {"randomly": "pytest-randomly", "random_order": "pytest-random-order"}
# Where some test files, run again with the seed the worker's other files ran with, measure what a full run
# with that seed measures of them: pytest-randomly reseeds `random` (numpy, Faker, ...) before each test from the
# seed and the test's node id alone, and orders by a hash of seed and node id, so a subset keeps its order.
# pytest-random-order shuffles one list with one generator: a subset comes out in another order.
SUBSET_FAITHFUL = frozenset({SHUFFLERS["randomly"]})


def installed(python: str) -> list[str]:
    """The shuffling plugins the ``pytest11`` entry points of ``python``'s environment name (the worker virtualenv).

    Only a run that can shuffle gets a seed: on other suites the command,
    and so the report, stays the same from run to run.
    """
    script = "import importlib.metadata as m; print(' '.join(e.name for e in m.entry_points(group='pytest11')))"
    try:
        done = subprocess.run([python, "-c", script], capture_output=True, text=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return []
    names = set(done.stdout.split())
    return [dist for name, dist in SHUFFLERS.items() if name in names]


class SeedError(ValueError):
    """A seed that is not a non-negative whole number: the message names the variable and the fix."""


def _parse(name: str, value: str) -> int:
    try:
        seed = int(value.strip())
    except ValueError:
        seed = -1
    if seed < 0:
        raise SeedError(f"{name}={value!r} is not a seed: give a whole number >= 0 (make coverage-all SEED=1234)")
    return seed


def given_seed(environ: Mapping[str, str]) -> int | None:
    """The seed a person asked for (``SEED=n``), if any."""
    value = environ.get(SEED_VARIABLE, "")
    return _parse("SEED", value) if value.strip() else None


def fresh_seed() -> int:
    # Six digits: short enough to read in a report and type back as SEED=n.
    return random.SystemRandom().randrange(1, 1_000_000)


def run_seed(environ: Mapping[str, str]) -> int:
    """The seed for this worker: the one asked for, else the run's, else (a worker run alone) a fresh one."""
    given = given_seed(environ)
    if given is not None:
        return given
    value = environ.get(RUN_SEED_VARIABLE, "")
    return _parse(RUN_SEED_VARIABLE, value) if value.strip() else fresh_seed()


def seed_differs(recorded: Any, given: int | None) -> str:
    """Why a worker must run again for ``SEED=given``: it ran shuffled with another seed ("" when not)."""
    if given is None or not isinstance(recorded, int) or recorded == given:
        return ""
    return f"it ran with seed {recorded}, not SEED={given}"


def whole_run_reason(recorded: Any, shuffled_by: Iterable[str], environ: Mapping[str, str]) -> str:
    """Why a shuffled worker runs whole rather than some test files with its ``recorded`` seed ("" when it need not).

    A partial run keeps the other files' data, measured with the seed the
    worker last ran with, so the files it runs again must use that seed too
    (:func:`covsplit.rerun.plan`); a fresh seed per run is not a reason.
    """
    others = sorted(set(shuffled_by) - SUBSET_FAITHFUL)
    if others:
        return f"its tests are shuffled by {', '.join(others)}: a part run again would run in another order"
    if not isinstance(recorded, int):
        return "its tests are shuffled, and its last run recorded no seed to run a part again with"
    return seed_differs(recorded, given_seed(environ))


def seeds(records: Iterable[Mapping[str, Any]]) -> dict[int, list[str]]:
    """The seeds the workers' runs were shuffled with, each with the workers that used it (none: not shuffled)."""
    used: dict[int, list[str]] = {}
    for record in records:
        seed = record.get("seed")
        if isinstance(seed, int) and record.get("shuffled_by"):
            used.setdefault(seed, []).append(str(record.get("worker") or record.get("name") or "?"))
    return used


def describe(records: Iterable[Mapping[str, Any]], make: Callable[[str], str]) -> str:
    """What the report and the verdict say about a shuffled suite ("" when no worker's tests were shuffled).

    ``make`` spells a make target for this config (``Invocation.make``).
    """
    records = list(records)
    used = seeds(records)
    if not used:
        return ""
    plugins = sorted({str(p) for r in records if r.get("seed") is not None for p in r.get("shuffled_by") or []})
    # The seed most workers used: the one to repeat.
    main = max(used, key=lambda seed: (len(used[seed]), seed))
    if len(used) == 1:
        which = f"seed {main} in every worker that ran shuffled"
    else:
        which = "seeds " + "; ".join(f"{seed} ({', '.join(names)})" for seed, names in sorted(used.items()))
        which += ": workers reused from earlier runs keep the seed they ran with"
    return (
        f"the tests ran in an order {' and '.join(plugins)} shuffled, with {which}; "
        f"{make(f'coverage-all SEED={main}')} repeats that order"
        f"{'' if len(used) == 1 else ' (and runs the workers of other seeds again)'}. "
        "Such a suite's coverage varies between runs by design: another seed runs the tests in another order, "
        "with other random inputs."
    )
