"""Sliding-window rate limits, shared by every worker through Redis or kept in this process's memory.

A `RateLimiter` allows at most `limit` hits per key in any window of `window_seconds` (a sliding log:
each accepted hit is remembered until it leaves the window), so "10 a minute" never lets 20 through
across a minute boundary the way a fixed window would. Refused hits are not remembered, so a client that
keeps knocking gets in again as soon as its oldest accepted hit ages out. A key costs O(limit) memory,
which suits limits up to a few thousand per window.

With `REDIS_URL` set the counts live in Redis (one sorted set per key, updated by one Lua script so
concurrent workers cannot both take the last slot); otherwise in a thread-safe dictionary. When Redis
stops answering, limits are kept in memory for a while rather than failing every request.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, cast

import redis

from speakpro.settings import settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateDecision:
    """Whether one hit may go ahead; when refused, how many whole seconds until one would be allowed."""

    allowed: bool
    retry_after_seconds: int = 0
    remaining: int = 0


class RateLimitBackend(Protocol):
    """Where hits are counted. `hit` checks and records one hit atomically."""

    def hit(self, bucket: str, limit: int, window_seconds: float, now: float) -> tuple[bool, float, int]:
        """Record a hit unless the bucket is full.

        Returns:
            (allowed, seconds until a slot frees up when refused, hits left in the window).
        """
        ...

    def reset(self, bucket: str) -> None:
        """Forget every hit of one bucket."""
        ...


class MemoryBackend:
    """Counts hits in this process; safe to share between threads."""

    def __init__(self, *, sweep_every: int = 1024):
        self._logs: dict[str, tuple[deque[float], float]] = {}
        self._lock = threading.Lock()
        self._sweep_every = sweep_every
        self._calls = 0

    def hit(self, bucket: str, limit: int, window_seconds: float, now: float) -> tuple[bool, float, int]:
        """See `RateLimitBackend.hit`."""
        with self._lock:
            self._calls += 1
            if self._calls % self._sweep_every == 0:
                self._sweep(now)
            hits, _ = self._logs.setdefault(bucket, (deque(), window_seconds))
            while hits and hits[0] <= now - window_seconds:
                hits.popleft()
            if len(hits) < limit:
                hits.append(now)
                return True, 0.0, limit - len(hits)
            return False, hits[0] + window_seconds - now, 0

    def reset(self, bucket: str) -> None:
        """See `RateLimitBackend.reset`."""
        with self._lock:
            self._logs.pop(bucket, None)

    def _sweep(self, now: float) -> None:
        # Every distinct client leaves a bucket behind; drop the ones whose hits have all expired so a
        # long-running process does not grow without bound.
        stale = [key for key, (hits, window) in self._logs.items() if not hits or hits[-1] <= now - window]
        for key in stale:
            del self._logs[key]


# Prune the window, then either record the hit or report when the oldest remembered hit leaves it.
# Floats go back as strings: Redis truncates Lua numbers to integers.
_SLIDING_LOG = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, math.ceil(window * 1000))
  return {1, limit - count - 1, '0'}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, 0, tostring(tonumber(oldest[2]) + window - now)}
"""


class RedisBackend:
    """Counts hits in Redis so that every worker shares them; falls back to memory while Redis is down."""

    def __init__(
        self,
        url: str | None = None,
        *,
        client: redis.Redis | None = None,
        prefix: str = "speakpro:ratelimit",
        fallback: MemoryBackend | None = None,
        cooldown_seconds: float = 30.0,
    ):
        if client is None:
            if not url:
                raise ValueError("RedisBackend needs a url or a client")
            # Short timeouts: a limiter check sits in front of user actions and must not hang on an outage.
            client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        self._client = client
        self._script = client.register_script(_SLIDING_LOG)
        self._prefix = prefix
        self._fallback = fallback or MemoryBackend()
        self._cooldown = cooldown_seconds
        self._down_until = 0.0

    def hit(self, bucket: str, limit: int, window_seconds: float, now: float) -> tuple[bool, float, int]:
        """See `RateLimitBackend.hit`."""
        if time.monotonic() < self._down_until:
            return self._fallback.hit(bucket, limit, window_seconds, now)
        member = f"{now!r}:{secrets.token_hex(6)}"  # unique, so two hits in the same instant both count
        try:
            reply = self._script(
                keys=[f"{self._prefix}:{bucket}"], args=[repr(now), repr(float(window_seconds)), limit, member]
            )
            allowed, remaining, retry = cast(list[Any], reply)  # a sync client answers the list itself
        except redis.RedisError as error:
            # Failing open would remove the limit exactly when something is wrong; failing closed would
            # lock everyone out. Counting in memory keeps a per-process limit until Redis is back.
            log.warning(
                "rate limiter: Redis unavailable (%s); counting in memory for %.0fs",
                type(error).__name__,
                self._cooldown,
            )
            self._down_until = time.monotonic() + self._cooldown
            return self._fallback.hit(bucket, limit, window_seconds, now)
        return bool(allowed), float(retry), int(remaining)

    def reset(self, bucket: str) -> None:
        """See `RateLimitBackend.reset`."""
        self._fallback.reset(bucket)
        try:
            self._client.delete(f"{self._prefix}:{bucket}")
        except redis.RedisError as error:
            log.warning("rate limiter: could not reset a bucket in Redis (%s)", type(error).__name__)


