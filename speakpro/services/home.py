"""What the learner's home shows about them, in a fixed number of queries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session

from speakpro.models import PracticeSession, UserProfile


@dataclass(frozen=True)
class HomeSummary:
    xp: int
    coins: int
    tickets: int
    streak_days: int
    sessions_total: int
    sessions_last_7_days: int
    main_goal: str


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
