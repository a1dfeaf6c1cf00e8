"""Helpers of the noxfile that decide where virtualenvs live."""

from __future__ import annotations

import compileall
import os
import subprocess
import sys
from pathlib import Path

from covsplit.nox_support import envdir_name, install_calls, seed_bytecode_prefix


def test_each_config_gets_its_own_virtualenv_folder(tmp_path: Path) -> None:
    a = envdir_name(tmp_path / "a" / "workers.toml", tmp_path / "proj")
    b = envdir_name(tmp_path / "b" / "workers.toml", tmp_path / "proj")
    assert a.startswith("proj-") and b.startswith("proj-") and a != b
    assert envdir_name(tmp_path / "a" / "workers.toml", tmp_path / "proj") == a  # stable


def test_groups_that_only_name_requirements_share_one_install_call() -> None:
    groups = [("-e", "."), ("-r", "requirements-test.txt"), ("hypothesis",), ("--requirement=more.txt",)]
    assert install_calls(groups) == [["-e", ".", "-r", "requirements-test.txt", "hypothesis", "--requirement=more.txt"]]


def test_a_group_with_another_option_keeps_its_own_call_and_its_place() -> None:
    groups = [("-e", "."), ("--no-deps", "vendored"), ("pympler",), ("cloudpickle",)]
    assert install_calls(groups) == [["-e", "."], ["--no-deps", "vendored"], ["pympler", "cloudpickle"]]
    assert install_calls([]) == []


def test_python_reads_the_standard_library_bytecode_seeded_into_a_pycache_prefix(tmp_path: Path) -> None:
    # A "standard library" with the compiled module an installed Python ships beside it.
    stdlib = tmp_path / "lib"
    (stdlib / "pkg").mkdir(parents=True)
    (stdlib / "pkg" / "__init__.py").write_text("")
    (stdlib / "pkg" / "mod.py").write_text("VALUE = 1\n")
    compileall.compile_dir(stdlib, quiet=1)
    prefix = tmp_path / "pycache"
    assert seed_bytecode_prefix(prefix, stdlib) == 2
    seeded = prefix / stdlib.relative_to(stdlib.anchor) / "pkg" / f"mod.{sys.implementation.cache_tag}.pyc"
    before = seeded.stat().st_ino
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(prefix), "PYTHONDONTWRITEBYTECODE": "", "PYTHONPATH": str(stdlib)}
    subprocess.run([sys.executable, "-c", "import pkg.mod"], env=env, check=True)
    # Python used the seeded file: had it looked elsewhere or found it stale, it would have written a new one.
    assert seeded.stat().st_ino == before
    assert sorted(p.name for p in seeded.parent.iterdir()) == sorted(
        [f"__init__.{sys.implementation.cache_tag}.pyc", seeded.name]
    )
    # Seeding again links nothing twice.
    assert seed_bytecode_prefix(prefix, stdlib) == 0
