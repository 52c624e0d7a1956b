"""What Row-Level Security costs one call, measured as the app runs it: the same work through the owner's
engine (no RLS) and through the app's engine (the app role under RLS, its context set per transaction),
one transaction per call, the two engines alternating call by call so that the machine's drift (other
processes, CPU frequency) falls on both alike. The cost is the median of the per-pair ratios.

Each engine's calls rotate over every connection of its pool: on this machine one connection's round trip
is steadily about 50 µs or about 100 µs, depending on where the scheduler puts its server process, so two
engines measured on one connection each can differ by 2x for reasons that have nothing to do with RLS."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session


@dataclass(frozen=True)
class RlsCost:
    owner_p50: float
    rls_p50: float
    ratio: float  # median of rls/owner over adjacent pairs
    spread: tuple[float, float]  # the pair ratios' 25th and 75th percentiles

    def __str__(self) -> str:
        return (
            f"owner p50 {self.owner_p50:.2f} ms, app role p50 {self.rls_p50:.2f} ms: RLS costs "
            f"{self.ratio - 1:+.1%} (pairs' interquartile range {self.spread[0] - 1:+.0%} to "
            f"{self.spread[1] - 1:+.0%})"
        )


def _call(engine: Engine, work: Callable[[Session], object]) -> float:
    started = time.perf_counter()
    with Session(engine) as session:
        work(session)
        session.rollback()
    return (time.perf_counter() - started) * 1000


def _fill_pool(engine: Engine) -> None:
    """Open as many connections as the pool keeps and give them back: its FIFO queue then hands them out in
    turn, so the calls are spread over all of them."""
    connections = [engine.connect() for _ in range(engine.pool.size())]
    for connection in connections:
        connection.close()


def rls_cost(
    owner: Engine, app: Engine, work: Callable[[Session], object], iterations: int, warmup: int = 10
) -> RlsCost:
    """Time `work` `iterations` times on each engine, alternating (the caller sets the DbContext)."""
    for engine in (owner, app):
        _fill_pool(engine)
    for _ in range(warmup):
        _call(owner, work)
        _call(app, work)
    owner_ms, rls_ms = [], []
    for index in range(iterations):
        if index % 2:  # alternate which engine goes first, so neither always runs on a warmer cache
            owner_ms.append(_call(owner, work))
            rls_ms.append(_call(app, work))
        else:
            rls_ms.append(_call(app, work))
            owner_ms.append(_call(owner, work))
    ratios = sorted(r / o for o, r in zip(owner_ms, rls_ms, strict=True))
    quartiles = statistics.quantiles(ratios, n=4)
    return RlsCost(
        statistics.median(owner_ms), statistics.median(rls_ms), statistics.median(ratios), (quartiles[0], quartiles[2])
    )
