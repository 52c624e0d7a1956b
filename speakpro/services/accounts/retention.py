"""The retention sweeps: what SpeakPro stops keeping, and when.

Where recordings are referenced is `services.accounts.recording_refs`; deleting their objects durably is
`services.accounts.storage_deletions`.

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
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from speakpro.db import rowcount
from speakpro.models import (
    AuthHandoff,
    AuthSession,
    Company,
    LoginThrottle,
    Upload,
    UserProfile,
    metadata,
    table_of,
    utcnow,
)
from speakpro.models.privacy import COMPANY_RECORDING_RETENTION_DAYS
from speakpro.services.accounts.recording_refs import (
    _refs,
    clear_references,
    recording_refs,
)
from speakpro.services.accounts.sessions import IDLE_TIMEOUT
from speakpro.services.accounts.storage_deletions import (
    BATCH,
    forget_objects,
    purge_objects,
)
from speakpro.services.telemetry import audit
from speakpro.services.validation import ValidationError
from speakpro.uploads import check_audio_ref

log = logging.getLogger(__name__)

UNATTACHED_AFTER = timedelta(hours=24)
THROTTLE_KEPT = timedelta(days=1)
RETENTION_DAYS_MAX = 3650


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
        select(col(Upload.key), col(Upload.user_id))
        .where(col(Upload.created_at) < now - UNATTACHED_AFTER)
        .order_by(col(Upload.created_at))
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
        session.execute(delete(Upload).where(col(Upload.key).in_(attached)))
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
        "auth_sessions": rowcount(
            session.execute(
                delete(AuthSession)
                .where(
                    or_(
                        col(AuthSession.expires_at) <= now,
                        col(AuthSession.revoked_at).is_not(None),
                        col(AuthSession.last_seen_at) <= now - IDLE_TIMEOUT,
                    )
                )
                .execution_options(synchronize_session=False)
            )
        ),
        "auth_handoffs": rowcount(
            session.execute(
                delete(AuthHandoff)
                .where(or_(col(AuthHandoff.used_at).is_not(None), col(AuthHandoff.expires_at) <= now))
                .execution_options(synchronize_session=False)
            )
        ),
        "login_throttles": rowcount(
            session.execute(
                delete(LoginThrottle)
                .where(
                    or_(col(LoginThrottle.locked_until).is_(None), col(LoginThrottle.locked_until) <= now),
                    col(LoginThrottle.window_started_at) <= now - THROTTLE_KEPT,
                )
                .execution_options(synchronize_session=False)
            )
        ),
    }
    # Spent CSV download tokens (migration 0008): a row is useless once its token would have expired anyway.
    spent = metadata.tables.get("used_download_tokens")
    if spent is not None:
        counts["used_download_tokens"] = rowcount(session.execute(delete(spent).where(spent.c.expires_at <= now)))
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
        select(COMPANY_RECORDING_RETENTION_DAYS).where(table_of(Company).c.id == company_id)
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
    table = table_of(Company)
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
    table = table_of(Company)
    companies = session.execute(
        select(table.c.id, COMPANY_RECORDING_RETENTION_DAYS)
        .where(COMPANY_RECORDING_RETENTION_DAYS.is_not(None))
        .order_by(table.c.id)
    ).all()
    listed: list[str] = []
    for company_id, days in companies:
        members = select(col(UserProfile.user_id)).where(col(UserProfile.company_id) == company_id)
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
    "UNATTACHED_AFTER",
    "clean_retention_days",
    "record_upload",
    "recording_retention",
    "set_recording_retention",
    "sweep_expired_logins",
    "sweep_recording_retention",
    "sweep_unattached_uploads",
]
