"""Score chain-of-thought answers: extract the final answer and compare it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

_HASH_RE = re.compile(r"####\s*(.+)")
_BOXED_RE = re.compile(r"\\boxed\{([^{}]*)\}")
_ANSWER_IS_RE = re.compile(r"answer is[:\s]*([^\n]+)", re.IGNORECASE)
_NUMBER_RE = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:/\d+)?")
_STEP_RE = re.compile(r"^\s*(?:step\s*\d+|\d+[.)])", re.IGNORECASE | re.MULTILINE)


def extract_final_answer(text: str) -> str | None:
    """Try, in order: ``#### x``, ``\\boxed{x}``, "the answer is x", last number."""
    for pattern in (_HASH_RE, _BOXED_RE, _ANSWER_IS_RE):
        matches = pattern.findall(text)
        if matches:
            return matches[-1].strip()
    numbers = _NUMBER_RE.findall(text)
    return numbers[-1] if numbers else None


def normalize_answer(answer: str) -> str:
    answer = answer.strip().lower().rstrip(".")
    answer = answer.replace("$", "").replace("\\%", "%").strip()
    if re.fullmatch(r"-?\d[\d,]*(\.\d+)?", answer):
        answer = answer.replace(",", "")
    return answer


def to_number(answer: str) -> Fraction | None:
    try:
        return Fraction(normalize_answer(answer).rstrip("%"))
    except (ValueError, ZeroDivisionError):
        return None


def answers_match(predicted: str | None, gold: str, tolerance: float = 1e-6) -> bool:
    if predicted is None:
        return False
    p_num, g_num = to_number(predicted), to_number(gold)
    if p_num is not None and g_num is not None:
        return abs(float(p_num - g_num)) <= tolerance * max(1.0, abs(float(g_num)))
    return normalize_answer(predicted) == normalize_answer(gold)


def count_steps(text: str) -> int:
    """Explicit numbered steps, else non-empty lines before the answer line."""
    explicit = len(_STEP_RE.findall(text))
    if explicit:
        return explicit
    lines = [line for line in text.splitlines() if line.strip()]
    return max(0, len(lines) - 1)


@dataclass
class ReasoningResult:
    total: int
    correct: int
    formatted: int
    mean_steps: float

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def format_rate(self) -> float:
        return self.formatted / self.total if self.total else 0.0


def evaluate_reasoning(examples: list[tuple[str, str]], max_steps: int | None = None) -> ReasoningResult:
    """``examples`` are ``(model_output, gold_answer)`` pairs.

    Outputs that exceed ``max_steps`` are counted as wrong (overlong reasoning).
    """
    correct = formatted = 0
    steps_total = 0
    for output, gold in examples:
        steps = count_steps(output)
        steps_total += steps
        if _HASH_RE.search(output) or _BOXED_RE.search(output):
            formatted += 1
        if max_steps is not None and steps > max_steps:
            continue
        if answers_match(extract_final_answer(output), gold):
            correct += 1
    mean_steps = steps_total / len(examples) if examples else 0.0
    return ReasoningResult(len(examples), correct, formatted, mean_steps)


def majority_vote(outputs: list[str]) -> str | None:
    """Self-consistency: the most common normalised final answer (ties -> earliest)."""
    counts: dict[str, int] = {}
    first_seen: dict[str, int] = {}
    for i, output in enumerate(outputs):
        answer = extract_final_answer(output)
        if answer is None:
            continue
        key = normalize_answer(answer)
        counts[key] = counts.get(key, 0) + 1
        first_seen.setdefault(key, i)
    if not counts:
        return None
    return max(counts, key=lambda k: (counts[k], -first_seen[k]))


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k estimator from ``n`` samples with ``c`` correct (Chen et al.)."""
    if not 0 <= c <= n or k < 1:
        raise ValueError("require 0 <= c <= n and k >= 1")
    if n - c < k:
        return 1.0
    result = 1.0
    for i in range(n - c + 1, n + 1):
        result *= 1.0 - k / i
    return 1.0 - result
