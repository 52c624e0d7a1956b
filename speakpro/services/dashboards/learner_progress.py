"""A learner's own progress (`/progress`): their analysed sessions over a window, in a fixed number of queries
(3 on `session_analytics` through the `(user_id, session_date)` index, and the streak)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, func, select
from sqlmodel import Session, col

from speakpro.models import SessionAnalytics
from speakpro.services.accounts.time_zones import local_day
from speakpro.services.dashboards.dashboards import MAX_RANGE_DAYS, MAX_SERIES_POINTS, SKILL_LABELS, rounded, score_at
from speakpro.services.learning import streak

SA = SessionAnalytics


@dataclass
class SessionPoint:
    """One analysed session of a learner, in date order."""

    day: date
    overall_score: int | None
    pace_wpm: int | None
    fillers: int
    talk_ratio: float | None
    filler_rate: float | None = None  # fillers per 100 learner words


@dataclass
class LearnerProgress:
    """What `/progress` charts."""

    since: date
    until: date
    sessions: int = 0
    points: list[SessionPoint] = field(default_factory=list)
    first_score: int | None = None
    latest_score: int | None = None
    average_score: float | None = None
    skills: dict[str, float | None] = field(default_factory=dict)
    weekly_minutes: list[tuple[date, float]] = field(default_factory=list)  # (monday, minutes)
    practice_days: dict[date, int] = field(default_factory=dict)  # day -> sessions
    total_minutes: float = 0.0
    current_streak: int = 0


def learner_progress(
    *, session: Session, user_id: uuid.UUID, time_zone: str, days: int = 90, today: date | None = None
) -> LearnerProgress:
    """One learner's progress over the last `days` days (3 queries on `(user_id, session_date)`, and the streak).

    Args:
        session: A database session.
        user_id: The learner; only their own rows are read.
        time_zone: The learner's zone: their day streak counts their own days.
        days: The window, 7 to 366 days ending today (UTC).
        today: Override for tests.
    """
    streak_day = today or local_day(time_zone)
    today = today or datetime.now(UTC).date()
    days = max(7, min(MAX_RANGE_DAYS, int(days)))
    since = today - timedelta(days=days - 1)
    mine = and_(col(SA.user_id) == user_id, col(SA.session_date) >= since, col(SA.session_date) <= today)
    result = LearnerProgress(since=since, until=today)

    # 1. The per-session series (newest MAX_SERIES_POINTS, returned oldest first).
    rows = session.execute(
        select(
            col(SA.session_date),
            col(SA.overall_score),
            col(SA.speaking_pace_wpm),
            col(SA.filler_words_count),
            col(SA.talk_time_ratio),
            col(SA.filler_rate_per_100),
        )
        .where(mine)
        .order_by(col(SA.session_date).desc(), col(SA.session_hour).desc(), col(SA.created_at).desc())
        .limit(MAX_SERIES_POINTS)
    ).all()
    result.points = [
        SessionPoint(
            day=r.session_date,
            overall_score=r.overall_score,
            pace_wpm=r.speaking_pace_wpm,
            fillers=r.filler_words_count or 0,
            talk_ratio=rounded(r.talk_time_ratio, 3),
            filler_rate=rounded(r.filler_rate_per_100, 2),
        )
        for r in reversed(rows)
    ]

    # 2. Averages and first vs latest score over the whole window.
    agg = session.execute(
        select(
            func.count().label("sessions"),
            func.avg(col(SA.overall_score)).label("avg_score"),
            func.avg(col(SA.opening_score)).label("opening"),
            func.avg(col(SA.questioning_score)).label("questioning"),
            func.avg(col(SA.objection_handling_score)).label("objection_handling"),
            func.avg(col(SA.closing_score)).label("closing"),
            score_at(asc=True).label("first_score"),
            score_at(asc=False).label("latest_score"),
        ).where(mine)
    ).one()
    result.sessions = agg.sessions
    result.average_score = rounded(agg.avg_score)
    result.first_score = agg.first_score
    result.latest_score = agg.latest_score
    result.skills = {name: rounded(getattr(agg, name)) for name in SKILL_LABELS}

    # 3. Per-day totals: the streak calendar and the minutes per week.
    per_day = session.execute(
        select(col(SA.session_date), func.count().label("n"), func.sum(col(SA.duration_seconds)).label("seconds"))
        .where(mine)
        .group_by(col(SA.session_date))
        .order_by(col(SA.session_date))
    ).all()
    weeks: dict[date, float] = {}
    for r in per_day:
        result.practice_days[r.session_date] = r.n
        monday = r.session_date - timedelta(days=r.session_date.weekday())
        weeks[monday] = weeks.get(monday, 0.0) + (r.seconds or 0) / 60
    first_monday = since - timedelta(days=since.weekday())
    monday = first_monday
    while monday <= today:
        result.weekly_minutes.append((monday, round(weeks.get(monday, 0.0), 1)))
        monday += timedelta(days=7)
    result.total_minutes = round(sum(weeks.values()), 1)
    # 4. The day streak, as home shows it (every kind of practice counts, not only analysed sessions).
    # The window is of UTC dates, as `session_date` is; the streak's day is the learner's own.
    result.current_streak = streak.current_streak(
        session=session, user_id=user_id, today=streak_day, time_zone=time_zone
    )
    return result
