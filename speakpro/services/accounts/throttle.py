"""Throttling per account and per client: slowed after a few attempts, refused after more.

Logins count their failures, per account and per client address. Sign-ups count every attempt per client
address (a sign-up that succeeds is still one more account, or one more probe of an email). Keys are keyed
hashes of the normalised email or the client address, so the table holds neither.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from speakpro.models import LoginThrottle, utcnow
from speakpro.settings import settings

WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)


@dataclass(frozen=True)
class Limit:
    slow_after: int  # failures before each further attempt is delayed
    lock_after: int  # failures that lock the key for LOCKOUT


ACCOUNT_LIMIT = Limit(slow_after=3, lock_after=8)
CLIENT_LIMIT = Limit(slow_after=10, lock_after=30)
# Sign-ups per address in a window: a team enrolling together from one office fits, a script does not.
SIGNUP_LIMIT = Limit(slow_after=10, lock_after=20)
MAX_DELAY_SECONDS = 4.0


@dataclass(frozen=True)
class ThrottleDecision:
    """Whether an attempt may go ahead, after how long a pause, or for how long it is refused."""

    allowed: bool
    delay_seconds: float = 0.0
    retry_after_seconds: int = 0


def _key(kind: str, value: str) -> str:
    digest = hmac.new(settings.secret_key.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}:{digest[:64]}"


def account_key(email: str) -> str:
    return _key("account", email.strip().lower())


def client_key(client: str) -> str:
    return _key("client", client or "unknown")


def signup_key(client: str) -> str:
    """The key sign-ups from one client address are counted under (apart from its failed logins)."""
    return _key("signup", client or "unknown")


def _limit(key: str) -> Limit:
    if key.startswith("account:"):
        return ACCOUNT_LIMIT
    return SIGNUP_LIMIT if key.startswith("signup:") else CLIENT_LIMIT


def check(*, session: Session, keys: list[str], now: datetime | None = None) -> ThrottleDecision:
    """Decide on an attempt before checking the password."""
    now = now or utcnow()
    rows = session.execute(select(LoginThrottle).where(col(LoginThrottle.key).in_(keys))).scalars().all()
    delay, retry_after = 0.0, 0
    for row in rows:
        if row.locked_until and row.locked_until > now:
            retry_after = max(retry_after, int((row.locked_until - now).total_seconds()) + 1)
            continue
        if row.window_started_at <= now - WINDOW:
            continue
        over = row.failures - _limit(row.key).slow_after
        if over >= 0:
            delay = max(delay, min(MAX_DELAY_SECONDS, 0.5 * 2**over))
    if retry_after:
        return ThrottleDecision(allowed=False, retry_after_seconds=retry_after)
    return ThrottleDecision(allowed=True, delay_seconds=delay)


def record_failure(*, session: Session, keys: list[str], now: datetime | None = None) -> None:
    """Count an attempt against each key (atomically), locking keys that pass their limit.

    Logins call it for a failure; `check_signup` for every sign-up.
    """
    now = now or utcnow()
    for key in keys:
        limit = _limit(key)
        stale = col(LoginThrottle.window_started_at) <= now - WINDOW
        statement = insert(LoginThrottle).values(key=key, failures=1, window_started_at=now)
        failures = case((stale, 1), else_=col(LoginThrottle.failures) + 1)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["key"],
                set_={
                    "failures": failures,
                    "window_started_at": case((stale, now), else_=col(LoginThrottle.window_started_at)),
                    "locked_until": case(
                        (failures >= limit.lock_after, now + LOCKOUT), else_=LoginThrottle.locked_until
                    ),
                },
            )
        )


def check_signup(*, session: Session, client: str, now: datetime | None = None) -> ThrottleDecision:
    """Decide on a sign-up from this client address, and count it when it may go ahead.

    Args:
        session: An open database session; the count commits with it, so run this in its own
            transaction (a refused or failed sign-up must still have counted).
        client: The client's network address.
        now: The current time (tests).

    Returns:
        The decision: refused while the address is locked, else allowed with the delay to wait first.
    """
    keys = [signup_key(client)]
    decision = check(session=session, keys=keys, now=now)
    if decision.allowed:
        record_failure(session=session, keys=keys, now=now)
    return decision


def reset(*, session: Session, key: str) -> None:
    """Forget the failures of one key (after a successful login to that account)."""
    session.execute(delete(LoginThrottle).where(col(LoginThrottle.key) == key))
