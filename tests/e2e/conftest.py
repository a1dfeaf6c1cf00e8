"""Fixtures of the end-to-end tests (helpers are in e2e_support.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def nox_envdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One envdir for the whole run: later tests reuse the virtualenvs earlier ones made.
    return tmp_path_factory.mktemp("nox-envs")
