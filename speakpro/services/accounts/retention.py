"""Where recordings are referenced, deleting stored objects durably, and the retention sweeps.

**References.** A recording's storage key is kept in one of these places (`KINDS`):

| kind | where |
| --- | --- |
| practice | `audio_recordings.storage_key` (one row per recording of a practice session) |
| lesson | `exercise_submissions.payload.answer.audio_ref` (attempts), `lesson_step_responses.value.answer.audio_ref` |
| venue | `exercise_submissions.payload.audio_ref` (stage "venue") |
| milestone | `milestone_attempts.audio_ref` |
| amphitheatre | `amphitheatre_exercise_records.audio_refs` (a list) |

Only keys under the owner's own prefix (`audio/<user id>/...`, see `uploads.check_audio_ref`) are read, exported
or deleted for that owner: not every service that stores a reference checks who minted the key, so a key under
someone else's prefix is treated as text, never as this user's object.

**Deleting objects durably.** `forget_objects` writes the keys to `storage_deletions` in the transaction that
drops their last reference; the caller commits; `purge_objects` then deletes each object and its row. A failed
deletion keeps its row (attempts counted) and `retry_storage_deletions` tries again later, so a storage outage
never leaves an object that nothing remembers. Deleting before the commit could lose audio whose reference a
rollback brings back.

**Sweeps** (periodic jobs in `speakpro/jobs.py`; each idempotent and audited when it deleted something):
- `sweep_unattached_uploads`: an upload (`uploads`, written by the upload route) that nothing references
  `UNATTACHED_AFTER` (24 h) after it was made is deleted; one that is referenced leaves the table (the reference
  is its record now).
- `sweep_expired_logins`: auth sessions that expired, were revoked or sat idle past `IDLE_TIMEOUT`; OpenID
  hand-off codes used or expired; spent CSV download tokens past their expiry (when that table exists); login
  throttle counters with no lock and a window older than a day.
- `sweep_recording_retention`: for each company with `recording_retention_days`, its learners' recordings
  older than that are deleted (object and reference; transcripts, scores and reflections stay).
- `retry_storage_deletions`: objects whose deletion failed before.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, Text, cast, delete, false, func, literal, literal_column, or_, select, union_all, update
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, array, insert
from sqlmodel import Session

from speakpro.integrations.storage import Storage, StorageError, get_storage, is_valid_key
from speakpro.models import (
    AmphitheatreExerciseRecord,
    AudioRecording,
    AuthHandoff,
    AuthSession,
    Company,
    ExerciseSubmission,
    LessonStepResponse,
    LoginThrottle,
    MilestoneAttempt,
    StorageDeletion,
    Upload,
    UserProfile,
    metadata,
    utcnow,
)
from speakpro.models.privacy import COMPANY_RECORDING_RETENTION_DAYS
from speakpro.services.accounts.sessions import IDLE_TIMEOUT
from speakpro.services.telemetry import audit
from speakpro.services.validation import ValidationError
from speakpro.uploads import check_audio_ref

log = logging.getLogger(__name__)

KINDS = ("practice", "lesson", "venue", "milestone", "amphitheatre")
UNATTACHED_AFTER = timedelta(hours=24)
THROTTLE_KEPT = timedelta(days=1)
RETENTION_DAYS_MAX = 3650
BATCH = 500


# ------------------------------------------------------------------------------------------------ references
@dataclass(frozen=True)
class RecordingRef:
    """One place a recording's key is kept.

    `row_id` is the row holding it; `ref_a` / `ref_b` say what it belongs to: practice (session id), lesson
    (lesson id, step title; or lesson run id, step index for a step response), venue (venue slug, exercise
    order), milestone (level id), amphitheatre (visit id, exercise key). `deleted` marks a practice recording
    already tombstoned (its object is waiting to be purged).
    """

    kind: str
    user_id: uuid.UUID
    key: str
    created_at: datetime
    row_id: str
    ref_a: str | None
    ref_b: str | None
    deleted: bool


def _ref_union(owner: Callable, kinds: Iterable[str], created_before: datetime | None):
    """One UNION ALL over every place in `kinds`; `owner(user_id_column)` filters whose rows they are."""
    kinds = set(kinds)
    parts = []

    def row(kind, table, key, row_id, ref_a, ref_b, deleted=None, *where):
        conditions = [owner(table.user_id), *where]
        if created_before is not None:
            conditions.append(table.created_at < created_before)
        return select(
            literal(kind, String).label("kind"),
            table.user_id.label("user_id"),
            key.label("key"),
            table.created_at.label("created_at"),
            cast(row_id, String).label("row_id"),
            cast(ref_a, String).label("ref_a"),
            cast(ref_b, String).label("ref_b"),
            (deleted if deleted is not None else false()).label("deleted"),
        ).where(*conditions)

    ar, es, sr = AudioRecording, ExerciseSubmission, LessonStepResponse
    ma, am = MilestoneAttempt, AmphitheatreExerciseRecord
    if "practice" in kinds:
        parts.append(
            row("practice", ar, ar.storage_key, ar.id, ar.session_id, literal(None, String), ar.deleted_at.is_not(None))
        )
    if "lesson" in kinds:
        answer = es.payload[("answer", "audio_ref")].astext
        parts.append(
            row(
                "lesson",
                es,
                answer,
                es.id,
                es.payload["lesson_id"].astext,
                es.payload["step_title"].astext,
                None,
                es.stage != "venue",
                answer.is_not(None),
            )
        )
        step = sr.value[("answer", "audio_ref")].astext
        parts.append(row("lesson", sr, step, sr.id, sr.lesson_session_id, sr.step_index, None, step.is_not(None)))
    if "venue" in kinds:
        venue = es.payload["audio_ref"].astext
        parts.append(
            row(
                "venue",
                es,
                venue,
                es.id,
                es.payload["venue"].astext,
                es.payload["exercise_order"].astext,
                None,
                es.stage == "venue",
                venue.is_not(None),
            )
        )
    if "milestone" in kinds:
        parts.append(
            row(
                "milestone",
                ma,
                ma.audio_ref,
                ma.id,
                ma.level_id,
                literal(None, String),
                None,
                ma.audio_ref.is_not(None),
            )
        )
    if "amphitheatre" in kinds:
        parts.append(
            row(
                "amphitheatre", am, func.jsonb_array_elements_text(am.audio_refs), am.id, am.session_id, am.exercise_key
            )
        )
    return union_all(*parts).subquery("refs") if parts else None


def _refs(
    session: Session, owner: Callable, kinds: Iterable[str] = KINDS, created_before: datetime | None = None
) -> list[RecordingRef]:
    union = _ref_union(owner, kinds, created_before)
    if union is None:
        return []
    rows = session.execute(select(union).order_by(union.c.created_at, union.c.kind, union.c.row_id)).all()
    return [
        RecordingRef(
            kind=r.kind,
            user_id=r.user_id,
            key=r.key,
            created_at=r.created_at,
            row_id=r.row_id,
            ref_a=r.ref_a,
            ref_b=r.ref_b,
            deleted=bool(r.deleted),
        )
        for r in rows
        if r.key and check_audio_ref(r.user_id, r.key)
    ]


def recording_refs(*, session: Session, user_id: uuid.UUID, kinds: Iterable[str] = KINDS) -> list[RecordingRef]:
    """Every reference to one of the user's own recordings, oldest first (1 query)."""
    return _refs(session, lambda column: column == user_id, kinds)


