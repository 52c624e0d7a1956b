"""Deleting a practice session from a learner's history, as the privacy rules of the data model say.

Deleting a session (`delete_session`) follows the privacy rules of the data model (seed 001/002):

- **Recording**: its object is removed from storage and its row deleted. Order: the database first.
  The recording row is marked `deleted_at` (so nothing claims the audio exists any more) together with
  the rest of the tombstone, and that is committed *before* storage is touched; then the object is
  deleted and the row removed. A storage failure therefore leaves a row with `deleted_at` set: the UI
  shows no audio, and the row is the to-do item a retry (calling `delete_session` again) purges. The key is
  also put on the durable to-delete list (`storage_deletions.forget_objects`) in the same transaction, so the
  periodic `retry_storage_deletions` job deletes the object even if nobody calls again. The reverse order
  could leave the database claiming audio whose object is already gone.
- **Transcript**: anonymised, not deleted: content becomes "[deleted by the learner]", its segments are
  deleted, `is_anonymized`/`anonymized_at` are set. The 1:1 row stays as the record that a transcript
  existed and when it was erased (accountability), and code that expects one transcript per session
  keeps working. Its word count and confidence are numbers, not content, and stay.
- **Analysis results**: only numbers survive. Every string (quotes, coaching text, excerpts, personal
  context) and every list that is not all numbers is dropped from `results` and from the session's
  `analytics_summary`, recursively; `personal_context_removed: true` marks the scrub. An allow-list of
  numbers is safer than a deny-list of key names that the next analysis version could miss.
- **SessionAnalytics** (numbers and ids only, no content) is kept, so a company's dashboards do not
  change retroactively when a learner tidies their history. Erasing the whole account is a different
  operation that removes these rows as well.
- **Session**: tombstoned (`deleted_at`, status `archived`, title replaced, failure reason cleared),
  so it disappears from every learner view while the aggregates keep their parent row.
- **Audit**: one `AuditLog` row with ids and counts only.

Calling it again is harmless: it changes nothing more and retries any recording object whose deletion
failed before.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlmodel import Session, col

from speakpro.db import rowcount
from speakpro.integrations.storage import StorageError, get_storage
from speakpro.models import (
    AnalysisResult,
    AudioRecording,
    PracticeSession,
    Retake,
    SessionComment,
    SessionReview,
    StorageDeletion,
    Transcript,
    TranscriptSegment,
    utcnow,
)
from speakpro.models.practice import MAX_SESSION_SECONDS
from speakpro.services.accounts.storage_deletions import forget_objects
from speakpro.services.telemetry import audit
from speakpro.services.validation import ValidationError, id_or_none

log = logging.getLogger(__name__)

DELETED_CONTENT = "[deleted by the learner]"
DELETED_TITLE = "[deleted session]"
NOT_FOUND = "We could not find this practice session."


def not_found_error() -> ValidationError:
    """The one error for a session that is unknown or someone else's (the two look the same)."""
    return ValidationError("session", NOT_FOUND)


def session_uuid(value: object) -> uuid.UUID:
    """A session id from the browser, or the not-found error."""
    parsed = id_or_none(value)
    if parsed is None:
        raise not_found_error()
    return parsed


def scrub_personal(value: Any) -> Any:
    """Keep only numbers (and booleans) from a JSON value; drop text and anything else that could quote the learner.

    Objects are scrubbed key by key (keys that end up empty are dropped); a list survives only when
    every element is a number. Returns None when nothing is left.
    """
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        kept = {str(k): scrubbed for k, v in value.items() if (scrubbed := scrub_personal(v)) is not None}
        return kept or None
    if isinstance(value, list) and value and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        return list(value)
    return None


def _scrubbed(value: dict | None) -> dict:
    return {**(scrub_personal(value or {}) or {}), "personal_context_removed": True}


