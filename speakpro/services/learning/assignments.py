"""Assignments: practice a manager sets for their company's learners, with a due date and a completion rule.

- **Setting** (`create_assignment`, `archive_assignment`): a scenario of the company, a lesson or a module,
  for chosen learners of the company, a team or all of them, due by the end of a day in the manager's time zone,
  with a rule: `min_attempts` (1-20) practice sessions or completed lessons since it was set, each scored at
  least `min_score` for a scenario (when given); a module is done when it is completed (whenever). XP and
  coins are paid once per learner, on completion (the ledger's (reason, assignment) key). Audited.
- **Progress** (`refresh_progress`): counted from the learner's own rows, in their own requests (home, the
  end of a lesson) and when a session's analysis is written; stored on the learner's assignment row, so
  managers read it without reading anyone's sessions (Row-Level Security keeps those from them).
- **Reading**: `my_assignments` for the learner's home (open ones first, by due date), 1-2 queries; what
  managers read is in `assignment_reports`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, exists, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from speakpro import routes
from speakpro.models import (
    Assignment,
    AssignmentLearner,
    Lesson,
    LessonSession,
    Level,
    Module,
    PracticeSession,
    ScenarioVersion,
    SessionAnalytics,
    User,
    UserProfile,
    UserProgress,
    utcnow,
)
from speakpro.models.coaching import ASSIGNMENT_KINDS
from speakpro.services.accounts.teams import company_team
from speakpro.services.learning.economy import apply_reward
from speakpro.services.practice.scenarios import company_scenarios, get_scenario
from speakpro.services.telemetry import audit
from speakpro.services.validation import ValidationError, clean_int, clean_text, id_or_none

REWARD_REASON = "assignment_completed"
MAX_DUE_DAYS = 366
ONE_INSTANT = timedelta(microseconds=1)  # `due_at` minus this is the last instant of the due day
MAX_LIST = 100
KIND_LABELS = {"scenario": "Scenario", "lesson": "Lesson", "module": "Module"}
NOT_FOUND = "That assignment was not found."


@dataclass(frozen=True)
class Assignable:
    """Something a manager can assign, for the form's list."""

    kind: str
    id: str
    label: str


@dataclass(frozen=True)
class MyAssignment:
    """One of the learner's assignments, for home."""

    id: str
    kind: str
    title: str
    note: str
    due_at: datetime
    rule: str
    progress: int
    needed: int
    completed_at: datetime | None
    overdue: bool
    href: str
    xp_reward: int
    coin_reward: int


def rule_text(kind: str, min_attempts: int, min_score: int | None) -> str:
    """The completion rule in words."""
    if kind == "module":
        return "Complete the module"
    noun = "session" if kind == "scenario" else "completed lesson"
    text = f"{min_attempts} {noun}{'s' if min_attempts != 1 else ''}"
    return f"{text} scoring {min_score}+" if min_score is not None else text


def attempts_needed(kind: str, min_attempts: int) -> int:
    """How many counted sessions or lessons complete an assignment (a module is done once)."""
    return 1 if kind == "module" else min_attempts


