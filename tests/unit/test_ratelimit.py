"""The sliding-window rate limiter behaves the same in memory and in Redis, and survives a Redis outage."""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator

import pytest
import redis

from speakpro.services import ratelimit
from speakpro.services.ratelimit import MemoryBackend, RateDecision, RateLimiter, RedisBackend, hit_all

REDIS_URL = "redis://127.0.0.1:6379/0"


class Clock:
    """A settable clock, so windows pass without sleeping."""

    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis does not answer on {REDIS_URL}: {error}")
        pytest.skip(f"Redis does not answer on {REDIS_URL}: {error}")
    yield client
    client.close()


@pytest.fixture
def redis_backend(redis_client) -> Iterator[RedisBackend]:
    # A prefix of its own per test: parallel runs and leftovers never share counts.
    prefix = f"speakpro-test:{secrets.token_hex(6)}"
    yield RedisBackend(client=redis_client, prefix=prefix)
    for key in redis_client.scan_iter(match=f"{prefix}:*"):
        redis_client.delete(key)


@pytest.fixture(params=["memory", "redis"])
def backend(request):
    if request.param == "memory":
        return MemoryBackend()
    return request.getfixturevalue("redis_backend")


def test_allows_the_limit_then_refuses_with_the_wait(backend):
    clock = Clock()
    limiter = RateLimiter("chat:minute", 10, 60, backend=backend, clock=clock)
    decisions = []
    for _ in range(10):
        decisions.append(limiter.hit("visitor"))
        clock.now += 1
    assert all(d.allowed for d in decisions)
    assert [d.remaining for d in decisions] == list(range(9, -1, -1))

    refused = limiter.hit("visitor")  # 10 s after the first hit
    assert refused == RateDecision(allowed=False, retry_after_seconds=50)


def test_the_window_slides_one_hit_at_a_time(backend):
    clock = Clock()
    limiter = RateLimiter("slide", 3, 60, backend=backend, clock=clock)
    for offset in (0, 20, 40):
        clock.now = 1_800_000_000.0 + offset
        assert limiter.hit("k").allowed
    clock.now = 1_800_000_059.5
    assert limiter.hit("k").retry_after_seconds == 1  # rounded up, never 0
    clock.now = 1_800_000_060.0  # the first hit leaves the window: exactly one slot frees up
    assert limiter.hit("k").allowed
    assert not limiter.hit("k").allowed
    clock.now = 1_800_000_080.0
    assert limiter.hit("k").allowed


def test_refused_hits_are_not_counted(backend):
    clock = Clock()
    limiter = RateLimiter("refused", 2, 10, backend=backend, clock=clock)
    assert limiter.hit("k").allowed and limiter.hit("k").allowed
    for _ in range(50):
        clock.now += 0.1
        assert not limiter.hit("k").allowed
    clock.now += 5.01  # 10 s after the accepted hits, although refused hits kept coming
    assert limiter.hit("k").allowed


def test_keys_and_names_are_counted_apart(backend):
    clock = Clock()
    first = RateLimiter("first", 1, 60, backend=backend, clock=clock)
    second = RateLimiter("second", 1, 60, backend=backend, clock=clock)
    assert first.hit("a").allowed
    assert not first.hit("a").allowed
    assert first.hit("b").allowed
    assert second.hit("a").allowed


def test_reset_forgets_a_key(backend):
    limiter = RateLimiter("reset", 1, 60, backend=backend, clock=Clock())
    assert limiter.hit("k").allowed and not limiter.hit("k").allowed
    limiter.reset("k")
    assert limiter.hit("k").allowed


def test_concurrent_hits_never_exceed_the_limit(backend):
    limiter = RateLimiter("race", 25, 60, backend=backend)
    allowed: list[bool] = []
    lock = threading.Lock()

    def hammer() -> None:
        for _ in range(20):
            decision = limiter.hit("shared")
            with lock:
                allowed.append(decision.allowed)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 160
    assert sum(allowed) == 25


def test_hit_all_stops_at_the_first_refusal_and_spares_the_longer_window():
    clock = Clock()
    backend = MemoryBackend()
    minute = RateLimiter("m", 2, 60, backend=backend, clock=clock)
    hour = RateLimiter("h", 3, 3600, backend=backend, clock=clock)
    assert hit_all("k", minute, hour) == RateDecision(allowed=True, remaining=1)
    assert hit_all("k", minute, hour) == RateDecision(allowed=True, remaining=0)
    refused = hit_all("k", minute, hour)
    assert not refused.allowed and refused.retry_after_seconds == 60
    clock.now += 60
    assert hit_all("k", minute, hour).allowed  # the refusal did not use up the hour's third slot
    clock.now += 60
    refused = hit_all("k", minute, hour)
    assert not refused.allowed and refused.retry_after_seconds == 3600 - 120


def test_redis_keys_expire_with_the_window_and_hold_no_raw_key(redis_client, redis_backend):
    RateLimiter("expiry", 5, 30, backend=redis_backend).hit("203.0.113.7")
    keys = list(redis_client.scan_iter(match=f"{redis_backend._prefix}:*"))
    assert len(keys) == 1
    assert b"203.0.113.7" not in keys[0]
    assert 0 < redis_client.pttl(keys[0]) <= 30_000


def test_redis_outage_falls_back_to_memory_limits(caplog):
    backend = RedisBackend("redis://127.0.0.1:1/0", cooldown_seconds=60)
    limiter = RateLimiter("outage", 2, 60, backend=backend, clock=Clock())
    assert limiter.hit("k").allowed
    assert limiter.hit("k").allowed
    assert not limiter.hit("k").allowed
    assert "Redis unavailable" in caplog.text
    assert caplog.text.count("Redis unavailable") == 1  # one warning per cooldown, not one per hit


def test_default_backend_follows_redis_url(monkeypatch):
    from dataclasses import replace

    monkeypatch.setattr(ratelimit, "_default_backend", None)
    monkeypatch.setattr(ratelimit, "settings", replace(ratelimit.settings, redis_url=None))
    assert isinstance(ratelimit.default_backend(), MemoryBackend)
    monkeypatch.setattr(ratelimit, "_default_backend", None)
    monkeypatch.setattr(ratelimit, "settings", replace(ratelimit.settings, redis_url=REDIS_URL))
    assert isinstance(ratelimit.default_backend(), RedisBackend)


def test_memory_backend_drops_expired_buckets():
    clock = Clock()
    backend = MemoryBackend(sweep_every=10)
    limiter = RateLimiter("sweep", 5, 60, backend=backend, clock=clock)
    for visitor in range(9):
        limiter.hit(f"visitor-{visitor}")
    clock.now += 61
    limiter.hit("late")  # the tenth call sweeps
    assert len(backend._logs) == 1


@pytest.mark.parametrize(
    ("name", "limit", "window"), [("", 1, 1), ("has space", 1, 1), ("x", 0, 1), ("x", 1, 0), ("x", 1, -5)]
)
def test_rejects_meaningless_limits(name, limit, window):
    with pytest.raises(ValueError):
        RateLimiter(name, limit, window)
