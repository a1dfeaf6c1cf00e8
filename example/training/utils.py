"""Small helpers shared across the training package."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")


def seeded_rng(seed: int | None) -> random.Random:
    """A private RNG; ``None`` means "use a fixed default" for reproducibility."""
    return random.Random(0 if seed is None else seed)


def chunked(items: Sequence[T], size: int) -> Iterator[list[T]]:
    if size < 1:
        raise ValueError("chunk size must be >= 1")
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def flatten(nested: Iterable[Iterable[T]]) -> list[T]:
    return [item for inner in nested for item in inner]


def clamp(value: float, low: float, high: float) -> float:
    if low > high:
        raise ValueError("low must not exceed high")
    return max(low, min(high, value))


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def argmax(values: Sequence[float]) -> int:
    if not values:
        raise ValueError("argmax of empty sequence")
    return max(range(len(values)), key=values.__getitem__)
