"""Type-checking of TOML values, each mistake a :class:`ConfigError` naming the file, the key and the fix.

The checks the option table (``config_options.OPTIONS``) names, and the
errors they raise, apart from what the options are: as coverage.py keeps
its TOML reading in ``tomlconfig.py``.  Standard library only.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

AUTO = "auto"


class ConfigError(Exception):
    """A ``workers.toml`` problem, phrased for the person who has to fix it.

    One error may carry several problems (``problems``): validation goes on
    past the first, so a user fixes six missing test paths in one go, not in
    six runs.  ``key``, ``problem`` and ``fix`` are the first one's.
    """

    def __init__(self, path: Path, key: str, problem: str, fix: str) -> None:
        self.path = path
        self.key = key
        self.problem = problem
        self.fix = fix
        self.problems: list[ConfigError] = [self]
        super().__init__(f"{path}: {key}: {problem}\n  fix: {fix}")

    @classmethod
    def of(cls, problems: list[ConfigError]) -> ConfigError:
        """One error that lists every problem found."""
        first = problems[0]
        error = cls(first.path, first.key, first.problem, first.fix)
        error.problems = list(problems)
        error.args = ("\n".join(str(problem) for problem in problems),)
        return error


class Problems:
    """Collects problems so that validation can go on past each one."""

    def __init__(self) -> None:
        self.found: list[ConfigError] = []

    def attempt(self, check: Callable[[], Any], default: Any = None) -> Any:
        try:
            return check()
        except ConfigError as exc:
            self.found.extend(exc.problems)
            return default

    def add(self, error: ConfigError) -> None:
        self.found.extend(error.problems)

    def raise_any(self) -> None:
        if self.found:
            raise ConfigError.of(self.found)


def expect(path: Path, key: str, value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    # bool is an int in Python; a threshold of `true` is a mistake, not 1.
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise ConfigError(path, key, f"expected {what}, got {value!r}", f"set {key} to {what}")
    if not isinstance(value, kind):
        raise ConfigError(path, key, f"expected {what}, got {type(value).__name__} {value!r}", f"set {key} to {what}")
    return value


def string_list(path: Path, key: str, value: Any) -> tuple[str, ...]:
    expect(path, key, value, list, "a list of strings")
    for item in value:
        expect(path, key, item, str, "a list of strings")
    return tuple(value)


def unknown_keys(path: Path, table: str, data: dict[str, Any], allowed: Iterable[str]) -> None:
    """Every unknown key is its own problem, with the known key it most likely meant."""
    allowed = set(allowed)
    errors = []
    for unknown in sorted(set(data) - allowed):
        guess = difflib.get_close_matches(unknown, sorted(allowed), n=1, cutoff=0.6)
        fix = f"did you mean {guess[0]!r}?" if guess else f"remove it or use one of: {', '.join(sorted(allowed))}"
        errors.append(ConfigError(path, f"{table}.{unknown}" if table else unknown, "unknown key", fix))
    if errors:
        raise ConfigError.of(errors)


def percent(path: Path, key: str, value: Any, default: float) -> float:
    if value is None:
        return default
    number = float(expect(path, key, value, (int, float), "a number from 0 to 100"))
    if not 0 <= number <= 100:
        raise ConfigError(path, key, f"{number:g} is outside 0-100", f"set {key} to a percentage from 0 to 100")
    return number


def positive(path: Path, key: str, value: Any, default: float) -> float:
    if value is None:
        return default
    number = float(expect(path, key, value, (int, float), "a positive number of seconds"))
    if number <= 0:
        raise ConfigError(path, key, f"{number:g} is not positive", f"set {key} to a positive number")
    return number


def optional_seconds(path: Path, key: str, value: Any, default: float | None) -> float | None:
    return default if value is None else positive(path, key, value, 0.0)


_MEMORY_UNITS = {"mib": 1, "m": 1, "gib": 1024, "g": 1024}
_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)


def memory(path: Path, key: str, value: Any, default: int | None) -> int | None:
    """A memory size in MiB: a number of MiB, or a string such as "512MiB" or "4GiB"."""
    if value is None:
        return default
    fix = f'set {key} to a number of MiB or a size such as "4GiB"'
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(path, key, f"expected a memory size, got {value!r}", fix)
    match = _MEMORY.match(str(value))
    unit = (match.group(2) or "mib").lower() if match else ""
    if match is None or unit not in _MEMORY_UNITS:
        raise ConfigError(path, key, f"{value!r} is not a memory size", fix)
    mib = int(float(match.group(1)) * _MEMORY_UNITS[unit])
    if mib < 64:
        raise ConfigError(path, key, f"{value!r} is below 64 MiB: Python alone needs more", fix)
    return mib


def xdist(path: Path, key: str, value: Any, default: int | str) -> int | str:
    if value is None:
        return default
    if value == AUTO:
        return AUTO
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(
            path, key, f'expected 0, a number of processes or "auto", got {value!r}', f'set {key} = "auto" or 2'
        )
    return value


@dataclass(frozen=True)
class Option:
    """One key of ``workers.toml``: its table, default, check, whether workers inherit it, and what it means.

    Declared once (as coverage.py's ``CONFIG_FILE_OPTIONS``): the unknown-key
    hint, the parsing of ``[project]`` and ``[thresholds]`` (each key by its
    ``check``), of the options a worker inherits, and README's reference
    table (``config_options.reference_table``) all come from here.
    """

    table: str  # "project", "thresholds" or "workers" (each [workers.NAME])
    key: str
    default: Any  # the value when the key is left out (REQUIRED: it must be given)
    shown: str  # the default as README shows it
    help: str
    # (path, key, value or None when left out, default) -> the checked value, or ConfigError naming key and fix.
    check: Callable[[Path, str, Any, Any], Any] | None = None
    # A worker may set it too, overriding [project]'s (Worker.<attribute>).
    inherited: bool = False
    attribute: str = ""
