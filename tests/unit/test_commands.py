"""Unit tests of covsplit.commands: the pytest command a worker runs, its environment, and the line a person pastes."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from covsplit import commands, config


def load(tmp_path: Path, project: str = "", worker: str = "") -> config.Config:
    (tmp_path / "proj" / "pkg").mkdir(parents=True)
    (tmp_path / "proj" / "pkg" / "m.py").write_text("X = 1\n")
    (tmp_path / "proj" / "tests").mkdir()
    (tmp_path / "proj" / "tests" / "test_m.py").write_text("def test_m():\n    pass\n")
    (tmp_path / "workers.toml").write_text(
        f'[project]\nroot = "proj"\nsource = ["pkg"]\ntests = "tests"\n{project}\n'
        f'[workers.w1]\ntitle = "Pkg"\nmodules = ["pkg"]\ntests = ["tests/test_m.py"]\n{worker}\n'
    )
    return config.load(tmp_path / "workers.toml")


def command(cfg: config.Config, processes: int = 0) -> list[str]:
    return commands.pytest_command(cfg, cfg.workers[0], Path("/o/j.xml"), Path("/o/d.json"), "py", processes)


def test_a_worker_runs_its_tests_and_measures_every_source_package(tmp_path: Path) -> None:
    argv = command(load(tmp_path))
    assert argv[:4] == ["py", "-m", "pytest", "tests/test_m.py"]
    for option in (
        "--cov=pkg",
        "--cov-branch",
        "--cov-report=",
        "--junitxml=/o/j.xml",
        "--covsplit-durations=/o/d.json",
    ):
        assert option in argv
    # Options only some workers need are absent unless asked for.
    assert not any(a.startswith(("--timeout", "--covsplit-schedule")) or a == "-n" for a in argv)


def test_xdist_timeouts_and_the_projects_own_arguments_come_when_configured(tmp_path: Path) -> None:
    cfg = load(tmp_path, project='pytest_args = ["-x", "-k", "fast"]', worker="test_timeout = 30")
    argv = command(cfg, processes=2)
    assert "--timeout=30" in argv and argv[argv.index("-n") + 1] == "2"
    # The project's arguments come last: they may override what comes before.
    assert argv[-3:] == ["-x", "-k", "fast"]
    assert "-n" not in command(cfg, processes=1)


def test_the_environment_gives_each_worker_its_data_file_and_the_plugins(tmp_path: Path) -> None:
    cfg = load(tmp_path, project='[project.env]\nMY_FLAG = "1"')
    scripts = str(commands.SCRIPTS_DIR)
    base = {"PATH": "/bin", "PYTHONPATH": os.pathsep.join(["/a", scripts, "/b"])}
    env = commands.pytest_environment(cfg, Path("/o/w1.coverage"), base)
    assert env["COVERAGE_FILE"] == "/o/w1.coverage" and env["MY_FLAG"] == "1" and env["PATH"] == "/bin"
    # covsplit's own folder first, once; the caller's entries kept in order.
    assert env["PYTHONPATH"].split(os.pathsep) == [scripts, "/a", "/b"]
    assert base["PYTHONPATH"] == os.pathsep.join(["/a", scripts, "/b"])  # the caller's mapping is not changed


def test_the_reproduce_line_quotes_every_part(tmp_path: Path) -> None:
    cfg = load(tmp_path, project='[project.env]\nGREETING = "hello world"')
    line = commands.command_line(cfg, ["py", "-m", "pytest", "it's.py"], Path("/o/w 1.coverage"))
    assert line.startswith(
        f"cd {shlex.quote(str(cfg.root))} && GREETING='hello world' COVERAGE_FILE='/o/w 1.coverage' "
    )
    assert line.endswith(f"py -m pytest {shlex.quote(chr(39).join(['it', 's.py']))}")
    assert shlex.split(line.split(" && ", 1)[1])[-1] == "it's.py"


def test_a_readable_line_makes_the_outputs_relative_to_the_project(tmp_path: Path) -> None:
    cfg = load(tmp_path)
    paths = cfg.layout.worker("w1")
    line = commands.planned_command(cfg, cfg.workers[0])
    assert str(paths.junit.parent) + "/" in line
    readable = commands.readable(cfg, line)
    assert str(paths.junit.parent) + "/" not in readable
    assert f"../{paths.junit.parent.name}/.{paths.junit.name}.partial" in readable
    # covsplit's own checkout is no part of the project: it stays absolute.
    assert str(commands.SCRIPTS_DIR) in readable


def test_files_pytest_writes_late_get_a_hidden_partial_name() -> None:
    assert commands.partial_path(Path("/o/w1_junit.xml")) == Path("/o/.w1_junit.xml.partial")


def test_commands_name_their_config_unless_it_is_the_default(tmp_path: Path) -> None:
    other = commands.Invocation("/x/my split/workers.toml")
    assert other.nox("-s", "w1") == "COVSPLIT_CONFIG='/x/my split/workers.toml' nox -s w1"
    assert other.make("coverage-all") == "make coverage-all CONFIG='/x/my split/workers.toml'"
    assert commands.Invocation().nox("-s", "w1") == "nox -s w1"
    assert commands.Invocation().make("plan") == "make plan"
    assert commands.invocation(load(tmp_path)).config == str(tmp_path / "workers.toml")


def test_each_worker_has_a_temporary_root_of_its_own(tmp_path: Path) -> None:
    # pytest removes old tmp_path folders under one root as a session ends: workers at once must not share it.
    cfg = load(tmp_path)
    first, again = commands.own_temp_root(cfg, "w1"), commands.own_temp_root(cfg, "w1")
    other = commands.own_temp_root(cfg, "w2")
    assert first == again and first != other and first.is_dir() and other.is_dir()
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    another = commands.own_temp_root(load(elsewhere), "w1")
    assert another != first  # another config's worker1 is another worker
    for folder in (first, other, another):
        folder.rmdir()
