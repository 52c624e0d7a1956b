"""Who may see a company's dashboard, and the short-lived signed tokens that let a browser download its CSV.

A download link cannot carry the session header, so the dashboard mints a token bound to one user and one
company, valid for two minutes: `<user hex>.<expires>.<HMAC-SHA256(secret_key, ...)>`. The export route
checks the token and then `can_view_company` again, so a revoked manager loses access at once.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid

from sqlalchemy import select
from sqlmodel import Session

from speakpro.models import User, UserProfile
from speakpro.settings import settings

DOWNLOAD_TOKEN_SECONDS = 120


def can_view_company(*, session: Session, user_id: uuid.UUID, company_id: uuid.UUID) -> bool:
    """Whether this (active) user is a manager of that very company, or an admin (1 query)."""
    row = session.execute(
        select(User.is_admin, UserProfile.role, UserProfile.company_id)
        .outerjoin(UserProfile, UserProfile.user_id == User.id)
        .where(User.id == user_id, User.disabled.is_(False), User.deleted_at.is_(None))
    ).one_or_none()
    if row is None:
        return False
    return bool(row.is_admin) or (row.role == "manager" and row.company_id == company_id)


def _signature(user_id: uuid.UUID | str, company_id: uuid.UUID | str, expires: int) -> str:
    message = f"csv-export|{uuid.UUID(str(user_id))}|{uuid.UUID(str(company_id))}|{expires}".encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()


def mint_download_token(*, user_id: uuid.UUID, company_id: uuid.UUID, now: float | None = None) -> str:
    """A `<user hex>.<expires>.<hmac>` token letting this user download this company's CSV for two minutes."""
    expires = int(now if now is not None else time.time()) + DOWNLOAD_TOKEN_SECONDS
    return f"{uuid.UUID(str(user_id)).hex}.{expires}.{_signature(user_id, company_id, expires)}"


def verify_download_token(token: str | None, *, company_id: uuid.UUID, now: float | None = None) -> uuid.UUID | None:
    """The user a valid, unexpired token was minted for (for this very company), else None."""
    if not token or len(token) > 160:
        return None
    parts = token.split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    user_hex, expires_text, signature = parts
    try:
        user_id = uuid.UUID(hex=user_hex)
    except ValueError:
        return None
    expires = int(expires_text)
    current = now if now is not None else time.time()
    if expires < current or expires > current + DOWNLOAD_TOKEN_SECONDS + 5:
        return None
    if not hmac.compare_digest(_signature(user_id, company_id, expires), signature):
        return None
    return user_id
