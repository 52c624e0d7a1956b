"""What the learner's home shows, in a fixed number of queries whatever the learner's history.

Queries: balances and practice counts (1), level progress (2), module statuses (2), today's quests
(2: insert-if-missing, read), recent practice (1).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from speakpro.models import PracticeSession, SessionAnalytics, UserProfile
from speakpro.services import progress, quests


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


def get_home_summary(*, session: Session, user_id: uuid.UUID) -> HomeSummary:
    """Balances, streak and practice counts of one learner (one query)."""
    recent = func.now() - func.make_interval(0, 0, 0, 7)
    row = session.execute(
        select(
            UserProfile.xp, UserProfile.coins, UserProfile.tickets, UserProfile.streak_days, UserProfile.main_goal,
            select(func.count()).where(PracticeSession.user_id == user_id, PracticeSession.deleted_at.is_(None))
            .scalar_subquery(),
            select(func.count()).where(PracticeSession.user_id == user_id, PracticeSession.deleted_at.is_(None),
                                       PracticeSession.started_at >= recent).scalar_subquery(),
        ).where(UserProfile.user_id == user_id)
    ).one()
    return HomeSummary(xp=row[0], coins=row[1], tickets=row[2], streak_days=row[3], main_goal=row[4],
                       sessions_total=row[5], sessions_last_7_days=row[6])


def recent_practice(*, session: Session, user_id: uuid.UUID, limit: int = 5) -> list[RecentPractice]:
    """The learner's latest practice sessions with their scores (one query, served by (user, started) index)."""
    rows = session.execute(
        select(PracticeSession.id, PracticeSession.title, PracticeSession.started_at,
               PracticeSession.duration_seconds, PracticeSession.status, SessionAnalytics.overall_score)
        .outerjoin(SessionAnalytics, SessionAnalytics.session_id == PracticeSession.id)
        .where(PracticeSession.user_id == user_id, PracticeSession.deleted_at.is_(None))
        .order_by(PracticeSession.started_at.desc())
        .limit(limit)
    ).all()
    return [
        RecentPractice(id=str(r.id), title=r.title, started_at=r.started_at.strftime("%d %b, %H:%M"),
                       duration_minutes=round((r.duration_seconds or 0) / 60), score=r.overall_score or 0,
                       status=r.status)
        for r in rows
    ]


def get_home_dashboard(*, session: Session, user_id: uuid.UUID, today: date) -> HomeDashboard:
    """Everything the home page shows, in a fixed number of queries."""
    summary = get_home_summary(session=session, user_id=user_id)
    level = progress.level_progress(session=session, user_id=user_id)
    statuses = progress.module_statuses(session=session, user_id=user_id)
    todays = quests.ensure_daily_quests(session=session, user_id=user_id, day=today)
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
            ModuleCard(code=m.code, title=m.title, status=m.status, lessons_completed=m.lessons_completed,
                       lessons_total=m.lessons_total, next_lesson_id=str(m.next_lesson_id or ""))
            for m in statuses
        ],
        quests=todays,
        recent=recent_practice(session=session, user_id=user_id),
    )
