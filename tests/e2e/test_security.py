"""Commands are argument lists, never shell strings: a value from workers.toml cannot run anything.

Each payload would create a marker file if any shell ever evaluated it.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from e2e_support import FIXTURES, copy_suite

pytestmark = pytest.mark.e2e


def payloads(folder: Path) -> dict[str, str]:
    return {
        "dollar": f"$(touch {folder / 'by-dollar'})",
        "backtick": f"`touch {folder / 'by-backtick'}`",
        "semicolon": f"x; touch {folder / 'by-semicolon'}",
    }


def test_env_values_and_pytest_arguments_run_nothing(tmp_path: Path, nox_envdir: Path) -> None:
    suite = copy_suite(tmp_path, nox_envdir, FIXTURES / "crossing")
    evil = payloads(tmp_path)
    text = suite.config.read_text().replace(
        'tests = "tests"',
        'tests = "tests"\n'
        f"pytest_args = ['-k', {evil['dollar']!r} + ' or test_x', '-o', {('junit_suite_name=' + evil['backtick'])!r}]"
        "\n\n[project.env]\n"
        f"EVIL = {evil['semicolon']!r}\nEVIL2 = {evil['dollar']!r}\n",
        1,
    )
    suite.config.write_text(text.replace("' + ' or test_x'", " or test_x'"))
    suite.nox("-s", "worker1", check=False)

    assert not list(tmp_path.glob("by-*")), "a shell evaluated a value from workers.toml"
    status = suite.read_json("worker1_status.json")
    # The values reached pytest as single arguments...
    assert f"{evil['dollar']} or test_x" in status["command"]
    # ...and the line shown to reproduce the run quotes them: pasted in a shell, it runs nothing else.
    words = shlex.split(status["command_line"])
    assert f"EVIL={evil['semicolon']}" in words and f"EVIL2={evil['dollar']}" in words


def test_install_entries_and_names_run_nothing(tmp_path: Path, nox_envdir: Path) -> None:
    suite = copy_suite(tmp_path, nox_envdir, FIXTURES / "tiny")
    evil = payloads(tmp_path)
    suite.config.write_text(
        suite.config.read_text().replace('install = ["-e ."]', f"install = ['-e .', {evil['semicolon']!r}]")
    )
    result = suite.nox("-s", "worker1", check=False)
    assert result.returncode != 0  # uv refuses the odd requirement; no shell ran it
    assert not list(tmp_path.glob("by-*"))
    # Module names and test paths with shell characters are refused before anything runs.
    original = FIXTURES.joinpath("tiny", "workers.toml").read_text().replace('root = "."', 'root = "project"')
    for old, new, key in (
        ('modules = ["tiny.core"]', f"modules = [{evil['dollar']!r}]", "workers.worker1.modules[0]"),
        ('tests = ["tests/test_maths.py"]', f"tests = [{evil['backtick']!r}]", "workers.worker1.tests[0]"),
    ):
        suite.config.write_text(original.replace(old, new))
        refused = suite.nox("-s", "worker1", check=False)
        assert refused.returncode == 2 and key in refused.stderr, refused.stderr
    assert not list(tmp_path.glob("by-*"))
