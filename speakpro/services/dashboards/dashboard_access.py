"""Who may see a company's dashboard, and the short-lived signed tokens that let a browser download its CSV.

A download link cannot carry the session cookie to another origin, so the dashboard mints a token for one
user, one company and the login session it was minted in, valid for two minutes:
`<token id>.<user>.<login session>.<expires>.<HMAC-SHA256(secret_key, ...)>` (ids as hex). The export route
redeems it (`redeem_download_token`): the signature and expiry hold, the login session that minted it is
still live (a logout, "log out everywhere", a password change or idle expiry kills the token with it), and
the token was never used before (its id goes into `used_download_tokens` in the export's transaction). Then
it checks `can_view_company` again, so a revoked manager loses access at once.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from speakpro.models import AuthSession, Company, UsedDownloadToken, User, UserProfile, utcnow
from speakpro.services.accounts.companies import get_company_by_slug
from speakpro.services.accounts.sessions import IDLE_TIMEOUT, Viewer, hash_token
from speakpro.settings import settings

DOWNLOAD_TOKEN_SECONDS = 120
_CLOCK_SKEW_SECONDS = 5
_MAX_TOKEN_LENGTH = 256


def managed_company(*, session: Session, viewer: Viewer, slug: str) -> Company | None:
    """The company of `slug` when the viewer manages it or is an admin, else None: unknown and forbidden
    companies look the same, so slugs cannot be probed (1 query). The one check of the manager pages."""
    company = get_company_by_slug(session=session, slug=slug)
    return company if company is not None and (viewer.manages(company.id) or viewer.is_admin) else None


def can_view_company(*, session: Session, user_id: uuid.UUID, company_id: uuid.UUID) -> bool:
    """Whether this (active) user is a manager of that very company, or an admin (1 query)."""
    row = session.execute(
        select(col(User.is_admin), col(UserProfile.role), col(UserProfile.company_id))
        .outerjoin(UserProfile, col(UserProfile.user_id) == col(User.id))
        .where(col(User.id) == user_id, col(User.disabled).is_(False), col(User.deleted_at).is_(None))
    ).one_or_none()
    if row is None:
        return False
    return bool(row.is_admin) or (row.role == "manager" and row.company_id == company_id)


def _live(now: datetime):
    return (
        col(AuthSession.revoked_at).is_(None),
        col(AuthSession.expires_at) > now,
        col(AuthSession.last_seen_at) > now - IDLE_TIMEOUT,
    )


def login_session_id(*, session: Session, token: str | None, now: datetime | None = None) -> uuid.UUID | None:
    """The id of the live login session behind a session token (None when unknown, revoked or expired)."""
    if not token or len(token) > 200:
        return None
    return session.execute(
        select(col(AuthSession.id)).where(col(AuthSession.token_hash) == hash_token(token), *_live(now or utcnow()))
    ).scalar_one_or_none()


@dataclass(frozen=True)
class DownloadClaim:
    """What a correctly signed, unexpired download token says."""

    token_id: uuid.UUID
    user_id: uuid.UUID
    login_session_id: uuid.UUID
    expires: int  # UTC epoch seconds


def _signature(claim: DownloadClaim, company_id: uuid.UUID | str) -> str:
    message = (
        f"csv-export|{claim.token_id}|{claim.user_id}|{claim.login_session_id}|"
        f"{uuid.UUID(str(company_id))}|{claim.expires}"
    ).encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()


def mint_download_token(
    *,
    user_id: uuid.UUID,
    company_id: uuid.UUID,
    login_session_id: uuid.UUID,
    now: float | None = None,
) -> str:
    """A single-use token letting this user download this company's CSV for two minutes, while the login
    session `login_session_id` lasts."""
    claim = DownloadClaim(
        token_id=uuid.uuid4(),
        user_id=uuid.UUID(str(user_id)),
        login_session_id=uuid.UUID(str(login_session_id)),
        expires=int(now if now is not None else time.time()) + DOWNLOAD_TOKEN_SECONDS,
    )
    return (
        f"{claim.token_id.hex}.{claim.user_id.hex}.{claim.login_session_id.hex}.{claim.expires}."
        f"{_signature(claim, company_id)}"
    )


def verify_download_token(
    token: str | None,
    *,
    company_id: uuid.UUID,
    now: float | None = None,
) -> DownloadClaim | None:
    """What a token minted for this very company says, when its signature and expiry hold (no database
    check: `redeem_download_token` adds the login session and single use)."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    parts = token.split(".")
    if len(parts) != 5 or not parts[3].isdigit() or len(parts[3]) > 12:
        return None
    try:
        token_id, user_id, login_id = (uuid.UUID(hex=part) for part in parts[:3])
    except ValueError:
        return None
    claim = DownloadClaim(token_id=token_id, user_id=user_id, login_session_id=login_id, expires=int(parts[3]))
    current = now if now is not None else time.time()
    if claim.expires < current or claim.expires > current + DOWNLOAD_TOKEN_SECONDS + _CLOCK_SKEW_SECONDS:
        return None
    if not hmac.compare_digest(_signature(claim, company_id), parts[4]):
        return None
    return claim


def redeem_download_token(
    *, session: Session, token: str | None, company_id: uuid.UUID, now: datetime | None = None
) -> uuid.UUID | None:
    """Spend a download token: the user it was minted for, or None when it is forged, expired, for another
    company, from a login session that has ended, or already used.

    The token is marked used in the caller's transaction, so a download that fails (rolled back) leaves it
    usable; two concurrent downloads with one token get one CSV between them.
    """
    now = now or utcnow()
    claim = verify_download_token(token, company_id=company_id, now=now.timestamp())
    if claim is None:
        return None
    live = session.execute(
        select(col(AuthSession.id)).where(
            col(AuthSession.id) == claim.login_session_id, col(AuthSession.user_id) == claim.user_id, *_live(now)
        )
    ).first()
    if live is None:
        return None
    # Spent tokens whose expiry has passed are refused by their expiry alone: forget them.
    session.execute(
        delete(UsedDownloadToken).where(
            col(UsedDownloadToken.expires_at) < now - timedelta(seconds=_CLOCK_SKEW_SECONDS)
        )
    )
    spent = session.execute(
        insert(UsedDownloadToken)
        .values(
            token_id=claim.token_id,
            user_id=claim.user_id,
            company_id=company_id,
            used_at=now,
            expires_at=datetime.fromtimestamp(claim.expires, UTC),
        )
        .on_conflict_do_nothing(index_elements=["token_id"])
        .returning(col(UsedDownloadToken.token_id))
    ).first()
    return claim.user_id if spent is not None else None
