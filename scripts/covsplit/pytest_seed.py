"""pytest plugin: the run's one seed for whichever plugin shuffles the tests (covsplit.shuffle).

Set in ``pytest_configure`` before the shuffling plugins read it (this
hook runs first): pytest-randomly takes ``randomly_seed`` as given instead
of drawing its own; pytest-random-order takes ``random_order_seed`` only
where the project enabled it (``--random-order``, a bucket, or a seed of
its own), since a seed alone would switch it on.  A seed the project fixed
in its own options is kept: it is repeatable already.  pytest-xdist's
processes get the seed from these plugins' own hooks.  What was used is
written as JSON for the driver: ``{"seed": int | null, "shuffled_by": [...]}``.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from covsplit.shuffle import SHUFFLERS

_DEFAULT = "default"  # how both plugins spell "no seed given"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("covsplit")
    group.addoption("--covsplit-seed", type=int, default=None, help="the seed every shuffling plugin uses")
    group.addoption("--covsplit-shuffle", default=None, help="write the seed used and the plugins that used it here")


def _unset(value: Any) -> bool:
    return value is None or str(value) == _DEFAULT or str(value).startswith(f"{_DEFAULT}:")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    seed = config.getoption("covsplit_seed")
    if seed is None or hasattr(config, "workerinput"):
        return
    used: list[str] = []
    chosen: Any = seed
    if config.pluginmanager.hasplugin("randomly"):
        own = config.getoption("randomly_seed", None)
        if _unset(own):
            config.option.randomly_seed = seed
        else:
            chosen = own
        used.append(SHUFFLERS["randomly"])
    if config.pluginmanager.hasplugin("random_order"):
        own = config.getoption("random_order_seed", None)
        enabled = config.getoption("random_order_enabled", False) or not _unset(
            config.getoption("random_order_bucket", None)
        )
        if not _unset(own):
            chosen = own
            used.append(SHUFFLERS["random_order"])
        elif enabled:
            config.option.random_order_seed = str(seed)
            used.append(SHUFFLERS["random_order"])
    target = config.getoption("covsplit_shuffle")
    if target:
        try:
            recorded = int(chosen) if used else None
        except (TypeError, ValueError):
            recorded = None  # "last": the plugin's cache decides, which covsplit turns off
        partial = f"{target}.partial"
        with open(partial, "w", encoding="utf-8") as handle:
            json.dump({"seed": recorded, "shuffled_by": used}, handle)
        os.replace(partial, target)
