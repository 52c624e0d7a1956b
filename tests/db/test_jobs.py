"""The job queue on the real database: ending a session defers its analysis job in the same transaction
(exactly one, never on a rollback, never twice), the jobs do their work, the periodic sweeps do theirs,
stalled jobs of dead workers go back to the queue with their sessions released, and migration 0005 is
procrastinate's own schema (and goes away on downgrade)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import threading
from collections.abc import Iterator
from datetime import timedelta

import procrastinate
import pytest
from procrastinate.schema import SchemaManager
from sqlalchemy import create_engine, text, update
from sqlmodel import Session

from alembic import command
from speakpro import jobs
from speakpro.db import job_queue_url
from speakpro.models import PracticeSession, TranscriptSegment, utcnow
from speakpro.services.analysis import analysis
from speakpro.services.analysis.analysis import release_stale
from speakpro.services.analysis.queue import analysis_job_key, queue_analysis, queue_waiting
from speakpro.services.practice.practice import end_practice
from tests import pg
from tests.committed import LINES, delete_committed
from tests.factories import days_ago, make_company, make_practice_session, make_transcript, make_user


def _jobs(conn, practice_id) -> list[dict]:
    rows = (
        conn.execute(
            text(
                "SELECT id, queue_name, task_name, lock, queueing_lock, args, status::text AS status, "
                "attempts FROM procrastinate_jobs WHERE queueing_lock = :key ORDER BY id"
            ),
            {"key": analysis_job_key(practice_id)},
        )
        .mappings()
        .all()
    )
    return [dict(r) for r in rows]


def _active(session: Session, *, minutes: float = 2, lines=LINES) -> PracticeSession:
    user = make_user(session, make_company(session))
    practice = make_practice_session(
        session, user, status="active", mode="solo", started_at=utcnow() - timedelta(minutes=minutes)
    )
    transcript = make_transcript(session, practice)
    for i, (speaker, said, start, end) in enumerate(lines):
        session.add(
            TranscriptSegment(
                transcript_id=transcript.id,
                sequence=i,
                speaker=speaker,
                text=said,
                start_ms=start,
                end_ms=end,
                is_final=True,
            )
        )
    session.flush()
    return practice


def _ended(session: Session, **values) -> PracticeSession:
    user = make_user(session)
    practice = make_practice_session(
        session,
        user,
        status="ended",
        ended_at=days_ago(0),
        started_at=days_ago(0) - timedelta(minutes=2),
        duration_seconds=120,
        **values,
    )
    make_transcript(session, practice)
    return practice


def _processing(session: Session, practice_id) -> str:
    return session.execute(
        text("SELECT processing_status FROM practice_sessions WHERE id = :id"), {"id": practice_id}
    ).scalar_one()


@pytest.fixture
def committed(engine) -> Iterator[dict]:
    """Committed practice sessions (visible to other connections), deleted with their jobs after the test."""
    made: dict = {"practice": [], "user": [], "topic": [], "company": []}

    def make(**kwargs) -> PracticeSession:
        with Session(engine, expire_on_commit=False) as setup:
            practice = _active(setup, **kwargs)
            setup.commit()
        made["practice"].append(practice.id)
        made["user"].append(practice.user_id)
        made["topic"].append(practice.topic_id)
        return practice

    made["make"] = make
    try:
        yield made
    finally:
        with Session(engine) as own:
            made["company"] = list(
                own.execute(
                    text("SELECT company_id FROM user_profiles WHERE user_id = ANY(:u) AND company_id IS NOT NULL"),
                    {"u": made["user"]},
                ).scalars()
            )
        delete_committed(engine, made["practice"], made["user"], made["topic"], made["company"])


# --- deferring ------------------------------------------------------------------------------------------------


def test_ending_a_session_defers_exactly_one_analysis_job(session):
    practice = _active(session)
    ended = end_practice(session=session, user_id=practice.user_id, practice_session_id=practice.id)
    assert ended.processing_status == "pending"

    [job] = _jobs(session, practice.id)
    key = analysis_job_key(practice.id)
    assert (job["task_name"], job["queue_name"], job["status"], job["attempts"]) == (
        "analyse_session",
        "analysis",
        "todo",
        0,
    )
    assert job["lock"] == job["queueing_lock"] == key == f"analysis:{practice.id}"
    assert job["args"] == {"session_id": str(practice.id)}

    # Ending again changes nothing; queueing again (by hand or by the sweep) adds no second job.
    end_practice(session=session, user_id=practice.user_id, practice_session_id=practice.id)
    assert queue_analysis(session=session, practice_session_id=practice.id) is None
    queue_waiting(session=session, limit=10_000)
    assert len(_jobs(session, practice.id)) == 1


def test_a_failed_session_defers_nothing(session):
    practice = _active(session)
    end_practice(
        session=session,
        user_id=practice.user_id,
        practice_session_id=practice.id,
        failed=True,
        reason="connection lost",
    )
    assert _jobs(session, practice.id) == []


def test_the_job_commits_and_rolls_back_with_the_end(engine, committed):
    practice = committed["make"]()
    with Session(engine, expire_on_commit=False) as tx:
        end_practice(session=tx, user_id=practice.user_id, practice_session_id=practice.id)
        with engine.connect() as other:
            assert _jobs(other, practice.id) == []  # not visible before the commit
        tx.rollback()
    with engine.connect() as other:
        assert _jobs(other, practice.id) == []
        assert _processing(other, practice.id) == "pending"  # the default of an active session
        assert (
            other.execute(text("SELECT status FROM practice_sessions WHERE id = :id"), {"id": practice.id}).scalar_one()
            == "active"
        )

    with Session(engine, expire_on_commit=False) as tx:
        end_practice(session=tx, user_id=practice.user_id, practice_session_id=practice.id)
        tx.commit()
    with engine.connect() as other:
        [job] = _jobs(other, practice.id)
        assert job["status"] == "todo"


def test_two_transactions_queueing_one_session_make_one_job(engine, committed):
    practice = committed["make"]()
    with Session(engine) as setup:
        setup.execute(
            update(PracticeSession)
            .where(PracticeSession.id == practice.id)
            .values(status="ended", processing_status="pending", ended_at=utcnow())
        )
        setup.commit()
    first = Session(engine)
    try:
        assert queue_analysis(session=first, practice_session_id=practice.id) is not None
        result: dict = {}

        def second() -> None:
            with Session(engine) as tx:
                # Blocks on the queueing lock's unique index until the first commits, then finds the job.
                result["job"] = queue_analysis(session=tx, practice_session_id=practice.id)
                tx.execute(text("SELECT 1"))  # the transaction is still usable: the savepoint took the error
                tx.commit()

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=1)
        assert thread.is_alive()  # waiting on the first transaction's uncommitted job
        first.commit()
        thread.join(timeout=10)
        assert not thread.is_alive() and result["job"] is None
    finally:
        first.close()
    with engine.connect() as other:
        assert len(_jobs(other, practice.id)) == 1


# --- the jobs -------------------------------------------------------------------------------------------------


def test_the_analysis_job_analyses_the_session_once(session):
    practice = _active(session)
    end_practice(session=session, user_id=practice.user_id, practice_session_id=practice.id)

    assert jobs.analyse_session(session_id=str(practice.id)) == "complete"
    row = session.execute(
        text("SELECT status, processing_status, analytics_summary FROM practice_sessions WHERE id = :id"),
        {"id": practice.id},
    ).one()
    assert (row.status, row.processing_status) == ("analyzed", "complete")
    assert row.analytics_summary["analysis"]["attempts"] == 1
    # A second job for it (a retry, a duplicate) changes nothing.
    assert jobs.analyse_session(session_id=str(practice.id)) == "skipped: already analysed"
    assert jobs.analyse_session(session_id="not-a-uuid") == "skipped: not found"


def test_the_cap_sweep_job_fails_abandoned_sessions(session):
    abandoned = _active(session, minutes=20)
    running = _active(session, minutes=2)
    assert jobs.enforce_practice_cap(timestamp=0) >= 1
    rows = dict(
        session.execute(
            text("SELECT id, failure_reason FROM practice_sessions WHERE id IN (:a, :b)"),
            {"a": abandoned.id, "b": running.id},
        ).all()
    )
    assert rows == {abandoned.id: "time limit", running.id: None}
    assert _jobs(session, abandoned.id) == []  # abandoned sessions are not analysed


def test_the_queue_sweep_queues_waiting_sessions_without_a_job(session):
    pending = _ended(session, processing_status="pending")
    retry = _ended(
        session, processing_status="failed", analytics_summary={"analysis": {"status": "failed", "attempts": 1}}
    )
    exhausted = _ended(
        session,
        processing_status="failed",
        analytics_summary={"analysis": {"status": "failed", "attempts": analysis.MAX_ATTEMPTS}},
    )
    complete = _ended(session, processing_status="complete")
    deleted = _ended(session, processing_status="pending", deleted_at=utcnow())
    active = make_practice_session(session, make_user(session), status="active")
    queued = _ended(session, processing_status="pending")
    assert queue_analysis(session=session, practice_session_id=queued.id) is not None

    assert jobs.queue_waiting_sessions(timestamp=0) >= 2
    for practice, expected in (
        (pending, 1),
        (retry, 1),
        (exhausted, 0),
        (complete, 0),
        (deleted, 0),
        (active, 0),
        (queued, 1),
    ):
        assert len(_jobs(session, practice.id)) == expected, practice.processing_status
    # A second sweep finds them all queued.
    before = session.execute(text("SELECT count(*) FROM procrastinate_jobs")).scalar_one()
    queue_waiting(session=session, limit=10_000)
    assert session.execute(text("SELECT count(*) FROM procrastinate_jobs")).scalar_one() == before


def test_release_stale_releases_stalled_sessions_at_once_and_others_by_age(session):
    stalled = _ended(session, processing_status="processing")
    busy = _ended(session, processing_status="processing")
    assert release_stale(session, session_ids=[stalled.id, "not-a-uuid"]) >= 1
    assert (_processing(session, stalled.id), _processing(session, busy.id)) == ("failed", "processing")
    summary = session.execute(
        text("SELECT analytics_summary FROM practice_sessions WHERE id = :id"), {"id": stalled.id}
    ).scalar_one()
    assert summary["analysis"] == {"status": "failed", "reason": "stale", "attempts": 1}
    # The claim of a live job is left alone until it is older than STALE_AFTER.
    session.execute(
        update(PracticeSession)
        .where(PracticeSession.id == busy.id)
        .values(updated_at=utcnow() - analysis.STALE_AFTER - timedelta(seconds=5))
    )
    release_stale(session)
    assert _processing(session, busy.id) == "failed"


def test_stalled_jobs_of_a_dead_worker_are_retried_with_their_sessions_released(engine, database_url, committed):
    practice = committed["make"]()
    periodic_key = "test-stalled-periodic"
    with Session(engine) as tx:
        end_practice(session=tx, user_id=practice.user_id, practice_session_id=practice.id)
        tx.commit()
    with engine.begin() as conn:
        # A worker that died mid-analysis: its claim is committed, its job "doing", its heartbeat old.
        dead = conn.execute(
            text("INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '1 minute') RETURNING id")
        ).scalar_one()
        live = conn.execute(text("INSERT INTO procrastinate_workers DEFAULT VALUES RETURNING id")).scalar_one()
        conn.execute(
            text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w WHERE queueing_lock = :k"),
            {"w": dead, "k": analysis_job_key(practice.id)},
        )
        conn.execute(
            update(PracticeSession).where(PracticeSession.id == practice.id).values(processing_status="processing")
        )
        # A periodic job of the dead worker whose next tick is already waiting, and a live worker's job.
        for status, worker in (("doing", dead), ("todo", None), ("doing", live)):
            conn.execute(
                text(
                    "INSERT INTO procrastinate_jobs (queue_name, task_name, queueing_lock, status, "
                    "worker_id) VALUES ('maintenance', 'enforce_practice_cap', :k, "
                    "CAST(:s AS procrastinate_job_status), :w)"
                ),
                {"k": periodic_key if worker != live else f"{periodic_key}-live", "s": status, "w": worker},
            )

    async def run() -> int:
        with jobs.app.replace_connector(jobs.make_connector(url=job_queue_url(database_url))):
            async with jobs.app.open_async():
                return await jobs.retry_stalled(jobs.app)

    try:
        assert asyncio.run(run()) == 1
        with engine.connect() as conn:
            [job] = _jobs(conn, practice.id)
            assert (job["status"], job["attempts"]) == ("todo", 1)
            assert _processing(conn, practice.id) == "failed"  # claimable by the retried job
            periodic = dict(
                conn.execute(
                    text(
                        "SELECT queueing_lock, array_agg(status::text ORDER BY id) FROM "
                        "procrastinate_jobs WHERE queueing_lock LIKE :k GROUP BY 1"
                    ),
                    {"k": f"{periodic_key}%"},
                ).all()
            )
            assert periodic == {periodic_key: ["failed", "todo"], f"{periodic_key}-live": ["doing"]}
            workers = set(conn.execute(text("SELECT id FROM procrastinate_workers")).scalars())
            assert dead not in workers and live in workers  # the dead worker is pruned
        # The retried job claims the session again and completes it.
        assert jobs.analyse_session(session_id=str(practice.id)) == "complete"
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM procrastinate_jobs WHERE queueing_lock LIKE :k"), {"k": f"{periodic_key}%"})
            conn.execute(text("DELETE FROM procrastinate_workers WHERE id IN (:d, :l)"), {"d": dead, "l": live})


# --- the schema -----------------------------------------------------------------------------------------------


def _migration_0005():
    path = pg.PROJECT_ROOT / "alembic" / "versions" / "20261201_0005_job_queue.py"
    spec = importlib.util.spec_from_file_location("migration_0005", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migration_0005_is_the_installed_procrastinates_schema():
    migration = _migration_0005()
    # A procrastinate upgrade fails here: add a revision applying its sql/migrations files newer than
    # PROCRASTINATE_LAST_MIGRATION, then update the pins below.
    assert procrastinate.__version__ == migration.PROCRASTINATE_VERSION
    assert SchemaManager.get_schema() == migration.SCHEMA
    newest = sorted(
        p.name for p in (pg.PROJECT_ROOT / ".venv").glob("lib/python*/site-packages/procrastinate/sql/migrations/*.sql")
    )
    assert not newest or newest[-1] == migration.PROCRASTINATE_LAST_MIGRATION


def test_downgrade_removes_the_job_queue_and_upgrade_restores_it():
    server, _ = pg.server_url()
    url = pg.create_database(server, prefix="speakpro_migrate")
    engine = create_engine(url)
    objects = text(
        "SELECT (SELECT count(*) FROM pg_class WHERE relname LIKE 'procrastinate%') "
        "+ (SELECT count(*) FROM pg_proc WHERE proname LIKE 'procrastinate%') "
        "+ (SELECT count(*) FROM pg_type WHERE typname LIKE '%procrastinate%')"
    )
    try:
        config = pg.alembic_config(url)
        command.upgrade(config, "head")
        with engine.connect() as conn:
            created = conn.execute(objects).scalar_one()
        assert created > 20
        command.downgrade(config, "0004")
        with engine.connect() as conn:
            assert conn.execute(objects).scalar_one() == 0
        command.upgrade(config, "head")
        with engine.connect() as conn:
            assert conn.execute(objects).scalar_one() == created
            job = conn.execute(
                text(
                    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW('q', 't', 0, NULL, NULL, "
                    "CAST(:args AS jsonb), NULL)]::procrastinate_job_to_defer_v1[]))"
                ),
                {"args": json.dumps({})},
            ).scalar_one()
            assert job >= 1
    finally:
        engine.dispose()
        pg.drop_database(url)


# --- the in-process worker --------------------------------------------------------------------------------


def test_the_app_runs_the_in_process_worker_as_a_lifespan_task():
    from speakpro.speakpro import app

    assert jobs.in_process_worker in app.get_lifespan_tasks()


def test_no_in_process_worker_when_disabled(monkeypatch):
    import dataclasses

    from speakpro import settings as settings_module

    monkeypatch.setattr(
        settings_module, "settings", dataclasses.replace(settings_module.settings, worker_in_process=False)
    )
    asyncio.run(asyncio.wait_for(jobs.in_process_worker(), timeout=5))  # returns at once, touches no database


def test_a_worker_in_an_event_loop_starts_and_stops_cleanly_when_cancelled(engine, database_url):
    def workers() -> set[int]:
        with engine.connect() as conn:
            return set(conn.execute(text("SELECT id FROM procrastinate_workers")).scalars())

    before = workers()

    async def run() -> set[int]:
        task = asyncio.create_task(
            jobs.run_worker(
                url=job_queue_url(database_url),
                name="test-in-process",
                shutdown_graceful_timeout=jobs.IN_PROCESS_SHUTDOWN_SECONDS,
            )
        )
        deadline = asyncio.get_running_loop().time() + 20
        while not (running := await asyncio.to_thread(workers) - before):
            assert not task.done() and asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.05)
        task.cancel()  # what Reflex does to its lifespan tasks at shutdown
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=5)
        return running

    running = asyncio.run(run())
    assert len(running) == 1 and not running & workers()  # it unregistered on the way out
