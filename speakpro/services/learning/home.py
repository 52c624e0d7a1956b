"""What the learner's home shows, in a fixed number of queries whatever the learner's history.

Queries: balances and practice counts (1), level progress (2), module statuses (2), today's quests
(2: insert-if-missing, read), recent practice with the latest feedback (1).

The latest feedback is the newest analysed session among the recent ones: its score, pace / fillers / talk
time against their healthy bands (as the session page shows them) and the coach's first improvement, so the
analysis of a session reaches the learner's home.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session, col

from speakpro import routes
from speakpro.models import PracticeSession, SessionAnalytics, UserProfile
from speakpro.services.analysis.summary import SessionSummary
from speakpro.services.learning import progress, quests, streak
from speakpro.services.practice.history import MetricView, metric_views, provider_label

HOME_METRICS = ("pace_wpm", "filler_rate_per_100", "talk_time_ratio")


@dataclass(frozen=True)
class HomeSummary:
    xp: int
    coins: int
    tickets: int
    streak_days: int
    sessions_total: int
    sessions_last_7_days: int
    main_goal: str


@dataclass(frozen=True)
class ModuleCard:
    code: str
    title: str
    status: str
    lessons_completed: int
    lessons_total: int
    next_lesson_id: str


@dataclass(frozen=True)
class RecentPractice:
    id: str
    title: str
    started_at: str
    duration_minutes: int
    score: int
    status: str


@dataclass(frozen=True)
class LatestFeedback:
    """The newest analysed session's headline: score, three banded metrics and one thing to improve."""

    href: str  # the session's analysis page
    title: str
    score: int | None
    provider: str  # "Local rubric" or "AI coach"
    metrics: list[MetricView]
    improvement: str
    quote: str


@dataclass(frozen=True)
class HomeDashboard:
    summary: HomeSummary
    level_title: str
    level_number: int
    modules_completed: int
    modules_total: int
    level_percent: int
    milestone_unlocked: bool
    milestone_passed: bool
    milestone_threshold: int
    modules: list[ModuleCard]
    quests: list[quests.QuestView]
    recent: list[RecentPractice]
    latest_feedback: LatestFeedback | None = None
    next_lesson_id: str = ""  # the lesson to take next ("" when every open module is done)


def get_home_summary(*, session: Session, user_id: uuid.UUID, today: date) -> HomeSummary:
    """Balances, streak and practice counts of one learner (two queries: the profile, the streak)."""
    recent = func.now() - func.make_interval(0, 0, 0, 7)
    row = session.execute(
        select(
            col(UserProfile.xp),
            col(UserProfile.coins),
            col(UserProfile.tickets),
            col(UserProfile.main_goal),
            select(func.count())
            .where(col(PracticeSession.user_id) == user_id, col(PracticeSession.deleted_at).is_(None))
            .scalar_subquery(),
            select(func.count())
            .where(
                col(PracticeSession.user_id) == user_id,
                col(PracticeSession.deleted_at).is_(None),
                col(PracticeSession.started_at) >= recent,
            )
            .scalar_subquery(),
        ).where(col(UserProfile.user_id) == user_id)
    ).one()
    return HomeSummary(
        xp=row[0],
        coins=row[1],
        tickets=row[2],
        streak_days=streak.current_streak(session=session, user_id=user_id, today=today),
        main_goal=row[3],
        sessions_total=row[4],
        sessions_last_7_days=row[5],
    )


def recent_practice(
    *, session: Session, user_id: uuid.UUID, limit: int = 5
) -> tuple[list[RecentPractice], LatestFeedback | None]:
    """The learner's latest practice sessions with their scores, and the feedback of the newest analysed one
    among them (one query, served by the (user, started) index)."""
    rows = session.execute(
        select(
            col(PracticeSession.id),
            col(PracticeSession.title),
            col(PracticeSession.started_at),
            col(PracticeSession.duration_seconds),
            col(PracticeSession.status),
            col(PracticeSession.analytics_summary),
            col(SessionAnalytics.overall_score),
        )
        .outerjoin(SessionAnalytics, col(SessionAnalytics.session_id) == col(PracticeSession.id))
        .where(col(PracticeSession.user_id) == user_id, col(PracticeSession.deleted_at).is_(None))
        .order_by(col(PracticeSession.started_at).desc())
        .limit(limit)
    ).all()
    recent = [
        RecentPractice(
            id=str(r.id),
            title=r.title,
            started_at=r.started_at.strftime("%d %b, %H:%M"),
            duration_minutes=round((r.duration_seconds or 0) / 60),
            score=r.overall_score or 0,
            status=r.status,
        )
        for r in rows
    ]
    analysed = next((r for r in rows if r.status == "analyzed" and isinstance(r.analytics_summary, dict)), None)
    return recent, (_latest_feedback(analysed) if analysed is not None else None)


def _latest_feedback(row) -> LatestFeedback:
    summary = SessionSummary.read(row.analytics_summary)
    first = next((i for i in summary.improvements if i.text), None)
    metrics = [m for m in metric_views(summary.figures()) if m.key in HOME_METRICS]
    return LatestFeedback(
        href=routes.practice_session(str(row.id)),
        title=row.title,
        score=row.overall_score,
        provider=provider_label(summary.provider or "local"),
        metrics=metrics,
        improvement=first.text if first else "",
        quote=first.quote if first else "",
    )


def get_home_dashboard(*, session: Session, user_id: uuid.UUID, today: date) -> HomeDashboard:
    """Everything the home page shows, in a fixed number of queries."""
    summary = get_home_summary(session=session, user_id=user_id, today=today)
    # Both of the first level: its modules are read once.
    statuses = progress.module_statuses(session=session, user_id=user_id)
    level = progress.level_progress(session=session, user_id=user_id, statuses=statuses)
    todays = quests.ensure_daily_quests(session=session, user_id=user_id, day=today)
    recent, latest = recent_practice(session=session, user_id=user_id)
    return HomeDashboard(
        summary=summary,
        level_title=level.title if level else "",
        level_number=level.number if level else 0,
        modules_completed=level.modules_completed if level else 0,
        modules_total=level.modules_total if level else 0,
        level_percent=level.percent if level else 0,
        milestone_unlocked=level.milestone_unlocked if level else False,
        milestone_passed=level.milestone_passed if level else False,
        milestone_threshold=level.milestone_threshold if level else 0,
        modules=[
            ModuleCard(
                code=m.code,
                title=m.title,
                status=m.status,
                lessons_completed=m.lessons_completed,
                lessons_total=m.lessons_total,
                next_lesson_id=str(m.next_lesson_id or ""),
            )
            for m in statuses
        ],
        quests=todays,
        recent=recent,
        latest_feedback=latest,
        next_lesson_id=str(progress.next_lesson_of(statuses) or ""),
    )
