"""What the learner's home shows, in a fixed number of queries whatever the learner's history.

Queries after the day's first load: balances and practice counts (1), the streak (1), module statuses (2),
the level with its milestone (1), today's quests (1; the day's first load inserts them and reads again),
recent practice with the latest feedback (1). They are built once at import (hot reads, see `db.py`).

The latest feedback is the newest analysed session among the recent ones: its score, pace / fillers / talk
time against their healthy bands (as the session page shows them) and the coach's first improvement, so the
analysis of a session reaches the learner's home.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Uuid, bindparam, func, select
from sqlmodel import Session

from speakpro import routes
from speakpro.models import PracticeSession, SessionAnalytics, UserProfile, table_of
from speakpro.services.accounts.invites import MyInvite, my_invites
from speakpro.services.analysis.summary import SessionSummary
from speakpro.services.learning import progress, quests, streak
from speakpro.services.learning.assignments import MyAssignment, my_assignments
from speakpro.services.practice.history import MetricView, metric_views, provider_label

HOME_METRICS = ("pace_wpm", "filler_rate_per_100", "talk_time_ratio")


@dataclass(frozen=True)
class HomeSummary:
    xp: int
    coins: int
    tickets: int
    streak_days: int
    streak_freezes: int
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
    assignments: list[MyAssignment] = field(default_factory=list)  # what managers set, open ones first
    completed_now: list[str] = field(default_factory=list)  # assignments this read found complete (and paid)
    invitations: list[MyInvite] = field(default_factory=list)  # companies inviting a learner who has none


_USER = bindparam("user_id", type_=Uuid)
_PROFILE, _SESSIONS, _ANALYTICS = table_of(UserProfile).c, table_of(PracticeSession).c, table_of(SessionAnalytics).c
_LIVE = (_SESSIONS.user_id == _USER) & _SESSIONS.deleted_at.is_(None)
# Hot reads, built once (see `db.py`).
_SUMMARY = select(
    _PROFILE.xp,
    _PROFILE.coins,
    _PROFILE.tickets,
    _PROFILE.main_goal,
    select(func.count()).where(_LIVE).scalar_subquery(),
    select(func.count())
    .where(_LIVE, _SESSIONS.started_at >= func.now() - func.make_interval(0, 0, 0, 7))
    .scalar_subquery(),
).where(_PROFILE.user_id == _USER)
RECENT_LIMIT = 5
_RECENT = (
    select(
        _SESSIONS.id,
        _SESSIONS.title,
        _SESSIONS.started_at,
        _SESSIONS.duration_seconds,
        _SESSIONS.status,
        _SESSIONS.mode,
        _SESSIONS.analytics_summary,
        _ANALYTICS.overall_score,
    )
    .outerjoin(table_of(SessionAnalytics), _ANALYTICS.session_id == _SESSIONS.id)
    .where(_LIVE)
    .order_by(_SESSIONS.started_at.desc())
    .limit(RECENT_LIMIT)
)


def get_home_summary(*, session: Session, user_id: uuid.UUID, today: date, time_zone: str) -> HomeSummary:
    """Balances, streak and practice counts of one learner (two queries: the profile, the streak); `today` is
    the learner's date in `time_zone`."""
    row = session.execute(_SUMMARY, {"user_id": user_id}).one()
    status = streak.read_streak(session=session, user_id=user_id, today=today, time_zone=time_zone)
    return HomeSummary(
        xp=row[0],
        coins=row[1],
        tickets=row[2],
        streak_days=status.days,
        streak_freezes=status.freezes_held,
        main_goal=row[3],
        sessions_total=row[4],
        sessions_last_7_days=row[5],
    )


def recent_practice(*, session: Session, user_id: uuid.UUID) -> tuple[list[RecentPractice], LatestFeedback | None]:
    """The learner's latest practice sessions (`RECENT_LIMIT`) with their scores, and the feedback of the
    newest analysed one among them (one query, served by the (user, started) index)."""
    rows = session.execute(_RECENT, {"user_id": user_id}).all()
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
    metrics = [m for m in metric_views(summary.figures(), solo=row.mode == "solo") if m.key in HOME_METRICS]
    return LatestFeedback(
        href=routes.practice_session(str(row.id)),
        title=row.title,
        score=row.overall_score,
        provider=provider_label(summary.provider or "local"),
        metrics=metrics,
        improvement=first.text if first else "",
        quote=first.quote if first else "",
    )


def get_home_dashboard(
    *, session: Session, user_id: uuid.UUID, today: date, time_zone: str, invited: bool = False
) -> HomeDashboard:
    """Everything the home page shows, in a fixed number of queries; `today` is the learner's date in
    `time_zone`. Assignments are recounted first, so a reward they pay shows in the balances. `invited`:
    also read the invitations waiting for the learner's address (for a learner in no company)."""
    assignments, completed_now = my_assignments(session=session, user_id=user_id)
    summary = get_home_summary(session=session, user_id=user_id, today=today, time_zone=time_zone)
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
        assignments=assignments,
        completed_now=completed_now,
        invitations=my_invites(session=session) if invited else [],
    )
