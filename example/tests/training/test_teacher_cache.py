"""Teacher cache tests; the last test replays a long synthetic request trace
against a reference LRU model (deliberately CPU heavy)."""

import random
from collections import OrderedDict

import pytest
from training.teacher_cache import CacheStats, TeacherCache, cache_key


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_cache_key_is_order_insensitive():
    assert cache_key("p", {"a": 1, "b": 2}) == cache_key("p", {"b": 2, "a": 1})
    assert cache_key("p") == cache_key("p", {})
    assert cache_key("p") != cache_key("q")


def test_lru_eviction_and_stats():
    cache = TeacherCache(max_entries=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a becomes most recent
    cache.put("c", 3)  # evicts b
    assert "b" not in cache and "a" in cache and len(cache) == 2
    assert cache.get("b", "miss") == "miss"
    cache.put("a", 10)  # update existing key
    assert cache.get("a") == 10
    assert cache.stats.evictions == 1 and cache.stats.hits == 2 and cache.stats.misses == 1
    assert cache.stats.hit_rate == pytest.approx(2 / 3)
    assert CacheStats().hit_rate == 0.0
    with pytest.raises(ValueError):
        TeacherCache(max_entries=0)


def test_ttl_expiry_and_purge():
    clock = FakeClock()
    cache = TeacherCache(ttl=10, clock=clock)
    cache.put("a", 1)
    clock.now = 5
    cache.put("b", 2)
    clock.now = 12
    assert "a" not in cache and "b" in cache
    assert cache.get("a") is None and cache.stats.expirations == 1
    clock.now = 20
    assert cache.purge_expired() == 1
    assert len(cache) == 0 and cache.stats.expirations == 2


def test_get_or_compute_calls_teacher_once():
    calls = []
    cache = TeacherCache()

    def teacher(prompt):
        calls.append(prompt)
        return prompt.upper()

    assert cache.get_or_compute("hi", teacher) == "HI"
    assert cache.get_or_compute("hi", teacher) == "HI"
    assert cache.get_or_compute("hi", teacher, params={"t": 1}) == "HI"
    assert calls == ["hi", "hi"]


def test_save_and_load(tmp_path):
    clock = FakeClock()
    cache = TeacherCache(max_entries=5, ttl=100, clock=clock)
    cache.put("k", {"text": "v"})
    path = cache.save(tmp_path / "cache.json")
    restored = TeacherCache.load(path, clock=clock)
    assert restored.get("k") == {"text": "v"}
    assert restored.max_entries == 5 and restored.ttl == 100


def test_long_trace_matches_reference_lru():
    rng = random.Random(7)
    capacity = 64
    cache = TeacherCache(max_entries=capacity)
    reference: OrderedDict[str, int] = OrderedDict()
    hits = 0
    for i in range(10_000):
        # Zipf-ish key popularity so the hit rate is interesting.
        key = cache_key(f"prompt-{int(rng.paretovariate(1.2)) % 500}")
        value = cache.get(key)
        if key in reference:
            reference.move_to_end(key)
            assert value == reference[key]
            hits += 1
        else:
            assert value is None
            cache.put(key, i)
            reference[key] = i
            if len(reference) > capacity:
                reference.popitem(last=False)
    assert len(cache) == capacity
    assert cache.stats.hits == hits
    assert 0.5 < cache.stats.hit_rate < 0.99


def test_invalidate_and_resize():
    cache = TeacherCache(max_entries=4)
    for key in "abcd":
        cache.put(key, key.upper())
    assert cache.invalidate("a") and not cache.invalidate("a")
    assert cache.resize(10) == 0
    assert cache.resize(1) == 2 and list(cache._data) == ["d"]
    assert cache.stats.evictions == 2
    with pytest.raises(ValueError):
        cache.resize(0)
