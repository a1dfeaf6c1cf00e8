"""Knowledge distillation of a softmax-regression student from a teacher.

The student is a linear classifier on list features; the teacher is any
callable returning logits.  The loss is::

    alpha * T^2 * KL(softmax(t / T) || softmax(s / T)) + (1 - alpha) * CE(s, y)

Gradients are analytic, the optimiser is SGD with momentum and decoupled
weight decay, and the loop supports LR schedules, gradient clipping, an EMA
of the weights, periodic evaluation, early stopping, callbacks and JSON
checkpoints.
"""

from __future__ import annotations

import copy
import json
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from training.input_validation import ConfigError
from training.losses import cross_entropy, cross_entropy_grad, kd_grad, kd_loss, softmax
from training.utils import argmax, chunked, seeded_rng

if TYPE_CHECKING:
    from training.tracing import Tracer

Vector = list[float]
Teacher = Callable[[Vector], Vector]
Sample = tuple[Vector, int]


# ---------------------------------------------------------------------------
# configuration
# ---------------------------------------------------------------------------
@dataclass
class DistillConfig:
    steps: int = 100
    lr: float = 0.5
    temperature: float = 2.0
    alpha: float = 0.7
    batch_size: int = 16
    scheduler: str = "cosine"
    warmup_steps: int = 0
    momentum: float = 0.9
    weight_decay: float = 0.0
    grad_clip: float | None = 5.0
    ema_decay: float | None = None
    eval_every: int = 0
    patience: int | None = None
    min_delta: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        errors = []
        if self.steps < 1:
            errors.append("steps must be >= 1")
        if self.lr <= 0:
            errors.append("lr must be positive")
        if self.temperature <= 0:
            errors.append("temperature must be positive")
        if not 0.0 <= self.alpha <= 1.0:
            errors.append("alpha must be in [0, 1]")
        if self.scheduler not in SCHEDULERS:
            errors.append(f"unknown scheduler {self.scheduler!r}")
        if self.warmup_steps >= self.steps:
            errors.append("warmup_steps must be smaller than steps")
        if self.ema_decay is not None and not 0.0 < self.ema_decay < 1.0:
            errors.append("ema_decay must be in (0, 1)")
        if self.patience is not None and self.eval_every == 0:
            errors.append("early stopping (patience) requires eval_every > 0")
        if errors:
            raise ConfigError(errors)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DistillConfig:
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError([f"unknown config keys: {unknown}"])
        return cls(**data)


# ---------------------------------------------------------------------------
# learning-rate schedules
# ---------------------------------------------------------------------------
@dataclass
class ConstantLR:
    base_lr: float
    warmup_steps: int = 0
    total_steps: int = 1

    def warmup(self, step: int) -> float | None:
        if step < self.warmup_steps:
            return self.base_lr * (step + 1) / self.warmup_steps
        return None

    def progress(self, step: int) -> float:
        """Fraction of the post-warmup span completed, clamped to 1."""
        span = max(1, self.total_steps - self.warmup_steps)
        return min(1.0, (step - self.warmup_steps) / span)

    def __call__(self, step: int) -> float:
        warm = self.warmup(step)
        return self.base_lr if warm is None else warm


@dataclass
class LinearDecayLR(ConstantLR):
    final_fraction: float = 0.0

    def __call__(self, step: int) -> float:
        warm = self.warmup(step)
        if warm is not None:
            return warm
        progress = self.progress(step)
        return self.base_lr * (1.0 - (1.0 - self.final_fraction) * progress)


@dataclass
class CosineLR(ConstantLR):
    min_lr: float = 0.0

    def __call__(self, step: int) -> float:
        warm = self.warmup(step)
        if warm is not None:
            return warm
        progress = self.progress(step)
        return self.min_lr + 0.5 * (self.base_lr - self.min_lr) * (1.0 + math.cos(math.pi * progress))


