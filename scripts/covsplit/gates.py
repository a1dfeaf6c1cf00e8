"""The coverage gates of a split: which ones, their thresholds, who chose them, and the one place they are built.

A project that declares its own threshold (coverage.py's ``fail_under``,
pytest-cov's ``--cov-fail-under``) chose one number for one figure:
coverage.py's *total*, statements and branches together when branch
measurement is on, rounded to its ``precision``.  ``make init`` carries it
over as ``[thresholds] total`` with that meaning exact, and covsplit's own
line/branch pair (80/90) is then not added on top: those are covsplit's
defaults, for a project that chose nothing.  Each gate says where it comes
from, so a person reading a failed verdict knows whose rule failed and
where to change it.

Standard library only: config.py builds the specs when workers.toml loads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from covsplit.config_options import DEFAULT_BRANCH_THRESHOLD, DEFAULT_LINE_THRESHOLD
from covsplit.numbers import Counts, Gate

DEFAULT_SOURCE = "covsplit's default"
# What a person reads once beside default gates: where to set their own.
DEFAULT_HINT = "covsplit's defaults: set the project's own in [thresholds] of {path} (line, branch or total)"


@dataclass(frozen=True)
class GateSpec:
    """One gate as workers.toml declares it: ``line``, ``branch`` or ``total``, its threshold and who chose it."""

    name: str
    threshold: float
    source: str
    # ``total`` only: coverage.py's precision (decimals the total is rounded to before the comparison), and
    # whether branches count in it (coverage.py's ``branch`` setting).
    precision: int | None = None
    branch: bool = True

    def gate(self, totals: Counts) -> Gate:
        """This gate, measured on ``totals``."""
        if self.name == "total":
            return Gate(
                self.name,
                self.threshold,
                totals.coverage_total(self.branch),
                self.source,
                self.precision if self.precision is not None else 0,
                totals.total_counts(self.branch),
            )
        if self.name == "line":
            return Gate(self.name, self.threshold, totals.line_percent, self.source, None,
                        (totals.covered_lines, totals.statements))  # fmt: skip
        return Gate(self.name, self.threshold, totals.branch_percent, self.source, None,
                    (totals.covered_branches, totals.branches))  # fmt: skip


def declared(file: str, written: Mapping[str, Any], values: Mapping[str, Any]) -> tuple[GateSpec, ...]:
    """The gates of a ``[thresholds]`` table: ``written`` is the table as written, ``values`` as checked.

    ``line`` and ``branch`` default to covsplit's 80 and 90, unless the
    table sets ``total`` (a gate the project chose): then only the gates
    written are kept.
    """
    here = f"{file} [thresholds]"
    specs = []
    for name, default in (("line", DEFAULT_LINE_THRESHOLD), ("branch", DEFAULT_BRANCH_THRESHOLD)):
        if name in written:
            specs.append(GateSpec(name, values.get(name, default), f"{here} {name}"))
        elif "total" not in written:
            specs.append(GateSpec(name, default, DEFAULT_SOURCE))
    if "total" in written and values.get("total") is not None:
        origin = values.get("total_from") or f"{here} total"
        source = f"the project's {origin}" if values.get("total_from") else origin
        specs.append(
            GateSpec(
                "total", values["total"], source, values.get("total_precision", 0), values.get("total_branch", True)
            )
        )
    return tuple(specs)


class Gated(Protocol):
    """What the gates are read from: a :class:`covsplit.config.Config`."""

    @property
    def gate_specs(self) -> tuple[GateSpec, ...]: ...
    @property
    def line_threshold(self) -> float: ...
    @property
    def branch_threshold(self) -> float: ...


def of(cfg: Gated) -> tuple[GateSpec, ...]:
    """The config's gates; a Config made in code without them gets its line/branch pair."""
    if cfg.gate_specs:
        return cfg.gate_specs
    return (GateSpec("line", cfg.line_threshold, ""), GateSpec("branch", cfg.branch_threshold, ""))


def build(cfg: Gated, totals: Counts) -> list[Gate]:
    """The one builder of the gates: every reporter (aggregate, report, verdict) gates ``totals`` through this."""
    return [spec.gate(totals) for spec in of(cfg)]


def file_threshold(specs: tuple[GateSpec, ...], name: str, default: float) -> float:
    """The threshold single files are measured against for ``name`` (line or branch).

    The gate of that name when there is one; else the project's total (the
    one number it chose); else covsplit's default.
    """
    for wanted in (name, "total"):
        for spec in specs:
            if spec.name == wanted:
                return spec.threshold
    return default
