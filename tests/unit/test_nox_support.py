"""Helpers of the noxfile that decide where virtualenvs live."""

from __future__ import annotations

from pathlib import Path

from covsplit.nox_support import envdir_name


def test_each_config_gets_its_own_virtualenv_folder(tmp_path: Path) -> None:
    a = envdir_name(tmp_path / "a" / "workers.toml", tmp_path / "proj")
    b = envdir_name(tmp_path / "b" / "workers.toml", tmp_path / "proj")
    assert a.startswith("proj-") and b.startswith("proj-") and a != b
    assert envdir_name(tmp_path / "a" / "workers.toml", tmp_path / "proj") == a  # stable
