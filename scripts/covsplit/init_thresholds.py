"""Which coverage gate ``init`` writes: the one the project chose, read the way its tools read it.

Every project tried failed its first ``make coverage-all`` on covsplit's
80% line / 90% branch defaults, a rule none of them chose.  Many declare
their own: coverage.py's ``fail_under`` (``[tool.coverage.report]`` in
pyproject.toml, ``[report]`` in .coveragerc, ``[coverage:report]`` in
setup.cfg or tox.ini) or pytest-cov's ``--cov-fail-under`` in pytest's
addopts, which wins over coverage.py's for a ``pytest`` run (pytest-cov
falls back to coverage.py's only when the option is not given).

That number gates coverage.py's *total*: statements and branches together
when branch measurement is on, rounded to ``precision`` (or the threshold's
own decimals).  So it is carried over with that meaning, as
``[thresholds] total`` with its precision and branch setting
(covsplit.gates computes it as coverage.py does), never as a line gate.

coverage.py's own reader finds the file (its order: .coveragerc,
.coveragerc.toml, setup.cfg, tox.ini, pyproject.toml; the first that holds
coverage settings wins; pytest-cov's ``--cov-config`` names another):
``init`` runs where coverage.py is installed (covsplit pins it).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# coverage.py's report section, as each kind of file names it.
_SECTIONS = {
    "pyproject.toml": "[tool.coverage.report]",
    "setup.cfg": "[coverage:report]",
    "tox.ini": "[coverage:report]",
}


@dataclass(frozen=True)
class Threshold:
    """The project's own gate, as ``[thresholds]`` writes it, and where it was declared."""

    total: float
    precision: int
    branch: bool
    origin: str

    def toml_lines(self) -> list[str]:
        """The ``[thresholds]`` table's lines."""
        origin = self.origin.replace("\\", "\\\\").replace('"', '\\"')
        return [
            "[thresholds]",
            "# The project's own gate, carried over by `make init` with coverage.py's meaning: the total of",
            "# statements and branches (when total_branch), rounded to total_precision decimals, against total.",
            f"total = {self.total:g}",
            f"total_precision = {self.precision}",
            f"total_branch = {'true' if self.branch else 'false'}",
            f'total_from = "{origin}"',
        ]


@dataclass(frozen=True)
class Found:
    """What ``init`` learnt: the project's gate, or None and why (a note, or a problem to check)."""

    threshold: Threshold | None
    why: str
    guess: bool = False
    # What the project's own total measures besides its source packages (its tests, say): covsplit's does not.
    also_measured: tuple[str, ...] = ()


def _option(args: Sequence[str], name: str) -> str | None:
    """The last value of ``name`` in ``args``, as ``--name=value`` or ``--name value`` (argparse's last wins)."""
    value = None
    for index, arg in enumerate(args):
        if arg.startswith(f"{name}="):
            value = arg.split("=", 1)[1]
        elif arg == name and index + 1 < len(args):
            value = args[index + 1]
    return value


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def coverage_config(root: Path, rcfile: str | None) -> tuple[Any, str]:
    """coverage.py's configuration of the project at ``root`` as coverage.py reads it; or None and the error."""
    from coverage.config import read_coverage_config
    from coverage.exceptions import ConfigError

    saved = os.environ.pop("COVERAGE_RCFILE", None)
    try:
        with contextlib.chdir(root):
            return read_coverage_config(config_file=rcfile or True, warn=lambda _message: None), ""
    except (ConfigError, ValueError, OSError) as exc:
        return None, str(exc)
    finally:
        if saved is not None:
            os.environ["COVERAGE_RCFILE"] = saved


def _where(root: Path, config_file: str | None, key: str) -> str:
    """``pyproject.toml [tool.coverage.report] fail_under``: the file (relative to root), its section and key."""
    if not config_file:
        return key
    path = Path(config_file)
    name = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    return f"{name} {_SECTIONS.get(path.name, '[report]')} {key}"


def _also_measured(cov: Any, addopts: Sequence[str], source: Sequence[str]) -> tuple[str, ...]:
    """What the project measures (``--cov=``, ``source``, ``source_pkgs``) that is not one of init's packages."""
    named = [arg.split("=", 1)[1] for arg in addopts if arg.startswith("--cov=")]
    named += [str(item) for item in (*(cov.source or ()), *(cov.source_pkgs or ()))]
    top = {package.split(".")[0] for package in source}
    extra = [
        item for item in named if item and item not in (".", "./") and Path(item).name.split(".")[0] not in top
    ]  # fmt: skip
    return tuple(dict.fromkeys(extra))


def read(root: Path, ini_source: str, addopts: Sequence[str], source: Sequence[str] = ()) -> Found:
    """The gate the project declares, if any: ``--cov-fail-under`` first, as pytest-cov reads it, then coverage.py's."""
    root = root.resolve()
    cov, error = coverage_config(root, _option(addopts, "--cov-config"))
    if cov is None:
        return Found(None, f"coverage.py cannot read the project's configuration ({error}): covsplit's defaults", True)
    option = _option(addopts, "--cov-fail-under")
    if option is not None:
        total = _number(option)
        if total is None or not 0 <= total <= 100:
            why = f"--cov-fail-under={option} in its addopts ({ini_source}) is not a percentage: covsplit's defaults"
            return Found(None, why, True)
        precision_text = _option(addopts, "--cov-precision")
        precision = int(precision_text) if precision_text and precision_text.isdigit() else int(cov.precision)
        branch = "--cov-branch" in addopts or bool(cov.branch)
        origin = f"{ini_source} addopts --cov-fail-under"
    elif cov.fail_under:
        total, precision, branch = float(cov.fail_under), int(cov.precision), bool(cov.branch)
        origin = _where(root, cov.config_file, "fail_under")
        if not 0 <= total <= 100:
            return Found(None, f"{origin} = {total:g} is outside 0-100: covsplit's defaults", True)
    else:
        return Found(None, "")
    threshold = Threshold(total, precision, branch, origin)
    measured = "statements and branches together" if branch else "statements"
    why = (
        f"total = {total:g}: the project's own gate ({origin}), coverage.py's total of {measured} rounded to "
        f"{precision} decimal(s), as its fail_under gates it; covsplit's line/branch defaults are not added"
    )
    return Found(threshold, why, also_measured=_also_measured(cov, addopts, source) if source else ())