def recording_keys(*, session: Session, user_id: uuid.UUID) -> list[str]:
    """Every storage key of the user's own recordings: referenced anywhere, or uploaded and not swept yet."""
    keys = {ref.key for ref in recording_refs(session=session, user_id=user_id)}
    uploaded = session.execute(select(Upload.key).where(Upload.user_id == user_id)).scalars()
    keys.update(key for key in uploaded if check_audio_ref(user_id, key))
    return sorted(keys)


def clear_references(
    *, session: Session, user_id: uuid.UUID, keys: Iterable[str], kinds: Iterable[str] = KINDS
) -> dict[str, int]:
    """Remove these keys from the user's rows of `kinds` (the rows stay; a practice recording row goes).

    Returns:
        Rows changed per kind (kinds with none are left out).
    """
    keys = sorted(set(keys))
    kinds = set(kinds)
    if not keys:
        return {}
    counts: dict[str, int] = defaultdict(int)
    quiet = {"synchronize_session": False}
    es, sr, am, ma = ExerciseSubmission, LessonStepResponse, AmphitheatreExerciseRecord, MilestoneAttempt
    if "practice" in kinds:
        counts["practice"] += (
            session.execute(
                delete(AudioRecording)
                .where(AudioRecording.user_id == user_id, AudioRecording.storage_key.in_(keys))
                .execution_options(**quiet)
            ).rowcount
            or 0
        )
    if "lesson" in kinds:
        without = literal_column("payload #- '{answer,audio_ref}'", JSONB)
        counts["lesson"] += (
            session.execute(
                update(es)
                .where(es.user_id == user_id, es.stage != "venue", es.payload[("answer", "audio_ref")].astext.in_(keys))
                .values(payload=without)
                .execution_options(**quiet)
            ).rowcount
            or 0
        )
        counts["lesson"] += (
            session.execute(
                update(sr)
                .where(sr.user_id == user_id, sr.value[("answer", "audio_ref")].astext.in_(keys))
                .values(value=literal_column("value #- '{answer,audio_ref}'", JSONB))
                .execution_options(**quiet)
            ).rowcount
            or 0
        )
    if "venue" in kinds:
        counts["venue"] += (
            session.execute(
                update(es)
                .where(es.user_id == user_id, es.stage == "venue", es.payload["audio_ref"].astext.in_(keys))
                .values(payload=es.payload.op("-", return_type=JSONB)(cast(literal("audio_ref"), Text)))
                .execution_options(**quiet)
            ).rowcount
            or 0
        )
    if "milestone" in kinds:
        counts["milestone"] += (
            session.execute(
                update(ma)
                .where(ma.user_id == user_id, ma.audio_ref.in_(keys))
                .values(audio_ref=None)
                .execution_options(**quiet)
            ).rowcount
            or 0
        )
    if "amphitheatre" in kinds:
        wanted = array(keys, type_=Text)
        counts["amphitheatre"] += (
            session.execute(
                update(am)
                .where(am.user_id == user_id, am.audio_refs.has_any(wanted))
                .values(audio_refs=am.audio_refs.op("-", return_type=JSONB)(cast(wanted, ARRAY(Text))))
                .execution_options(**quiet)
            ).rowcount
            or 0
        )
    session.flush()
    return {kind: n for kind, n in counts.items() if n}


