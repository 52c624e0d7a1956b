"""Server-side login sessions: the browser holds a random token, the database only its keyed hash.

A session ends when it is revoked (logout, password change, "log out everywhere"), when it has been idle
too long, at its absolute expiry, or at once when its user is disabled or deleted.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, text, update
from sqlmodel import Session, col

from speakpro.db import NOBODY, DbContext, rowcount
from speakpro.models import AuthHandoff, AuthSession, User, utcnow
from speakpro.services.accounts.time_zones import local_day
from speakpro.settings import settings

TOKEN_BYTES = 32  # 256 bits
ABSOLUTE_LIFETIME = timedelta(days=30)
IDLE_TIMEOUT = timedelta(days=7)
TOUCH_EVERY = timedelta(minutes=5)  # last_seen_at is written at most this often
HANDOFF_LIFETIME = timedelta(minutes=2)


def hash_token(token: str) -> str:
    """The keyed SHA-256 of a token (HMAC with SECRET_KEY), as stored in the database."""
    return hmac.new(settings.secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Viewer:
    """Who is asking: the public facts every page and guard needs (no hashes, no tokens)."""

    user_id: uuid.UUID
    email: str
    display_name: str
    is_admin: bool
    role: str
    company_id: uuid.UUID | None
    company_slug: str
    company_name: str
    onboarding_completed: bool
    ab_variant: str
    time_zone: str = "UTC"

    def today(self) -> date:
        """The learner's date now, in their time zone: the day of their streak and daily quests."""
        return local_day(self.time_zone)

    def manages(self, company_id: uuid.UUID | None) -> bool:
        """Whether this viewer is a manager of that very company."""
        return company_id is not None and self.role == "manager" and self.company_id == company_id


def create_session(*, session: Session, user_id: uuid.UUID, user_agent: str = "") -> str:
    """Start a session for a user who has just proven who they are; returns the new token (shown once)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    session.add(
        AuthSession(
            user_id=user_id,
            token_hash=hash_token(token),
            created_at=now,
            last_seen_at=now,
            expires_at=now + ABSOLUTE_LIFETIME,
            user_agent=(user_agent or "")[:300],
        )
    )
    session.execute(update(User).where(col(User.id) == user_id).values(last_login_at=now))
    return token


# The rules below, in one database function that runs as the system (nobody is signed in yet): migrations 0009
# and 0015.
_RESOLVE = text(
    "SELECT user_id, email, display_name, is_admin, role, company_id, company_slug, company_name, "
    "onboarding_completed, ab_variant, time_zone FROM speakpro_resolve_session(:token_hash, :now, :idle, :touch)"
)


def resolve_session(*, session: Session, token: str | None, now: datetime | None = None) -> Viewer | None:
    """The viewer behind a token, or None when the token is unknown, revoked, expired or idle too
    long, or its user is disabled or deleted. Keeps `last_seen_at` fresh (at most every few minutes)."""
    if not token or len(token) > 200:
        return None
    row = session.execute(
        _RESOLVE, {"token_hash": hash_token(token), "now": now or utcnow(), "idle": IDLE_TIMEOUT, "touch": TOUCH_EVERY}
    ).first()
    if row is None:
        return None
    return Viewer(
        user_id=row.user_id,
        email=row.email,
        display_name=row.display_name or row.email.split("@")[0],
        is_admin=row.is_admin,
        role=row.role,
        company_id=row.company_id,
        company_slug=row.company_slug or "",
        company_name=row.company_name or "",
        onboarding_completed=row.onboarding_completed,
        ab_variant=row.ab_variant or "",
        time_zone=row.time_zone,
    )


def viewer_context(viewer: Viewer | None) -> DbContext:
    """The database context of a viewer (see `db.DbContext`): admins are admins whatever their profile says."""
    if viewer is None:
        return NOBODY
    return DbContext(
        user_id=viewer.user_id, company_id=viewer.company_id, role="admin" if viewer.is_admin else viewer.role
    )


def revoke_session(*, session: Session, token: str | None) -> None:
    """End the session of this token (logout). Unknown tokens are ignored."""
    if token:
        session.execute(
            update(AuthSession)
            .where(col(AuthSession.token_hash) == hash_token(token), col(AuthSession.revoked_at).is_(None))
            .values(revoked_at=utcnow())
        )


def revoke_user_sessions(*, session: Session, user_id: uuid.UUID, keep_token: str | None = None) -> int:
    """End every session of a user, except the one of `keep_token`; returns how many ended."""
    statement = update(AuthSession).where(col(AuthSession.user_id) == user_id, col(AuthSession.revoked_at).is_(None))
    if keep_token:
        statement = statement.where(col(AuthSession.token_hash) != hash_token(keep_token))
    return rowcount(session.execute(statement.values(revoked_at=utcnow()))) or 0


def create_handoff(*, session: Session, user_id: uuid.UUID) -> str:
    """A one-time code, valid for two minutes, that the browser trades for a session after an OpenID login."""
    code = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(AuthHandoff(code_hash=hash_token(code), user_id=user_id, expires_at=utcnow() + HANDOFF_LIFETIME))
    return code


def redeem_handoff(*, session: Session, code: str | None, user_agent: str = "") -> str | None:
    """Trade a hand-off code for a new session token; a code works once, and only while fresh."""
    if not code or len(code) > 200:
        return None
    now = utcnow()
    user_id = session.execute(
        update(AuthHandoff)
        .where(
            col(AuthHandoff.code_hash) == hash_token(code),
            col(AuthHandoff.used_at).is_(None),
            col(AuthHandoff.expires_at) > now,
        )
        .values(used_at=now)
        .returning(col(AuthHandoff.user_id))
    ).scalar_one_or_none()
    if user_id is None:
        return None
    active = session.execute(
        select(col(User.id)).where(
            col(User.id) == user_id, col(User.disabled).is_(False), col(User.deleted_at).is_(None)
        )
    ).first()
    return create_session(session=session, user_id=user_id, user_agent=user_agent) if active else None
