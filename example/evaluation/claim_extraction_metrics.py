"""Precision/recall for claim extraction, matching claims by token overlap."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+")
_TOKEN_RE = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset({"a", "an", "the", "is", "are", "was", "of", "to", "in", "and", "that"})


def split_claims(text: str) -> list[str]:
    """Split text into sentence-level claims, dropping empty fragments."""
    parts = _SENTENCE_RE.split(text.strip())
    return [p.strip() for p in parts if p.strip()]


def claim_tokens(claim: str) -> frozenset[str]:
    return frozenset(t for t in _TOKEN_RE.findall(claim.lower()) if t not in STOPWORDS)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True)
class ClaimMetrics:
    precision: float
    recall: float
    f1: float
    matched: int
    predicted: int
    reference: int


def match_claims(predicted: list[str], reference: list[str], threshold: float = 0.5) -> list[tuple[int, int, float]]:
    """Greedy one-to-one matching by descending Jaccard similarity."""
    pred_tokens = [claim_tokens(c) for c in predicted]
    ref_tokens = [claim_tokens(c) for c in reference]
    candidates = []
    for i, p in enumerate(pred_tokens):
        for j, r in enumerate(ref_tokens):
            score = jaccard(p, r)
            if score >= threshold:
                candidates.append((score, i, j))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    used_pred: set[int] = set()
    used_ref: set[int] = set()
    matches = []
    for score, i, j in candidates:
        if i in used_pred or j in used_ref:
            continue
        used_pred.add(i)
        used_ref.add(j)
        matches.append((i, j, score))
    return matches


def claim_metrics(predicted: list[str], reference: list[str], threshold: float = 0.5) -> ClaimMetrics:
    matched = len(match_claims(predicted, reference, threshold))
    precision = matched / len(predicted) if predicted else 0.0
    recall = matched / len(reference) if reference else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ClaimMetrics(precision, recall, f1, matched, len(predicted), len(reference))


def text_claim_metrics(predicted_text: str, reference_text: str, threshold: float = 0.5) -> ClaimMetrics:
    return claim_metrics(split_claims(predicted_text), split_claims(reference_text), threshold)