# ----------------------------------------------------------------------------------------- durable deletion
@dataclass(frozen=True)
class PurgeResult:
    """What `purge_objects` did: objects deleted, and deletions that failed (kept for a retry)."""

    deleted: int
    failed: int


def forget_objects(*, session: Session, keys: Iterable[str], reason: str) -> list[str]:
    """Put these objects on the to-delete list in the caller's transaction (and drop their `uploads` rows).

    Call it in the transaction that removes the last reference, commit, then `purge_objects`. Malformed keys
    name no object and are skipped; a key already on the list stays once.

    Returns:
        The keys put on the list, sorted.
    """
    valid = sorted({key for key in keys if is_valid_key(key)})
    if not valid:
        return []
    now = utcnow()
    session.execute(
        insert(StorageDeletion)
        .values([{"key": key, "reason": reason[:32], "requested_at": now, "attempts": 0} for key in valid])
        .on_conflict_do_nothing(index_elements=["key"])
    )
    session.execute(delete(Upload).where(Upload.key.in_(valid)).execution_options(synchronize_session=False))
    session.flush()
    return valid


def purge_objects(
    *, session: Session, keys: Iterable[str] | None = None, limit: int = BATCH, storage: Storage | None = None
) -> PurgeResult:
    """Delete listed objects from storage and their rows; a failure counts an attempt and keeps the row.

    Args:
        session: The caller's session; the rows change in its transaction (commit it afterwards).
        keys: Only these keys (after `forget_objects` and a commit); the oldest `limit` listed when None.
        limit: At most this many objects per call.
        storage: The store; `get_storage()` when omitted.
    """
    statement = select(StorageDeletion.key).order_by(StorageDeletion.requested_at, StorageDeletion.key)
    if keys is not None:
        wanted = sorted(set(keys))
        if not wanted:
            return PurgeResult(0, 0)
        statement = statement.where(StorageDeletion.key.in_(wanted))
    pending = session.execute(statement.limit(limit).with_for_update(skip_locked=True)).scalars().all()
    storage = storage or get_storage()
    done, failed = [], []
    for key in pending:
        try:
            storage.delete(key)
        except (StorageError, OSError) as error:
            log.warning("stored object not deleted yet (will retry): %s", type(error).__name__)
            failed.append(key)
            continue
        done.append(key)
    if done:
        session.execute(delete(StorageDeletion).where(StorageDeletion.key.in_(done)))
    if failed:
        session.execute(
            update(StorageDeletion)
            .where(StorageDeletion.key.in_(failed))
            .values(attempts=StorageDeletion.attempts + 1, last_attempt_at=utcnow())
        )
    session.flush()
    return PurgeResult(deleted=len(done), failed=len(failed))


