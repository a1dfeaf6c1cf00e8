"""The one command-line parser: every command, its options, --config before or after the command."""

from __future__ import annotations

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
        "validate", "workers", "jobs", "matrix", "verdict", "worker-reports", "aggregate", "report", "plan", "check",
    }  # fmt: skip
    plan = cli.parser().parse_args(["plan", "--workers", "3", "--by", "duration", "--dry-run"])
    assert (plan.workers, plan.by, plan.dry_run) == (3, "duration", True)


@pytest.mark.parametrize("argv", [["plan", "--by", "lines"], ["check", "--workers", "2"], ["report", "--bogus"]])
def test_unknown_options_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["--config", EXAMPLE_CONFIG, *argv])
    assert exc.value.code == 2
    assert "usage: covsplit" in capsys.readouterr().err
