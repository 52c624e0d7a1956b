"""The analysis job on the job queue (procrastinate, `speakpro/jobs.py` registers the task).

The job queue (procrastinate, `speakpro/jobs.py`) runs the analysis: `queue_analysis` defers the job of a
session in the caller's transaction (`end_practice` calls it, so a rolled-back end queues nothing and a
committed one always has its job). Each session has one job key (`analysis_job_key`), used both as the
job's queueing lock (at most one waiting job per session) and its lock (at most one running).
`queue_waiting` is the safety net: it queues the sessions waiting for analysis ("pending", or "failed" with
attempts left) that have no job waiting or running, which is also how a failed analysis is retried.
"""

from __future__ import annotations

import json
import logging
import uuid

from sqlalchemy import Column, Integer, MetaData, String, Table, cast, exists, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from speakpro.models import PracticeSession
from speakpro.services.analysis.analysis import MAX_ATTEMPTS

log = logging.getLogger(__name__)

# The analysis job on the job queue (`speakpro/jobs.py` registers the task under these names).
ANALYSIS_TASK = "analyse_session"
ANALYSIS_QUEUE = "analysis"
QUEUE_SWEEP_LIMIT = 200

# procrastinate's job table (created by migration 0005), as far as this module reads it. Its own MetaData:
# it is not a SQLModel table, and Alembic never sees it.
_jobs = Table(
    "procrastinate_jobs",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("queueing_lock", String),
    Column("lock", String),
    Column("status", String),
)
_JOB_WAITING_OR_RUNNING = ("todo", "doing")
_QUEUEING_LOCK_INDEX = "procrastinate_jobs_queueing_lock_idx_v1"
_DEFER = text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, 0, :key, :key, CAST(:args AS jsonb), "
    "NULL)]::procrastinate_job_to_defer_v1[]))"
)


def analysis_job_key(practice_session_id: uuid.UUID | str) -> str:
    """The job key of a session's analysis: its job's queueing lock and lock."""
    return f"analysis:{practice_session_id}"


def _has_job(key):
    """EXISTS a job waiting or running under `key` (a string, or a SQL expression per session row)."""
    return exists().where(_jobs.c.queueing_lock == key, _jobs.c.status.in_(_JOB_WAITING_OR_RUNNING))


def queue_analysis(*, session: Session, practice_session_id: uuid.UUID | str) -> int | None:
    """Defer the analysis job of a session, in the caller's transaction (nothing is committed here).

    The job becomes visible to the workers when the caller commits (and they are woken by the
    queue's NOTIFY, sent at commit); a rollback removes it with the rest. A session that already has a
    job waiting or running gets no second one.

    Args:
        session: The caller's session, inside its transaction.
        practice_session_id: The session to analyse.

    Returns:
        The new job's id, or None when the session already had a job.
    """
    key = analysis_job_key(practice_session_id)
    if session.execute(select(_has_job(key))).scalar():
        return None
    try:
        # A savepoint: a job deferred concurrently (the queueing lock's unique index) must not abort the
        # caller's transaction.
        with session.begin_nested():
            return session.execute(
                _DEFER,
                {
                    "queue": ANALYSIS_QUEUE,
                    "task": ANALYSIS_TASK,
                    "key": key,
                    "args": json.dumps({"session_id": str(practice_session_id)}),
                },
            ).scalar_one()
    except IntegrityError as error:
        if getattr(getattr(error.orig, "diag", None), "constraint_name", None) != _QUEUEING_LOCK_INDEX:
            raise
        return None


def queue_waiting(*, session: Session, limit: int = QUEUE_SWEEP_LIMIT) -> int:
    """The safety net: queue the sessions waiting for analysis that have no job, oldest first.

    Waiting means ended, not deleted, and "pending" or "failed" with fewer than `MAX_ATTEMPTS` attempts
    (so this is also how a failed analysis is retried); no job means none waiting or running under the
    session's job key. Runs in the caller's transaction (commits nothing).

    Returns:
        How many jobs were deferred.
    """
    attempts = func.coalesce(col(PracticeSession.analytics_summary).op("#>>")("{analysis,attempts}"), "0")
    ids = (
        session.execute(
            select(col(PracticeSession.id))
            .where(
                col(PracticeSession.status) == "ended",
                col(PracticeSession.deleted_at).is_(None),
                (col(PracticeSession.processing_status) == "pending")
                | ((col(PracticeSession.processing_status) == "failed") & (cast(attempts, Integer) < MAX_ATTEMPTS)),
                ~_has_job(func.concat("analysis:", cast(PracticeSession.id, String))),
            )
            .order_by(col(PracticeSession.ended_at))
            .limit(max(0, int(limit)))
        )
        .scalars()
        .all()
    )
    return sum(1 for session_id in ids if queue_analysis(session=session, practice_session_id=session_id) is not None)
