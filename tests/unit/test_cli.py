"""The one command-line parser: every command, its options, --config before or after the command."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from covsplit import cli

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_CONFIG = str(REPO / "workers.toml")


@pytest.mark.parametrize(
    "argv",
    [["--config", EXAMPLE_CONFIG, "validate"], ["validate", "--config", EXAMPLE_CONFIG]],
    ids=["before", "after"],
)
def test_config_is_accepted_before_or_after_the_command(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("worker1: ")


def test_every_command_is_in_the_one_parser() -> None:
    commands = cli.parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert set(commands) == {
        "validate", "workers", "jobs", "pending", "matrix", "verdict", "worker-reports", "aggregate", "report",
        "plan", "check", "init", "diagnose",
    }  # fmt: skip
    plan = cli.parser().parse_args(["plan", "--workers", "3", "--by", "duration", "--dry-run"])
    assert (plan.workers, plan.by, plan.dry_run) == (3, "duration", True)


@pytest.mark.parametrize("argv", [["plan", "--by", "lines"], ["check", "--workers", "2"], ["report", "--bogus"]])
def test_unknown_options_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["--config", EXAMPLE_CONFIG, *argv])
    assert exc.value.code == 2
    assert "usage: covsplit" in capsys.readouterr().err


def test_suggested_commands_carry_the_config_unless_it_is_the_default(tmp_path: Path) -> None:
    from covsplit import commands, config

    assert commands.invocation(config.load(EXAMPLE_CONFIG)).nox("-s", "worker1") == "nox -s worker1"
    assert commands.invocation(config.load(EXAMPLE_CONFIG)).make("coverage-all") == "make coverage-all"
    other = commands.Invocation("/my repo/workers.toml")
    assert other.nox("-s", "worker2") == "COVSPLIT_CONFIG='/my repo/workers.toml' nox -s worker2"
    assert other.make("coverage-all") == "make coverage-all CONFIG='/my repo/workers.toml'"


def test_every_command_has_a_handler() -> None:
    subparsers = next(a for a in cli.parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(subparsers.choices) == set(cli.HANDLERS) | set(cli._READS_ITSELF)
    assert not set(cli.HANDLERS) & set(cli._READS_ITSELF)
