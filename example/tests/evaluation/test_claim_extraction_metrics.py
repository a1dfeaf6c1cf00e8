import pytest
from evaluation.claim_extraction_metrics import (
    claim_metrics,
    claim_tokens,
    jaccard,
    match_claims,
    split_claims,
    text_claim_metrics,
)


def test_split_and_tokens():
    assert split_claims("Paris is in France. It rains!  Really?  ") == ["Paris is in France.", "It rains!", "Really?"]
    assert split_claims("   ") == []
    assert claim_tokens("The cat is on the mat") == frozenset({"cat", "on", "mat"})


def test_jaccard_edges():
    assert jaccard(frozenset(), frozenset()) == 1.0
    assert jaccard(frozenset({"a"}), frozenset({"b"})) == 0.0


def test_greedy_matching_is_one_to_one():
    predicted = ["water boils at 100 degrees", "water boils at 100 degrees celsius"]
    reference = ["water boils at 100 degrees celsius"]
    matches = match_claims(predicted, reference)
    assert matches == [(1, 0, 1.0)]


def test_metrics():
    m = text_claim_metrics(
        "The Earth orbits the Sun. The Moon is made of cheese.",
        "The Earth orbits the Sun. The Moon orbits the Earth. Mars is red.",
    )
    assert (m.matched, m.predicted, m.reference) == (1, 2, 3)
    assert m.precision == pytest.approx(0.5) and m.recall == pytest.approx(1 / 3)
    assert m.f1 == pytest.approx(0.4)


def test_empty_sides():
    m = claim_metrics([], ["a claim"])
    assert (m.precision, m.recall, m.f1) == (0.0, 0.0, 0.0)
    m = claim_metrics(["a claim"], [])
    assert m.recall == 0.0