def delete_session(*, session: Session, user_id: uuid.UUID, practice_session_id: uuid.UUID | str) -> None:
    """Delete one of the learner's sessions as the module docstring describes; safe to call again.

    Commits the caller's session once, after the database part and before storage is touched, so the
    tombstone (recording marked deleted) is durable before any object disappears; the recording rows
    whose objects were deleted are then removed in the caller's transaction.

    Raises:
        ValidationError: "not found" for an unknown id or someone else's session; "still running" for
            a session that is live right now (end it first).
    """
    session_id = session_uuid(practice_session_id)
    practice = session.execute(
        select(PracticeSession).where(col(PracticeSession.id) == session_id).with_for_update()
    ).scalar_one_or_none()
    if practice is None or practice.user_id != user_id:
        raise not_found_error()
    now = utcnow()
    if practice.deleted_at is None:
        if practice.status == "active" and practice.started_at > now - timedelta(seconds=MAX_SESSION_SECONDS):
            raise ValidationError("session", "This session is still running. End it first, then delete it.")
        _tombstone(session, practice, now)
    session.commit()
    _purge_recordings(session, session_id)


def _tombstone(session: Session, practice: PracticeSession, now: datetime) -> None:
    """Everything but the storage objects, in the caller's transaction."""
    recordings = session.execute(
        update(AudioRecording)
        .where(col(AudioRecording.session_id) == practice.id, col(AudioRecording.deleted_at).is_(None))
        .values(deleted_at=now)
        .returning(col(AudioRecording.id), col(AudioRecording.storage_key))
    ).all()
    forget_objects(session=session, keys=[key for _, key in recordings], reason="session")
    transcript_ids = select(col(Transcript.id)).where(col(Transcript.session_id) == practice.id).scalar_subquery()
    segments = session.execute(delete(TranscriptSegment).where(col(TranscriptSegment.transcript_id) == transcript_ids))
    session.execute(delete(Retake).where(col(Retake.session_id) == practice.id))  # they quote the transcript
    session.execute(delete(SessionComment).where(col(SessionComment.session_id) == practice.id))  # they cite it
    session.execute(delete(SessionReview).where(col(SessionReview.session_id) == practice.id))
    session.execute(
        update(Transcript)
        .where(col(Transcript.session_id) == practice.id)
        .values(
            content=DELETED_CONTENT,
            is_anonymized=True,
            anonymized_at=func.coalesce(Transcript.anonymized_at, now),
            updated_at=now,
        )
    )
    results = (
        session.execute(select(AnalysisResult).where(col(AnalysisResult.session_id) == practice.id)).scalars().all()
    )
    for result in results:
        result.results = _scrubbed(result.results)
    practice.analytics_summary = _scrubbed(practice.analytics_summary)
    practice.title = DELETED_TITLE
    practice.privacy = "private"  # no manager sees what is left
    practice.failure_reason = None
    practice.status = "archived"
    practice.ended_at = practice.ended_at or now
    practice.deleted_at = now
    practice.updated_at = now
    audit(
        session=session,
        action="practice_session_deleted",
        target_type="practice_session",
        target_id=practice.id,
        actor_user_id=practice.user_id,
        subject_user_id=practice.user_id,
        company_id=practice.company_id,
        details={
            "recordings": len(recordings),
            "segments_deleted": rowcount(segments) or 0,
            "analysis_results_scrubbed": len(results),
        },
    )
    session.flush()


def _purge_recordings(session: Session, session_id: uuid.UUID) -> None:
    """Delete the objects of the session's (already tombstoned) recordings, then their rows.

    A failed object deletion keeps its row (with `deleted_at` set) for the next attempt.
    """
    pending = session.execute(
        select(col(AudioRecording.id), col(AudioRecording.storage_key)).where(
            col(AudioRecording.session_id) == session_id
        )
    ).all()
    storage = get_storage()
    purged, keys = [], []
    for recording_id, key in pending:
        try:
            storage.delete(key)
        except (StorageError, OSError) as error:
            log.warning("recording object not deleted yet (will retry): %s", type(error).__name__)
            continue
        purged.append(recording_id)
        keys.append(key)
    if purged:
        session.execute(delete(AudioRecording).where(col(AudioRecording.id).in_(purged)))
        session.execute(delete(StorageDeletion).where(col(StorageDeletion.key).in_(keys)))
        session.flush()