def delete_objects_now(*, session: Session, keys: Iterable[str], reason: str) -> PurgeResult:
    """`forget_objects`, commit the caller's transaction, `purge_objects`: for callers whose references are
    already gone in the current transaction."""
    listed = forget_objects(session=session, keys=keys, reason=reason)
    session.commit()
    return purge_objects(session=session, keys=listed) if listed else PurgeResult(0, 0)


def retry_storage_deletions(*, session: Session, limit: int = BATCH) -> PurgeResult:
    """Try again the oldest deletions that failed before (the periodic job)."""
    return purge_objects(session=session, limit=limit)


# ------------------------------------------------------------------------------------------------- uploads
def record_upload(*, session: Session, user_id: uuid.UUID, key: str) -> None:
    """Remember that the upload route stored `key` for this user (call it right after the object is stored).

    If the account is gone (erased meanwhile) the foreign key refuses the row: the caller then deletes the object
    it just stored. Recording the same key again changes nothing.

    Raises:
        ValidationError: When `key` is not one the upload route mints for this user.
    """
    if not check_audio_ref(user_id, key):
        raise ValidationError("key", "That is not one of your recordings.")
    session.execute(
        insert(Upload)
        .values(key=key, user_id=user_id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["key"])
    )


def sweep_unattached_uploads(*, session: Session, now: datetime | None = None, limit: int = BATCH) -> int:
    """Delete the uploads that nothing references `UNATTACHED_AFTER` after they were made; returns how many.

    Referenced ones leave the `uploads` table (their reference is their record from then on). Commits.
    """
    now = now or utcnow()
    rows = session.execute(
        select(Upload.key, Upload.user_id)
        .where(Upload.created_at < now - UNATTACHED_AFTER)
        .order_by(Upload.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    by_user: dict[uuid.UUID, list[str]] = defaultdict(list)
    for key, user_id in rows:
        by_user[user_id].append(key)
    orphans: list[str] = []
    for user_id, keys in by_user.items():
        referenced = {ref.key for ref in recording_refs(session=session, user_id=user_id)}
        orphans.extend(key for key in keys if key not in referenced)
    unattached = set(orphans)
    attached = [key for key, _ in rows if key not in unattached]
    if attached:
        session.execute(delete(Upload).where(Upload.key.in_(attached)))
    listed = forget_objects(session=session, keys=orphans, reason="unattached")
    if listed:
        audit(
            session=session,
            action="retention.unattached_uploads",
            target_type="storage",
            details={"objects": len(listed)},
        )
    session.commit()
    if listed:
        purge_objects(session=session, keys=listed)
        session.commit()
    return len(listed)


# ------------------------------------------------------------------------------------------ logins, tokens
def sweep_expired_logins(*, session: Session, now: datetime | None = None) -> dict[str, int]:
    """Delete login bookkeeping that can no longer be used; returns rows deleted per table."""
    now = now or utcnow()
    counts = {
        "auth_sessions": session.execute(
            delete(AuthSession)
            .where(
                or_(
                    AuthSession.expires_at <= now,
                    AuthSession.revoked_at.is_not(None),
                    AuthSession.last_seen_at <= now - IDLE_TIMEOUT,
                )
            )
            .execution_options(synchronize_session=False)
        ).rowcount,
        "auth_handoffs": session.execute(
            delete(AuthHandoff)
            .where(or_(AuthHandoff.used_at.is_not(None), AuthHandoff.expires_at <= now))
            .execution_options(synchronize_session=False)
        ).rowcount,
        "login_throttles": session.execute(
            delete(LoginThrottle)
            .where(
                or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
                LoginThrottle.window_started_at <= now - THROTTLE_KEPT,
            )
            .execution_options(synchronize_session=False)
        ).rowcount,
    }
    # Spent CSV download tokens (migration 0008): a row is useless once its token would have expired anyway.
    spent = metadata.tables.get("used_download_tokens")
    if spent is not None:
        counts["used_download_tokens"] = session.execute(delete(spent).where(spent.c.expires_at <= now)).rowcount
    counts = {table: n or 0 for table, n in counts.items()}
    if any(counts.values()):
        audit(session=session, action="retention.logins", target_type="auth", details=counts)
    session.flush()
    return counts


# ------------------------------------------------------------------------------------- company retention
def clean_retention_days(raw: object) -> int | None:
    """Days from a form field: empty means no limit (None), else a whole number from 1 to 3650."""
    text = "" if raw is None else str(raw).strip()
    if text == "":
        return None
    if not text.isdigit() or len(text) > 5 or not 1 <= int(text) <= RETENTION_DAYS_MAX:
        raise ValidationError(
            "retention_days",
            f"Enter a number of days from 1 to {RETENTION_DAYS_MAX}, or leave "
            "it empty to keep recordings until the learner deletes them.",
        )
    return int(text)


def recording_retention(*, session: Session, company_id: uuid.UUID) -> int | None:
    """The company's recording retention in days, None for no limit."""
    return session.execute(
        select(COMPANY_RECORDING_RETENTION_DAYS).where(Company.__table__.c.id == company_id)
    ).scalar_one_or_none()


def set_recording_retention(
    *, session: Session, company_id: uuid.UUID, days: object, actor_user_id: uuid.UUID | None
) -> int | None:
    """Set how long the company keeps its learners' recordings (the caller checked the actor may).

    Returns:
        The days now set (None: no limit).

    Raises:
        ValidationError: For anything but empty or a whole number of days from 1 to 3650.
    """
    value = clean_retention_days(days)
    table = Company.__table__
    before = session.execute(
        select(COMPANY_RECORDING_RETENTION_DAYS).where(table.c.id == company_id).with_for_update()
    ).one_or_none()
    if before is None:
        raise ValidationError("company", "We could not find this company.")
    if before[0] != value:
        session.execute(update(table).where(table.c.id == company_id).values(recording_retention_days=value))
        audit(
            session=session,
            action="company.recording_retention",
            target_type="company",
            target_id=company_id,
            actor_user_id=actor_user_id,
            company_id=company_id,
            details={"from": before[0], "to": value},
        )
        session.flush()
    return value


def sweep_recording_retention(*, session: Session, now: datetime | None = None, limit: int = BATCH) -> int:
    """Delete the recordings that their learners' company keeps no longer (objects and references); returns
    how many objects. At most `limit` per call; commits."""
    now = now or utcnow()
    table = Company.__table__
    companies = session.execute(
        select(table.c.id, COMPANY_RECORDING_RETENTION_DAYS)
        .where(COMPANY_RECORDING_RETENTION_DAYS.is_not(None))
        .order_by(table.c.id)
    ).all()
    listed: list[str] = []
    for company_id, days in companies:
        members = select(UserProfile.user_id).where(UserProfile.company_id == company_id)
        refs = _refs(
            session, lambda column, members=members: column.in_(members), created_before=now - timedelta(days=days)
        )
        by_user: dict[uuid.UUID, set[str]] = defaultdict(set)
        budget = limit - len(listed)
        for ref in refs:
            if ref.key in by_user[ref.user_id]:
                continue
            if budget <= 0:
                break
            by_user[ref.user_id].add(ref.key)
            budget -= 1
        by_user = {user_id: keys for user_id, keys in by_user.items() if keys}
        if not by_user:
            continue
        # A key referenced in a newer row too (e.g. a lesson attempt then its passed answer) goes with the old one:
        # the recording itself is older than the retention.
        changed: dict[str, int] = defaultdict(int)
        for user_id, keys in by_user.items():
            for kind, n in clear_references(session=session, user_id=user_id, keys=keys).items():
                changed[kind] += n
            listed.extend(forget_objects(session=session, keys=keys, reason="retention"))
        audit(
            session=session,
            action="retention.recordings",
            target_type="company",
            target_id=company_id,
            company_id=company_id,
            details={"days": days, "objects": sum(map(len, by_user.values())), "references": dict(changed)},
        )
        if len(listed) >= limit:
            break
    session.commit()
    if listed:
        purge_objects(session=session, keys=listed, limit=len(listed))
        session.commit()
    return len(listed)


__all__ = [
    "KINDS",
    "PurgeResult",
    "RecordingRef",
    "UNATTACHED_AFTER",
    "clean_retention_days",
    "clear_references",
    "delete_objects_now",
    "forget_objects",
    "purge_objects",
    "record_upload",
    "recording_keys",
    "recording_refs",
    "recording_retention",
    "retry_storage_deletions",
    "set_recording_retention",
    "sweep_expired_logins",
    "sweep_recording_retention",
    "sweep_unattached_uploads",
]
