"""Feature flags with environment overrides and deterministic rollouts.

Resolution order for :meth:`FlagRegistry.is_enabled`:

1. an active :meth:`FlagRegistry.override` context,
2. the environment variable ``COVSPLIT_FLAG_<NAME>``,
3. percentage rollout keyed on ``subject`` (if the flag has one),
4. the flag's default.
"""

from __future__ import annotations

import functools
import json
import os
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
ENV_PREFIX = "COVSPLIT_FLAG_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class UnknownFlagError(KeyError):
    pass


def parse_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"not a boolean: {value!r}")


@dataclass(frozen=True)
class Flag:
    name: str
    default: bool = False
    description: str = ""
    rollout_percent: float | None = None

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"flag names must be identifiers: {self.name!r}")
        if self.rollout_percent is not None and not 0 <= self.rollout_percent <= 100:
            raise ValueError("rollout_percent must be within [0, 100]")

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.name.upper()


def bucket(flag_name: str, subject: str) -> float:
    """Stable pseudo-random bucket in ``[0, 100)`` for a subject."""
    return zlib.crc32(f"{flag_name}:{subject}".encode()) % 10000 / 100.0


class FlagRegistry:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._flags: dict[str, Flag] = {}
        self._overrides: list[dict[str, bool]] = []
        self._environ = environ if environ is not None else os.environ

    def register(self, flag: Flag) -> Flag:
        if flag.name in self._flags:
            raise ValueError(f"flag {flag.name!r} already registered")
        self._flags[flag.name] = flag
        return flag

    def get(self, name: str) -> Flag:
        try:
            return self._flags[name]
        except KeyError:
            raise UnknownFlagError(name) from None

    def names(self) -> list[str]:
        return sorted(self._flags)

    def is_enabled(self, name: str, subject: str | None = None) -> bool:
        flag = self.get(name)
        for layer in reversed(self._overrides):
            if name in layer:
                return layer[name]
        raw = self._environ.get(flag.env_var)
        if raw is not None:
            return parse_bool(raw)
        if flag.rollout_percent is not None and subject is not None:
            return bucket(name, subject) < flag.rollout_percent
        return flag.default

    @contextmanager
    def override(self, **values: bool) -> Iterator[None]:
        for name in values:
            self.get(name)
        self._overrides.append(dict(values))
        try:
            yield
        finally:
            self._overrides.pop()

    def snapshot(self, subject: str | None = None) -> dict[str, bool]:
        return {name: self.is_enabled(name, subject) for name in self.names()}

    def gated(self, name: str, fallback: Callable[..., Any] | None = None) -> Callable[[F], F]:
        """Decorator: call the function only when ``name`` is enabled.

        When disabled, ``fallback`` is called instead (or ``None`` returned).
        """

        def decorator(fn: F) -> F:
            @functools.wraps(fn)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                if self.is_enabled(name):
                    return fn(*args, **kwargs)
                if fallback is not None:
                    return fallback(*args, **kwargs)
                return None

            return wrapper  # type: ignore[return-value]

        return decorator


DEFAULT_FLAGS = (
    Flag("fused_attention", True, "use the fused attention kernel"),
    Flag("kd_temperature_schedule", False, "anneal the KD temperature"),
    Flag("teacher_cache", True, "cache teacher responses on disk"),
    Flag("new_tokenizer", False, "byte-fallback tokenizer", rollout_percent=10.0),
)


def default_registry(environ: Mapping[str, str] | None = None) -> FlagRegistry:
    registry = FlagRegistry(environ)
    for flag in DEFAULT_FLAGS:
        registry.register(flag)
    return registry


def load_overrides(path: str | Path, registry: FlagRegistry) -> dict[str, bool]:
    """Read ``{"flag": true, ...}`` from a JSON file, validating names and values."""
    data = json.loads(Path(path).read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object")
    overrides = {}
    for name, value in data.items():
        registry.get(name)
        if isinstance(value, str):
            value = parse_bool(value)
        elif not isinstance(value, bool):
            raise ValueError(f"{path}: flag {name!r} must be a boolean")
        overrides[name] = value
    return overrides


def describe(registry: FlagRegistry) -> str:
    """One line per flag: name, state, rollout and description."""
    lines = []
    for name in registry.names():
        flag = registry.get(name)
        state = "on" if registry.is_enabled(name) else "off"
        rollout = f" ({flag.rollout_percent:g}% rollout)" if flag.rollout_percent is not None else ""
        lines.append(f"{name:<28} {state}{rollout}  {flag.description}".rstrip())
    return "\n".join(lines)
