"""The home dashboard's load: queries issued and time, on the demo data and for a learner with 1,000
completed exercise submissions (and as many lesson runs and practice sessions).

Usage: .venv/bin/python bench/bench_home.py [iterations]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SPEAKPRO_DATA_DIR", tempfile.mkdtemp(prefix="speakpro-bench-"))

from sqlalchemy import create_engine, event, insert, select  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bench.rls_cost import rls_cost  # noqa: E402
from tests import pg  # noqa: E402


def _heavy_learner(session: Session) -> uuid.UUID:
    """A learner with 1,000 completed submissions, 1,000 lesson runs and 1,000 practice sessions."""
    from speakpro.models import (
        ExerciseSubmission,
        Lesson,
        LessonSession,
        PracticeSession,
        Topic,
        User,
        UserProfile,
        utcnow,
    )

    user_id = uuid.uuid4()
    session.execute(insert(User).values(id=user_id, email=f"heavy-{user_id.hex[:8]}@example.com"))
    session.execute(insert(UserProfile).values(user_id=user_id, onboarding_completed=True, ab_variant="A"))
    lessons = session.execute(select(Lesson.id, Lesson.module_id)).all()
    topic_id = session.execute(select(Topic.id).limit(1)).scalar_one()
    now = utcnow()
    runs, submissions, practice = [], [], []
    for index in range(1000):
        lesson_id, module_id = lessons[index % len(lessons)]
        run_id = uuid.uuid4()
        runs.append(
            {
                "id": run_id,
                "user_id": user_id,
                "lesson_id": lesson_id,
                "module_id": module_id,
                "state": "completed",
                "step_index": 4,
                "completed_at": now - timedelta(minutes=index),
            }
        )
        submissions.append(
            {
                "id": uuid.uuid4(),
                "user_id": user_id,
                "module_id": module_id,
                "lesson_session_id": run_id,
                "stage": "speaking",
                "payload": {"text": "practice"},
                "scores": {"score": 70},
                "duration_ms": 30_000,
            }
        )
        started = now - timedelta(hours=index)
        practice.append(
            {
                "id": uuid.uuid4(),
                "user_id": user_id,
                "topic_id": topic_id,
                "title": "Practice",
                "status": "ended",
                "started_at": started,
                "ended_at": started + timedelta(minutes=3),
                "duration_seconds": 180,
            }
        )
    session.execute(insert(LessonSession), runs)
    session.execute(insert(ExerciseSubmission), submissions)
    session.execute(insert(PracticeSession), practice)
    return user_id


def _measure(engine, user_id: uuid.UUID, iterations: int) -> tuple[int, float, float]:
    """Queries per load and p50/p95 ms, one transaction per load (as the app runs it)."""
    from speakpro.services.accounts.time_zones import local_day
    from speakpro.services.learning.home import get_home_dashboard

    queries = 0

    def count(*_args):
        nonlocal queries
        queries += 1

    timings = []
    with Session(engine) as session:
        get_home_dashboard(
            session=session, user_id=user_id, today=local_day("UTC"), time_zone="UTC"
        )  # warm-up, creates quests
        session.commit()
    event.listen(engine, "before_cursor_execute", count)
    for _ in range(iterations):
        started = time.perf_counter()
        with Session(engine) as session:
            get_home_dashboard(session=session, user_id=user_id, today=local_day("UTC"), time_zone="UTC")
            session.rollback()
        timings.append((time.perf_counter() - started) * 1000)
    event.remove(engine, "before_cursor_execute", count)
    timings.sort()
    return queries // iterations, statistics.median(timings), timings[int(0.95 * len(timings)) - 1]


def _as_learner(user_id: uuid.UUID):
    from speakpro.db import DbContext, use_context

    return use_context(DbContext(user_id=user_id, role="learner"))


def main(iterations: int = 200) -> None:
    server, origin = pg.server_url()
    url = pg.create_database(server, prefix="speakpro_bench")
    try:
        pg.migrate(url)
        engine = create_engine(url)
        from speakpro.models import User
        from speakpro.seed import run_seed

        with Session(engine) as session:
            run_seed(session)
            demo = session.execute(select(User.id).where(User.email == "learner@example.com")).scalar_one()
            heavy = _heavy_learner(session)
            session.commit()
        from sqlalchemy.engine import make_url

        from speakpro.db import APP_ROLE, create_app_engine
        from speakpro.services.accounts.time_zones import local_day
        from speakpro.services.learning.home import get_home_dashboard

        # The app's own engine: the app role under Row-Level Security, its context set per transaction.
        app_engine = create_app_engine(make_url(url).set(username=APP_ROLE, password=None))
        print(f"database: {origin}; {iterations} loads each, one transaction per load")
        for label, user_id in (
            ("demo learner (60 days of history)", demo),
            ("learner with 1,000 completed submissions", heavy),
        ):
            owner = _measure(engine, user_id, iterations)
            with _as_learner(user_id):
                rls = _measure(app_engine, user_id, iterations)
                cost = rls_cost(
                    engine,
                    app_engine,
                    lambda session, user_id=user_id: get_home_dashboard(
                        session=session, user_id=user_id, today=local_day("UTC"), time_zone="UTC"
                    ),
                    iterations,
                )
            print(
                f"home dashboard, {label}: owner (no RLS) {owner[0]} queries, p50 {owner[1]:.2f} ms, "
                f"p95 {owner[2]:.2f} ms; app role {rls[0]} queries (+ the context, sent with the first); "
                f"alternating: {cost}"
            )
        app_engine.dispose()
        engine.dispose()
    finally:
        pg.drop_database(url)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
