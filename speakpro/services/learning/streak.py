"""The day streak: one definition for every page that shows it (home, progress), with streak freezes.

A day counts when the learner practised anything that day: a practice session started, a lesson step
answered, an exercise submitted (in a lesson or a venue), a milestone attempted, an amphitheatre exercise
recorded. Days are the learner's own (midnight to midnight in their time zone, `accounts/time_zones.py`).
The streak is the number of consecutive such days ending today, or ending yesterday when today has no
activity yet (a streak is not lost before the day is over).

A streak freeze, bought with coins (`economy.buy_streak_freeze`), covers one missed day: a day without
practice between two days with practice, or since the last one, does not break the streak while the
learner holds a freeze bought on or before that day. Covered days keep the streak but do not add to it. A
gap longer than the freezes that can cover it breaks the streak and uses none of them. A learner holds at
most `MAX_FREEZES_HELD`.

Everything is read from the rows themselves (the activity tables over their (user, time) indexes and the
freeze purchases in the ledger, one query), so the streak cannot drift from what the learner did, and
which freeze covered which day follows from the dates alone: nothing is written when a day is missed.
"""

from __future__ import annotations

import uuid
from bisect import insort
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Date, DateTime, String, Uuid, bindparam, cast, false, func, select, true, union_all
from sqlmodel import Session

from speakpro.models import (
    AmphitheatreExerciseRecord,
    ExerciseSubmission,
    LessonStepResponse,
    MilestoneAttempt,
    PracticeSession,
    RewardLedger,
    table_of,
)

MAX_STREAK_DAYS = 366
MAX_FREEZES_HELD = 2
STREAK_FREEZE = "streak_freeze"  # the ledger reason of a freeze purchase


@dataclass(frozen=True)
class StreakStatus:
    """The streak as of one day: its length, the freezes still held, and the days freezes covered in it."""

    days: int
    freezes_held: int
    frozen_days: tuple[date, ...] = ()


def _cover(gap: list[date], held: list[date], frozen: list[date]) -> bool:
    """Cover every day of `gap` with a held freeze bought on or before it, earliest bought first: the freezes
    used leave `held`, the days join `frozen`. False, changing nothing, when some day cannot be covered."""
    left, used = list(held), []
    for day in gap:
        usable = next((bought for bought in left if bought <= day), None)
        if usable is None:
            return False
        left.remove(usable)
        used.append(usable)
    held[:] = left
    frozen.extend(gap)
    return True


def streak_status(days: set[date], freezes_bought: list[date], today: date) -> StreakStatus:
    """The streak as of `today` from the learner's practice days and the days they bought freezes on (see the
    module docstring). Walks forward from the first of them, so a gap's outcome never changes once it is over."""
    if not days and not freezes_bought:
        return StreakStatus(0, 0)
    bought_on: dict[date, int] = {}
    for day in freezes_bought:
        bought_on[day] = bought_on.get(day, 0) + 1
    held: list[date] = []
    frozen: list[date] = []
    run, gap = 0, []
    day = min(days | set(freezes_bought))
    while day <= today:
        for _ in range(bought_on.get(day, 0)):
            insort(held, day)
        if day in days:
            if gap and run and not _cover(gap, held, frozen):
                run = 0
                frozen.clear()
            gap = []
            run += 1
        elif day < today:  # today without practice is not missed yet
            gap.append(day)
        day += timedelta(days=1)
    # Missed days up to yesterday: covered while freezes last, else the streak is over.
    if gap and run and not _cover(gap, held, frozen):
        run = 0
        frozen.clear()
    return StreakStatus(days=run, freezes_held=min(len(held), MAX_FREEZES_HELD), frozen_days=tuple(frozen))


def _streak_query():
    """Built once (a statement with bound parameters) on the Core tables: building it cost more than running
    it, and ORM columns would add the ORM's per-statement work (see `db.py`, "Hot reads"). Rows are
    (day, is_freeze): each practice day once, and one row per freeze bought."""
    user_id, since = bindparam("user_id", type_=Uuid), bindparam("since", type_=DateTime(timezone=True))
    zone = bindparam("time_zone", type_=String)

    def local_day(column):
        return cast(func.timezone(zone, column), Date)

    def days_of(model, column: str = "created_at"):
        table = table_of(model)
        return select(local_day(table.c[column]).label("day")).where(
            table.c.user_id == user_id, table.c[column] >= since
        )

    sessions = table_of(PracticeSession).c
    sources = union_all(
        days_of(PracticeSession, "started_at").where(sessions.deleted_at.is_(None)),
        days_of(LessonStepResponse),
        days_of(ExerciseSubmission),
        days_of(MilestoneAttempt),
        days_of(AmphitheatreExerciseRecord),
    ).subquery()
    ledger = table_of(RewardLedger).c
    freezes = select(local_day(ledger.created_at), true()).where(
        ledger.user_id == user_id,
        ledger.currency == "coins",
        ledger.reason == STREAK_FREEZE,
        ledger.created_at >= since,
    )
    return union_all(select(sources.c.day, false()).distinct(), freezes)


_STREAK = _streak_query()


def read_streak(*, session: Session, user_id: uuid.UUID, today: date, time_zone: str) -> StreakStatus:
    """The learner's streak as of `today`, their date in `time_zone` (one query; see the module docstring)."""
    since = today - timedelta(days=MAX_STREAK_DAYS)
    # A day earlier in UTC: the query turns times into the learner's dates, which can lie a day behind UTC.
    start = datetime(since.year, since.month, since.day, tzinfo=UTC) - timedelta(days=1)
    rows = session.execute(_STREAK, {"user_id": user_id, "since": start, "time_zone": time_zone}).all()
    days = {day for day, is_freeze in rows if not is_freeze and day >= since}
    freezes = [day for day, is_freeze in rows if is_freeze]
    return streak_status(days, freezes, today)


def current_streak(*, session: Session, user_id: uuid.UUID, today: date, time_zone: str) -> int:
    """The learner's day streak as of `today` (see `read_streak`)."""
    return read_streak(session=session, user_id=user_id, today=today, time_zone=time_zone).days
