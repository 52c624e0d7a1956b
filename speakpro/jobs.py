"""Background work on the job queue: procrastinate, on the app's own PostgreSQL (schema: migration 0005).

Jobs (every one idempotent: a retried or doubled job changes nothing twice):
- `analyse_session(session_id)`, queue "analysis": deferred by `end_practice` in the transaction that ends
  the session (`services.analysis.queue.queue_analysis`), under the session's job key (`analysis:<id>`) as
  queueing lock and lock, so a session has at most one job waiting and one running. It calls
  `services/analysis.analyse_session`, whose claim (pending|failed -> processing) stays the source of truth:
  a session already analysed or being analysed is skipped.

Periodic jobs (queue "maintenance"). Every worker's deferrer offers each tick, the database takes it once
(procrastinate's periodic defers), and a queueing lock keeps one copy waiting. Schedules are cron lines
(UTC); croniter reads a sixth field as seconds. This module is the home of every periodic job (retention,
digests, ...): a task here with `@app.periodic` runs wherever a worker runs.
- `enforce_practice_cap`, every 15 s: fail active sessions past the 15-minute cap (`practice.enforce_cap`).
- `retry_stalled_jobs`, every 15 s: jobs still "doing" on a worker that stopped sending heartbeats (killed,
  lost) for `STALLED_AFTER_SECONDS`. Their sessions are released first (`analysis.release_stale`), then
  the jobs go back to the queue; workers gone silent are pruned.
- `queue_waiting_sessions`, every minute: the safety net (`services.analysis.queue.queue_waiting`): sessions waiting for
  analysis with no job get one; this is also how a failed analysis is retried (up to its attempts).
- `remove_old_jobs`, daily at 03:17: finished jobs older than `FINISHED_JOBS_KEPT_HOURS` are deleted
  (successful ones are deleted when they finish; failed and aborted ones are kept that long to look at).
- Privacy retention (`services/accounts/retention.py`): `sweep_unattached_uploads` hourly (uploads nothing referenced
  after 24 h), `sweep_expired_logins` hourly (expired, revoked or idle auth sessions, used or expired OpenID
  hand-off codes, spent download tokens past expiry, stale throttle counters), `sweep_recording_retention`
  daily at 03:37 (recordings older than their company's `recording_retention_days`), and
  `retry_storage_deletions` every 10 minutes (stored objects whose deletion failed before).

Workers: `python -m speakpro worker` (any number, on any machine that reaches the database), and one inside
the app's backend process (`in_process_worker`, a Reflex lifespan task) unless `WORKER_IN_PROCESS=false`.
A worker listens (LISTEN/NOTIFY) for new jobs, so a committed job starts within milliseconds; it also
polls every few seconds. On a database outage a worker restarts itself after a short wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from typing import Any

import procrastinate
from procrastinate import exceptions as job_errors
from procrastinate import jobs as job_states

from speakpro.services.analysis.queue import ANALYSIS_QUEUE, ANALYSIS_TASK

log = logging.getLogger(__name__)

MAINTENANCE_QUEUE = "maintenance"
# A worker writes a heartbeat every HEARTBEAT_SECONDS; one silent for STALLED_AFTER_SECONDS is taken for dead
# (three missed heartbeats) and its running jobs are retried.
HEARTBEAT_SECONDS = 5.0
STALLED_AFTER_SECONDS = 15.0
# New jobs arrive by NOTIFY; polling is the fallback (a lost notification, a reconnect).
POLL_SECONDS = 5.0
CAP_SWEEP_CRON = "* * * * * */15"
STALLED_JOBS_CRON = "* * * * * */15"
QUEUE_SWEEP_CRON = "* * * * *"
RETENTION_CRON = "17 3 * * *"
FINISHED_JOBS_KEPT_HOURS = 14 * 24
UNATTACHED_UPLOADS_CRON = "23 * * * *"
EXPIRED_LOGINS_CRON = "41 * * * *"
RECORDING_RETENTION_CRON = "37 3 * * *"
STORAGE_DELETIONS_CRON = "*/10 * * * *"
RETENTION_BATCHES_PER_RUN = 40
# How long a stopping in-process worker waits for its running job (Reflex gives lifespan tasks 5 s). A job
# cut off is retried by another worker once this one's heartbeats stop.
IN_PROCESS_SHUTDOWN_SECONDS = 3.0
RESTART_DELAYS = (1, 2, 5, 10, 30, 60)


def _conninfo() -> str:
    from speakpro.db import job_queue_url

    return job_queue_url()


def make_connector(*, url: str | None = None, max_size: int = 3) -> procrastinate.PsycopgConnector:
    """A psycopg 3 connector with a small pool, for `url` (libpq form) or the app's database.

    A worker holds one more connection outside the pool, for LISTEN.
    """
    return procrastinate.PsycopgConnector(
        conninfo=url or _conninfo,
        min_size=1,
        max_size=max(2, max_size),
        kwargs={"connect_timeout": 5, "application_name": "speakpro-jobs"},
    )


app = procrastinate.App(connector=make_connector())


@app.task(name=ANALYSIS_TASK, queue=ANALYSIS_QUEUE)
def analyse_session(session_id: str) -> str:
    """Analyse one ended practice session (skipped when already analysed or being analysed)."""
    from speakpro.db import SYSTEM, session_scope, use_context
    from speakpro.integrations.openai_client import get_openai_client
    from speakpro.services.analysis import analysis

    with use_context(SYSTEM), session_scope() as session:
        outcome = analysis.analyse_session(session=session, practice_session_id=session_id, client=get_openai_client())
    # A "failed" analysis is recorded on the session and retried by `queue_waiting_sessions`: the job ends.
    return outcome.status if outcome.reason is None else f"{outcome.status}: {outcome.reason}"


@app.periodic(cron=CAP_SWEEP_CRON)
@app.task(name="enforce_practice_cap", queue=MAINTENANCE_QUEUE, queueing_lock="enforce_practice_cap")
def enforce_practice_cap(timestamp: int) -> int:
    """Fail the active sessions past the 15-minute cap; returns how many."""
    from speakpro.db import SYSTEM, session_scope, use_context
    from speakpro.services.practice.practice import enforce_cap

    with use_context(SYSTEM), session_scope() as session:
        return enforce_cap(session=session)


@app.periodic(cron=QUEUE_SWEEP_CRON)
@app.task(name="queue_waiting_sessions", queue=MAINTENANCE_QUEUE, queueing_lock="queue_waiting_sessions")
def queue_waiting_sessions(timestamp: int) -> int:
    """Give every session waiting for analysis without a job its job; returns how many were queued."""
    from speakpro.db import SYSTEM, session_scope, use_context
    from speakpro.services.analysis.queue import queue_waiting

    with use_context(SYSTEM), session_scope() as session:
        queued = queue_waiting(session=session)
    if queued:
        log.info("job queue: queued %d session(s) waiting for analysis without a job", queued)
    return queued


def _release_sessions(session_ids: list[str]) -> int:
    from speakpro.db import SYSTEM, session_scope, use_context
    from speakpro.services.analysis.analysis import release_stale

    with use_context(SYSTEM), session_scope() as session:
        return release_stale(session, session_ids=session_ids)


@app.periodic(cron=STALLED_JOBS_CRON)
@app.task(name="retry_stalled_jobs", queue=MAINTENANCE_QUEUE, queueing_lock="retry_stalled_jobs", pass_context=True)
async def retry_stalled_jobs(context: procrastinate.JobContext, timestamp: int) -> int:
    """Send the jobs of dead workers back to the queue, their sessions released first; returns how many."""
    return await retry_stalled(context.app)


async def retry_stalled(job_app: procrastinate.App, *, stalled_after: float = STALLED_AFTER_SECONDS) -> int:
    """Retry the jobs left "doing" by workers silent for `stalled_after` seconds (or already pruned).

    An analysis job's session is released first ("processing" -> "failed", reason "stale"), so the retried
    job can claim it again. A job whose retry would collide with a newer copy already waiting (a periodic
    job's next tick) is closed as failed instead: the copy does the work.
    """
    manager = job_app.job_manager
    stalled = list(await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after))
    session_ids = [str(job.task_kwargs.get("session_id")) for job in stalled if job.task_name == ANALYSIS_TASK]
    if session_ids:
        released = await asyncio.to_thread(_release_sessions, session_ids)
        log.warning("job queue: released %d session(s) of stalled analysis jobs", released)
    retried = 0
    for job in stalled:
        try:
            await manager.retry_job(job)
            retried += 1
        except job_errors.UniqueViolation:
            await manager.finish_job(job, status=job_states.Status.FAILED, delete_job=False)
        except job_errors.ConnectorException:
            log.exception("job queue: could not retry stalled job %s", job.id)
    if stalled:
        log.warning("job queue: %d stalled job(s) of dead workers sent back to the queue", retried)
    await manager.prune_stalled_workers(stalled_after)
    return retried


@app.periodic(cron=RETENTION_CRON)
@app.task(name="remove_old_jobs", queue=MAINTENANCE_QUEUE, queueing_lock="remove_old_jobs", pass_context=True)
async def remove_old_jobs(context: procrastinate.JobContext, timestamp: int) -> None:
    """Delete the finished jobs (failed, aborted, cancelled too) older than `FINISHED_JOBS_KEPT_HOURS`."""
    await context.app.job_manager.delete_old_jobs(
        nb_hours=FINISHED_JOBS_KEPT_HOURS, include_failed=True, include_cancelled=True, include_aborted=True
    )


@app.periodic(cron=UNATTACHED_UPLOADS_CRON)
@app.task(name="sweep_unattached_uploads", queue=MAINTENANCE_QUEUE, queueing_lock="sweep_unattached_uploads")
def sweep_unattached_uploads(timestamp: int) -> int:
    """Delete the uploads nothing references 24 hours after they were made; returns how many."""
    from speakpro.db import session_scope
    from speakpro.services.accounts import retention

    with session_scope() as session:
        return retention.sweep_unattached_uploads(session=session)


@app.periodic(cron=EXPIRED_LOGINS_CRON)
@app.task(name="sweep_expired_logins", queue=MAINTENANCE_QUEUE, queueing_lock="sweep_expired_logins")
def sweep_expired_logins(timestamp: int) -> int:
    """Delete login sessions, hand-off codes, download tokens and throttle counters that can no longer be used."""
    from speakpro.db import session_scope
    from speakpro.services.accounts import retention

    with session_scope() as session:
        return sum(retention.sweep_expired_logins(session=session).values())


@app.periodic(cron=RECORDING_RETENTION_CRON)
@app.task(name="sweep_recording_retention", queue=MAINTENANCE_QUEUE, queueing_lock="sweep_recording_retention")
def sweep_recording_retention(timestamp: int) -> int:
    """Delete the recordings older than their learners' company keeps them; returns how many (in batches)."""
    from speakpro.db import session_scope
    from speakpro.services.accounts import retention, storage_deletions

    total = 0
    for _ in range(RETENTION_BATCHES_PER_RUN):  # the rest waits for tomorrow's run
        with session_scope() as session:
            done = retention.sweep_recording_retention(session=session)
        total += done
        if done < storage_deletions.BATCH:
            break
    return total


@app.periodic(cron=STORAGE_DELETIONS_CRON)
@app.task(name="retry_storage_deletions", queue=MAINTENANCE_QUEUE, queueing_lock="retry_storage_deletions")
def retry_storage_deletions(timestamp: int) -> int:
    """Delete again the stored objects whose deletion failed before; returns how many are gone now."""
    from speakpro.db import session_scope
    from speakpro.services.accounts import storage_deletions

    with session_scope() as session:
        return storage_deletions.retry_storage_deletions(session=session).deleted


def _worker_options(concurrency: int, name: str) -> dict[str, Any]:
    return {
        "concurrency": concurrency,
        "name": name,
        "install_signal_handlers": False,  # the caller stops the worker by cancelling it
        "update_heartbeat_interval": HEARTBEAT_SECONDS,
        "stalled_worker_timeout": STALLED_AFTER_SECONDS,
        "fetch_job_polling_interval": POLL_SECONDS,
        "delete_jobs": "successful",
    }


async def run_worker(
    *,
    concurrency: int = 1,
    name: str = "worker",
    url: str | None = None,
    shutdown_graceful_timeout: float | None = None,
) -> None:
    """Run a worker until cancelled; on cancellation it stops taking jobs and waits for the running ones
    (up to `shutdown_graceful_timeout` seconds). A worker that stops on its own (its database connection
    lost) or cannot start is started again after a growing delay.

    Args:
        concurrency: Jobs at once (analysis runs in threads; it mostly waits on the database and the coach).
        name: The worker's name in the logs.
        url: The database (libpq URL); the app's database when omitted.
        shutdown_graceful_timeout: Seconds to wait for running jobs when stopped; no limit when None.
    """
    if url is None:
        url = await asyncio.to_thread(_conninfo)  # may start the embedded PostgreSQL: not on the event loop
    options = _worker_options(concurrency, name)
    if shutdown_graceful_timeout is not None:
        options["shutdown_graceful_timeout"] = shutdown_graceful_timeout
    failures = 0
    while True:
        try:
            with app.replace_connector(make_connector(url=url, max_size=concurrency + 2)):
                async with app.open_async():
                    log.info("job queue: worker %s started (concurrency %d)", name, concurrency)
                    failures = 0
                    await app.run_worker_async(**options)
            log.warning("job queue: worker %s stopped on its own", name)
        except asyncio.CancelledError:
            log.info("job queue: worker %s stopped", name)
            raise
        except Exception:  # noqa: BLE001 - the database may be restarting: try again
            log.exception("job queue: worker %s failed", name)
        delay = RESTART_DELAYS[min(failures, len(RESTART_DELAYS) - 1)]
        failures += 1
        await asyncio.sleep(delay)


async def in_process_worker() -> None:
    """The Reflex lifespan task: one worker in the backend's event loop (unless `WORKER_IN_PROCESS=false`).

    Reflex cancels it at shutdown; the worker then waits `IN_PROCESS_SHUTDOWN_SECONDS` for its running job.
    """
    from speakpro.settings import settings

    if not settings.worker_in_process:
        log.info("job queue: no worker in this process (WORKER_IN_PROCESS=false)")
        return
    await run_worker(concurrency=1, name="in-process", shutdown_graceful_timeout=IN_PROCESS_SHUTDOWN_SECONDS)


def run_worker_process(*, concurrency: int) -> None:
    """`python -m speakpro worker`: a worker in the foreground until SIGINT / SIGTERM (graceful: running jobs
    finish first; a second signal stops at once)."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        stopping = False

        def stop() -> None:
            nonlocal stopping
            if stopping:  # the second signal: stop now (jobs cut off are retried by other workers)
                raise SystemExit(1)
            stopping = True
            task.cancel()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        with contextlib.suppress(asyncio.CancelledError):
            await run_worker(concurrency=concurrency, name=f"{socket.gethostname()}:{os.getpid()}")

    asyncio.run(main())
