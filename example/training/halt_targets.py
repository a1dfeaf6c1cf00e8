"""Targets for learned early exit ("halting") heads.

Given the loss a model would incur if it stopped after each layer, the
halting target is the earliest layer whose loss is within ``tolerance`` of
the final layer's loss.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HaltTarget:
    layer: int
    one_hot: tuple[float, ...]
    cumulative: tuple[float, ...]


def halting_layer(layer_losses: list[float], tolerance: float = 0.05, min_layer: int = 0) -> int:
    if not layer_losses:
        raise ValueError("need at least one layer loss")
    if not 0 <= min_layer < len(layer_losses):
        raise ValueError("min_layer out of range")
    final = layer_losses[-1]
    for layer in range(min_layer, len(layer_losses)):
        if layer_losses[layer] <= final + abs(final) * tolerance:
            return layer
    return len(layer_losses) - 1  # pragma: no cover - the last layer always qualifies


def halt_target(layer_losses: list[float], tolerance: float = 0.05, min_layer: int = 0) -> HaltTarget:
    layer = halting_layer(layer_losses, tolerance, min_layer)
    n = len(layer_losses)
    one_hot = tuple(1.0 if i == layer else 0.0 for i in range(n))
    cumulative = tuple(1.0 if i >= layer else 0.0 for i in range(n))
    return HaltTarget(layer, one_hot, cumulative)


def batch_halt_targets(batch_losses: list[list[float]], tolerance: float = 0.05) -> list[HaltTarget]:
    return [halt_target(losses, tolerance) for losses in batch_losses]


def expected_depth(halt_probs: list[float]) -> float:
    """Expected exit layer (1-based) under per-layer halting probabilities.

    ``halt_probs[i]`` is P(halt at layer i | reached layer i); any remaining
    mass exits at the last layer.
    """
    remaining = 1.0
    depth = 0.0
    for i, p in enumerate(halt_probs):
        is_last = i == len(halt_probs) - 1
        stop = remaining if is_last else remaining * p
        depth += stop * (i + 1)
        remaining -= stop
    return depth
