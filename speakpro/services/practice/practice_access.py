"""Which practice session a learner may touch: its id, its 15-minute cap and its owner.

Shared by the session lifecycle (`services/practice/practice.py`), the transcript
(`services/practice/transcripts.py`), the recordings and the Realtime client secrets; it imports none of them.
Every refusal is a `ValidationError` on the "session" field, and an unknown, someone else's or deleted
session all read "not found", so ids cannot be probed.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from speakpro.models import PracticeSession
from speakpro.models.practice import MAX_SESSION_SECONDS
from speakpro.services.validation import ValidationError, parse_id

__all__ = ["CAP", "NOT_ACTIVE", "NOT_FOUND", "OVER_CAP", "check_live", "over_cap", "owned_session", "parse_session_id"]

CAP = timedelta(seconds=MAX_SESSION_SECONDS)

NOT_FOUND = "We could not find this practice session."
NOT_ACTIVE = "This practice session has ended: nothing more can be added to it."
OVER_CAP = "This practice session reached its 15-minute limit: end it to see your results."


def parse_session_id(value: object) -> uuid.UUID:
    """The practice session id as a UUID, or the "not found" ValidationError (ids cannot be probed)."""
    return parse_id(value, field="session", message=NOT_FOUND)


def over_cap(started_at: datetime, now: datetime) -> bool:
    """Whether a session started at `started_at` has run past the 15-minute hard cap at `now`."""
    return now - started_at > CAP


def owned_session(session: Session, user_id: uuid.UUID, practice_session_id: object, *, lock: bool) -> PracticeSession:
    """The learner's own, not deleted session (locked FOR NO KEY UPDATE when asked), else "not found"."""
    statement = select(PracticeSession).where(col(PracticeSession.id) == parse_session_id(practice_session_id))
    if lock:
        statement = statement.with_for_update(key_share=True)
    row = session.execute(statement.execution_options(populate_existing=True)).scalar_one_or_none()
    if row is None or row.user_id != user_id or row.deleted_at is not None:
        raise ValidationError("session", NOT_FOUND)
    return row


def check_live(row: PracticeSession, now: datetime) -> None:
    """Refuse a session that is no longer active ("ended") or has run past its cap at `now`."""
    if row.status != "active":
        raise ValidationError("session", NOT_ACTIVE)
    if over_cap(row.started_at, now):
        raise ValidationError("session", OVER_CAP)