def end_of_day(day: date, time_zone: str) -> datetime:
    """The first instant after `day` in `time_zone` (what "due on that day" means)."""
    try:
        zone = ZoneInfo(time_zone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


def assignables(*, session: Session, company_id: uuid.UUID) -> list[Assignable]:
    """What the company's managers can assign: its live scenarios, then every module and lesson (2 queries)."""
    scenarios = company_scenarios(session=session, company_id=company_id)
    out = [Assignable("scenario", s.id, f"Scenario: {s.title}") for s in scenarios]
    rows = session.execute(
        select(
            col(Module.id),
            col(Module.code),
            col(Module.title),
            col(Level.number),
            col(Lesson.id).label("lesson_id"),
            col(Lesson.title).label("lesson_title"),
            col(Lesson.order),
        )
        .join(Level, col(Level.id) == col(Module.level_id))
        .outerjoin(Lesson, col(Lesson.module_id) == col(Module.id))
        .order_by(col(Level.number), col(Module.order), col(Lesson.order))
    ).all()
    seen: set[uuid.UUID] = set()
    for row in rows:
        where = f"Level {row.number}, module {row.code}"
        if row.id not in seen:
            seen.add(row.id)
            out.append(Assignable("module", str(row.id), f"Module: {where} · {row.title}"))
        if row.lesson_id is not None:
            out.append(Assignable("lesson", str(row.lesson_id), f"Lesson: {where} · {row.lesson_title}"))
    return out


def _target_title(session: Session, company_id: uuid.UUID, kind: str, target: object) -> tuple[uuid.UUID, str]:
    missing = ValidationError("target", "Choose what to assign from the list.")
    if kind == "scenario":
        scenario = get_scenario(session=session, company_id=company_id, scenario_id=target, live_only=True)
        return uuid.UUID(scenario.id), scenario.title
    target_id = id_or_none(target)
    if target_id is None:
        raise missing
    model = Lesson if kind == "lesson" else Module
    title = session.execute(select(col(model.title)).where(col(model.id) == target_id)).scalar_one_or_none()
    if title is None:
        raise missing
    return target_id, title


def _company_learners(
    session: Session, company_id: uuid.UUID, wanted: Sequence[object] | None, team_id: object
) -> list[uuid.UUID]:
    """The learners an assignment is for: the chosen ones, a team's or all the company's active learners."""
    query = (
        select(col(User.id))
        .join(UserProfile, col(UserProfile.user_id) == col(User.id))
        .where(
            col(UserProfile.company_id) == company_id,
            col(UserProfile.role) == "learner",
            col(UserProfile.company_disabled_at).is_(None),
            col(User.deleted_at).is_(None),
            col(User.disabled).is_(False),
        )
    )
    if team_id not in (None, ""):
        team = company_team(session=session, company_id=company_id, team_id=team_id)
        found = list(session.execute(query.where(col(UserProfile.team_id) == team.id)).scalars())
        if not found:
            raise ValidationError("learners", f"The team {team.name} has no active learners yet.")
        return found
    if wanted is not None:
        ids = [i for i in (id_or_none(v) for v in wanted) if i is not None]
        if len(ids) != len(wanted) or not ids:
            raise ValidationError("learners", "Choose at least one learner of your company.")
        query = query.where(col(User.id).in_(ids))
        found = list(session.execute(query).scalars())
        if len(found) != len(set(ids)):
            raise ValidationError("learners", "Choose learners of your company only.")
        return found
    found = list(session.execute(query).scalars())
    if not found:
        raise ValidationError("learners", "Your company has no learners to assign this to yet.")
    return found


def create_assignment(
    *,
    session: Session,
    company_id: uuid.UUID,
    actor_id: uuid.UUID,
    time_zone: str,
    kind: object,
    target_id: object,
    due_on: object,
    learner_ids: Sequence[object] | None = None,
    team_id: object = None,
    min_attempts: object = 1,
    min_score: object = None,
    xp_reward: object = 0,
    coin_reward: object = 0,
    note: object = "",
    today: date,
) -> str:
    """Set an assignment for learners of the company: the `learner_ids`, the members of `team_id`, or all
    its active learners when neither is given (disabled members never get one); audited.

    The caller has checked that the actor manages the company. Returns the assignment's id.

    Raises:
        ValidationError: Naming the field, for an unknown kind or target, a due date outside today ..
            `MAX_DUE_DAYS` ahead, a rule or reward out of range, or learners who are not the company's.
    """
    if kind not in ASSIGNMENT_KINDS:
        raise ValidationError("kind", "Choose a scenario, a lesson or a module to assign.")
    assert isinstance(kind, str)
    target, title = _target_title(session, company_id, kind, target_id)
    try:
        due_day = date.fromisoformat(str(due_on or "").strip())
    except ValueError:
        raise ValidationError("due_on", "Enter the due date as a date, like 2026-12-31.") from None
    if not today <= due_day <= today + timedelta(days=MAX_DUE_DAYS):
        raise ValidationError("due_on", f"Choose a due date from today to {MAX_DUE_DAYS} days ahead.")
    attempts = 1 if kind == "module" else clean_int("min_attempts", min_attempts, label="Attempts", low=1, high=20)
    score = None
    if min_score not in (None, ""):
        if kind != "scenario":
            raise ValidationError("min_score", "A minimum score applies to scenarios only.")
        score = clean_int("min_score", min_score, label="The minimum score", low=1, high=100)
    xp = clean_int("xp_reward", xp_reward or 0, label="XP", low=0, high=500)
    coins = clean_int("coin_reward", coin_reward or 0, label="Coins", low=0, high=500)
    text = clean_text("note", str(note or ""), label="The note", max_length=500, required=False)
    learners = _company_learners(session, company_id, learner_ids, team_id)
    assignment = Assignment(
        company_id=company_id,
        created_by=actor_id,
        kind=kind,
        scenario_id=target if kind == "scenario" else None,
        lesson_id=target if kind == "lesson" else None,
        module_id=target if kind == "module" else None,
        title=title[:160],
        note=text,
        due_at=end_of_day(due_day, time_zone),
        min_attempts=attempts,
        min_score=score,
        xp_reward=xp,
        coin_reward=coins,
    )
    session.add(assignment)
    session.flush()
    session.execute(
        insert(AssignmentLearner).values(
            [{"assignment_id": assignment.id, "user_id": u, "company_id": company_id} for u in learners]
        )
    )
    audit(
        session=session,
        action="assignment.created",
        target_type="assignment",
        target_id=assignment.id,
        actor_user_id=actor_id,
        company_id=company_id,
        details={"kind": kind, "learners": len(learners)},
    )
    return str(assignment.id)


def archive_assignment(*, session: Session, company_id: uuid.UUID, actor_id: uuid.UUID, assignment_id: object) -> None:
    """Withdraw an assignment (what was paid stays paid); audited."""
    target = id_or_none(assignment_id)
    done = (
        session.execute(
            update(Assignment)
            .where(
                col(Assignment.id) == target,
                col(Assignment.company_id) == company_id,
                col(Assignment.archived_at).is_(None),
            )
            .values(archived_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount  # pyright: ignore[reportAttributeAccessIssue]  # CursorResult of an UPDATE
        if target
        else 0
    )
    if not done:
        raise ValidationError("assignment", NOT_FOUND)
    audit(
        session=session,
        action="assignment.archived",
        target_type="assignment",
        target_id=target,
        actor_user_id=actor_id,
        company_id=company_id,
    )


def _progress_column():
    """How far the row's learner is on the row's assignment, by its rule (correlated to both tables)."""
    a, al = Assignment, AssignmentLearner
    sessions = (
        select(func.count())
        .select_from(PracticeSession)
        .join(ScenarioVersion, col(ScenarioVersion.id) == col(PracticeSession.scenario_version_id))
        .outerjoin(SessionAnalytics, col(SessionAnalytics.session_id) == col(PracticeSession.id))
        .where(
            col(PracticeSession.user_id) == col(al.user_id),
            col(ScenarioVersion.scenario_id) == col(a.scenario_id),
            col(PracticeSession.status).in_(("ended", "analyzed", "archived")),
            col(PracticeSession.deleted_at).is_(None),
            col(PracticeSession.started_at) >= col(a.created_at),
            (col(a.min_score).is_(None)) | (col(SessionAnalytics.overall_score) >= col(a.min_score)),
        )
        .correlate(a, al)
        .scalar_subquery()
    )
    lessons = (
        select(func.count())
        .select_from(LessonSession)
        .where(
            col(LessonSession.user_id) == col(al.user_id),
            col(LessonSession.lesson_id) == col(a.lesson_id),
            col(LessonSession.completed_at) >= col(a.created_at),
        )
        .correlate(a, al)
        .scalar_subquery()
    )
    module = case(
        (
            exists().where(
                col(UserProgress.user_id) == col(al.user_id),
                col(UserProgress.module_id) == col(a.module_id),
                col(UserProgress.completed_at).is_not(None),
            ),
            literal(1),
        ),
        else_=literal(0),
    )
    return case((col(a.kind) == "scenario", sessions), (col(a.kind) == "lesson", lessons), else_=module)


def refresh_progress(*, session: Session, user_id: uuid.UUID) -> list[str]:
    """Recount the learner's open assignments, mark those whose rule is met complete and pay them once.

    Runs in the learner's own context (or the system's); 1 query when nothing is open. Returns the titles
    of the assignments completed by this call.
    """
    rows = session.execute(
        select(
            col(Assignment.id),
            col(Assignment.title),
            col(Assignment.kind),
            col(Assignment.min_attempts),
            col(Assignment.xp_reward),
            col(Assignment.coin_reward),
            col(AssignmentLearner.progress),
            _progress_column().label("counted"),
        )
        .join(Assignment, col(Assignment.id) == col(AssignmentLearner.assignment_id))
        .where(
            col(AssignmentLearner.user_id) == user_id,
            col(AssignmentLearner.completed_at).is_(None),
            col(Assignment.archived_at).is_(None),
        )
    ).all()
    completed = []
    for row in rows:
        done = row.counted >= attempts_needed(row.kind, row.min_attempts)
        if row.counted == row.progress and not done:
            continue
        marked = session.execute(
            update(AssignmentLearner)
            .where(
                col(AssignmentLearner.assignment_id) == row.id,
                col(AssignmentLearner.user_id) == user_id,
                col(AssignmentLearner.completed_at).is_(None),
            )
            .values(progress=row.counted, completed_at=func.now() if done else None)
            .returning(col(AssignmentLearner.completed_at))
            .execution_options(synchronize_session=False)
        ).first()
        if done and marked is not None and marked[0] is not None:
            for currency, amount in (("xp", row.xp_reward), ("coins", row.coin_reward)):
                if amount:
                    apply_reward(
                        session=session,
                        user_id=user_id,
                        currency=currency,
                        amount=amount,
                        reason=REWARD_REASON,
                        source_key=str(row.id),
                    )
            completed.append(row.title)
    return completed


def _href(kind: str, row) -> str:
    if kind == "scenario":
        return routes.practice_scenario(str(row.scenario_id))
    if kind == "lesson":
        return routes.lesson(str(row.lesson_id))
    return routes.HOME


def my_assignments(
    *, session: Session, user_id: uuid.UUID, now: datetime | None = None
) -> tuple[list[MyAssignment], list[str]]:
    """The learner's live assignments, open ones by due date, then the completed ones, newest first; and the
    titles of those this call found complete.

    Open ones are counted afresh in the same query; only when a count moved are they written and paid
    (`refresh_progress`) and read again, so a read that changes nothing is 1 query.
    """
    rows = _mine(session, user_id)
    stale = [
        row
        for row in rows
        if row.done_at is None
        and (row.counted != row.progress or row.counted >= attempts_needed(row.kind, row.min_attempts))
    ]
    completed = []
    if stale:
        completed = refresh_progress(session=session, user_id=user_id)
        rows = _mine(session, user_id)
    now = now or utcnow()
    out = []
    for row in rows:
        needed = attempts_needed(row.kind, row.min_attempts)
        out.append(
            MyAssignment(
                id=str(row.id),
                kind=row.kind,
                title=row.title,
                note=row.note,
                due_at=row.due_at,
                rule=rule_text(row.kind, row.min_attempts, row.min_score),
                progress=min(row.counted, needed),
                needed=needed,
                completed_at=row.done_at,
                overdue=row.done_at is None and row.due_at <= now,
                href=_href(row.kind, row),
                xp_reward=row.xp_reward,
                coin_reward=row.coin_reward,
            )
        )
    return out, completed


def _mine(session: Session, user_id: uuid.UUID):
    a, al = Assignment, AssignmentLearner
    counted = case((col(al.completed_at).is_(None), _progress_column()), else_=col(al.progress))
    return session.execute(
        select(
            col(a.id),
            col(a.kind),
            col(a.title),
            col(a.note),
            col(a.due_at),
            col(a.min_attempts),
            col(a.min_score),
            col(a.scenario_id),
            col(a.lesson_id),
            col(a.xp_reward),
            col(a.coin_reward),
            col(al.progress),
            col(al.completed_at).label("done_at"),
            counted.label("counted"),
        )
        .join(al, col(al.assignment_id) == col(a.id))
        .where(col(al.user_id) == user_id, col(a.archived_at).is_(None))
        .order_by(col(al.completed_at).is_not(None), col(a.due_at), col(al.completed_at).desc())
        .limit(MAX_LIST)
    ).all()
