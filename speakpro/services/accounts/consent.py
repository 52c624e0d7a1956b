"""A learner's consent records: the privacy notice version they accepted and whether SpeakPro may record them,
each choice a row (`privacy_consents`), the latest one in force."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from speakpro.models import (
    PrivacyConsent,
    User,
    utcnow,
)
from speakpro.services.validation import ValidationError

log = logging.getLogger(__name__)

PRIVACY_NOTICE_VERSION = "2026-12-01"
MAX_NOTICE_VERSION = 32


@dataclass(frozen=True)
class ConsentView:
    """What the account page shows: the notice accepted and whether recordings are allowed, with when."""

    notice_version: str
    accepted_at: datetime
    recording: bool
    recording_since: datetime
    current: bool  # the accepted notice is today's `PRIVACY_NOTICE_VERSION`


def record_consent(
    *, session: Session, user_id: uuid.UUID, notice_version: str = PRIVACY_NOTICE_VERSION, recording: bool = True
) -> PrivacyConsent:
    """Record that the user accepted `notice_version` and allows (or not) recordings, now.

    Raises:
        ValidationError: For an empty or over-long notice version.
    """
    version = (notice_version or "").strip()
    if not version or len(version) > MAX_NOTICE_VERSION:
        raise ValidationError("notice_version", "The privacy notice version is missing.")
    consent = PrivacyConsent(user_id=user_id, notice_version=version, recording=bool(recording), created_at=utcnow())
    session.add(consent)
    session.flush()
    return consent


RECORDING_OFF = (
    "Recording is off for your account: allow recordings on your account page to practise out loud. "
    "Lessons can still be answered in writing."
)


def recording_allowed(*, session: Session, user_id: uuid.UUID) -> bool:
    """True when the user's newest consent allows recordings; never without a consent on record (1 query)."""
    allowed = session.execute(
        select(col(PrivacyConsent.recording))
        .where(col(PrivacyConsent.user_id) == user_id)
        .order_by(col(PrivacyConsent.created_at).desc(), col(PrivacyConsent.id).desc())
        .limit(1)
    ).scalar_one_or_none()
    return bool(allowed)


def current_consent(*, session: Session, user_id: uuid.UUID) -> ConsentView | None:
    """The user's consent now (the newest record), None when they never gave one (1 query)."""
    rows = session.execute(
        select(col(PrivacyConsent.notice_version), col(PrivacyConsent.recording), col(PrivacyConsent.created_at))
        .where(col(PrivacyConsent.user_id) == user_id)
        .order_by(col(PrivacyConsent.created_at).desc(), col(PrivacyConsent.id).desc())
    ).all()
    if not rows:
        return None
    latest = rows[0]
    since = latest.created_at
    for row in rows[1:]:
        if row.recording != latest.recording:
            break
        since = row.created_at
    return ConsentView(
        notice_version=latest.notice_version,
        accepted_at=latest.created_at,
        recording=latest.recording,
        recording_since=since,
        current=latest.notice_version == PRIVACY_NOTICE_VERSION,
    )


@dataclass(frozen=True)
class PrivacyOverview:
    """The account page's privacy section: the consent on record, and how deleting the account is confirmed."""

    consent: ConsentView | None
    confirm_with_password: bool  # else the email address is typed


def privacy_overview(*, session: Session, user_id: uuid.UUID) -> PrivacyOverview:
    """What the account page shows about the user's privacy (2 queries)."""
    has_password = session.execute(select(col(User.password_hash).is_not(None)).where(col(User.id) == user_id)).scalar()
    return PrivacyOverview(
        consent=current_consent(session=session, user_id=user_id), confirm_with_password=bool(has_password)
    )
