"""Login throttling: slowed after a few failures, refused after more, per account and per client."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from speakpro.models import LoginThrottle, utcnow
from speakpro.services.accounts import throttle


def test_failures_slow_then_lock_an_account(session):
    keys = [throttle.account_key("victim@example.com")]
    limit = throttle.ACCOUNT_LIMIT
    for _ in range(limit.slow_after):
        assert throttle.check(session=session, keys=keys) == throttle.ThrottleDecision(allowed=True)
        throttle.record_failure(session=session, keys=keys)
    slowed = throttle.check(session=session, keys=keys)
    assert slowed.allowed and slowed.delay_seconds > 0
    for _ in range(limit.lock_after - limit.slow_after):
        throttle.record_failure(session=session, keys=keys)
    locked = throttle.check(session=session, keys=keys)
    assert not locked.allowed and 0 < locked.retry_after_seconds <= throttle.LOCKOUT.total_seconds() + 1
    # The lock ends after LOCKOUT.
    later = utcnow() + throttle.LOCKOUT + throttle.WINDOW + timedelta(seconds=5)
    assert throttle.check(session=session, keys=keys, now=later).allowed


def test_keys_hold_no_email_or_address(session):
    key = throttle.account_key("private@example.com")
    throttle.record_failure(session=session, keys=[key, throttle.client_key("203.0.113.9")])
    stored = session.execute(select(LoginThrottle.key)).scalars().all()
    assert all("private" not in k and "203.0.113" not in k for k in stored)
    assert throttle.account_key("PRIVATE@example.com ") == key


def test_one_client_trying_many_accounts_is_locked(session):
    client = throttle.client_key("198.51.100.7")
    for index in range(throttle.CLIENT_LIMIT.lock_after):
        throttle.record_failure(session=session, keys=[throttle.account_key(f"u{index}@example.com"), client])
    assert not throttle.check(session=session, keys=[throttle.account_key("fresh@example.com"), client]).allowed
    assert throttle.check(session=session, keys=[throttle.account_key("fresh@example.com")]).allowed


def test_a_success_resets_the_account_and_old_failures_expire(session):
    key = throttle.account_key("forgetful@example.com")
    for _ in range(throttle.ACCOUNT_LIMIT.slow_after + 1):
        throttle.record_failure(session=session, keys=[key])
    throttle.reset(session=session, key=key)
    assert throttle.check(session=session, keys=[key]).delay_seconds == 0
    for _ in range(throttle.ACCOUNT_LIMIT.slow_after + 1):
        throttle.record_failure(session=session, keys=[key])
    assert throttle.check(session=session, keys=[key], now=utcnow() + throttle.WINDOW).delay_seconds == 0
