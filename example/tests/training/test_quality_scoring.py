import pytest
from training.quality_scoring import (
    QualityScore,
    deduplicate,
    distinct_ngram_ratio,
    filter_by_quality,
    format_score,
    is_refusal,
    keyword_coverage,
    length_score,
    near_duplicates,
    score_response,
    shingles,
)

GOOD = (
    "Knowledge distillation trains a small student model to match the softened output "
    "distribution of a larger teacher model, which transfers dark knowledge about class similarity."
)


def test_length_score():
    assert length_score("word " * 80) == 1.0
    assert length_score("word " * 10, target=80, tolerance=60) == pytest.approx(1.0 - 10 / 80)
    assert length_score("", target=10, tolerance=0) == 0.0


def test_diversity():
    assert distinct_ngram_ratio("a b a b a b") == pytest.approx(2 / 5)
    assert distinct_ngram_ratio("single") == 1.0
    assert distinct_ngram_ratio("") == 0.0


def test_keywords_format_and_refusal():
    assert keyword_coverage("Teacher and STUDENT", ["teacher", "student", "loss"]) == pytest.approx(2 / 3)
    assert keyword_coverage("anything", []) == 1.0
    assert format_score("free text", expect_json=False) == 1.0
    assert format_score('{"a": 1}', expect_json=True) == 1.0
    assert format_score("{'a': 1}", expect_json=True) == 0.5
    assert format_score("nope", expect_json=True) == 0.0
    assert is_refusal("I'm sorry, but I cannot do that")
    assert not is_refusal(GOOD)


def test_score_response_and_weakest():
    score = score_response(GOOD, keywords=["teacher", "student", "gradient"], target_words=25)
    assert score.components["keywords"] == pytest.approx(2 / 3)
    assert score.weakest() == "keywords"
    assert 0.8 < score.total <= 1.0
    custom = score_response(GOOD, weights={"length": 1, "diversity": 1, "keywords": 0, "format": 1, "refusal": 1})
    assert custom.weights["keywords"] == 0
    assert QualityScore({"a": 1.0, "b": 0.0}, {"a": 1.0, "b": 3.0}).total == 0.25


def test_filter_by_quality():
    samples = [
        {"id": 1, "response": GOOD},
        {"id": 2, "response": "As an AI I can't help with that."},
        {"id": 3, "response": "ok ok ok ok ok ok ok ok"},
    ]
    kept, rejected = filter_by_quality(samples, threshold=0.95, target_words=25)
    assert [s["id"] for s in kept] == [1]
    reasons = {s["id"]: s["rejected_because"] for s in rejected}
    assert reasons[2] == "refusal"
    assert reasons[3] == "diversity"


def test_near_duplicates_and_dedup():
    texts = ["the cat sat on the mat today", "the cat sat on the mat today!", "something else entirely", "", ""]
    pairs = near_duplicates(texts, threshold=0.9)
    assert pairs == [(0, 1, 1.0)]
    assert shingles("a b") == frozenset({("a", "b")})
    assert shingles("") == frozenset()
    samples = [{"response": t} for t in texts[:3]]
    assert [s["response"] for s in deduplicate(samples)] == [texts[0], texts[2]]
