"""Real concurrent transactions on the real database: a reward, a module completion and a lesson start,
claimed by many connections at once, happen exactly once (so does a milestone attempt sent twice).

These tests commit (the rolled-back `session` fixture cannot show what other connections see), so they
build their own rows in committed transactions and delete them at the end.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update
from sqlmodel import Session

from speakpro.models import (
    AnalyticsEvent,
    District,
    ExerciseSubmission,
    LessonSession,
    LessonStepResponse,
    Level,
    MilestoneAttempt,
    RewardLedger,
    TelemetryEvent,
    User,
    UserProfile,
    UserVenueUnlock,
)
from speakpro.services.learning.economy import apply_reward
from speakpro.services.learning.lessons import answer_step, start_or_resume_lesson
from speakpro.services.learning.milestones import MILESTONE_XP, submit_milestone
from speakpro.services.learning.progress import complete_module_if_done
from tests.factories import make_module, make_user, make_venue
from tests.factories_learning import finish_lesson, make_lesson

THREADS = 50


def _in_parallel(engine, threads: int, work: Callable[[Session], Any]) -> list[Any]:
    """Run `work` in `threads` threads, each in its own connection and transaction, all released at once."""
    barrier = threading.Barrier(threads)

    def one() -> Any:
        with engine.connect() as connection, Session(bind=connection, expire_on_commit=False) as session:
            session.execute(select(1))  # connected and in a transaction before the start line
            barrier.wait(timeout=30)
            result = work(session)
            session.commit()
            return result

    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(one) for _ in range(threads)]
        return [f.result(timeout=120) for f in futures]


@pytest.fixture
def committed(engine):
    """A committed learner, a level with one module of two lessons and a venue it unlocks; deleted after."""
    made: dict[str, Any] = {}
    with Session(engine, expire_on_commit=False) as session:
        user = make_user(session)
        module = make_module(session)
        lessons = [make_lesson(session, module, order=i) for i in (1, 2)]
        venue = make_venue(session, unlock_module_id=module.id)
        made.update(
            user_id=user.id,
            module_id=module.id,
            level_id=module.level_id,
            lessons=lessons,
            venue_id=venue.id,
            district_id=venue.district_id,
        )
        session.commit()
    try:
        yield made
    finally:
        with Session(engine) as session:
            for model in (AnalyticsEvent, TelemetryEvent):
                session.execute(delete(model).where(model.user_id == made["user_id"]))
            session.execute(delete(User).where(User.id == made["user_id"]))  # CASCADE: profile, ledger, runs...
            session.execute(delete(Level).where(Level.id == made["level_id"]))  # CASCADE: modules, lessons
            session.execute(delete(District).where(District.id == made["district_id"]))  # CASCADE: venues
            session.commit()


def test_fifty_connections_claiming_one_reward_are_paid_once(engine, committed):
    user_id = committed["user_id"]
    key = f"concurrency-{uuid.uuid4()}"

    results = _in_parallel(
        engine,
        THREADS,
        lambda s: (
            apply_reward(
                session=s, user_id=user_id, currency="coins", amount=75, reason="quest_claimed", source_key=key
            ).applied
        ),
    )

    assert sum(results) == 1
    with Session(engine) as session:
        assert session.execute(select(UserProfile.coins).where(UserProfile.user_id == user_id)).scalar_one() == 75
        rows = session.execute(select(func.count()).where(RewardLedger.user_id == user_id)).scalar_one()
        assert rows == 1


def test_concurrent_module_completions_pay_and_unlock_once(engine, committed):
    user_id, module_id = committed["user_id"], committed["module_id"]
    with Session(engine) as session:
        for lesson in committed["lessons"]:
            finish_lesson(session, user_id, lesson)
        session.commit()

    results = _in_parallel(
        engine, 20, lambda s: complete_module_if_done(session=s, user_id=user_id, module_id=module_id)
    )

    assert all(r.completed for r in results)
    assert sum(r.newly_completed for r in results) == 1
    assert sum(len(r.unlocked_venue_ids) for r in results) == 1
    assert sum(r.rewards.get("xp", 0) for r in results) == 100
    with Session(engine) as session:
        profile = session.execute(
            select(UserProfile.xp, UserProfile.coins, UserProfile.tickets).where(UserProfile.user_id == user_id)
        ).one()
        assert tuple(profile) == (100, 50, 2)
        assert session.execute(select(func.count()).where(UserVenueUnlock.user_id == user_id)).scalar_one() == 1
        events = session.execute(
            select(func.count()).where(
                AnalyticsEvent.user_id == user_id, AnalyticsEvent.event_type == "module_completed"
            )
        )
        assert events.scalar_one() == 1


def test_concurrent_starts_of_one_lesson_open_one_run(engine, committed):
    user_id, lesson_id = committed["user_id"], committed["lessons"][0].id

    views = _in_parallel(engine, 20, lambda s: start_or_resume_lesson(session=s, user_id=user_id, lesson_id=lesson_id))

    assert len({v.lesson_session_id for v in views}) == 1
    assert sum(not v.resumed for v in views) == 1
    with Session(engine) as session:
        runs = session.execute(select(func.count()).where(LessonSession.user_id == user_id)).scalar_one()
        assert runs == 1
        starts = session.execute(
            select(func.count()).where(AnalyticsEvent.user_id == user_id, AnalyticsEvent.event_type == "lesson_start")
        )
        assert starts.scalar_one() == 1


def test_concurrent_identical_answers_are_stored_once(engine, committed):
    user_id, lesson = committed["user_id"], committed["lessons"][0]
    with Session(engine) as session:
        run_id = start_or_resume_lesson(session=session, user_id=user_id, lesson_id=lesson.id).lesson_session_id
        session.commit()

    results = _in_parallel(
        engine,
        20,
        lambda s: answer_step(
            session=s,
            user_id=user_id,
            lesson_session_id=run_id,
            step_index=0,
            answer={"acknowledged": True},
            duration_ms=100,
        ),
    )

    assert sum(not r.replayed for r in results) == 1
    assert {r.next_step_index for r in results} == {1}
    with Session(engine) as session:
        assert session.execute(select(LessonSession.step_index).where(LessonSession.id == run_id)).scalar_one() == 1
        responses = session.execute(select(func.count()).where(LessonStepResponse.lesson_session_id == run_id))
        assert responses.scalar_one() == 1
        submissions = session.execute(select(func.count()).where(ExerciseSubmission.lesson_session_id == run_id))
        assert submissions.scalar_one() == 1


def test_concurrent_milestone_submissions_with_one_key_store_one_attempt(engine, committed):
    user_id, level_id = committed["user_id"], committed["level_id"]
    with Session(engine) as session:
        for lesson in committed["lessons"]:
            finish_lesson(session, user_id, lesson)
        session.execute(update(Level).where(Level.id == level_id).values(milestone_threshold=0))
        session.commit()
    talk = "Picture this. My one message: write it down. What would you do? Let's decide on Tuesday."

    results = _in_parallel(
        engine,
        20,
        lambda s: submit_milestone(
            session=s, user_id=user_id, level_id=level_id, transcript=talk, idempotency_key="one-click-0001"
        ),
    )

    assert len({r.attempt_id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert all(r.passed and r.rewards["xp"] == MILESTONE_XP for r in results)
    with Session(engine) as session:
        attempts = session.execute(select(func.count()).where(MilestoneAttempt.user_id == user_id)).scalar_one()
        assert attempts == 1
        paid = session.execute(
            select(func.count()).where(RewardLedger.user_id == user_id, RewardLedger.reason == "milestone_passed")
        ).scalar_one()
        assert paid == 3
