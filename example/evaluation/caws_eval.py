"""CAWS (change acceptance working standard) evaluation.

A change set produced by a coding agent is checked against its working
spec: scope budget, quality gates that tighten with the risk tier, and the
spec's acceptance criteria.  Gates may be waived explicitly.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class GateStatus(enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    WAIVED = "waived"


# risk tier -> (min branch coverage, min mutation score, tests required)
TIER_THRESHOLDS: dict[int, tuple[float, float, bool]] = {
    1: (0.90, 0.70, True),
    2: (0.80, 0.50, True),
    3: (0.70, 0.30, False),
}


@dataclass(frozen=True)
class WorkingSpec:
    spec_id: str
    risk_tier: int
    max_files: int
    max_loc: int
    acceptance: tuple[str, ...] = ()
    waivers: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.risk_tier not in TIER_THRESHOLDS:
            raise ValueError(f"risk tier must be one of {sorted(TIER_THRESHOLDS)}")
        if self.max_files <= 0 or self.max_loc <= 0:
            raise ValueError("budgets must be positive")


@dataclass
class ChangeSet:
    files_changed: int
    loc_added: int
    loc_removed: int
    branch_coverage: float
    mutation_score: float | None = None
    tests_added: int = 0
    criteria_met: set[str] = field(default_factory=set)

    @property
    def loc_delta(self) -> int:
        return self.loc_added + self.loc_removed


@dataclass(frozen=True)
class GateResult:
    gate: str
    status: GateStatus
    detail: str
    weight: float = 1.0


def _gate(spec: WorkingSpec, name: str, ok: bool, detail: str, weight: float = 1.0) -> GateResult:
    if ok:
        return GateResult(name, GateStatus.PASS, detail, weight)
    if name in spec.waivers:
        return GateResult(name, GateStatus.WAIVED, detail + " (waived)", weight)
    return GateResult(name, GateStatus.FAIL, detail, weight)


def evaluate_budget(spec: WorkingSpec, change: ChangeSet) -> list[GateResult]:
    return [
        _gate(
            spec,
            "budget.files",
            change.files_changed <= spec.max_files,
            f"{change.files_changed}/{spec.max_files} files",
        ),
        _gate(spec, "budget.loc", change.loc_delta <= spec.max_loc, f"{change.loc_delta}/{spec.max_loc} lines"),
    ]


def evaluate_quality(spec: WorkingSpec, change: ChangeSet) -> list[GateResult]:
    min_cov, min_mut, tests_required = TIER_THRESHOLDS[spec.risk_tier]
    results = [
        _gate(
            spec,
            "quality.coverage",
            change.branch_coverage >= min_cov,
            f"branch coverage {change.branch_coverage:.0%} (need {min_cov:.0%})",
            weight=2.0,
        )
    ]
    if change.mutation_score is None:
        ok = spec.risk_tier == 3
        results.append(_gate(spec, "quality.mutation", ok, "mutation score not reported"))
    else:
        results.append(
            _gate(
                spec,
                "quality.mutation",
                change.mutation_score >= min_mut,
                f"mutation score {change.mutation_score:.0%} (need {min_mut:.0%})",
            )
        )
    if tests_required:
        results.append(_gate(spec, "quality.tests", change.tests_added > 0, f"{change.tests_added} tests added"))
    return results


def evaluate_acceptance(spec: WorkingSpec, change: ChangeSet) -> list[GateResult]:
    results = []
    for criterion in spec.acceptance:
        met = criterion in change.criteria_met
        results.append(_gate(spec, f"acceptance.{criterion}", met, "met" if met else "not demonstrated", weight=1.5))
    return results


@dataclass
class CawsVerdict:
    spec_id: str
    gates: list[GateResult]

    @property
    def failed(self) -> list[GateResult]:
        return [g for g in self.gates if g.status is GateStatus.FAIL]

    @property
    def passed(self) -> bool:
        return not self.failed

    @property
    def score(self) -> float:
        """Weighted share of gates that passed; waived gates count half."""
        total = sum(g.weight for g in self.gates)
        if total == 0:
            return 1.0
        credit = {GateStatus.PASS: 1.0, GateStatus.WAIVED: 0.5, GateStatus.FAIL: 0.0}
        return sum(g.weight * credit[g.status] for g in self.gates) / total

    def render(self) -> str:
        marks = {GateStatus.PASS: "+", GateStatus.FAIL: "x", GateStatus.WAIVED: "~"}
        lines = [f"CAWS {self.spec_id}: {'PASS' if self.passed else 'FAIL'} ({self.score:.0%})"]
        lines += [f"  [{marks[g.status]}] {g.gate}: {g.detail}" for g in self.gates]
        return "\n".join(lines)


def evaluate_change(spec: WorkingSpec, change: ChangeSet) -> CawsVerdict:
    gates = evaluate_budget(spec, change) + evaluate_quality(spec, change)
    gates += evaluate_acceptance(spec, change)
    return CawsVerdict(spec.spec_id, gates)


def unused_waivers(spec: WorkingSpec, verdict: CawsVerdict) -> list[str]:
    """Waivers that did not waive anything (stale waivers should be removed)."""
    used = {g.gate for g in verdict.gates if g.status is GateStatus.WAIVED}
    return sorted(spec.waivers - used)


def spec_from_dict(data: dict) -> WorkingSpec:
    """Build a :class:`WorkingSpec` from a parsed YAML/JSON document."""
    missing = [k for k in ("id", "risk_tier", "change_budget") if k not in data]
    if missing:
        raise ValueError(f"working spec is missing {missing}")
    budget = data["change_budget"]
    acceptance = tuple(item["id"] if isinstance(item, dict) else str(item) for item in data.get("acceptance", []))
    return WorkingSpec(
        spec_id=str(data["id"]),
        risk_tier=int(data["risk_tier"]),
        max_files=int(budget.get("max_files", 25)),
        max_loc=int(budget.get("max_loc", 1000)),
        acceptance=acceptance,
        waivers=frozenset(data.get("waivers", ())),
    )


@dataclass
class VerdictHistory:
    """Track verdicts across iterations of the same change to spot regressions."""

    verdicts: list[CawsVerdict] = field(default_factory=list)

    def add(self, verdict: CawsVerdict) -> None:
        if self.verdicts and self.verdicts[0].spec_id != verdict.spec_id:
            raise ValueError("history mixes different specs")
        self.verdicts.append(verdict)

    def trend(self) -> str:
        if len(self.verdicts) < 2:
            return "insufficient data"
        delta = self.verdicts[-1].score - self.verdicts[-2].score
        if delta > 1e-9:
            return "improving"
        if delta < -1e-9:
            return "regressing"
        return "flat"

    def newly_failing(self) -> list[str]:
        if len(self.verdicts) < 2:
            return []
        before = {g.gate for g in self.verdicts[-2].failed}
        return sorted(g.gate for g in self.verdicts[-1].failed if g.gate not in before)
