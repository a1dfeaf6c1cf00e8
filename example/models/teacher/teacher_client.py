"""Client for querying a teacher model with retries, caching and accounting."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from training.teacher_cache import TeacherCache

Backend = Callable[[str, dict[str, Any]], str]


class TransientTeacherError(RuntimeError):
    """A retryable failure (timeout, rate limit, 5xx)."""


class TeacherUnavailableError(RuntimeError):
    """Raised after all retries are exhausted."""


@dataclass
class ClientStats:
    requests: int = 0
    cache_hits: int = 0
    retries: int = 0
    failures: int = 0
    prompt_chars: int = 0
    completion_chars: int = 0


class TokenBucket:
    """Client-side rate limiter: ``rate`` requests per second, bursts up to ``capacity``."""

    def __init__(self, rate: float, capacity: int, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("rate must be positive and capacity >= 1")
        self.rate = rate
        self.capacity = capacity
        self.clock = clock
        self.tokens = float(capacity)
        self.updated = clock()

    def wait_time(self) -> float:
        """Take one token, returning how long the caller must wait first (0 if none)."""
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        self.tokens -= 1.0
        if self.tokens >= 0:
            return 0.0
        return -self.tokens / self.rate


class TeacherClient:
    def __init__(
        self,
        backend: Backend,
        cache: TeacherCache | None = None,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        sleep: Callable[[float], None] = time.sleep,
        default_params: dict[str, Any] | None = None,
        rate_limiter: TokenBucket | None = None,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.backend = backend
        self.cache = cache
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.default_params = dict(default_params or {"temperature": 0.0})
        self.stats = ClientStats()
        self.rate_limiter = rate_limiter

    def _delay(self, attempt: int) -> float:
        return min(self.max_backoff, self.backoff * 2**attempt)

    def _call_backend(self, prompt: str, params: dict[str, Any]) -> str:
        for attempt in range(self.max_retries + 1):
            if self.rate_limiter is not None:
                wait = self.rate_limiter.wait_time()
                if wait > 0:
                    self.sleep(wait)
            try:
                return self.backend(prompt, params)
            except TransientTeacherError:
                if attempt < self.max_retries:
                    self.stats.retries += 1
                    self.sleep(self._delay(attempt))
        self.stats.failures += 1
        raise TeacherUnavailableError(f"teacher failed after {self.max_retries + 1} attempts")

    def generate(self, prompt: str, **params: Any) -> str:
        merged = {**self.default_params, **params}
        self.stats.requests += 1
        self.stats.prompt_chars += len(prompt)
        deterministic = merged.get("temperature", 0.0) == 0.0
        if self.cache is not None and deterministic:
            from training.teacher_cache import cache_key

            key = cache_key(prompt, merged)
            cached = self.cache.get(key)
            if cached is not None:
                self.stats.cache_hits += 1
                return cached
            completion = self._call_backend(prompt, merged)
            self.cache.put(key, completion)
        else:
            completion = self._call_backend(prompt, merged)
        self.stats.completion_chars += len(completion)
        return completion

    def generate_batch(self, prompts: list[str], skip_failures: bool = False, **params: Any) -> list[str | None]:
        results: list[str | None] = []
        for prompt in prompts:
            try:
                results.append(self.generate(prompt, **params))
            except TeacherUnavailableError:
                if not skip_failures:
                    raise
                results.append(None)
        return results
