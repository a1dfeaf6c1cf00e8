"""pytest plugin: a worker's coverage options win over the target's ``addopts``.

Real projects put ``--cov=pkg --cov-report=html:htmlcov`` in their pytest
``addopts``.  pytest-cov's ``--cov-reset`` clears the *sources* gathered so
far but keeps every ``--cov-report``, so the target's HTML report would
still be written into the shared ``htmlcov/`` by every worker at once.
This plugin makes ``--cov-reset`` a full reset: only the ``--cov-report``
options given after the last ``--cov-reset`` (the worker's own) are kept.

Loaded with ``-p covsplit.pytest_isolation`` by the worker driver.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence

import pytest


def reports_after_reset(args: Sequence[str]) -> dict[str, str | None] | None:
    """The ``--cov-report`` options after the last ``--cov-reset``, as pytest-cov stores them.

    None when there is no ``--cov-reset`` (then nothing is changed).
    """
    args = [str(arg) for arg in args]
    if "--cov-reset" not in args:
        return None
    start = len(args) - args[::-1].index("--cov-reset")
    reports: dict[str, str | None] = {}
    rest = iter(args[start:])
    for arg in rest:
        if arg == "--cov-report":
            value = next(rest, "")
        elif arg.startswith("--cov-report="):
            value = arg.partition("=")[2]
        else:
            continue
        kind, _, destination = value.partition(":")
        reports[kind] = destination or None
    return reports


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> Generator[None, object, object]:
    # Runs before pytest-cov's own hook of the same name reads the options;
    # ``args`` already holds the ini ``addopts`` and $PYTEST_ADDOPTS in front.
    reports = reports_after_reset(args)
    if reports is not None and hasattr(early_config.known_args_namespace, "cov_report"):
        early_config.known_args_namespace.cov_report = reports
    return (yield)
