"""Companies (tenants): creation by an admin, join codes for learners, invite codes for managers."""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select, update
from sqlmodel import Session, col

from speakpro.db import rowcount
from speakpro.models import AssignmentLearner, Company, PracticeSession, User, UserProfile
from speakpro.models.practice import PRIVATE, SHARED_WITH_MANAGERS
from speakpro.services.telemetry import audit
from speakpro.services.validation import ValidationError, clean_text, id_or_none, storable

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def _code(length: int) -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(length))


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:48].strip("-")
    return slug if len(slug) >= 2 else f"company-{_code(6).lower()}"


@dataclass(frozen=True)
class CompanySummary:
    id: str
    name: str
    slug: str
    join_code: str
    manager_invite_code: str
    learners: int
    managers: int


def create_company(*, session: Session, actor_id: uuid.UUID, name: str) -> Company:
    """Create a company with a learner join code and a manager invite code (admins only; checked by caller)."""
    name = clean_text("company_name", name, label="The company name", max_length=120, min_length=2)
    if session.execute(select(col(Company.id)).where(func.lower(col(Company.name)) == name.lower())).first():
        raise ValidationError("company_name", "A company with this name already exists.")
    base = slugify(name)
    slug = base
    while session.execute(select(col(Company.id)).where(col(Company.slug) == slug)).first():
        slug = f"{base[:40]}-{_code(4).lower()}"
    company = Company(name=name, slug=slug, join_code=_code(10), manager_invite_code=_code(24))
    session.add(company)
    session.flush()
    audit(
        session=session,
        action="company.created",
        target_type="company",
        actor_user_id=actor_id,
        company_id=company.id,
        target_id=company.id,
    )
    return company


def find_by_code(*, session: Session, code: str) -> tuple[Company, str]:
    """The company a join or invite code belongs to, and the role it grants."""
    clean = (code or "").strip().upper()
    if not clean or len(clean) > 48:
        raise ValidationError("join_code", "Enter the company code you were given.")
    if not storable(clean):  # a code from a link's address can hold anything
        raise ValidationError("join_code", "That company code is not valid. Check it with your manager.")
    company = session.execute(
        select(Company).where(
            or_(col(Company.join_code) == clean, col(Company.manager_invite_code) == clean),
            col(Company.is_active).is_(True),
        )
    ).scalar_one_or_none()
    if company is None:
        raise ValidationError("join_code", "That company code is not valid. Check it with your manager.")
    return company, "manager" if company.manager_invite_code == clean else "learner"


def join_company(*, session: Session, user_id: uuid.UUID, code: str) -> tuple[Company, str]:
    """Join the company of a code, as learner (join code) or manager (invite code)."""
    company, role = find_by_code(session=session, code=code)
    profile = session.get(UserProfile, user_id)
    if profile is None:
        raise ValidationError("join_code", "Your profile was not found.")
    if profile.company_id and profile.company_id != company.id:
        raise ValidationError("join_code", "You already belong to another company.")
    if profile.company_id == company.id and (profile.role == role or profile.role == "manager"):
        return company, profile.role
    session.execute(
        update(UserProfile).where(col(UserProfile.user_id) == user_id).values(company_id=company.id, role=role)
    )
    audit(
        session=session,
        action="company.joined",
        target_type="company",
        actor_user_id=user_id,
        subject_user_id=user_id,
        company_id=company.id,
        details={"role": role},
    )
    return company, role


def get_company_by_slug(*, session: Session, slug: str) -> Company | None:
    """The company of a slug from an address (a page's or the CSV export's), or None for any other text."""
    if not isinstance(slug, str) or not slug or len(slug) > 64 or not storable(slug):
        return None
    return session.execute(select(Company).where(col(Company.slug) == slug)).scalar_one_or_none()


