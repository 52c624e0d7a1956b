"""The streak with freezes, from dates alone: what a freeze covers, what breaks a streak anyway, and that a
gap's outcome never changes once it is over."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from speakpro.services.learning.streak import MAX_FREEZES_HELD, StreakStatus, streak_status

D = date(2026, 12, 1)


def day(n: int) -> date:
    return D + timedelta(days=n)


def days(*numbers: int) -> set[date]:
    return {day(n) for n in numbers}


def test_without_freezes_the_streak_ends_today_or_yesterday():
    practised = days(0, 1, 2)
    assert streak_status(practised, [], day(2)) == StreakStatus(3, 0)
    assert streak_status(practised, [], day(3)).days == 3  # today not practised yet: not lost before midnight
    assert streak_status(practised, [], day(4)).days == 0  # a whole day missed
    assert streak_status(set(), [], day(0)) == StreakStatus(0, 0)


def test_a_freeze_covers_one_missed_day_and_is_used_up():
    practised = days(0, 1, 3, 4)  # day 2 missed
    status = streak_status(practised, [day(0)], day(4))
    assert status == StreakStatus(days=4, freezes_held=0, frozen_days=(day(2),))  # the covered day adds nothing
    # Without the freeze the streak restarted on day 3.
    assert streak_status(practised, [], day(4)).days == 2


def test_a_freeze_covers_yesterday_while_today_is_still_open():
    status = streak_status(days(0, 1), [day(1)], day(3))  # day 2 missed, day 3 not over
    assert (status.days, status.freezes_held, status.frozen_days) == (2, 0, (day(2),))


def test_a_freeze_bought_after_the_missed_day_does_not_cover_it():
    status = streak_status(days(0, 1, 3), [day(3)], day(3))
    assert (status.days, status.freezes_held) == (1, 1)  # the streak broke on day 2; the freeze is still held


def test_a_freeze_bought_on_the_missed_day_covers_it():
    assert streak_status(days(0, 1, 3), [day(2)], day(3)).days == 3


def test_a_gap_longer_than_the_freezes_breaks_the_streak_and_uses_none():
    status = streak_status(days(0, 1, 4), [day(0)], day(4))  # days 2 and 3 missed, one freeze
    assert (status.days, status.freezes_held, status.frozen_days) == (1, 1, ())
    # Two freezes cover both days.
    status = streak_status(days(0, 1, 4), [day(0), day(1)], day(4))
    assert (status.days, status.freezes_held, status.frozen_days) == (3, 0, (day(2), day(3)))


def test_freezes_before_any_practice_wait_for_a_streak():
    status = streak_status(days(5, 6), [day(0)], day(6))
    assert (status.days, status.freezes_held) == (2, 1)


def test_a_used_freeze_stays_used_when_the_streak_later_breaks():
    # Day 2 covered by the only freeze; days 6-7 missed later with none left: the streak restarts on day 8,
    # and the freeze used on day 2 does not come back.
    status = streak_status(days(0, 1, 3, 4, 5, 8), [day(0)], day(8))
    assert (status.days, status.freezes_held) == (1, 0)


def test_the_earliest_bought_freeze_is_used_first():
    # Freezes bought on day 0 and day 5; day 2 is missed (only the day-0 one can cover it), then day 7.
    status = streak_status(days(0, 1, 3, 4, 5, 6, 8), [day(5), day(0)], day(8))
    assert (status.days, status.freezes_held, status.frozen_days) == (7, 0, (day(2), day(7)))


@given(
    practised=st.sets(st.integers(0, 39), max_size=30),
    bought=st.lists(st.integers(0, 40), max_size=4),
    extra=st.integers(1, 10),
)
def test_a_gap_once_over_keeps_its_outcome(practised, bought, extra):
    """Practising every day after today: the days covered so far stay covered and the streak grows by one a
    day; the streak never exceeds the days practised, nor the freezes held the most allowed."""
    today = day(40)
    practised_days = days(*practised) | {today}
    freezes = [day(n) for n in bought]
    now = streak_status(practised_days, freezes, today)
    assert now.freezes_held <= MAX_FREEZES_HELD
    assert now.days <= len(practised_days)
    every_day_after = {today + timedelta(days=n) for n in range(1, extra + 1)}
    later = streak_status(practised_days | every_day_after, freezes, today + timedelta(days=extra))
    assert later.days == now.days + extra
    assert later.frozen_days == now.frozen_days
    assert later.freezes_held == now.freezes_held
