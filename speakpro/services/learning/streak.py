"""The day streak: one definition for every page that shows it (home, progress).

A day counts when the learner practised anything that day: a practice session started, a lesson step
answered, an exercise submitted (in a lesson or a venue), a milestone attempted, an amphitheatre exercise
recorded. The streak is the number of consecutive such days ending today, or ending yesterday when today has
no activity yet (a streak is not lost before the day is over). Days are UTC days: SpeakPro does not store a
learner's time zone yet.

It is read from the activity rows themselves (one query over their (user, time) indexes), so it cannot
drift from what the learner did, whatever writes them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Date, DateTime, Uuid, bindparam, cast, func, select, union_all
from sqlmodel import Session

from speakpro.models import (
    AmphitheatreExerciseRecord,
    ExerciseSubmission,
    LessonStepResponse,
    MilestoneAttempt,
    PracticeSession,
    table_of,
)

MAX_STREAK_DAYS = 366


def consecutive_days(days: set[date], today: date) -> int:
    """Consecutive days in `days` ending today, or yesterday when today is not in it yet."""
    day = today if today in days else today - timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count


def _activity_days_query():
    """Built once (a statement with bound parameters) on the Core tables: building it cost more than running
    it, and ORM columns would add the ORM's per-statement work (see `db.py`, "Hot reads")."""
    user_id, since = bindparam("user_id", type_=Uuid), bindparam("since", type_=DateTime(timezone=True))

    def days_of(model, column: str = "created_at"):
        table = table_of(model)
        utc_day = cast(func.timezone("UTC", table.c[column]), Date)
        return select(utc_day.label("day")).where(table.c.user_id == user_id, table.c[column] >= since)

    sessions = table_of(PracticeSession).c
    sources = union_all(
        days_of(PracticeSession, "started_at").where(sessions.deleted_at.is_(None)),
        days_of(LessonStepResponse),
        days_of(ExerciseSubmission),
        days_of(MilestoneAttempt),
        days_of(AmphitheatreExerciseRecord),
    ).subquery()
    return select(sources.c.day).distinct()


_ACTIVITY_DAYS = _activity_days_query()


def activity_days(*, session: Session, user_id: uuid.UUID, since: date) -> set[date]:
    """The UTC days since `since` on which the learner practised anything (one query)."""
    start = datetime(since.year, since.month, since.day, tzinfo=UTC)
    return set(session.execute(_ACTIVITY_DAYS, {"user_id": user_id, "since": start}).scalars())


def current_streak(*, session: Session, user_id: uuid.UUID, today: date) -> int:
    """The learner's day streak as of `today` (see the module docstring)."""
    days = activity_days(session=session, user_id=user_id, since=today - timedelta(days=MAX_STREAK_DAYS))
    return consecutive_days(days, today)