def list_companies(*, session: Session) -> list[CompanySummary]:
    """Every company with member counts, in one query."""
    learners = func.count(col(UserProfile.user_id)).filter(col(UserProfile.role) == "learner")
    managers = func.count(col(UserProfile.user_id)).filter(col(UserProfile.role) == "manager")
    rows = session.execute(
        select(Company, learners, managers)
        .outerjoin(UserProfile, col(UserProfile.company_id) == col(Company.id))
        .group_by(col(Company.id))
        .order_by(Company.name)
    ).all()
    return [
        CompanySummary(str(c.id), c.name, c.slug, c.join_code, c.manager_invite_code or "", int(nl), int(nm))
        for c, nl, nm in rows
    ]


@dataclass(frozen=True)
class Member:
    user_id: str
    name: str
    email: str
    role: str
    onboarded: bool


def list_members(*, session: Session, company_id: uuid.UUID) -> list[Member]:
    """The people of one company (one query); callers check the viewer may see this company."""
    rows = session.execute(
        select(
            col(User.id),
            col(User.display_name),
            col(User.email),
            col(UserProfile.role),
            col(UserProfile.onboarding_completed),
        )
        .join(UserProfile, col(UserProfile.user_id) == col(User.id))
        .where(col(UserProfile.company_id) == company_id, col(User.deleted_at).is_(None))
        .order_by(col(UserProfile.role).desc(), col(User.display_name))
    ).all()
    return [Member(str(r[0]), r[1] or r[2].split("@")[0], r[2], r[3], r[4]) for r in rows]


def rotate_join_code(*, session: Session, company_id: uuid.UUID, actor_id: uuid.UUID) -> str:
    """Give the company a new learner join code (the old one stops working at once); audited.

    The caller has checked that the actor manages the company (or is an admin). Returns the new code.
    """
    code = _code(10)
    session.execute(update(Company).where(col(Company.id) == company_id).values(join_code=code))
    audit(
        session=session,
        action="company.join_code_rotated",
        target_type="company",
        actor_user_id=actor_id,
        company_id=company_id,
        target_id=company_id,
    )
    return code


def remove_member(*, session: Session, company_id: uuid.UUID, actor_id: uuid.UUID, member_id: object) -> str:
    """Take a learner out of the company: their profile leaves it, and the sessions they had shared with its
    managers become private again (their scores stay in the company's past figures). Audited.

    The caller has checked that the actor manages the company (or is an admin), and runs this as the system:
    a manager may not move another person's profile under Row-Level Security. Returns the member's name.

    Raises:
        ValidationError: For anyone who is not a learner of this company, and for the actor themself.
    """
    member_uuid = id_or_none(member_id)
    not_member = ValidationError("member", "That person is not a learner of this company.")
    if member_uuid is None:
        raise not_member
    if member_uuid == actor_id:
        raise ValidationError("member", "You cannot remove yourself.")
    row = session.execute(
        select(col(User.display_name), col(User.email))
        .join(UserProfile, col(UserProfile.user_id) == col(User.id))
        .where(
            col(User.id) == member_uuid, col(UserProfile.company_id) == company_id, col(UserProfile.role) == "learner"
        )
        .with_for_update(of=UserProfile)
    ).one_or_none()
    if row is None:
        raise not_member
    session.execute(
        update(UserProfile).where(col(UserProfile.user_id) == member_uuid).values(company_id=None, role="learner")
    )
    unshared = session.execute(
        update(PracticeSession)
        .where(
            col(PracticeSession.user_id) == member_uuid,
            col(PracticeSession.company_id) == company_id,
            col(PracticeSession.privacy) == SHARED_WITH_MANAGERS,
        )
        .values(privacy=PRIVATE)
        .execution_options(synchronize_session=False)
    )
    # Their open assignments go; completed ones stay in the company's record.
    session.execute(
        delete(AssignmentLearner).where(
            col(AssignmentLearner.user_id) == member_uuid,
            col(AssignmentLearner.company_id) == company_id,
            col(AssignmentLearner.completed_at).is_(None),
        )
    )
    audit(
        session=session,
        action="company.member_removed",
        target_type="user",
        actor_user_id=actor_id,
        subject_user_id=member_uuid,
        company_id=company_id,
        target_id=member_uuid,
        details={"sessions_made_private": rowcount(unshared) or 0},
    )
    return row.display_name or row.email.split("@")[0]
