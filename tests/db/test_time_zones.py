"""The learner's day in their own time zone (streak, quests), and streak freezes bought with coins."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from speakpro.models import RewardLedger, UserProfile
from speakpro.services.accounts.sessions import create_session, resolve_session
from speakpro.services.accounts.time_zones import learner_day, save_time_zone
from speakpro.services.learning.economy import (
    STREAK_FREEZE_PRICE_COINS,
    EconomyError,
    InsufficientBalance,
    buy_streak_freeze,
    ledger_totals,
)
from speakpro.services.learning.home import get_home_summary
from speakpro.services.learning.streak import STREAK_FREEZE, read_streak
from speakpro.services.validation import ValidationError
from tests.factories import make_practice_session, make_user, today
from tests.factories_world import grant

DAY = date(2026, 12, 2)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def _practised(session, learner, started: datetime) -> None:
    make_practice_session(session, learner, started_at=started, ended_at=started + timedelta(minutes=5), status="ended")


def test_two_sessions_either_side_of_utc_midnight_are_one_day_or_two_by_the_learners_zone(session):
    learner = make_user(session)
    # 23:30 UTC on DAY and 07:00 UTC the day after.
    _practised(session, learner, _at(DAY, 23, 30))
    _practised(session, learner, _at(DAY + timedelta(days=1), 7))
    next_day = DAY + timedelta(days=1)

    def streak(zone: str, today: date) -> int:
        return read_streak(session=session, user_id=learner.id, today=today, time_zone=zone).days

    assert streak("UTC", next_day) == 2  # two UTC dates
    assert streak("Asia/Tokyo", next_day) == 1  # 08:30 and 16:00 on the same Tokyo morning and afternoon
    assert streak("America/Los_Angeles", DAY) == 1  # 15:30 and 23:00 the same Californian day
    assert streak("Europe/Paris", next_day) == 1  # 00:30 and 08:00 the next Paris day


def test_the_zone_is_chosen_from_the_list_and_reaches_the_viewer(session):
    learner = make_user(session)
    token = create_session(session=session, user_id=learner.id)
    assert resolve_session(session=session, token=token).time_zone == "UTC"  # until the learner chooses
    assert save_time_zone(session=session, user_id=learner.id, time_zone=" Asia/Tokyo ") == "Asia/Tokyo"
    viewer = resolve_session(session=session, token=token)
    assert viewer.time_zone == "Asia/Tokyo"
    assert learner_day(session=session, user_id=learner.id, at=_at(DAY, 23, 30)) == DAY + timedelta(days=1)
    for bad in ("Mars/Olympus_Mons", "US/Pacific", "Etc/GMT+3", "", "asia/tokyo", None, 9, ["UTC"]):
        with pytest.raises(ValidationError, match="Choose your time zone from the list"):
            save_time_zone(session=session, user_id=learner.id, time_zone=bad)
    session.expire_all()
    assert session.get(UserProfile, learner.id).time_zone == "Asia/Tokyo"  # nothing changed


def _freeze_bought_at(session, user_id, when: datetime) -> None:
    """The ledger row a purchase at `when` left (the ledger is append-only: its rows cannot be backdated)."""
    session.add(
        RewardLedger(
            user_id=user_id,
            currency="coins",
            amount=-STREAK_FREEZE_PRICE_COINS,
            balance_after=0,
            reason=STREAK_FREEZE,
            source_key=f"bought-at-{when.isoformat()}",
            created_at=when,
        )
    )
    session.flush()


def test_a_freeze_bought_with_coins_keeps_the_streak_through_a_missed_day(session):
    now = today()  # freezes are bought at the ledger's clock: days count back from the real today
    learner = make_user(session)
    grant(session, learner.id, "coins", 2 * STREAK_FREEZE_PRICE_COINS + 5)
    for offset in (4, 3, 1, 0):  # two days ago missed
        _practised(session, learner, _at(now - timedelta(days=offset), 9))
    before = read_streak(session=session, user_id=learner.id, today=now, time_zone="UTC")
    assert (before.days, before.freezes_held) == (2, 0)

    bought = buy_streak_freeze(session=session, user_id=learner.id, request_key="f" * 32, today=now, time_zone="UTC")
    assert (bought.bought_now, bought.coins, bought.freezes_held) == (True, STREAK_FREEZE_PRICE_COINS + 5, 1)
    # Bought today, it cannot cover a day already missed: it waits for the next one.
    held = read_streak(session=session, user_id=learner.id, today=now, time_zone="UTC")
    assert (held.days, held.freezes_held) == (2, 1)
    # One bought before the missed day covers it (home says so too); today's is still held.
    _freeze_bought_at(session, learner.id, _at(now - timedelta(days=3), 20))
    covered = read_streak(session=session, user_id=learner.id, today=now, time_zone="UTC")
    assert (covered.days, covered.freezes_held, covered.frozen_days) == (4, 1, (now - timedelta(days=2),))
    summary = get_home_summary(session=session, user_id=learner.id, today=now, time_zone="UTC")
    assert (summary.streak_days, summary.streak_freezes) == (4, 1)


def test_a_freeze_purchase_is_paid_once_per_click_and_limited(session):
    now = today()  # freezes are bought at the ledger's clock: days count back from the real today
    learner = make_user(session)
    grant(session, learner.id, "coins", 3 * STREAK_FREEZE_PRICE_COINS)

    def buy(key: str):
        return buy_streak_freeze(session=session, user_id=learner.id, request_key=key, today=now, time_zone="UTC")

    first, again = buy("a" * 32), buy("a" * 32)  # the same click, retried
    assert (first.bought_now, again.bought_now, again.coins, again.freezes_held) == (
        True,
        False,
        2 * STREAK_FREEZE_PRICE_COINS,
        1,
    )
    assert buy("b" * 32).freezes_held == 2
    with pytest.raises(EconomyError, match="already hold 2 streak freezes"):
        buy("c" * 32)
    assert buy("b" * 32).bought_now is False  # a retry of a purchase that went through is still answered
    for key in ("", "short", "x" * 65, "spaces in key !!!!", None):
        with pytest.raises(EconomyError, match="could not be read"):
            buy(key)  # type: ignore[arg-type]
    assert ledger_totals(session=session, user_id=learner.id)["coins"] == STREAK_FREEZE_PRICE_COINS


def test_a_freeze_needs_the_coins(session):
    now = today()  # freezes are bought at the ledger's clock: days count back from the real today
    learner = make_user(session)
    grant(session, learner.id, "coins", STREAK_FREEZE_PRICE_COINS - 1)
    with pytest.raises(InsufficientBalance, match=f"you have {STREAK_FREEZE_PRICE_COINS - 1}"):
        buy_streak_freeze(session=session, user_id=learner.id, request_key="d" * 32, today=now, time_zone="UTC")
    assert read_streak(session=session, user_id=learner.id, today=now, time_zone="UTC").freezes_held == 0
