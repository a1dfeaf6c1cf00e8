import pytest
from models.teacher.teacher_client import (
    TeacherClient,
    TeacherUnavailableError,
    TokenBucket,
    TransientTeacherError,
)
from training.teacher_cache import TeacherCache


class FlakyBackend:
    def __init__(self, failures=0):
        self.failures = failures
        self.calls = []

    def __call__(self, prompt, params):
        self.calls.append((prompt, dict(params)))
        if self.failures:
            self.failures -= 1
            raise TransientTeacherError("503")
        return f"answer to {prompt}"


def test_retries_with_capped_exponential_backoff():
    sleeps = []
    backend = FlakyBackend(failures=3)
    client = TeacherClient(backend, max_retries=3, backoff=1.0, max_backoff=3.0, sleep=sleeps.append)
    assert client.generate("q") == "answer to q"
    assert sleeps == [1.0, 2.0, 3.0]
    assert client.stats.retries == 3 and client.stats.completion_chars == len("answer to q")


def test_gives_up_after_max_retries():
    client = TeacherClient(FlakyBackend(failures=5), max_retries=1, sleep=lambda s: None)
    with pytest.raises(TeacherUnavailableError, match="2 attempts"):
        client.generate("q")
    assert client.stats.failures == 1
    with pytest.raises(ValueError):
        TeacherClient(FlakyBackend(), max_retries=-1)


def test_cache_only_for_deterministic_requests():
    backend = FlakyBackend()
    client = TeacherClient(backend, cache=TeacherCache())
    assert client.generate("q") == client.generate("q")
    assert len(backend.calls) == 1 and client.stats.cache_hits == 1
    client.generate("q", temperature=0.7)
    client.generate("q", temperature=0.7)
    assert len(backend.calls) == 3
    client.generate("q", max_tokens=5)
    assert backend.calls[-1][1] == {"temperature": 0.0, "max_tokens": 5}


def test_batch_with_and_without_skipping():
    backend = FlakyBackend(failures=2)
    client = TeacherClient(backend, max_retries=0, sleep=lambda s: None)
    with pytest.raises(TeacherUnavailableError):
        client.generate_batch(["a", "b"])
    assert client.generate_batch(["a", "b"], skip_failures=True) == [None, "answer to b"]


def test_token_bucket_rate_limits_requests():
    now = [0.0]
    bucket = TokenBucket(rate=2.0, capacity=2, clock=lambda: now[0])
    assert bucket.wait_time() == 0.0 and bucket.wait_time() == 0.0
    assert bucket.wait_time() == pytest.approx(0.5)
    now[0] = 10.0
    assert bucket.wait_time() == 0.0
    with pytest.raises(ValueError):
        TokenBucket(rate=0, capacity=1)


def test_client_sleeps_for_rate_limiter():
    now = [0.0]
    sleeps = []
    bucket = TokenBucket(rate=1.0, capacity=1, clock=lambda: now[0])
    client = TeacherClient(FlakyBackend(), sleep=sleeps.append, rate_limiter=bucket)
    client.generate("a")
    client.generate("b")
    assert sleeps == [pytest.approx(1.0)]
