"""Generation speed metrics: time-to-first-token, tokens/sec, inter-token latency."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class SpeedMeter:
    clock: Callable[[], float] = time.perf_counter
    start_time: float | None = None
    token_times: list[float] = field(default_factory=list)

    def start(self) -> None:
        self.start_time = self.clock()
        self.token_times.clear()

    def tick(self, n_tokens: int = 1) -> None:
        if self.start_time is None:
            raise RuntimeError("call start() before tick()")
        now = self.clock()
        self.token_times.extend([now] * n_tokens)

    @property
    def ttft(self) -> float | None:
        if self.start_time is None or not self.token_times:
            return None
        return self.token_times[0] - self.start_time

    @property
    def tokens_per_second(self) -> float:
        if self.start_time is None or not self.token_times:
            return 0.0
        elapsed = self.token_times[-1] - self.start_time
        return len(self.token_times) / elapsed if elapsed > 0 else float("inf")

    def inter_token_latencies(self) -> list[float]:
        return [b - a for a, b in itertools.pairwise(self.token_times)]

    def summary(self) -> dict[str, float | None]:
        gaps = self.inter_token_latencies()
        return {
            "tokens": float(len(self.token_times)),
            "ttft": self.ttft,
            "tokens_per_second": self.tokens_per_second,
            "mean_itl": sum(gaps) / len(gaps) if gaps else None,
        }


class EMA:
    """Exponential moving average with bias correction (like Adam's)."""

    def __init__(self, decay: float = 0.9) -> None:
        if not 0.0 <= decay < 1.0:
            raise ValueError("decay must be in [0, 1)")
        self.decay = decay
        self._value = 0.0
        self._steps = 0

    def update(self, x: float) -> float:
        self._steps += 1
        self._value = self.decay * self._value + (1.0 - self.decay) * x
        return self.value

    @property
    def value(self) -> float:
        if self._steps == 0:
            return 0.0
        return self._value / (1.0 - self.decay**self._steps)


def measure_generation(
    generate_step: Callable[[], int], max_steps: int, clock: Callable[[], float] = time.perf_counter
) -> dict[str, float | None]:
    """Drive ``generate_step`` (returning tokens produced, 0 to stop) and time it."""
    meter = SpeedMeter(clock=clock)
    meter.start()
    for _ in range(max_steps):
        produced = generate_step()
        if produced == 0:
            break
        meter.tick(produced)
    return meter.summary()
