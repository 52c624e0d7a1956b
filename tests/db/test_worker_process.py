"""Real worker processes (`python -m speakpro worker`) on the test database: an ended session is analysed
within seconds of its commit (LISTEN/NOTIFY), and a worker killed with SIGKILL in the middle of an analysis
leaves nothing stuck: another worker retries the job and the session ends up analysed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from speakpro import jobs
from speakpro.models import TranscriptSegment, utcnow
from speakpro.services.analysis.queue import analysis_job_key
from speakpro.services.practice.practice import end_practice
from tests.committed import LINES, delete_committed
from tests.factories import make_company, make_practice_session, make_transcript, make_user
from tests.fakes.openai_server import FakeOpenAIServer
from tests.pg import PROJECT_ROOT

AI_JSON = {
    "scores": {"opening": 80, "questioning": 75, "objection_handling": 70, "closing": 85},
    "overall": 78,
    "strengths": [{"text": "Clear next step.", "quote": ""}],
    "improvements": [{"text": "Ask about their budget first.", "quote": ""}],
}
# Worst case from a kill to the retry: STALLED_AFTER_SECONDS for the heartbeat to age, one STALLED_JOBS_CRON
# period for the sweep, one POLL_SECONDS for a worker to fetch the retried job (a retry sends no NOTIFY).
RECOVERY_BOUND = jobs.STALLED_AFTER_SECONDS + 15 + jobs.POLL_SECONDS + 20


def _wait(what: str, check: Callable[[], object], timeout: float, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Worker:
    """One `python -m speakpro worker` process with its log in a file."""

    def __init__(self, env: dict[str, str], log: Path):
        self.log = log
        self._file = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "speakpro", "worker", "--concurrency", "2"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=self._file,
            stderr=subprocess.STDOUT,
        )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._file.close()
        return self.process.returncode


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        server.reply_with(json.dumps(AI_JSON))
        yield server


@pytest.fixture
def start_worker(database_url, fake_openai, tmp_path) -> Iterator[Callable[[], Worker]]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "OPENAI_API_KEY": fake_openai.api_key,
        "OPENAI_BASE_URL": fake_openai.base_url,
        "LOG_LEVEL": "info",
        "PYTHONUNBUFFERED": "1",
    }
    started: list[Worker] = []

    def start() -> Worker:
        worker = Worker(env, tmp_path / f"worker-{len(started) + 1}.log")
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()
        for worker in started:
            print(f"--- {worker.log.name}\n{worker.log.read_text()[-4000:]}")


def _worker_ids(engine) -> set[int]:
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT id FROM procrastinate_workers")).scalars())


def _wait_registered(engine, before: set[int], worker: Worker) -> int:
    def registered():
        assert worker.process.poll() is None, worker.log.read_text()
        return _worker_ids(engine) - before

    return next(iter(_wait("the worker to register", registered, timeout=30)))


def _state(engine, practice_id) -> tuple[str, str, dict | None]:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT status, processing_status, analytics_summary FROM practice_sessions WHERE id = :id"),
            {"id": practice_id},
        ).one()
    return row.status, row.processing_status, row.analytics_summary


def _job_statuses(engine, practice_id) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text("SELECT status::text FROM procrastinate_jobs WHERE queueing_lock = :k ORDER BY id"),
                {"k": analysis_job_key(practice_id)},
            ).scalars()
        )


@pytest.fixture
def made(engine) -> Iterator[dict[str, list]]:
    """Rows the test commits; deleted (with their jobs) after the workers have stopped."""
    rows: dict[str, list] = {"practice": [], "user": [], "topic": [], "company": []}
    yield rows
    delete_committed(engine, rows["practice"], rows["user"], rows["topic"], rows["company"])


def test_a_killed_worker_leaves_nothing_stuck_and_the_session_is_analysed(engine, made, fake_openai, start_worker):
    def active_session():
        with Session(engine, expire_on_commit=False) as setup:
            company = make_company(setup)
            user = make_user(setup, company)
            practice = make_practice_session(
                setup,
                user,
                status="active",
                mode="solo",
                company_id=company.id,
                started_at=utcnow() - timedelta(minutes=2),
            )
            transcript = make_transcript(setup, practice)
            for i, (speaker, said, start_ms, end_ms) in enumerate(LINES):
                setup.add(
                    TranscriptSegment(
                        transcript_id=transcript.id,
                        sequence=i,
                        speaker=speaker,
                        text=said,
                        start_ms=start_ms,
                        end_ms=end_ms,
                        is_final=True,
                    )
                )
            setup.commit()
        for name, value in (
            ("practice", practice.id),
            ("user", user.id),
            ("topic", practice.topic_id),
            ("company", company.id),
        ):
            made[name].append(value)
        return practice

    def end(practice) -> float:
        with Session(engine, expire_on_commit=False) as tx:
            end_practice(session=tx, user_id=practice.user_id, practice_session_id=practice.id)
            tx.commit()
        return time.monotonic()

    before = _worker_ids(engine)
    first = start_worker()
    first_id = _wait_registered(engine, before, first)

    # 1. Ended and committed: analysed by the listening worker within seconds. The first analysis of a new
    # worker process also pays its start-up (imports, the coach's first connection, its first periodic
    # ticks); the next ones show the queue's own delay.
    quick = []
    for attempt in ("first of a new", "settled", "settled", "settled"):
        practice = active_session()
        ended_at = end(practice)
        _wait("an analysis", lambda p=practice: _state(engine, p.id)[1] == "complete", timeout=30, every=0.005)
        latency = time.monotonic() - ended_at
        print(
            f"\n[jobs] end -> analysed ({attempt} worker; commit to complete, coach on the fake server): "
            f"{latency * 1000:.0f} ms",
            end="",
        )
        assert attempt != "settled" or latency < 3
        assert _state(engine, practice.id)[2]["provider"] == "openai"
        quick.append(practice)
    print()

    # 2. A slow coach keeps the next analysis running; the worker is killed in the middle of it.
    fake_openai.respond_slowly(60, json.dumps(AI_JSON))
    requests_before = len(fake_openai.requests)
    slow = active_session()
    end(slow)
    _wait("the coach call of the second analysis", lambda: len(fake_openai.requests) > requests_before, timeout=15)
    assert _state(engine, slow.id)[1] == "processing" and _job_statuses(engine, slow.id) == ["doing"]
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(timeout=10)
    killed_at = time.monotonic()
    assert _state(engine, slow.id)[1] == "processing"  # what a crash leaves behind

    # 3. Another worker finds the dead worker's job stalled, releases the session and runs the job again.
    fake_openai.reply_with(json.dumps(AI_JSON))
    second = start_worker()
    _wait_registered(engine, _worker_ids(engine), second)
    _wait("the retried analysis", lambda: _state(engine, slow.id)[1] == "complete", timeout=RECOVERY_BOUND, every=0.2)
    recovery = time.monotonic() - killed_at
    print(f"[jobs] SIGKILL -> analysed by the next worker: {recovery:.1f} s")

    status, processing, summary = _state(engine, slow.id)
    assert (status, processing) == ("analyzed", "complete")
    assert summary["analysis"]["attempts"] == 2  # the killed attempt (released as stale) and the retry
    with engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM practice_sessions WHERE processing_status <> 'complete' AND id = ANY(:ids)"),
                {"ids": made["practice"]},
            ).scalar_one()
            == 0
        )
        assert conn.execute(text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'")).scalar_one() == 0
        assert first_id not in set(conn.execute(text("SELECT id FROM procrastinate_workers")).scalars())
    # Successful jobs are deleted when they finish: nothing of any of these sessions' jobs is left.
    assert all(_job_statuses(engine, practice_id) == [] for practice_id in made["practice"])

    # 4. SIGTERM stops a worker gracefully: it unregisters.
    second_ids = _worker_ids(engine)
    assert second.stop(signal.SIGTERM) == 0
    assert len(_worker_ids(engine)) == len(second_ids) - 1
