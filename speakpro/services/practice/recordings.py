"""A practice session's recording: attaching the uploaded audio, replacing it, and deleting what it replaced.

A session has at most one primary recording. A replaced one stays as a row (`is_primary` false,
`deleted_at` set) and its stored object is deleted only once the caller's transaction commits.
"""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select, update
from sqlmodel import Session, col

from speakpro.integrations.storage import StorageError, get_storage
from speakpro.models import AudioRecording, utcnow
from speakpro.models.practice import MAX_SESSION_SECONDS
from speakpro.services.practice.practice_access import owned_session
from speakpro.services.validation import ValidationError
from speakpro.settings import settings
from speakpro.uploads import AAC, MATROSKA, MP4, MPEG, OGG, WAV, WEBM, check_audio_ref

__all__ = ["RECORDING_GRACE_SECONDS", "RecordingView", "attach_recording"]

log = logging.getLogger(__name__)

RECORDING_GRACE_SECONDS = 60  # a recorder may stop a little after the session's 15 minutes
_PENDING_DELETES = "speakpro.practice.pending_storage_deletes"
_MIME_BY_EXTENSION = {fmt.extension: fmt.mime for fmt in (WEBM, MATROSKA, OGG, WAV, MP4, MPEG, AAC)}


@dataclass(frozen=True)
class RecordingView:
    """The session's primary recording after `attach_recording`."""

    id: str
    session_id: str
    storage_key: str
    mime_type: str
    size_bytes: int
    duration_seconds: float | None
    replaced_previous: bool


def _on_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING_DELETES, [])
    if not pending:
        return
    storage = get_storage()
    for key, _transaction in pending:
        try:
            storage.delete(key)
        except (StorageError, OSError) as error:
            # The row (is_primary false, deleted_at set) stays as the record of an object to purge.
            log.warning("replaced recording not deleted from storage: %s", type(error).__name__)


def _on_rollback(session: Session, previous_transaction: Any) -> None:
    pending = session.info.get(_PENDING_DELETES)
    if not pending:
        return

    def undone(transaction: Any) -> bool:
        while transaction is not None:
            if transaction is previous_transaction:
                return True
            transaction = transaction.parent
        return False

    session.info[_PENDING_DELETES] = [(key, t) for key, t in pending if not undone(t)]


def _delete_after_commit(session: Session, key: str) -> None:
    """Delete a storage object once the caller's transaction commits (never if it rolls back).

    Deleting before the commit could lose the audio of a recording whose replacement is then rolled back.
    """
    if not session.info.get(_PENDING_DELETES + ".listening"):
        event.listen(session, "after_commit", _on_commit)
        event.listen(session, "after_soft_rollback", _on_rollback)
        session.info[_PENDING_DELETES + ".listening"] = True
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING_DELETES, []).append((key, transaction))


def _check_mime(key: str, mime: object) -> str:
    expected = _MIME_BY_EXTENSION.get(key.rsplit(".", 1)[-1])
    value = mime.strip().lower() if isinstance(mime, str) else ""
    if expected is None or len(value) > 100 or value.split(";", 1)[0].strip() != expected:
        raise ValidationError("recording", "The recording's type does not match the uploaded file.")
    return value


def _check_size(size: object) -> int:
    if isinstance(size, bool) or not isinstance(size, int) or not 0 < size <= settings.max_upload_bytes:
        raise ValidationError("recording", "The recording's size does not match the uploaded file.")
    return size


def _check_duration(duration: object) -> float | None:
    if duration is None:
        return None  # a MediaRecorder WebM has no duration in its header
    if isinstance(duration, bool) or not isinstance(duration, int | float) or not math.isfinite(duration):
        raise ValidationError("recording", "The recording's duration must be a number of seconds.")
    if not 0 <= duration <= MAX_SESSION_SECONDS + RECORDING_GRACE_SECONDS:
        raise ValidationError("recording", "A practice recording lasts at most 15 minutes.")
    return float(min(duration, MAX_SESSION_SECONDS))


def attach_recording(
    *,
    session: Session,
    user_id: uuid.UUID,
    practice_session_id: uuid.UUID | str,
    key: str,
    mime: str,
    size: int | float | None,
    duration_seconds: float | None,
) -> RecordingView:
    """Make an uploaded recording the session's primary recording.

    The key must be one the upload route minted for this learner and the object must exist
    (`check_audio_ref(..., must_exist=True)`); `mime` and `size` are what the upload route answered (the
    mime must match the key's extension). Allowed while the session is active, ended, failed or analyzed
    (the upload usually lands just after the end), not once it is archived or deleted.

    A second recording REPLACES the first: the old row stays as history with `is_primary` false and
    `deleted_at` set, and its object is deleted from storage AFTER the caller's transaction commits
    (never if it rolls back; a failed deletion is logged and the marked row remains as the to-do).
    Attaching the same key again is a no-op that returns the current recording.

    Returns:
        The primary recording now.

    Raises:
        ValidationError: Not the learner's session, a closed session, a key that is not theirs or not
            stored, a key attached elsewhere, or a mime, size or duration that does not fit; nothing changes.
    """
    row = owned_session(session, user_id, practice_session_id, lock=True)
    if row.status == "archived":
        raise ValidationError("session", "This session is archived: its recording can no longer change.")
    if not isinstance(key, str) or not check_audio_ref(user_id, key, must_exist=True):
        raise ValidationError("recording", "We could not find that recording. Please upload it again.")
    mime = _check_mime(key, mime)
    size = _check_size(size)
    duration = _check_duration(duration_seconds)
    same_key = session.execute(
        select(AudioRecording).where(col(AudioRecording.storage_key) == key).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if same_key is not None:
        if same_key.session_id != row.id or not same_key.is_primary or same_key.deleted_at is not None:
            raise ValidationError("recording", "This recording is already used elsewhere. Please upload it again.")
        return _recording_view(same_key, replaced=False)
    now = utcnow()
    previous = (
        session.execute(
            update(AudioRecording)
            .where(col(AudioRecording.session_id) == row.id, col(AudioRecording.is_primary).is_(True))
            .values(is_primary=False, deleted_at=now)
            .returning(col(AudioRecording.storage_key))
            .execution_options(synchronize_session="fetch")
        )
        .scalars()
        .all()
    )
    recording = AudioRecording(
        session_id=row.id,
        user_id=user_id,
        storage_key=key,
        mime_type=mime,
        size_bytes=size,
        duration_seconds=duration,
        is_primary=True,
        created_at=now,
    )
    session.add(recording)
    session.flush()
    for old_key in previous:
        _delete_after_commit(session, old_key)
    return _recording_view(recording, replaced=bool(previous))


def _recording_view(recording: AudioRecording, *, replaced: bool) -> RecordingView:
    return RecordingView(
        id=str(recording.id),
        session_id=str(recording.session_id),
        storage_key=recording.storage_key,
        mime_type=recording.mime_type,
        size_bytes=recording.size_bytes,
        duration_seconds=recording.duration_seconds,
        replaced_previous=replaced,
    )
