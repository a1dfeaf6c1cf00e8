"""LRU + TTL cache for teacher-model responses, persistable to JSON."""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def cache_key(prompt: str, params: dict[str, Any] | None = None) -> str:
    blob = json.dumps({"prompt": prompt, "params": params or {}}, sort_keys=True)
    return hashlib.sha1(blob.encode()).hexdigest()


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    evictions: int = 0
    expirations: int = 0

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


class TeacherCache:
    def __init__(
        self, max_entries: int = 1024, ttl: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be >= 1")
        self.max_entries = max_entries
        self.ttl = ttl
        self.clock = clock
        self.stats = CacheStats()
        self._data: OrderedDict[str, tuple[float, Any]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: str) -> bool:
        return key in self._data and not self._expired(self._data[key][0])

    def _expired(self, stored_at: float) -> bool:
        return self.ttl is not None and self.clock() - stored_at > self.ttl

    def get(self, key: str, default: Any = None) -> Any:
        entry = self._data.get(key)
        if entry is None:
            self.stats.misses += 1
            return default
        if self._expired(entry[0]):
            del self._data[key]
            self.stats.expirations += 1
            self.stats.misses += 1
            return default
        self._data.move_to_end(key)
        self.stats.hits += 1
        return entry[1]

    def put(self, key: str, value: Any) -> None:
        if key in self._data:
            self._data.move_to_end(key)
        self._data[key] = (self.clock(), value)
        while len(self._data) > self.max_entries:
            self._data.popitem(last=False)
            self.stats.evictions += 1

    def get_or_compute(self, prompt: str, compute: Callable[[str], Any], params: dict[str, Any] | None = None) -> Any:
        key = cache_key(prompt, params)
        sentinel = object()
        value = self.get(key, sentinel)
        if value is sentinel:
            value = compute(prompt)
            self.put(key, value)
        return value

    def invalidate(self, key: str) -> bool:
        """Drop one entry; returns whether it was present."""
        return self._data.pop(key, None) is not None

    def resize(self, max_entries: int) -> int:
        """Change capacity, evicting least-recently-used entries; returns evictions."""
        if max_entries < 1:
            raise ValueError("max_entries must be >= 1")
        self.max_entries = max_entries
        evicted = 0
        while len(self._data) > max_entries:
            self._data.popitem(last=False)
            evicted += 1
        self.stats.evictions += evicted
        return evicted

    def purge_expired(self) -> int:
        expired = [k for k, (t, _) in self._data.items() if self._expired(t)]
        for key in expired:
            del self._data[key]
        self.stats.expirations += len(expired)
        return len(expired)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        payload = {
            "max_entries": self.max_entries,
            "ttl": self.ttl,
            "entries": [[k, t, v] for k, (t, v) in self._data.items()],
        }
        path.write_text(json.dumps(payload))
        return path

    @classmethod
    def load(cls, path: str | Path, clock: Callable[[], float] = time.monotonic) -> TeacherCache:
        payload = json.loads(Path(path).read_text())
        cache = cls(payload["max_entries"], payload["ttl"], clock)
        for key, stored_at, value in payload["entries"]:
            cache._data[key] = (stored_at, value)
        return cache
