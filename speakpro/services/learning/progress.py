"""Module status rules and module completion: what is locked, what is open, and what completing pays.

A module is completed when every one of its lessons has a completed run by the learner (or its
`UserProgress` row says so, as for imported history). The first module of a level is available; each
next one unlocks when the one before it is completed. Completing a module pays its rewards once through
the ledger, unlocks its venues once, and opens the next module.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Uuid, and_, bindparam, case, exists, func, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlmodel import Session, col

from speakpro.models import (
    District,
    Lesson,
    LessonSession,
    Level,
    MilestoneAttempt,
    Module,
    UserProfile,
    UserProgress,
    UserVenueUnlock,
    Venue,
    table_of,
    utcnow,
)
from speakpro.services.accounts.companies import member_company_id
from speakpro.services.learning.economy import apply_reward
from speakpro.services.telemetry import record_event, record_telemetry

MODULE_COMPLETED_REASON = "module_completed"


@dataclass(frozen=True)
class LessonStatus:
    """One lesson of a module, for one learner."""

    lesson_id: uuid.UUID
    order: int
    title: str
    xp_reward: int
    completed: bool
    in_progress: bool


@dataclass(frozen=True)
class ModuleStatus:
    """One module of a level, for one learner: locked, available, in_progress or completed."""

    module_id: uuid.UUID
    code: str
    order: int
    title: str
    description: str
    status: str
    lessons_total: int
    lessons_completed: int
    xp_reward: int
    coin_reward: int
    ticket_reward: int
    lessons: tuple[LessonStatus, ...]

    @property
    def next_lesson_id(self) -> uuid.UUID | None:
        """The first lesson not completed yet (None when all are)."""
        return next((lesson.lesson_id for lesson in self.lessons if not lesson.completed), None)


def next_lesson_of(statuses: list[ModuleStatus]) -> uuid.UUID | None:
    """The lesson a learner takes next: the first unfinished lesson of the first module open to them."""
    return next(
        (m.next_lesson_id for m in statuses if m.status in ("available", "in_progress") and m.next_lesson_id),
        None,
    )


@dataclass(frozen=True)
class CompletionResult:
    """What `complete_module_if_done` did."""

    module_id: uuid.UUID
    completed: bool
    newly_completed: bool = False
    rewards: dict[str, int] | None = None  # paid by this call
    unlocked_venue_ids: tuple[uuid.UUID, ...] = ()  # unlocked by this call
    full_access_districts: tuple[str, ...] = ()  # districts fully unlocked by this call
    next_module_id: uuid.UUID | None = None


@dataclass(frozen=True)
class LevelProgress:
    """Completed modules of a level and where the milestone stands, for the home page."""

    level_id: uuid.UUID
    number: int
    title: str
    modules_completed: int
    modules_total: int
    milestone_threshold: int
    milestone_unlocked: bool
    milestone_passed: bool
    best_milestone_score: int | None

    @property
    def percent(self) -> int:
        """Completed modules as a whole percentage."""
        return round(100 * self.modules_completed / self.modules_total) if self.modules_total else 0


def _hot_reads():
    """The reads of `module_statuses` and `level_progress`, built once (see `db.py`): the level is the
    `level_id` parameter, or the first level (lowest number) when it is None."""
    user_id = bindparam("user_id", type_=Uuid)
    levels, modules, lessons = table_of(Level).c, table_of(Module).c, table_of(Lesson).c
    progress, runs, attempts = table_of(UserProgress).c, table_of(LessonSession).c, table_of(MilestoneAttempt).c
    first_level = select(levels.id).order_by(levels.number).limit(1).scalar_subquery()
    level = func.coalesce(bindparam("level_id", type_=Uuid), first_level)
    module_rows = (
        select(
            modules.id,
            modules.code,
            modules.order,
            modules.title,
            modules.description,
            modules.xp_reward,
            modules.coin_reward,
            modules.ticket_reward,
            progress.status,
        )
        .outerjoin(table_of(UserProgress), and_(progress.module_id == modules.id, progress.user_id == user_id))
        .where(modules.level_id == level)
        .order_by(modules.order)
    )
    run_of = (runs.lesson_id == lessons.id) & (runs.user_id == user_id)
    lesson_rows = (
        select(
            lessons.id,
            lessons.module_id,
            lessons.order,
            lessons.title,
            lessons.xp_reward,
            exists().where(run_of, runs.state == "completed"),
            exists().where(run_of, runs.state == "in_progress"),
        )
        .join(table_of(Module), modules.id == lessons.module_id)
        .where(modules.level_id == level)
        .order_by(lessons.order)
    )
    mine = (attempts.user_id == user_id) & (attempts.level_id == levels.id)
    level_row = select(
        levels.id,
        levels.number,
        levels.title,
        levels.milestone_threshold,
        select(func.bool_or(attempts.passed)).where(mine).scalar_subquery().label("passed"),
        select(func.max(attempts.score)).where(mine).scalar_subquery().label("best"),
    ).where(levels.id == level)
    return module_rows, lesson_rows, level_row


_MODULE_ROWS, _LESSON_ROWS, _LEVEL_ROW = _hot_reads()


def module_statuses(*, session: Session, user_id: uuid.UUID, level_id: uuid.UUID | None = None) -> list[ModuleStatus]:
    """The status of every module of a level for one learner, in two queries whatever the size of the level.

    Args:
        session: An open database session.
        user_id: The learner.
        level_id: The level; the first level (lowest number) when omitted.

    Returns:
        The modules in order; empty when the level does not exist or has no modules.
    """
    params = {"user_id": user_id, "level_id": level_id}
    modules = session.execute(_MODULE_ROWS, params).all()
    if not modules:
        return []
    lessons = session.execute(_LESSON_ROWS, params).all()
    by_module: dict[uuid.UUID, list[LessonStatus]] = {}
    for lesson_id, module_id, order, title, xp, completed, open_run in lessons:
        by_module.setdefault(module_id, []).append(LessonStatus(lesson_id, order, title, xp, completed, open_run))

    statuses: list[ModuleStatus] = []
    previous_completed = True
    for row in modules:
        own = tuple(by_module.get(row.id, ()))
        done = sum(1 for lesson in own if lesson.completed)
        if row.status == "completed" or (own and done == len(own)):
            status = "completed"
        elif not previous_completed:
            status = "locked"
        elif done or any(lesson.in_progress for lesson in own) or row.status == "in_progress":
            status = "in_progress"
        else:
            status = "available"
        statuses.append(
            ModuleStatus(
                module_id=row.id,
                code=row.code,
                order=row.order,
                title=row.title,
                description=row.description,
                status=status,
                lessons_total=len(own),
                lessons_completed=done,
                xp_reward=row.xp_reward,
                coin_reward=row.coin_reward,
                ticket_reward=row.ticket_reward,
                lessons=own,
            )
        )
        previous_completed = status == "completed"
    return statuses


def module_status(*, session: Session, user_id: uuid.UUID, module_id: uuid.UUID) -> ModuleStatus | None:
    """The status of one module for one learner (None when the module does not exist)."""
    level_id = session.execute(select(col(Module.level_id)).where(col(Module.id) == module_id)).scalar_one_or_none()
    if level_id is None:
        return None
    statuses = module_statuses(session=session, user_id=user_id, level_id=level_id)
    return next((s for s in statuses if s.module_id == module_id), None)


def note_lesson_started(*, session: Session, user_id: uuid.UUID, module_id: uuid.UUID, lesson_id: uuid.UUID) -> None:
    """Mark the module in progress at this lesson (a completed module stays completed)."""
    now = utcnow()
    stmt = insert(UserProgress).values(
        id=uuid.uuid4(),
        user_id=user_id,
        module_id=module_id,
        status="in_progress",
        current_lesson_id=lesson_id,
        started_at=now,
        updated_at=now,
    )
    table = table_of(UserProgress)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["user_id", "module_id"],
            set_={
                "status": case((table.c.status == "completed", table.c.status), else_=literal("in_progress")),
                "current_lesson_id": lesson_id,
                "updated_at": now,
            },
        )
    )


def complete_module_if_done(*, session: Session, user_id: uuid.UUID, module_id: uuid.UUID) -> CompletionResult:
    """Complete a module when all its lessons are done: progress, rewards, venues, districts, next module.

    Safe to call any number of times, also concurrently: rewards are ledger rows keyed on
    (reason "module_completed", the module id), unlocks and progress rows are upserts, and the analytics
    event is written only by the call that moved the progress row to completed.

    Args:
        session: The caller's session; everything commits with the caller's transaction.
        user_id: The learner.
        module_id: The module whose lesson just completed.

    Returns:
        `completed=False` when lessons remain; otherwise what this call changed.
    """
    module = session.execute(select(Module).where(col(Module.id) == module_id)).scalar_one_or_none()
    if module is None:
        return CompletionResult(module_id=module_id, completed=False)
    completed_run = exists().where(
        col(LessonSession.lesson_id) == col(Lesson.id),
        col(LessonSession.user_id) == user_id,
        col(LessonSession.state) == "completed",
    )
    total, done, progress_done = session.execute(
        select(
            func.count(col(Lesson.id)),
            func.count(col(Lesson.id)).filter(completed_run),
            exists().where(
                col(UserProgress.user_id) == user_id,
                col(UserProgress.module_id) == module_id,
                col(UserProgress.status) == "completed",
            ),
        ).where(col(Lesson.module_id) == module_id)
    ).one()
    if not progress_done and (total == 0 or done < total):
        return CompletionResult(module_id=module_id, completed=False)

    now = utcnow()
    table = table_of(UserProgress)
    stmt = insert(UserProgress).values(
        id=uuid.uuid4(), user_id=user_id, module_id=module_id, status="completed", completed_at=now, updated_at=now
    )
    newly = (
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["user_id", "module_id"],
                set_={"status": "completed", "completed_at": now, "updated_at": now},
                where=table.c.status != "completed",
            ).returning(table.c.id)
        ).first()
        is not None
    )

    rewards: dict[str, int] = {}
    for currency, amount in (
        ("xp", module.xp_reward),
        ("coins", module.coin_reward),
        ("tickets", module.ticket_reward),
    ):
        if (
            amount > 0
            and apply_reward(
                session=session,
                user_id=user_id,
                currency=currency,
                amount=amount,
                reason=MODULE_COMPLETED_REASON,
                source_key=str(module_id),
            ).applied
        ):
            rewards[currency] = amount

    unlocked = _unlock_venues(session, user_id, module_id)
    full = _grant_full_districts(session, user_id)
    next_id = _open_next_module(session, user_id, module, now)

    if newly:
        company_id = member_company_id(session=session, user_id=user_id)
        data = {
            "module_id": str(module_id),
            "module_code": module.code,
            "rewards": rewards,
            "venues_unlocked": len(unlocked),
        }
        record_event(session=session, event_type="module_completed", user_id=user_id, company_id=company_id, data=data)
        record_telemetry(
            session=session, name="module_completed", user_id=user_id, module_code=module.code, properties=data
        )
        session.flush()
    return CompletionResult(
        module_id=module_id,
        completed=True,
        newly_completed=newly,
        rewards=rewards,
        unlocked_venue_ids=unlocked,
        full_access_districts=full,
        next_module_id=next_id,
    )


def _unlock_venues(session: Session, user_id: uuid.UUID, module_id: uuid.UUID) -> tuple[uuid.UUID, ...]:
    venue_ids = session.execute(select(col(Venue.id)).where(col(Venue.unlock_module_id) == module_id)).scalars().all()
    if not venue_ids:
        return ()
    rows = [{"id": uuid.uuid4(), "user_id": user_id, "venue_id": v, "source": "module"} for v in venue_ids]
    inserted = (
        session.execute(
            insert(UserVenueUnlock)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["user_id", "venue_id"])
            .returning(col(UserVenueUnlock.venue_id))
        )
        .scalars()
        .all()
    )
    return tuple(inserted)


def _grant_full_districts(session: Session, user_id: uuid.UUID) -> tuple[str, ...]:
    """Set `district_full_access[slug] = true` for every district whose venues are all unlocked."""
    unlock = table_of(UserVenueUnlock)
    full = (
        session.execute(
            select(col(District.slug))
            .join(Venue, col(Venue.district_id) == col(District.id))
            .outerjoin(unlock, and_(unlock.c.venue_id == col(Venue.id), unlock.c.user_id == user_id))
            .group_by(col(District.id), col(District.slug))
            .having(func.count(col(Venue.id)) == func.count(unlock.c.id))
        )
        .scalars()
        .all()
    )
    current = (
        session.execute(
            select(col(UserProfile.district_full_access)).where(col(UserProfile.user_id) == user_id)
        ).scalar_one_or_none()
        or {}
    )
    new = tuple(sorted(slug for slug in full if current.get(slug) is not True))
    if new:
        patch = literal(dict.fromkeys(new, True), JSONB)
        session.execute(
            update(UserProfile)
            .where(col(UserProfile.user_id) == user_id)
            .values(district_full_access=col(UserProfile.district_full_access).op("||")(patch))
        )
    return new


def _open_next_module(session: Session, user_id: uuid.UUID, module: Module, now) -> uuid.UUID | None:
    next_id = session.execute(
        select(col(Module.id))
        .where(col(Module.level_id) == module.level_id, col(Module.order) > module.order)
        .order_by(col(Module.order))
        .limit(1)
    ).scalar_one_or_none()
    if next_id is None:
        return None
    table = table_of(UserProgress)
    session.execute(
        insert(UserProgress)
        .values(id=uuid.uuid4(), user_id=user_id, module_id=next_id, status="available", updated_at=now)
        .on_conflict_do_update(
            index_elements=["user_id", "module_id"],
            set_={"status": "available", "updated_at": now},
            where=table.c.status == "locked",
        )
    )
    return next_id


def level_progress(
    *,
    session: Session,
    user_id: uuid.UUID,
    level_id: uuid.UUID | None = None,
    statuses: list[ModuleStatus] | None = None,
) -> LevelProgress | None:
    """Completed modules of a level and the milestone's state, in three queries (one with `statuses`).

    Args:
        session: An open database session.
        user_id: The learner.
        level_id: The level; the first level when omitted.
        statuses: That level's `module_statuses`, when the caller has read them already.

    Returns:
        The progress, or None when there is no such level.
    """
    level = session.execute(_LEVEL_ROW, {"user_id": user_id, "level_id": level_id}).one_or_none()
    if level is None:
        return None
    if statuses is None:
        statuses = module_statuses(session=session, user_id=user_id, level_id=level.id)
    completed = sum(1 for s in statuses if s.status == "completed")
    return LevelProgress(
        level_id=level.id,
        number=level.number,
        title=level.title,
        modules_completed=completed,
        modules_total=len(statuses),
        milestone_threshold=level.milestone_threshold,
        milestone_unlocked=bool(statuses) and completed == len(statuses),
        milestone_passed=bool(level.passed),
        best_milestone_score=level.best,
    )
