"""Heuristic quality scores for teacher outputs before they enter a KD dataset."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from training.json_repair import JSONRepairError, repair_json

_WORD_RE = re.compile(r"\w+")
REFUSAL_MARKERS = ("i can't help", "i cannot help", "as an ai", "i'm sorry, but")
DEFAULT_WEIGHTS = {"length": 1.0, "diversity": 1.0, "keywords": 2.0, "format": 2.0, "refusal": 3.0}


def words(text: str) -> list[str]:
    return _WORD_RE.findall(text.lower())


def length_score(text: str, target: int = 80, tolerance: int = 60) -> float:
    """1.0 within ``tolerance`` words of ``target``, falling linearly to 0."""
    n = len(words(text))
    distance = abs(n - target)
    if distance <= tolerance:
        return 1.0
    return max(0.0, 1.0 - (distance - tolerance) / target)


def distinct_ngram_ratio(text: str, n: int = 2) -> float:
    tokens = words(text)
    grams = [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    if not grams:
        return 1.0 if tokens else 0.0
    return len(set(grams)) / len(grams)


def keyword_coverage(text: str, keywords: Sequence[str]) -> float:
    if not keywords:
        return 1.0
    lowered = text.lower()
    return sum(1 for k in keywords if k.lower() in lowered) / len(keywords)


def format_score(text: str, expect_json: bool) -> float:
    """1.0 for clean JSON, 0.5 if it needed repair, 0.0 if unparseable."""
    if not expect_json:
        return 1.0
    try:
        result = repair_json(text)
    except JSONRepairError:
        return 0.0
    return 0.5 if result.repaired else 1.0


def is_refusal(text: str) -> bool:
    lowered = text.lower()
    return any(marker in lowered for marker in REFUSAL_MARKERS)


@dataclass
class QualityScore:
    components: dict[str, float]
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    @property
    def total(self) -> float:
        weight_sum = sum(self.weights[k] for k in self.components)
        return sum(v * self.weights[k] for k, v in self.components.items()) / weight_sum

    def weakest(self) -> str:
        return min(self.components, key=lambda k: (self.components[k], k))


def score_response(
    text: str,
    keywords: Sequence[str] = (),
    expect_json: bool = False,
    target_words: int = 80,
    weights: dict[str, float] | None = None,
) -> QualityScore:
    components = {
        "length": length_score(text, target_words, max(1, target_words * 3 // 4)),
        "diversity": distinct_ngram_ratio(text),
        "keywords": keyword_coverage(text, keywords),
        "format": format_score(text, expect_json),
        "refusal": 0.0 if is_refusal(text) else 1.0,
    }
    return QualityScore(components, dict(weights) if weights else dict(DEFAULT_WEIGHTS))


def filter_by_quality(
    samples: list[dict], threshold: float = 0.7, **score_kwargs: object
) -> tuple[list[dict], list[dict]]:
    """Split ``{"response": ...}`` samples into (kept, rejected) lists."""
    kept, rejected = [], []
    for sample in samples:
        score = score_response(sample["response"], **score_kwargs)  # type: ignore[arg-type]
        annotated = {**sample, "quality": round(score.total, 4)}
        refused = score.components["refusal"] == 0.0
        if refused or score.total < threshold:
            annotated["rejected_because"] = "refusal" if refused else score.weakest()
            rejected.append(annotated)
        else:
            kept.append(annotated)
    return kept, rejected


def shingles(text: str, k: int = 3) -> frozenset[tuple[str, ...]]:
    tokens = words(text)
    if len(tokens) < k:
        return frozenset({tuple(tokens)}) if tokens else frozenset()
    return frozenset(tuple(tokens[i : i + k]) for i in range(len(tokens) - k + 1))


def near_duplicates(texts: list[str], threshold: float = 0.8, k: int = 3) -> list[tuple[int, int, float]]:
    """Pairs ``(i, j, similarity)`` whose shingle Jaccard similarity is >= threshold."""
    sets = [shingles(t, k) for t in texts]
    pairs = []
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            union = sets[i] | sets[j]
            if not union:
                continue
            sim = len(sets[i] & sets[j]) / len(union)
            if sim >= threshold:
                pairs.append((i, j, sim))
    return pairs


def deduplicate(samples: list[dict], threshold: float = 0.8) -> list[dict]:
    """Keep the first of each group of near-duplicate responses."""
    dupes = near_duplicates([s["response"] for s in samples], threshold)
    drop = {j for _, j, _ in dupes}
    return [s for i, s in enumerate(samples) if i not in drop]