_default_backend: RateLimitBackend | None = None
_default_lock = threading.Lock()


def default_backend() -> RateLimitBackend:
    """The process-wide backend: Redis when `REDIS_URL` is set, else memory (created on first use)."""
    global _default_backend
    with _default_lock:
        if _default_backend is None:
            _default_backend = RedisBackend(settings.redis_url) if settings.redis_url else MemoryBackend()
        return _default_backend


class RateLimiter:
    """At most `limit` hits per key in any `window_seconds`, e.g. `RateLimiter("chatbot:minute", 10, 60)`."""

    def __init__(
        self,
        name: str,
        limit: int,
        window_seconds: float,
        *,
        backend: RateLimitBackend | None = None,
        clock: Callable[[], float] = time.time,
    ):
        """Describe a limit; nothing is counted until `hit`.

        Args:
            name: Names the limit; limiters with different names never share counts.
            limit: Hits allowed per window (at least 1).
            window_seconds: Length of the sliding window.
            backend: Where hits are counted; `default_backend()` when omitted.
            clock: Wall-clock seconds; every worker sharing a Redis backend must agree on it.

        Raises:
            ValueError: On an empty name, a limit below 1 or a window that is not positive.
        """
        if not name or any(ch.isspace() for ch in name):
            raise ValueError("a rate limit needs a name without spaces")
        if limit < 1:
            raise ValueError("a rate limit allows at least one hit")
        if not window_seconds > 0:
            raise ValueError("a rate limit window must be longer than zero seconds")
        self.name = name
        self.limit = limit
        self.window_seconds = float(window_seconds)
        self._backend = backend
        self._clock = clock

    def _bucket(self, key: str) -> str:
        # Hash the caller's key (an address, a user or company id): bounded length, and no raw
        # addresses in the Redis key space.
        return f"{self.name}:{hashlib.sha256(key.encode()).hexdigest()[:32]}"

    def hit(self, key: str) -> RateDecision:
        """Count one hit for `key` if the window has room.

        Args:
            key: Who is being limited (an address, a user or company id).

        Returns:
            The decision; a refused hit is not counted.
        """
        backend = self._backend or default_backend()
        allowed, retry_after, remaining = backend.hit(self._bucket(key), self.limit, self.window_seconds, self._clock())
        if allowed:
            return RateDecision(allowed=True, remaining=remaining)
        # Whole seconds, rounded up, never 0 and never beyond one window (e.g. after a clock step back).
        wait = min(max(1, math.ceil(retry_after)), math.ceil(self.window_seconds))
        return RateDecision(allowed=False, retry_after_seconds=wait)

    def reset(self, key: str) -> None:
        """Forget the hits of `key` (e.g. after an administrator lifts a block)."""
        (self._backend or default_backend()).reset(self._bucket(key))


def hit_all(key: str, *limiters: RateLimiter) -> RateDecision:
    """Pass `key` through several limits in order, stopping at the first refusal.

    Put the shortest window first: a refusal there then costs nothing from the longer windows.

    Args:
        key: Who is being limited.
        limiters: The limits to apply, e.g. per minute then per hour.

    Returns:
        The first refusal, else an allowance with the fewest hits left across the limits.
    """
    remaining = None
    for limiter in limiters:
        decision = limiter.hit(key)
        if not decision.allowed:
            return decision
        remaining = decision.remaining if remaining is None else min(remaining, decision.remaining)
    return RateDecision(allowed=True, remaining=remaining or 0)
