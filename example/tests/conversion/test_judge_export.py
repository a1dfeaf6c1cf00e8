import pytest
from conversion.judge_export import Verdict, close, judge
from conversion.make_toy_block import make_toy_block


def test_identical_functions_pass():
    block = make_toy_block()
    verdict = judge(block.forward, block.forward, [[0.1] * 4, [0.2] * 4])
    assert verdict.passed and verdict.max_abs_diff == 0.0 and verdict.n_cases == 2
    assert verdict.summary().startswith("PASS: 2 cases")


def test_perturbed_candidate_fails():
    def reference(x):
        return [v * 2 for v in x]

    def candidate(x):
        return [v * 2 + (0.5 if x[0] > 0 else 0.0) for v in x]

    verdict = judge(reference, candidate, [[1.0, 1.0], [-1.0, 0.0]])
    assert not verdict.passed and verdict.failures == [0]
    assert verdict.max_abs_diff == pytest.approx(0.5)
    assert "FAIL" in verdict.summary() and "1 failing" in verdict.summary()


def test_length_mismatch_counts_as_failure():
    verdict = judge(lambda x: [1.0], lambda x: [1.0, 2.0], [[0.0]])
    assert verdict.failures == [0] and verdict.mean_abs_diff == 0.0


def test_tolerances_and_empty_inputs():
    assert close(1.0, 1.0005, atol=0.0, rtol=1e-3)
    assert not close(1.0, 1.1, atol=1e-4, rtol=1e-3)
    with pytest.raises(ValueError):
        judge(lambda x: x, lambda x: x, [])
    assert isinstance(Verdict(True, 0.0, 0.0, 1), Verdict)
