import pytest
from evaluation.caws_eval import (
    ChangeSet,
    GateStatus,
    WorkingSpec,
    evaluate_change,
    spec_from_dict,
    unused_waivers,
)


def make_change(**overrides):
    values = dict(
        files_changed=3,
        loc_added=120,
        loc_removed=30,
        branch_coverage=0.95,
        mutation_score=0.8,
        tests_added=4,
        criteria_met={"A1", "A2"},
    )
    values.update(overrides)
    return ChangeSet(**values)


SPEC = WorkingSpec("FEAT-1", risk_tier=1, max_files=5, max_loc=200, acceptance=("A1", "A2"))


def test_spec_validation():
    with pytest.raises(ValueError, match="risk tier"):
        WorkingSpec("x", risk_tier=4, max_files=1, max_loc=1)
    with pytest.raises(ValueError, match="positive"):
        WorkingSpec("x", risk_tier=2, max_files=0, max_loc=1)


def test_clean_change_passes_every_gate():
    verdict = evaluate_change(SPEC, make_change())
    assert verdict.passed and verdict.score == 1.0
    assert [g.gate for g in verdict.gates] == [
        "budget.files",
        "budget.loc",
        "quality.coverage",
        "quality.mutation",
        "quality.tests",
        "acceptance.A1",
        "acceptance.A2",
    ]
    assert verdict.render().startswith("CAWS FEAT-1: PASS (100%)")


def test_failures_and_weighted_score():
    change = make_change(files_changed=9, loc_added=400, branch_coverage=0.5, tests_added=0, criteria_met={"A1"})
    verdict = evaluate_change(SPEC, change)
    assert not verdict.passed
    assert {g.gate for g in verdict.failed} == {
        "budget.files",
        "budget.loc",
        "quality.coverage",
        "quality.tests",
        "acceptance.A2",
    }
    # weights: files 1, loc 1, coverage 2, mutation 1, tests 1, A1 1.5, A2 1.5 = 9; passed: 1 + 1.5
    assert verdict.score == pytest.approx(2.5 / 9)
    assert "[x] budget.files" in verdict.render()


def test_waivers_count_half_and_unused_waivers_are_reported():
    spec = WorkingSpec("FEAT-2", 2, 5, 200, waivers=frozenset({"budget.loc", "quality.tests"}))
    verdict = evaluate_change(spec, make_change(loc_added=500))
    loc = next(g for g in verdict.gates if g.gate == "budget.loc")
    assert loc.status is GateStatus.WAIVED and loc.detail.endswith("(waived)")
    assert verdict.passed
    assert "[~] budget.loc" in verdict.render()
    assert unused_waivers(spec, verdict) == ["quality.tests"]


def test_missing_mutation_score_depends_on_tier():
    tier3 = WorkingSpec("LOW", 3, 5, 200)
    verdict = evaluate_change(tier3, make_change(mutation_score=None, tests_added=0, branch_coverage=0.75))
    assert verdict.passed
    assert "quality.tests" not in {g.gate for g in verdict.gates}
    verdict = evaluate_change(SPEC, make_change(mutation_score=None))
    assert [g.gate for g in verdict.failed] == ["quality.mutation"]


def test_spec_from_dict():
    spec = spec_from_dict(
        {
            "id": "FEAT-9",
            "risk_tier": "2",
            "change_budget": {"max_files": 4},
            "acceptance": [{"id": "A1", "given": "..."}, "A2"],
            "waivers": ["budget.loc"],
        }
    )
    assert spec.max_files == 4 and spec.max_loc == 1000
    assert spec.acceptance == ("A1", "A2") and spec.waivers == frozenset({"budget.loc"})
    with pytest.raises(ValueError, match="missing"):
        spec_from_dict({"id": "x"})
