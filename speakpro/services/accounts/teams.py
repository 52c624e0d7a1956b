"""Team administration inside a company: teams, a learner's team, and disabling a membership.

Every function here is for a company's managers (or instance admins): the caller has checked, in the
database, that the actor manages the company, and runs the change as the system (a manager may not write
another person's profile under Row-Level Security). Every change is audited.

A *disabled* member keeps their account, their own practice and their history in the company's past
figures; while disabled they get no company from the session resolver (migration 0021), so they see none of
its scenarios or assignments, cannot share with its managers, and their new practice is not the company's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlmodel import Session, col

from speakpro.db import rowcount
from speakpro.models import AssignmentLearner, PracticeSession, Team, User, UserProfile, utcnow
from speakpro.models.practice import PRIVATE, SHARED_WITH_MANAGERS
from speakpro.services.telemetry import audit
from speakpro.services.validation import ValidationError, clean_text, id_or_none

MAX_TEAMS = 50
NOT_A_LEARNER = "That person is not a learner of this company."
NOT_A_TEAM = "That team was not found in this company."


@dataclass(frozen=True)
class TeamSummary:
    id: str
    name: str
    learners: int


def list_teams(*, session: Session, company_id: uuid.UUID) -> list[TeamSummary]:
    """The company's teams by name, each with its number of learners (one query)."""
    learners = func.count(col(UserProfile.user_id))
    rows = session.execute(
        select(col(Team.id), col(Team.name), learners)
        .outerjoin(UserProfile, col(UserProfile.team_id) == col(Team.id))
        .where(col(Team.company_id) == company_id)
        .group_by(col(Team.id))
        .order_by(func.lower(col(Team.name)))
    ).all()
    return [TeamSummary(str(r[0]), r[1], int(r[2])) for r in rows]


def company_team(*, session: Session, company_id: uuid.UUID, team_id: object) -> Team:
    """The company's team of an id from a form, or a ValidationError naming `team`."""
    team_uuid = id_or_none(team_id)
    team = None if team_uuid is None else session.get(Team, team_uuid)
    if team is None or team.company_id != company_id:
        raise ValidationError("team", NOT_A_TEAM)
    return team


def create_team(*, session: Session, company_id: uuid.UUID, actor_id: uuid.UUID, name: object) -> Team:
    """A new team; names are unique in the company, whatever their case."""
    clean = clean_text("team_name", str(name or ""), label="The team name", max_length=80, min_length=2)
    taken = session.execute(
        select(col(Team.id)).where(col(Team.company_id) == company_id, func.lower(col(Team.name)) == clean.lower())
    ).first()
    if taken:
        raise ValidationError("team_name", "Your company already has a team of that name.")
    count = session.execute(select(func.count()).where(col(Team.company_id) == company_id)).scalar_one()
    if count >= MAX_TEAMS:
        raise ValidationError("team_name", f"A company can have up to {MAX_TEAMS} teams.")
    team = Team(company_id=company_id, name=clean, created_by=actor_id)
    session.add(team)
    session.flush()
    audit(
        session=session,
        action="company.team_created",
        target_type="team",
        actor_user_id=actor_id,
        company_id=company_id,
        target_id=team.id,
        details={"name": clean},
    )
    return team


def delete_team(*, session: Session, company_id: uuid.UUID, actor_id: uuid.UUID, team_id: object) -> str:
    """Delete a team; its learners stay in the company without a team. Returns its name."""
    team = company_team(session=session, company_id=company_id, team_id=team_id)
    name = team.name
    session.execute(delete(Team).where(col(Team.id) == team.id))
    audit(
        session=session,
        action="company.team_deleted",
        target_type="team",
        actor_user_id=actor_id,
        company_id=company_id,
        target_id=team.id,
        details={"name": name},
    )
    return name


def _learner(session: Session, company_id: uuid.UUID, member_id: object) -> tuple[uuid.UUID, str]:
    """A learner of the company (locked for the change) and their name, or a ValidationError."""
    member_uuid = id_or_none(member_id)
    if member_uuid is None:
        raise ValidationError("member", NOT_A_LEARNER)
    row = session.execute(
        select(col(User.display_name), col(User.email))
        .join(UserProfile, col(UserProfile.user_id) == col(User.id))
        .where(
            col(User.id) == member_uuid,
            col(UserProfile.company_id) == company_id,
            col(UserProfile.role) == "learner",
            col(User.deleted_at).is_(None),
        )
        .with_for_update(of=UserProfile)
    ).one_or_none()
    if row is None:
        raise ValidationError("member", NOT_A_LEARNER)
    return member_uuid, row.display_name or row.email.split("@")[0]


