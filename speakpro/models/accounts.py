"""Accounts and tenancy: users, their login identities and sessions, companies and profiles."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from speakpro.models.base import (
    between,
    fk,
    jsonb,
    non_negative,
    now_column,
    one_of,
    timestamp,
    uuid_pk,
)

ROLES = ("learner", "manager")
AB_VARIANTS = ("A", "B")


class Company(SQLModel, table=True):
    """A tenant: a company that enrols learners and whose managers see its dashboards."""

    __tablename__: ClassVar[str] = "companies"
    __table_args__ = (
        CheckConstraint("slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'", name="slug_format"),
        CheckConstraint(
            "recording_retention_days IS NULL OR recording_retention_days BETWEEN 1 AND 3650",
            name="recording_retention_days_range",
        ),
    )

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=120)
    slug: str = Field(max_length=64, unique=True)
    join_code: str = Field(max_length=32, unique=True)
    manager_invite_code: str | None = Field(default=None, max_length=48, unique=True)
    is_active: bool = True
    # Days the company keeps its learners' recordings (the retention sweep deletes older ones); None: no limit.
    recording_retention_days: int | None = None
    created_at: datetime = now_column()


class Team(SQLModel, table=True):
    """A group of learners inside a company (a sales pod, a region), for assignments and the team list."""

    __tablename__: ClassVar[str] = "teams"
    __table_args__ = (
        Index("uq_teams_company_name", "company_id", text("lower(name)"), unique=True),
        CheckConstraint("length(name) >= 2", name="name_length"),
    )

    id: uuid.UUID = uuid_pk()
    company_id: uuid.UUID = fk("companies.id", index=False)
    name: str = Field(max_length=80)
    created_by: uuid.UUID | None = fk("users.id", ondelete="SET NULL", nullable=True, index=False)
    created_at: datetime = now_column()


class CompanyInvite(SQLModel, table=True):
    """A pending invitation of an email address to a company as a learner (into a team, optionally).

    The invited person sees it on their home page once signed in with that address, and accepts or declines
    it; either way (or when a manager revokes it) the row goes, and the audit log keeps what happened.
    """

    __tablename__: ClassVar[str] = "company_invites"
    __table_args__ = (
        UniqueConstraint("company_id", "email", name="uq_company_invites_company_id"),
        CheckConstraint("email = lower(email)", name="email_lower"),
    )

    id: uuid.UUID = uuid_pk()
    company_id: uuid.UUID = fk("companies.id", index=False)
    email: str = Field(max_length=254, index=True)
    team_id: uuid.UUID | None = fk("teams.id", ondelete="SET NULL", nullable=True, index=False)
    invited_by: uuid.UUID | None = fk("users.id", ondelete="SET NULL", nullable=True, index=False)
    created_at: datetime = now_column()


class User(SQLModel, table=True):
    """A person who signs in. Email is stored lower-cased and is unique."""

    __tablename__: ClassVar[str] = "users"
    __table_args__ = (
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint("position('@' in email) > 1", name="email_has_at"),
    )

    id: uuid.UUID = uuid_pk()
    email: str = Field(max_length=254, unique=True)
    display_name: str = Field(default="", max_length=120)
    password_hash: str | None = Field(default=None, max_length=255)
    email_verified: bool = False
    is_admin: bool = False
    disabled: bool = False
    created_at: datetime = now_column()
    last_login_at: datetime | None = timestamp()
    password_changed_at: datetime | None = timestamp()
    deleted_at: datetime | None = timestamp()


class OAuthIdentity(SQLModel, table=True):
    """A login through an OpenID Connect / OAuth provider, keyed on (provider, subject)."""

    __tablename__: ClassVar[str] = "oauth_identities"
    __table_args__ = (UniqueConstraint("provider", "subject"),)

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = fk("users.id")
    provider: str = Field(max_length=32)
    subject: str = Field(max_length=255)
    email: str | None = Field(default=None, max_length=254)
    created_at: datetime = now_column()


class AuthSession(SQLModel, table=True):
    """A server-side login session; the browser holds the token, the database only its hash."""

    __tablename__: ClassVar[str] = "auth_sessions"
    __table_args__ = (CheckConstraint("expires_at > created_at", name="expiry_after_creation"),)

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = fk("users.id")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = now_column()
    last_seen_at: datetime = now_column()
    expires_at: datetime = timestamp(nullable=False)
    revoked_at: datetime | None = timestamp()
    user_agent: str = Field(default="", max_length=300)


class UserProfile(SQLModel, table=True):
    """Persona, onboarding, company membership and the economy balances of one user."""

    __tablename__: ClassVar[str] = "user_profiles"
    __table_args__ = (
        one_of("role", ROLES),
        CheckConstraint("ab_variant IS NULL OR ab_variant IN ('A', 'B')", name="ab_variant_valid"),
        CheckConstraint("role = 'learner' OR company_id IS NOT NULL", name="manager_has_company"),
        between("comfort_speaking", 1, 5),
        between("comfort_selling", 1, 5),
        *non_negative("xp", "coins", "tickets"),
        Index("ix_user_profiles_company_role", "company_id", "role"),
        CheckConstraint("team_id IS NULL OR company_id IS NOT NULL", name="team_needs_company"),
        CheckConstraint("company_disabled_at IS NULL OR role = 'learner'", name="only_learners_disabled"),
    )

    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", primary_key=True)
    company_id: uuid.UUID | None = fk("companies.id", ondelete="SET NULL", nullable=True, index=False)
    # The learner's team inside their company (`services.accounts.teams` keeps it in the same company).
    team_id: uuid.UUID | None = fk("teams.id", ondelete="SET NULL", nullable=True)
    # Set when a manager disables the learner's membership: the account and its own practice stay, the
    # company's content, sharing and figures do not (the session resolver gives them no company).
    company_disabled_at: datetime | None = timestamp()
    role: str = Field(default="learner", max_length=16)
    job_role: str = Field(default="", max_length=120)
    audience: str = Field(default="", max_length=120)
    main_goal: str = Field(default="", max_length=200)
    practice_for: str = Field(default="", max_length=200)
    comfort_speaking: int | None = None
    comfort_selling: int | None = None
    onboarding_completed: bool = False
    ab_variant: str | None = Field(default=None, max_length=1)
    # An IANA name ("Europe/Paris"): the learner's day (streak, daily quests) starts at their own midnight.
    time_zone: str = Field(default="UTC", max_length=64, sa_column_kwargs={"server_default": "UTC"})
    district_full_access: dict = jsonb()
    xp: int = 0
    coins: int = 0
    tickets: int = 0
    created_at: datetime = now_column()


class LoginThrottle(SQLModel, table=True):
    """Failed logins counted per account and per client (keys are hashes, never raw emails or IPs)."""

    __tablename__: ClassVar[str] = "login_throttles"
    __table_args__ = (*non_negative("failures"),)

    key: str = Field(primary_key=True, max_length=80)
    failures: int = 0
    window_started_at: datetime = now_column()
    locked_until: datetime | None = timestamp()


class AuthHandoff(SQLModel, table=True):
    """A one-time code that carries an OpenID login from the backend callback to the browser's state."""

    __tablename__: ClassVar[str] = "auth_handoffs"

    code_hash: str = Field(primary_key=True, max_length=64)
    user_id: uuid.UUID = fk("users.id")
    expires_at: datetime = timestamp(nullable=False)
    used_at: datetime | None = timestamp()
    created_at: datetime = now_column()
