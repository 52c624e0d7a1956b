"""One learner as their company's managers see them: a drill-down of the company dashboard's learner table.

What it shows is what the dashboard already aggregates, per session instead of per learner: the scores,
durations and skill scores of `session_analytics` rows in a date range, and the trend fitted across them
(`dashboards.fitted_change`). Never a transcript, a recording or the coach's notes: those stay the learner's.
Every opening of the page writes an audit row (who looked at whom, for which dates).

3 queries whatever the data size: the learner (a learner member of that company), the range's aggregate,
and its latest `MAX_SERIES_POINTS` sessions (through the `(user_id, session_date)` index).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session, col

from speakpro.models import User, UserProfile, table_of
from speakpro.services.dashboards.dashboards import (
    MAX_SERIES_POINTS,
    SKILL_LABELS,
    TREND_MIN_SESSIONS,
    SessionAnalytics,
    clamp_range,
    fitted_change,
    rounded,
    trend_of,
)
from speakpro.services.telemetry import audit

_A = table_of(SessionAnalytics).c


@dataclass(frozen=True)
class SessionPoint:
    """One analysed session of the learner, as the dashboard counts it."""

    day: date
    hour: int
    overall_score: int | None
    minutes: float
    skills: dict[str, int | None]


@dataclass
class CompanyLearner:
    """One learner's figures for a date range, for their company's managers."""

    user_id: str
    name: str
    email: str
    date_from: date
    date_to: date
    sessions: int = 0
    average_score: float | None = None
    total_minutes: float = 0.0
    trend: str = "few"
    trend_change: float | None = None
    skills: dict[str, float | None] = field(default_factory=dict)
    points: list[SessionPoint] = field(default_factory=list)  # oldest first, the latest MAX_SERIES_POINTS


def company_learner(
    *,
    session: Session,
    company_id: uuid.UUID,
    learner_id: uuid.UUID,
    viewer_id: uuid.UUID,
    date_from: date | None,
    date_to: date | None,
) -> CompanyLearner | None:
    """A learner of `company_id` and their sessions in a date range; None when they are not (or no longer)
    one of its learners. The caller has checked that the viewer may see the company's dashboard.

    Raises:
        ValidationError: For a reversed range (`dashboards.clamp_range`).
    """
    date_from, date_to = clamp_range(date_from, date_to)
    profiles = table_of(UserProfile).c
    person = session.execute(
        select(col(User.id), col(User.display_name), col(User.email))
        .join(UserProfile, col(UserProfile.user_id) == col(User.id))
        .where(
            col(User.id) == learner_id,
            col(User.deleted_at).is_(None),
            profiles.company_id == company_id,
            profiles.role == "learner",
        )
    ).one_or_none()
    if person is None:
        return None
    in_range = (
        _A.user_id == learner_id,
        _A.company_id == company_id,
        _A.session_date >= date_from,
        _A.session_date <= date_to,
    )
    totals = session.execute(
        select(
            func.count(),
            func.avg(_A.overall_score),
            func.coalesce(func.sum(_A.duration_seconds), 0),
            func.count(_A.overall_score),
            fitted_change(),
            *(func.avg(_A[f"{skill}_score"]) for skill in SKILL_LABELS),
        ).where(*in_range)
    ).one()
    order = (_A.session_date.desc(), _A.session_hour.desc(), _A.created_at.desc())
    rows = session.execute(
        select(
            _A.session_date,
            _A.session_hour,
            _A.overall_score,
            _A.duration_seconds,
            *(_A[f"{skill}_score"] for skill in SKILL_LABELS),
        )
        .where(*in_range)
        .order_by(*order)
        .limit(MAX_SERIES_POINTS)
    ).all()
    audit(
        session=session,
        action="company.learner_viewed",
        target_type="user",
        actor_user_id=viewer_id,
        subject_user_id=learner_id,
        company_id=company_id,
        target_id=learner_id,
        details={"date_from": date_from.isoformat(), "date_to": date_to.isoformat()},
    )
    sessions, average, seconds, scored, change = totals[:5]
    return CompanyLearner(
        user_id=str(person.id),
        name=person.display_name or person.email.split("@")[0],
        email=person.email,
        date_from=date_from,
        date_to=date_to,
        sessions=sessions,
        average_score=rounded(average),
        total_minutes=round(int(seconds) / 60, 1),
        trend=trend_of(None if change is None else float(change), scored),
        trend_change=rounded(change) if scored >= TREND_MIN_SESSIONS else None,
        skills={name: rounded(value) for name, value in zip(SKILL_LABELS, totals[5:], strict=True)},
        points=[
            SessionPoint(
                day=r.session_date,
                hour=r.session_hour or 0,
                overall_score=r.overall_score,
                minutes=round((r.duration_seconds or 0) / 60, 1),
                skills={skill: r[4 + i] for i, skill in enumerate(SKILL_LABELS)},
            )
            for r in reversed(rows)
        ],
    )
