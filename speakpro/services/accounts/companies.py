"""Companies (tenants): creation by an admin, join codes for learners, invite codes for managers."""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import case, func, or_, select, update
from sqlmodel import Session, col

from speakpro.models import Company, Team, User, UserProfile
from speakpro.services.telemetry import audit
from speakpro.services.validation import ValidationError, clean_text, storable

# The company a user practises for: their company, unless a manager disabled their membership (then their new
# practice, events and audit rows are nobody's). The session resolver applies the same rule (migration 0021).
MEMBER_COMPANY = case((col(UserProfile.company_disabled_at).is_(None), col(UserProfile.company_id))).label("company_id")

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


def member_company_id(*, session: Session, user_id: uuid.UUID) -> uuid.UUID | None:
    """`MEMBER_COMPANY` of one user: the company their practice counts for, or None."""
    return session.execute(select(MEMBER_COMPANY).where(col(UserProfile.user_id) == user_id)).scalar_one_or_none()


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
    if profile.company_id == company.id and profile.company_disabled_at is not None:
        raise ValidationError("join_code", f"Your membership of {company.name} is disabled. Ask your manager.")
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
    team_id: str = ""
    team: str = ""
    disabled: bool = False


def list_members(*, session: Session, company_id: uuid.UUID) -> list[Member]:
    """The people of one company (one query); callers check the viewer may see this company."""
    rows = session.execute(
        select(
            col(User.id),
            col(User.display_name),
            col(User.email),
            col(UserProfile.role),
            col(UserProfile.onboarding_completed),
            col(Team.id),
            col(Team.name),
            col(UserProfile.company_disabled_at),
        )
        .join(UserProfile, col(UserProfile.user_id) == col(User.id))
        .outerjoin(Team, col(Team.id) == col(UserProfile.team_id))
        .where(col(UserProfile.company_id) == company_id, col(User.deleted_at).is_(None))
        .order_by(col(UserProfile.role).desc(), col(User.display_name))
    ).all()
    return [
        Member(str(r[0]), r[1] or r[2].split("@")[0], r[2], r[3], r[4], str(r[5] or ""), r[6] or "", r[7] is not None)
        for r in rows
    ]


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
