"""What ``init`` reads a repository with: its pyproject.toml, ini files and pytest settings, and what it says.

The readers never raise: a file that is missing or malformed reads as
empty, and init still writes its best guess.  :class:`Survey` collects
each choice with its reason (a :class:`Choice`), which ``init`` prints and
marks ``# check:`` in the file where it guessed.
"""

from __future__ import annotations

import configparser
import contextlib
import shlex
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from covsplit.init_thresholds import Threshold


@dataclass(frozen=True)
class Choice:
    """One decision: the key it sets, why, and whether a person should check it (a guess)."""

    key: str
    why: str
    guess: bool = False
    # What the `# check:` mark on the key's line says, when more than "a guess".
    mark: str = ""


@dataclass
class Survey:
    """What a repository declares, as workers.toml needs it."""

    root: Path
    source_dir: str = "."
    source: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    install: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    pytest_args: list[str] = field(default_factory=list)
    # The coverage gate the project declares (covsplit.init_thresholds); None: covsplit's defaults.
    threshold: Threshold | None = None
    choices: list[Choice] = field(default_factory=list)

    def say(self, key: str, why: str, guess: bool = False, mark: str = "") -> None:
        self.choices.append(Choice(key, why, guess, mark))


def read_pyproject(root: Path) -> dict[str, Any]:
    try:
        return tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8-sig"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def read_ini(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    with contextlib.suppress(OSError, configparser.Error):
        parser.read(path, encoding="utf-8")
    return parser


def ini_lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip() and not line.strip().startswith("#")]


def pytest_settings(root: Path, pyproject: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """pytest's ini options and the file they come from, in pytest's own order of precedence."""
    ini = read_ini(root / "pytest.ini")
    if ini.has_section("pytest"):
        return dict(ini["pytest"]), "pytest.ini"
    options = pyproject.get("tool", {}).get("pytest", {}).get("ini_options")
    if isinstance(options, dict):
        return options, "pyproject.toml [tool.pytest.ini_options]"
    for name, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        parser = read_ini(root / name)
        if parser.has_section(section):
            return dict(parser[section]), f"{name} [{section}]"
    return {}, ""


def as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return shlex.split(value)
    return [str(item) for item in value] if isinstance(value, list) else []
