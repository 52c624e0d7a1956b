"""Deleting stored objects durably.

**Deleting objects durably.** `forget_objects` writes the keys to `storage_deletions` in the transaction that
drops their last reference; the caller commits; `purge_objects` then deletes each object and its row. A failed
deletion keeps its row (attempts counted) and `retry_storage_deletions` tries again later, so a storage outage
never leaves an object that nothing remembers. Deleting before the commit could lose audio whose reference a
rollback brings back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from speakpro.integrations.storage import Storage, StorageError, get_storage, is_valid_key
from speakpro.models import (
    StorageDeletion,
    Upload,
    utcnow,
)

log = logging.getLogger(__name__)

BATCH = 500


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
    session.execute(delete(Upload).where(col(Upload.key).in_(valid)).execution_options(synchronize_session=False))
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
    statement = select(col(StorageDeletion.key)).order_by(col(StorageDeletion.requested_at), col(StorageDeletion.key))
    if keys is not None:
        wanted = sorted(set(keys))
        if not wanted:
            return PurgeResult(0, 0)
        statement = statement.where(col(StorageDeletion.key).in_(wanted))
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
        session.execute(delete(StorageDeletion).where(col(StorageDeletion.key).in_(done)))
    if failed:
        session.execute(
            update(StorageDeletion)
            .where(col(StorageDeletion.key).in_(failed))
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