@dataclass
class StepLR(ConstantLR):
    step_size: int = 30
    gamma: float = 0.1

    def __call__(self, step: int) -> float:
        warm = self.warmup(step)
        if warm is not None:
            return warm
        return self.base_lr * self.gamma ** ((step - self.warmup_steps) // self.step_size)


SCHEDULERS: dict[str, type[ConstantLR]] = {
    "constant": ConstantLR,
    "linear": LinearDecayLR,
    "cosine": CosineLR,
    "step": StepLR,
}


def make_scheduler(config: DistillConfig) -> ConstantLR:
    cls = SCHEDULERS[config.scheduler]
    return cls(base_lr=config.lr, warmup_steps=config.warmup_steps, total_steps=config.steps)


# ---------------------------------------------------------------------------
# model, optimiser and helpers
# ---------------------------------------------------------------------------
class SoftmaxRegression:
    """Linear student: ``logits = W x + b`` with ``W`` of shape (classes, features)."""

    def __init__(self, n_features: int, n_classes: int, init_scale: float = 0.0, seed: int = 0) -> None:
        rng = seeded_rng(seed)
        self.weights = [
            [rng.gauss(0.0, init_scale) if init_scale else 0.0 for _ in range(n_features)] for _ in range(n_classes)
        ]
        self.bias = [0.0] * n_classes

    @property
    def n_classes(self) -> int:
        return len(self.weights)

    def logits(self, x: Vector) -> Vector:
        return [
            sum(w * v for w, v in zip(row, x, strict=True)) + b for row, b in zip(self.weights, self.bias, strict=True)
        ]

    def predict(self, x: Vector) -> int:
        return argmax(self.logits(x))

    def state_dict(self) -> dict[str, Any]:
        return {"weights": copy.deepcopy(self.weights), "bias": list(self.bias)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if len(state["weights"]) != self.n_classes:
            raise ValueError("class count mismatch when loading state")
        self.weights = copy.deepcopy(state["weights"])
        self.bias = list(state["bias"])


def grad_norm(grads_w: list[Vector], grads_b: Vector) -> float:
    return math.sqrt(sum(g * g for row in grads_w for g in row) + sum(g * g for g in grads_b))


def clip_gradients(grads_w: list[Vector], grads_b: Vector, max_norm: float | None) -> float:
    """Scale gradients in place so their global norm is at most ``max_norm``."""
    norm = grad_norm(grads_w, grads_b)
    if max_norm is not None and norm > max_norm:
        scale = max_norm / norm
        for row in grads_w:
            for j in range(len(row)):
                row[j] *= scale
        for j in range(len(grads_b)):
            grads_b[j] *= scale
    return norm


class MomentumSGD:
    def __init__(self, model: SoftmaxRegression, momentum: float = 0.9, weight_decay: float = 0.0) -> None:
        self.model = model
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.vel_w = [[0.0] * len(row) for row in model.weights]
        self.vel_b = [0.0] * len(model.bias)

    def step(self, grads_w: list[Vector], grads_b: Vector, lr: float) -> None:
        m = self.model
        for i, row in enumerate(m.weights):
            for j in range(len(row)):
                self.vel_w[i][j] = self.momentum * self.vel_w[i][j] + grads_w[i][j]
                row[j] -= lr * (self.vel_w[i][j] + self.weight_decay * row[j])
        for i in range(len(m.bias)):
            self.vel_b[i] = self.momentum * self.vel_b[i] + grads_b[i]
            m.bias[i] -= lr * self.vel_b[i]


class WeightEMA:
    def __init__(self, model: SoftmaxRegression, decay: float) -> None:
        self.decay = decay
        self.shadow = model.state_dict()

    def update(self, model: SoftmaxRegression) -> None:
        d = self.decay
        for srow, row in zip(self.shadow["weights"], model.weights, strict=True):
            for j, v in enumerate(row):
                srow[j] = d * srow[j] + (1 - d) * v
        self.shadow["bias"] = [d * s + (1 - d) * v for s, v in zip(self.shadow["bias"], model.bias, strict=True)]


@dataclass
class EarlyStopping:
    patience: int
    min_delta: float = 0.0
    best: float = math.inf
    bad_evals: int = 0

    def update(self, value: float) -> bool:
        """Record a validation loss; return True when training should stop."""
        if value < self.best - self.min_delta:
            self.best = value
            self.bad_evals = 0
            return False
        self.bad_evals += 1
        return self.bad_evals >= self.patience


@dataclass
class TrainResult:
    history: list[dict[str, float]] = field(default_factory=list)
    evals: list[dict[str, float]] = field(default_factory=list)
    stopped_early: bool = False
    steps_run: int = 0

    @property
    def final_loss(self) -> float:
        return self.history[-1]["loss"] if self.history else math.nan


Callback = Callable[[str, dict[str, float]], None]


# ---------------------------------------------------------------------------
# trainer
# ---------------------------------------------------------------------------
class DistillTrainer:
    def __init__(
        self,
        student: SoftmaxRegression,
        teacher: Teacher,
        config: DistillConfig,
        callbacks: Sequence[Callback] = (),
        tracer: Tracer | None = None,
    ) -> None:
        self.student = student
        self.teacher = teacher
        self.config = config
        self.callbacks = list(callbacks)
        self.tracer = tracer
        self.optimizer = MomentumSGD(student, config.momentum, config.weight_decay)
        self.schedule = make_scheduler(config)
        self.ema = WeightEMA(student, config.ema_decay) if config.ema_decay else None
        self._teacher_cache: dict[tuple[float, ...], Vector] = {}

    def teacher_logits(self, x: Vector) -> Vector:
        key = tuple(x)
        if key not in self._teacher_cache:
            self._teacher_cache[key] = self.teacher(x)
        return self._teacher_cache[key]

    def _emit(self, event: str, metrics: dict[str, float]) -> None:
        for callback in self.callbacks:
            callback(event, metrics)

    def compute_loss(self, batch: Sequence[Sample]) -> tuple[float, float, float]:
        """Return ``(total, kd, ce)`` mean losses for a batch."""
        s_logits = [self.student.logits(x) for x, _ in batch]
        t_logits = [self.teacher_logits(x) for x, _ in batch]
        kd = kd_loss(s_logits, t_logits, self.config.temperature)
        ce = cross_entropy(s_logits, [y for _, y in batch])
        a = self.config.alpha
        return a * kd + (1 - a) * ce, kd, ce  # type: ignore[operator,return-value]

    def train_step(self, batch: Sequence[Sample], step: int) -> dict[str, float]:
        cfg = self.config
        n_classes = self.student.n_classes
        grads_w = [[0.0] * len(self.student.weights[0]) for _ in range(n_classes)]
        grads_b = [0.0] * n_classes
        for x, y in batch:
            logits = self.student.logits(x)
            g_kd = kd_grad(logits, self.teacher_logits(x), cfg.temperature)
            g_ce = cross_entropy_grad(logits, y)
            for k in range(n_classes):
                g = (cfg.alpha * g_kd[k] + (1 - cfg.alpha) * g_ce[k]) / len(batch)
                grads_b[k] += g
                if g:
                    row = grads_w[k]
                    for j, v in enumerate(x):
                        row[j] += g * v
        norm = clip_gradients(grads_w, grads_b, cfg.grad_clip)
        lr = self.schedule(step)
        self.optimizer.step(grads_w, grads_b, lr)
        if self.ema is not None:
            self.ema.update(self.student)
        total, kd, ce = self.compute_loss(batch)
        return {"step": float(step), "loss": total, "kd": kd, "ce": ce, "lr": lr, "grad_norm": norm}

    def evaluate(self, data: Sequence[Sample], use_ema: bool = False) -> dict[str, float]:
        if not data:
            raise ValueError("evaluation data is empty")
        model = self.student
        if use_ema:
            if self.ema is None:
                raise RuntimeError("EMA is disabled for this run")
            model = SoftmaxRegression(len(model.weights[0]), model.n_classes)
            model.load_state_dict(self.ema.shadow)
        correct = agree = 0
        for x, y in data:
            pred = model.predict(x)
            correct += pred == y
            agree += pred == argmax(self.teacher_logits(x))
        saved, self.student = self.student, model
        try:
            loss, _, _ = self.compute_loss(data)
        finally:
            self.student = saved
        return {"loss": loss, "accuracy": correct / len(data), "teacher_agreement": agree / len(data)}

    def _batches(self, data: Sequence[Sample], rng: random.Random):
        while True:
            order = list(data)
            rng.shuffle(order)
            yield from chunked(order, self.config.batch_size)

    def fit(self, train: Sequence[Sample], val: Sequence[Sample] | None = None) -> TrainResult:
        if not train:
            raise ValueError("training data is empty")
        cfg = self.config
        result = TrainResult()
        stopper = EarlyStopping(cfg.patience, cfg.min_delta) if cfg.patience else None
        batches = self._batches(train, seeded_rng(cfg.seed))
        for step in range(cfg.steps):
            if self.tracer is not None:
                with self.tracer.span("train_step", step=step):
                    metrics = self.train_step(next(batches), step)
            else:
                metrics = self.train_step(next(batches), step)
            result.history.append(metrics)
            result.steps_run = step + 1
            self._emit("step", metrics)
            if not (cfg.eval_every and val and (step + 1) % cfg.eval_every == 0):
                continue
            evaluation = {"step": float(step), **self.evaluate(val)}
            result.evals.append(evaluation)
            self._emit("eval", evaluation)
            if stopper is not None and stopper.update(evaluation["loss"]):
                result.stopped_early = True
                break
        return result

    def save_checkpoint(self, path: str | Path, result: TrainResult | None = None) -> Path:
        payload = {
            "config": asdict(self.config),
            "student": self.student.state_dict(),
            "ema": self.ema.shadow if self.ema else None,
            "steps_run": result.steps_run if result else 0,
        }
        path = Path(path)
        path.write_text(json.dumps(payload))
        return path

    @classmethod
    def load_checkpoint(cls, path: str | Path, teacher: Teacher) -> DistillTrainer:
        payload = json.loads(Path(path).read_text())
        config = DistillConfig.from_dict(payload["config"])
        weights = payload["student"]["weights"]
        student = SoftmaxRegression(len(weights[0]), len(weights))
        student.load_state_dict(payload["student"])
        trainer = cls(student, teacher, config)
        if trainer.ema is not None and payload["ema"] is not None:
            trainer.ema.shadow = payload["ema"]
        return trainer


# ---------------------------------------------------------------------------
# synthetic task
# ---------------------------------------------------------------------------
def make_linear_teacher(n_features: int, n_classes: int, seed: int = 0, sharpness: float = 3.0) -> Teacher:
    rng = random.Random(seed)
    weights = [[rng.gauss(0.0, sharpness) for _ in range(n_features)] for _ in range(n_classes)]

    def teacher(x: Vector) -> Vector:
        return [sum(w * v for w, v in zip(row, x, strict=True)) for row in weights]

    return teacher


def make_synthetic_task(
    n_samples: int, n_features: int, n_classes: int, seed: int = 0, label_noise: float = 0.0
) -> tuple[Teacher, list[Sample]]:
    """Gaussian inputs labelled by a random linear teacher, with optional label noise."""
    rng = random.Random(seed + 1)
    teacher = make_linear_teacher(n_features, n_classes, seed)
    data = []
    for _ in range(n_samples):
        x = [rng.gauss(0.0, 1.0) for _ in range(n_features)]
        y = argmax(teacher(x))
        if label_noise and rng.random() < label_noise:
            y = rng.randrange(n_classes)
        data.append((x, y))
    return teacher, data


def teacher_soft_labels(teacher: Teacher, xs: Sequence[Vector], temperature: float = 1.0) -> list[Vector]:
    return [softmax(teacher(x), temperature) for x in xs]
