"""Loss functions for distillation, on plain Python lists.

Logits are ``list[float]`` (one position) or ``list[list[float]]`` (a
sequence).  All losses support ``reduction`` in ``{"mean", "sum", "none"}``
and return gradients where the training loop needs them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from training.halt_targets import HaltTarget

Vector = list[float]
IGNORE_INDEX = -100
REDUCTIONS = ("mean", "sum", "none")

LossFn = Callable[..., float]
_REGISTRY: dict[str, LossFn] = {}


def register_loss(name: str) -> Callable[[LossFn], LossFn]:
    """Decorator adding a loss to the registry used by :class:`CombinedLoss`."""

    def decorator(fn: LossFn) -> LossFn:
        _REGISTRY[name] = fn
        return fn

    return decorator


def get_loss(name: str) -> LossFn:
    if name not in _REGISTRY:
        raise KeyError(f"unknown loss {name!r}; known: {sorted(_REGISTRY)}")
    return _REGISTRY[name]


def reduce(values: Sequence[float], reduction: str) -> float | list[float]:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}")
    if reduction == "none":
        return list(values)
    if reduction == "sum":
        return sum(values)
    return sum(values) / len(values) if values else 0.0


def softmax(logits: Vector, temperature: float = 1.0) -> Vector:
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    scaled = [x / temperature for x in logits]
    peak = max(scaled)
    exps = [math.exp(x - peak) for x in scaled]
    total = sum(exps)
    return [e / total for e in exps]


def log_softmax(logits: Vector, temperature: float = 1.0) -> Vector:
    """Numerically stable log-softmax (log-sum-exp trick)."""
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    scaled = [x / temperature for x in logits]
    peak = max(scaled)
    lse = peak + math.log(sum(math.exp(x - peak) for x in scaled))
    return [x - lse for x in scaled]


def entropy(probs: Vector) -> float:
    return -sum(p * math.log(p) for p in probs if p > 0)


@register_loss("cross_entropy")
def cross_entropy(
    logits: list[Vector],
    targets: Sequence[int],
    label_smoothing: float = 0.0,
    ignore_index: int = IGNORE_INDEX,
    reduction: str = "mean",
) -> float | list[float]:
    """Token-level cross entropy; ignored positions are skipped entirely."""
    if len(logits) != len(targets):
        raise ValueError("logits and targets differ in length")
    if not 0.0 <= label_smoothing < 1.0:
        raise ValueError("label_smoothing must be in [0, 1)")
    losses = []
    for row, target in zip(logits, targets, strict=True):
        if target == ignore_index:
            continue
        if not 0 <= target < len(row):
            raise IndexError(f"target {target} out of range for {len(row)} classes")
        logp = log_softmax(row)
        nll = -logp[target]
        if label_smoothing:
            smooth = -sum(logp) / len(logp)
            nll = (1.0 - label_smoothing) * nll + label_smoothing * smooth
        losses.append(nll)
    return reduce(losses, reduction)


def cross_entropy_grad(logits: Vector, target: int) -> Vector:
    """d(CE)/d(logits) for one position: ``softmax(logits) - one_hot(target)``."""
    probs = softmax(logits)
    probs[target] -= 1.0
    return probs


@register_loss("kl_div")
def kl_divergence(p: Vector, q: Vector, eps: float = 1e-12) -> float:
    """KL(p || q) for two probability vectors."""
    if len(p) != len(q):
        raise ValueError("distributions differ in size")
    return sum(pi * (math.log(pi) - math.log(max(qi, eps))) for pi, qi in zip(p, q, strict=True) if pi > 0)


@register_loss("kd")
def kd_loss(
    student_logits: list[Vector],
    teacher_logits: list[Vector],
    temperature: float = 2.0,
    mask: Sequence[bool] | None = None,
    reduction: str = "mean",
) -> float | list[float]:
    """Hinton-style distillation loss: ``T^2 * KL(teacher_T || student_T)``."""
    if len(student_logits) != len(teacher_logits):
        raise ValueError("student and teacher sequences differ in length")
    mask = mask if mask is not None else [True] * len(student_logits)
    losses = []
    for s, t, keep in zip(student_logits, teacher_logits, mask, strict=True):
        if not keep:
            continue
        if len(s) != len(t):
            raise ValueError("student and teacher vocabularies differ")
        losses.append(temperature**2 * kl_divergence(softmax(t, temperature), softmax(s, temperature)))
    return reduce(losses, reduction)


def kd_grad(student_logits: Vector, teacher_logits: Vector, temperature: float = 2.0) -> Vector:
    """Gradient of the single-position KD loss with respect to student logits."""
    ps = softmax(student_logits, temperature)
    pt = softmax(teacher_logits, temperature)
    return [temperature * (a - b) for a, b in zip(ps, pt, strict=True)]


@register_loss("mse")
def mse_loss(pred: Vector, target: Vector, reduction: str = "mean") -> float | list[float]:
    if len(pred) != len(target):
        raise ValueError("pred and target differ in length")
    return reduce([(a - b) ** 2 for a, b in zip(pred, target, strict=True)], reduction)


@register_loss("cosine")
def cosine_loss(a: Vector, b: Vector) -> float:
    """``1 - cos(a, b)``; zero vectors are treated as orthogonal."""
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    if norm == 0:
        return 1.0
    return 1.0 - dot / norm


@register_loss("focal")
def focal_loss(
    logits: list[Vector], targets: Sequence[int], gamma: float = 2.0, reduction: str = "mean"
) -> float | list[float]:
    """Cross entropy down-weighted for easy examples by ``(1 - p_t)^gamma``."""
    losses = []
    for row, target in zip(logits, targets, strict=True):
        if target == IGNORE_INDEX:
            continue
        p_t = softmax(row)[target]
        losses.append(-((1.0 - p_t) ** gamma) * math.log(max(p_t, 1e-12)))
    return reduce(losses, reduction)


@register_loss("halting")
def halting_loss(halt_probs: Vector, target: HaltTarget, ponder_cost: float = 0.01) -> float:
    """Binary cross entropy against cumulative halt targets plus a ponder penalty."""
    if len(halt_probs) != len(target.cumulative):
        raise ValueError("one halting probability per layer is required")
    bce = 0.0
    for p, y in zip(halt_probs, target.cumulative, strict=True):
        p = min(max(p, 1e-7), 1 - 1e-7)
        bce -= y * math.log(p) + (1 - y) * math.log(1 - p)
    expected_layers = sum(1.0 - p for p in halt_probs)
    return bce / len(halt_probs) + ponder_cost * expected_layers


def hidden_state_loss(student: list[Vector], teacher: list[Vector], projection: list[Vector] | None = None) -> float:
    """MSE between (optionally projected) student and teacher hidden states."""
    total = 0.0
    for s, t in zip(student, teacher, strict=True):
        if projection is not None:
            s = [sum(si * projection[i][j] for i, si in enumerate(s)) for j in range(len(projection[0]))]
        total += mse_loss(s, t)  # type: ignore[operator]
    return total / len(student) if student else 0.0


def length_penalty(length: int, target: int, alpha: float = 0.1) -> float:
    """Quadratic penalty for generating sequences far from ``target`` tokens."""
    return alpha * ((length - target) / max(target, 1)) ** 2


@dataclass
class CombinedLoss:
    """Weighted sum of registered losses; remembers the last component values."""

    weights: dict[str, float]
    last: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, weight in self.weights.items():
            get_loss(name)
            if weight < 0:
                raise ValueError(f"negative weight for {name}")

    def __call__(self, inputs: dict[str, tuple]) -> float:
        missing = set(self.weights) - set(inputs)
        if missing:
            raise KeyError(f"missing inputs for losses: {sorted(missing)}")
        total = 0.0
        self.last = {}
        for name, weight in self.weights.items():
            if weight == 0:
                continue
            value = get_loss(name)(*inputs[name])
            self.last[name] = value
            total += weight * value
        return total


def reverse_kl_loss(student_logits: Vector, teacher_logits: Vector, temperature: float = 1.0) -> float:
    """Mode-seeking KL(student || teacher), as used by MiniLLM-style distillation."""
    ps = softmax(student_logits, temperature)
    pt = softmax(teacher_logits, temperature)
    return kl_divergence(ps, pt)


@register_loss("js_div")
def js_divergence(p: Vector, q: Vector) -> float:
    """Jensen-Shannon divergence (symmetric, bounded by ln 2)."""
    m = [(a + b) / 2 for a, b in zip(p, q, strict=True)]
    return 0.5 * kl_divergence(p, m) + 0.5 * kl_divergence(q, m)


def top_k_kd_loss(student_logits: Vector, teacher_logits: Vector, k: int = 5, temperature: float = 1.0) -> float:
    """KD restricted to the teacher's top-``k`` classes (sparse teacher logits).

    The teacher distribution is renormalised over its top-k support and the
    student's log-probabilities are taken over the full vocabulary.
    """
    if k < 1:
        raise ValueError("k must be >= 1")
    top = sorted(range(len(teacher_logits)), key=lambda i: -teacher_logits[i])[:k]
    pt = softmax([teacher_logits[i] for i in top], temperature)
    logps = log_softmax(student_logits, temperature)
    return -sum(p * logps[i] for p, i in zip(pt, top, strict=True)) - entropy(pt)


@register_loss("info_nce")
def info_nce_loss(anchors: list[Vector], positives: list[Vector], temperature: float = 0.1) -> float:
    """Contrastive InfoNCE: each anchor must pick its own positive among the batch."""
    if len(anchors) != len(positives) or not anchors:
        raise ValueError("need equally many (>0) anchors and positives")

    def normalise(v: Vector) -> Vector:
        n = math.sqrt(sum(x * x for x in v)) or 1.0
        return [x / n for x in v]

    a = [normalise(v) for v in anchors]
    p = [normalise(v) for v in positives]
    sims = [[sum(x * y for x, y in zip(ai, pj, strict=True)) / temperature for pj in p] for ai in a]
    return cross_entropy(sims, list(range(len(a))))  # type: ignore[return-value]


def z_loss(logits: list[Vector], coefficient: float = 1e-4) -> float:
    """Penalise large log-partition values to keep logits from drifting (PaLM)."""
    total = 0.0
    for row in logits:
        peak = max(row)
        lse = peak + math.log(sum(math.exp(x - peak) for x in row))
        total += lse * lse
    return coefficient * total / len(logits) if logits else 0.0


class DynamicLossScaler:
    """Mixed-precision style loss scaling: back off on overflow, grow when stable."""

    def __init__(
        self,
        init_scale: float = 2.0**15,
        growth_interval: int = 100,
        backoff: float = 0.5,
        growth: float = 2.0,
        min_scale: float = 1.0,
    ) -> None:
        self.scale = init_scale
        self.growth_interval = growth_interval
        self.backoff = backoff
        self.growth = growth
        self.min_scale = min_scale
        self._good_steps = 0
        self.skipped = 0

    @staticmethod
    def has_overflow(grads: Sequence[float]) -> bool:
        return any(math.isinf(g) or math.isnan(g) for g in grads)

    def unscale(self, grads: Sequence[float]) -> list[float] | None:
        """Return unscaled gradients, or ``None`` when the step must be skipped."""
        if self.has_overflow(grads):
            self.scale = max(self.min_scale, self.scale * self.backoff)
            self._good_steps = 0
            self.skipped += 1
            return None
        unscaled = [g / self.scale for g in grads]
        self._good_steps += 1
        if self._good_steps % self.growth_interval == 0:
            self.scale *= self.growth
        return unscaled


@dataclass
class LossTracker:
    """Running means of named loss components (for logging between steps)."""

    totals: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def update(self, **values: float) -> None:
        for name, value in values.items():
            if math.isnan(value):
                raise ValueError(f"loss component {name!r} is NaN")
            self.totals[name] = self.totals.get(name, 0.0) + value
            self.counts[name] = self.counts.get(name, 0) + 1

    def means(self) -> dict[str, float]:
        return {name: self.totals[name] / self.counts[name] for name in self.totals}

    def reset(self) -> dict[str, float]:
        snapshot = self.means()
        self.totals.clear()
        self.counts.clear()
        return snapshot