def set_member_team(
    *, session: Session, company_id: uuid.UUID, actor_id: uuid.UUID, member_id: object, team_id: object
) -> str:
    """Put a learner in one of the company's teams ("" or None: no team). Returns the learner's name."""
    member_uuid, name = _learner(session, company_id, member_id)
    team = None if team_id in (None, "") else company_team(session=session, company_id=company_id, team_id=team_id)
    session.execute(
        update(UserProfile)
        .where(col(UserProfile.user_id) == member_uuid)
        .values(team_id=None if team is None else team.id)
    )
    audit(
        session=session,
        action="company.member_team_set",
        target_type="user",
        actor_user_id=actor_id,
        subject_user_id=member_uuid,
        company_id=company_id,
        target_id=member_uuid,
        details={"team_id": None if team is None else str(team.id)},
    )
    return name


def set_member_disabled(
    *, session: Session, company_id: uuid.UUID, actor_id: uuid.UUID, member_id: object, disabled: bool
) -> str:
    """Disable a learner's membership, or enable it again. Returns the learner's name.

    Disabling makes the sessions they had shared with the company's managers private and takes away their
    open assignments (completed ones stay in the company's record), as removing does; unlike removing, the
    learner stays listed, in their team, and a manager can enable them again. A learner cannot undo it with
    the join code. Doing what is already done changes nothing and writes no audit row.

    Raises:
        ValidationError: For anyone who is not a learner of this company, and for the actor themself.
    """
    if id_or_none(member_id) == actor_id:
        raise ValidationError("member", "You cannot disable yourself.")
    member_uuid, name = _learner(session, company_id, member_id)
    changed = session.execute(
        update(UserProfile)
        .where(
            col(UserProfile.user_id) == member_uuid,
            col(UserProfile.company_disabled_at).is_(None)
            if disabled
            else col(UserProfile.company_disabled_at).is_not(None),
        )
        .values(company_disabled_at=utcnow() if disabled else None)
    )
    if not rowcount(changed):
        return name
    details: dict[str, object] = {}
    if disabled:
        details = withdraw_company_access(session=session, company_id=company_id, user_id=member_uuid)
    audit(
        session=session,
        action="company.member_disabled" if disabled else "company.member_enabled",
        target_type="user",
        actor_user_id=actor_id,
        subject_user_id=member_uuid,
        company_id=company_id,
        target_id=member_uuid,
        details=details,
    )
    return name


def remove_member(*, session: Session, company_id: uuid.UUID, actor_id: uuid.UUID, member_id: object) -> str:
    """Take a learner out of the company: their profile leaves it (and its team), the sessions they had
    shared with its managers become private again and their open assignments go (their scores stay in the
    company's past figures). They can join again with the join code. Returns the member's name.

    Raises:
        ValidationError: For anyone who is not a learner of this company, and for the actor themself.
    """
    if id_or_none(member_id) == actor_id:
        raise ValidationError("member", "You cannot remove yourself.")
    member_uuid, name = _learner(session, company_id, member_id)
    session.execute(
        update(UserProfile)
        .where(col(UserProfile.user_id) == member_uuid)
        .values(company_id=None, role="learner", team_id=None, company_disabled_at=None)
    )
    withdrawn = withdraw_company_access(session=session, company_id=company_id, user_id=member_uuid)
    audit(
        session=session,
        action="company.member_removed",
        target_type="user",
        actor_user_id=actor_id,
        subject_user_id=member_uuid,
        company_id=company_id,
        target_id=member_uuid,
        details=withdrawn,
    )
    return name


def withdraw_company_access(*, session: Session, company_id: uuid.UUID, user_id: uuid.UUID) -> dict[str, object]:
    """What leaving (or being disabled in) a company takes from a learner: the sessions they had shared with
    its managers turn private, and their open assignments go (completed ones stay in the company's record).
    Returns counts for the audit row."""
    unshared = session.execute(
        update(PracticeSession)
        .where(
            col(PracticeSession.user_id) == user_id,
            col(PracticeSession.company_id) == company_id,
            col(PracticeSession.privacy) == SHARED_WITH_MANAGERS,
        )
        .values(privacy=PRIVATE)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(AssignmentLearner).where(
            col(AssignmentLearner.user_id) == user_id,
            col(AssignmentLearner.company_id) == company_id,
            col(AssignmentLearner.completed_at).is_(None),
        )
    )
    return {"sessions_made_private": rowcount(unshared) or 0}
