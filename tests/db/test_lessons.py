"""Guided lessons on a real database: start, resume after a restart, answer, refuse, cool down, reward once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlmodel import Session

from speakpro.models import (
    AnalyticsEvent,
    ExerciseSubmission,
    Lesson,
    LessonSession,
    LessonSessionContext,
    LessonStepResponse,
    Level,
    Module,
    RewardLedger,
    StakesMap,
    TelemetryEvent,
    UserProfile,
    utcnow,
)
from speakpro.services.learning.economy import ledger_totals
from speakpro.services.learning.feedback import coach_answer
from speakpro.services.learning.lesson_views import StepResult
from speakpro.services.learning.lessons import (
    PASS_MARK,
    RETRY_COOLDOWN_SECONDS,
    REUSED_ANSWER,
    IllegalTransition,
    PendingAnswer,
    abandon_lesson,
    answer_step,
    prepare_answer,
    record_answer,
    start_or_resume_lesson,
)
from speakpro.services.learning.stakes import get_or_choose_stakes, get_stakes
from speakpro.services.validation import ValidationError
from tests.factories import make_module, make_user
from tests.factories_learning import (
    GOOD_SPEECH,
    POOR_SPEECH,
    make_block,
    make_lesson,
    make_path,
    passing_answer,
)


def _count(session: Session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def _counts(session: Session) -> dict[str, int]:
    return {
        m.__name__: _count(session, m)
        for m in (
            LessonStepResponse,
            ExerciseSubmission,
            LessonSession,
            RewardLedger,
            AnalyticsEvent,
            TelemetryEvent,
            LessonSessionContext,
        )
    }


def _run_through(session: Session, user_id, lesson_id):
    view = start_or_resume_lesson(session=session, user_id=user_id, lesson_id=lesson_id)
    results = []
    run = session.get(LessonSession, view.lesson_session_id)
    for index, step in enumerate(run.script):
        results.append(
            answer_step(
                session=session,
                user_id=user_id,
                lesson_session_id=view.lesson_session_id,
                step_index=index,
                answer=passing_answer(step),
                duration_ms=1500,
            )
        )
    return view, results


@pytest.fixture
def lesson(session):
    module = make_module(session)
    block = make_block(session, module, title="Hooks", summary="Open with a hook.", body="Skip the warm-up.")
    steps = [
        {"kind": "reading", "title": "Read", "knowledge_block": block.key},
        {
            "kind": "speaking",
            "title": "Say it",
            "prompt": "Pitch one change to your team.",
            "target_seconds": 20,
            "rubric": ["Message stated clearly"],
        },
        {
            "kind": "writing",
            "title": "Write it",
            "prompt": "Write your one message.",
            "min_words": 6,
            "rubric": ["States a benefit"],
        },
        {"kind": "reflection", "title": "Reflect", "prompt": "What will you change?"},
    ]
    return make_lesson(session, module, steps=steps, xp_reward=20)


def test_start_then_resume_after_a_restart_returns_the_same_run_at_the_same_step(engine, session, lesson):
    user = make_user(session)
    view = start_or_resume_lesson(session=session, user_id=user.id, lesson_id=lesson.id)
    assert (view.state, view.step_index, view.step_count, view.resumed) == ("in_progress", 0, 4, False)
    assert view.step.kind == "reading" and view.step.knowledge["title"] == "Hooks"
    run = session.get(LessonSession, view.lesson_session_id)
    assert run.script == lesson.steps and run.script is not lesson.steps
    answer_step(
        session=session,
        user_id=user.id,
        lesson_session_id=view.lesson_session_id,
        step_index=0,
        answer={"acknowledged": True},
        duration_ms=100,
    )
    session.commit()  # the test's outer transaction still rolls everything back

    # A "restart": a new Session object on the same connection, nothing carried over in memory.
    with Session(bind=session.connection(), join_transaction_mode="create_savepoint") as fresh:
        again = start_or_resume_lesson(session=fresh, user_id=user.id, lesson_id=lesson.id)
        assert again.lesson_session_id == view.lesson_session_id
        assert (again.step_index, again.resumed, again.step.kind) == (1, True, "speaking")
        assert again.step.prompt == "Pitch one change to your team."
    assert _count(session, LessonSession) >= 1
    runs = session.execute(select(func.count()).where(LessonSession.user_id == user.id)).scalar_one()
    assert runs == 1


def test_a_seeded_module_a_lesson_runs_to_completion_and_pays_once(seeded_session):
    session = seeded_session
    user = make_user(session)
    lesson = session.execute(
        select(Lesson)
        .join(Module, Module.id == Lesson.module_id)
        .join(Level, Level.id == Module.level_id)
        .where(Level.number == 1, Module.code == "A", Lesson.order == 1)
    ).scalar_one()
    view, results = _run_through(session, user.id, lesson.id)
    kinds = [r.kind for r in results]
    assert kinds == ["reading", "speaking", "feedback", "reflection"]
    assert all(r.passed for r in results)
    speaking = results[1]
    assert speaking.score >= PASS_MARK and speaking.feedback["provider"] == "local"
    assert 1 <= len(speaking.feedback["tips"]) <= 3
    assert results[-1].completed and results[-1].xp_awarded == lesson.xp_reward
    assert [r.next_step_index for r in results] == [1, 2, 3, 4]

    run = session.get(LessonSession, view.lesson_session_id)
    assert run.state == "completed" and run.completed_at is not None
    responses = (
        session.execute(
            select(LessonStepResponse)
            .where(LessonStepResponse.lesson_session_id == run.id)
            .order_by(LessonStepResponse.step_index)
        )
        .scalars()
        .all()
    )
    assert [r.step_kind for r in responses] == kinds
    subs = session.execute(select(ExerciseSubmission).where(ExerciseSubmission.lesson_session_id == run.id)).scalars()
    subs = list(subs)
    assert sorted(s.stage for s in subs) == sorted(kinds)
    assert all(s.duration_ms == 1500 and s.module_id == lesson.module_id for s in subs)
    spoken = next(s for s in subs if s.stage == "speaking")
    assert spoken.payload["answer"] == {"transcript": GOOD_SPEECH} and spoken.scores["local"]["words"] > 0
    assert ledger_totals(session=session, user_id=user.id)["xp"] == lesson.xp_reward

    events = session.execute(select(AnalyticsEvent.event_type).where(AnalyticsEvent.user_id == user.id)).scalars()
    events = list(events)
    assert events.count("lesson_start") == 1 and events.count("lesson_answer") == 4
    names = set(session.execute(select(TelemetryEvent.name).where(TelemetryEvent.user_id == user.id)).scalars())
    assert {"lesson_started", "lesson_step_answered", "lesson_completed"} <= names


def test_running_a_lesson_twice_pays_its_xp_once(session, lesson):
    user = make_user(session)
    first, results = _run_through(session, user.id, lesson.id)
    assert results[-1].xp_awarded == 20
    second, again = _run_through(session, user.id, lesson.id)
    assert second.lesson_session_id != first.lesson_session_id
    assert again[-1].completed and again[-1].xp_awarded == 0
    rows = session.execute(
        select(func.count()).where(RewardLedger.user_id == user.id, RewardLedger.reason == "lesson_completed")
    ).scalar_one()
    assert rows == 1
    assert session.get(UserProfile, user.id).xp == ledger_totals(session=session, user_id=user.id)["xp"]


def test_an_answer_given_to_another_exercise_is_refused_and_stores_nothing(session, lesson):
    user = make_user(session)
    _run_through(session, user.id, lesson.id)  # the speaking step was answered with GOOD_SPEECH
    other = make_lesson(session, session.get(Module, lesson.module_id), order=2, steps=lesson.steps)
    run_id = start_or_resume_lesson(session=session, user_id=user.id, lesson_id=other.id).lesson_session_id

    def answer(index: int, value: dict):
        return answer_step(
            session=session, user_id=user.id, lesson_session_id=run_id, step_index=index, answer=value, duration_ms=10
        )

    answer(0, {"acknowledged": True})
    before = _counts(session)
    pasted = GOOD_SPEECH.upper().replace(".", "!")  # the same words, whatever the case or punctuation
    with pytest.raises(ValidationError) as refused:
        answer(1, {"transcript": pasted})
    assert refused.value.message == REUSED_ANSWER
    assert _counts(session) == before
    assert session.get(LessonSession, run_id).step_index == 1
    assert answer(1, {"transcript": GOOD_SPEECH.replace("this Friday", "next Monday, for a month")}).passed


def test_only_the_owner_may_answer_or_abandon(session, lesson):
    owner, stranger = make_user(session), make_user(session)
    view = start_or_resume_lesson(session=session, user_id=owner.id, lesson_id=lesson.id)
    before = _counts(session)
    with pytest.raises(ValidationError, match="not found"):
        answer_step(
            session=session,
            user_id=stranger.id,
            lesson_session_id=view.lesson_session_id,
            step_index=0,
            answer={"acknowledged": True},
            duration_ms=10,
        )
    with pytest.raises(ValidationError, match="not found"):
        abandon_lesson(session=session, user_id=stranger.id, lesson_session_id=view.lesson_session_id)
    assert _counts(session) == before
    assert session.get(LessonSession, view.lesson_session_id).state == "in_progress"


def test_only_the_current_step_may_be_answered(session, lesson):
    user = make_user(session)
    view = start_or_resume_lesson(session=session, user_id=user.id, lesson_id=lesson.id)
    before = _counts(session)
    with pytest.raises(ValidationError, match="current step"):
        answer_step(
            session=session,
            user_id=user.id,
            lesson_session_id=view.lesson_session_id,
            step_index=1,
            answer={"transcript": GOOD_SPEECH},
            duration_ms=10,
        )
    for bad_index in (-1, 4, 99, "0", True, None):
        with pytest.raises(ValidationError, match="does not exist"):
            answer_step(
                session=session,
                user_id=user.id,
                lesson_session_id=view.lesson_session_id,
                step_index=bad_index,
                answer={"acknowledged": True},
                duration_ms=10,
            )
    assert _counts(session) == before


def test_a_retried_answer_returns_the_stored_result_and_counts_once(session, lesson):
    user = make_user(session)
    view = start_or_resume_lesson(session=session, user_id=user.id, lesson_id=lesson.id)
    run_id = view.lesson_session_id
    answer_step(
        session=session,
        user_id=user.id,
        lesson_session_id=run_id,
        step_index=0,
        answer={"acknowledged": True},
        duration_ms=10,
    )
    first = answer_step(
        session=session,
        user_id=user.id,
        lesson_session_id=run_id,
        step_index=1,
        answer={"transcript": GOOD_SPEECH},
        duration_ms=10,
    )
    before = _counts(session)
    again = answer_step(
        session=session,
        user_id=user.id,
        lesson_session_id=run_id,
        step_index=1,
        answer={"transcript": GOOD_SPEECH + "  "},
        duration_ms=99,
    )
    assert again.replayed and not first.replayed
    assert (again.score, again.passed, again.next_step_index) == (first.score, True, 2)
    assert again.feedback["score"] == first.feedback["score"]
    assert _counts(session) == before
    with pytest.raises(ValidationError, match="already answered"):
        answer_step(
            session=session,
            user_id=user.id,
            lesson_session_id=run_id,
            step_index=1,
            answer={"transcript": "A different answer entirely."},
            duration_ms=10,
        )
    assert _counts(session) == before

    # The last step completes the run; retrying it returns the stored completion (no second reward).
    answer_step(
        session=session,
        user_id=user.id,
        lesson_session_id=run_id,
        step_index=2,
        answer=passing_answer(lesson.steps[2]),
        duration_ms=10,
    )
    last = answer_step(
        session=session,
        user_id=user.id,
        lesson_session_id=run_id,
        step_index=3,
        answer={"text": "Slow down."},
        duration_ms=10,
    )
    done = _counts(session)
    retried = answer_step(
        session=session,
        user_id=user.id,
        lesson_session_id=run_id,
        step_index=3,
        answer={"text": "Slow down."},
        duration_ms=10,
    )
    assert retried.replayed and retried.completed and retried.xp_awarded == last.xp_awarded == 20
    assert _counts(session) == done


@pytest.mark.parametrize(
    "answer",
    [
        {},
        None,
        "just a string",
        ["a", "list"],
        {"transcript": ""},
        {"transcript": "   \n "},
        {"transcript": 12345},
        {"transcript": None},
        {"transcript": "x" * 1_000_001},
        {"transcript": "fine", "audio_ref": "x" * 600},
        {"transcript": "fine", "unexpected": True},
        {"acknowledged": True},
        {"transcript": "bad \x00 byte"},
    ],
)
def test_bad_answers_are_refused_and_write_nothing(session, lesson, answer):
    user = make_user(session)
    view = start_or_resume_lesson(session=session, user_id=user.id, lesson_id=lesson.id)
    answer_step(
        session=session,
        user_id=user.id,
        lesson_session_id=view.lesson_session_id,
        step_index=0,
        answer={"acknowledged": True},
        duration_ms=10,
    )
    before = _counts(session)
    with pytest.raises(ValidationError) as caught:
        answer_step(
            session=session,
            user_id=user.id,
            lesson_session_id=view.lesson_session_id,
            step_index=1,
            answer=answer,
            duration_ms=10,
        )
    assert caught.value.message and "Traceback" not in caught.value.message
    assert _counts(session) == before
    assert session.get(LessonSession, view.lesson_session_id).step_index == 1


@pytest.mark.parametrize("duration", [-5, 3_600_001, "fast", None])
def test_bad_durations_are_refused(session, lesson, duration):
    user = make_user(session)
    view = start_or_resume_lesson(session=session, user_id=user.id, lesson_id=lesson.id)
    before = _counts(session)
    with pytest.raises(ValidationError, match="between 0 and 60 minutes"):
        answer_step(
            session=session,
            user_id=user.id,
            lesson_session_id=view.lesson_session_id,
            step_index=0,
            answer={"acknowledged": True},
            duration_ms=duration,
        )
    assert _counts(session) == before


def test_a_failed_exercise_keeps_the_step_and_cools_down(session, lesson):
    user = make_user(session)
    view = start_or_resume_lesson(session=session, user_id=user.id, lesson_id=lesson.id)
    run_id = view.lesson_session_id
    answer_step(
        session=session,
        user_id=user.id,
        lesson_session_id=run_id,
        step_index=0,
        answer={"acknowledged": True},
        duration_ms=10,
    )
    failed = answer_step(
        session=session,
        user_id=user.id,
        lesson_session_id=run_id,
        step_index=1,
        answer={"transcript": POOR_SPEECH},
        duration_ms=10,
    )
    assert not failed.passed and failed.score < PASS_MARK
    assert failed.next_step_index == 1 and failed.state == "in_progress"
    assert failed.cooldown_until is not None
    assert (
        timedelta(seconds=RETRY_COOLDOWN_SECONDS - 5)
        < failed.cooldown_until - utcnow()
        <= timedelta(seconds=RETRY_COOLDOWN_SECONDS)
    )
    view = start_or_resume_lesson(session=session, user_id=user.id, lesson_id=lesson.id)
    assert view.step_index == 1 and view.cooldown_until == failed.cooldown_until
    assert view.last_feedback["score"] == failed.score
    assert _count(session, LessonStepResponse) == 1  # only the reading step

    # Retrying the identical failed request is idempotent, not a second attempt.
    before = _counts(session)
    replay = answer_step(
        session=session,
        user_id=user.id,
        lesson_session_id=run_id,
        step_index=1,
        answer={"transcript": POOR_SPEECH},
        duration_ms=10,
    )
    assert replay.replayed and not replay.passed and replay.score == failed.score
    assert _counts(session) == before

    # A new attempt during the cooldown is refused, and changes nothing.
    with pytest.raises(ValidationError, match=r"try this step again in \d+ seconds"):
        answer_step(
            session=session,
            user_id=user.id,
            lesson_session_id=run_id,
            step_index=1,
            answer={"transcript": GOOD_SPEECH},
            duration_ms=10,
        )
    assert _counts(session) == before

    # Once the cooldown has passed, the learner may try again.
    session.execute(
        update(LessonSessionContext)
        .where(LessonSessionContext.user_id == user.id)
        .values(cooldown_until=utcnow() - timedelta(seconds=1))
    )
    ok = answer_step(
        session=session,
        user_id=user.id,
        lesson_session_id=run_id,
        step_index=1,
        answer={"transcript": GOOD_SPEECH},
        duration_ms=10,
    )
    assert ok.passed and ok.next_step_index == 2
    context = session.execute(select(LessonSessionContext).where(LessonSessionContext.user_id == user.id)).scalar_one()
    assert context.attempts == 1
    stages = (
        session.execute(select(ExerciseSubmission.stage).where(ExerciseSubmission.lesson_session_id == run_id))
        .scalars()
        .all()
    )
    assert sorted(stages) == ["reading", "speaking", "speaking"]


def test_abandoned_and_completed_runs_refuse_answers(session, lesson):
    user = make_user(session)
    view = start_or_resume_lesson(session=session, user_id=user.id, lesson_id=lesson.id)
    abandoned = abandon_lesson(session=session, user_id=user.id, lesson_session_id=view.lesson_session_id)
    assert abandoned.state == "abandoned" and abandoned.step is None
    assert (
        abandon_lesson(session=session, user_id=user.id, lesson_session_id=view.lesson_session_id).state == "abandoned"
    )
    before = _counts(session)
    with pytest.raises(IllegalTransition, match="stopped"):
        answer_step(
            session=session,
            user_id=user.id,
            lesson_session_id=view.lesson_session_id,
            step_index=0,
            answer={"acknowledged": True},
            duration_ms=10,
        )
    assert _counts(session) == before

    fresh = start_or_resume_lesson(session=session, user_id=user.id, lesson_id=lesson.id)
    assert fresh.lesson_session_id != view.lesson_session_id and fresh.step_index == 0 and not fresh.resumed
    _, results = _run_through(session, user.id, lesson.id)
    assert results[-1].completed
    with pytest.raises(IllegalTransition, match="already complete"):
        abandon_lesson(session=session, user_id=user.id, lesson_session_id=fresh.lesson_session_id)


def test_unknown_and_locked_lessons_cannot_start(session):
    user = make_user(session)
    _, modules, lessons = make_path(session, modules=2)
    with pytest.raises(ValidationError, match="does not exist"):
        start_or_resume_lesson(session=session, user_id=user.id, lesson_id=modules[0].id)
    with pytest.raises(ValidationError, match="previous module"):
        start_or_resume_lesson(session=session, user_id=user.id, lesson_id=lessons[modules[1].id][0].id)
    empty = make_lesson(session, modules[0], order=5, steps=[])
    with pytest.raises(ValidationError, match="no steps"):
        start_or_resume_lesson(session=session, user_id=user.id, lesson_id=empty.id)
    assert session.execute(select(func.count()).where(LessonSession.user_id == user.id)).scalar_one() == 0


def test_stakes_are_chosen_once_and_personalise_the_exercise_prompts(session, lesson):
    user = make_user(session)
    first = get_or_choose_stakes(
        session=session,
        user_id=user.id,
        module_id=lesson.module_id,
        scenario="Asking the board for a budget",
        audience="The board",
        stakes="Two new hires",
    )
    second = get_or_choose_stakes(
        session=session, user_id=user.id, module_id=lesson.module_id, scenario="Something else", audience="", stakes=""
    )
    assert second.id == first.id and second.scenario == "Asking the board for a budget"
    assert session.execute(select(func.count()).where(StakesMap.user_id == user.id)).scalar_one() == 1
    assert get_stakes(session=session, user_id=user.id, module_id=lesson.module_id).id == first.id

    view = start_or_resume_lesson(session=session, user_id=user.id, lesson_id=lesson.id)
    assert "Asking the board" not in view.step.prompt  # a reading step is not personalised
    answer_step(
        session=session,
        user_id=user.id,
        lesson_session_id=view.lesson_session_id,
        step_index=0,
        answer={"acknowledged": True},
        duration_ms=10,
    )
    view = start_or_resume_lesson(session=session, user_id=user.id, lesson_id=lesson.id)
    assert view.step.prompt.startswith("Pitch one change to your team.")
    assert "Asking the board for a budget" in view.step.prompt and "Two new hires" in view.step.prompt
    answer_step(
        session=session,
        user_id=user.id,
        lesson_session_id=view.lesson_session_id,
        step_index=1,
        answer={"transcript": GOOD_SPEECH},
        duration_ms=10,
    )
    prompt = session.execute(
        select(ExerciseSubmission.payload).where(
            ExerciseSubmission.stage == "speaking", ExerciseSubmission.user_id == user.id
        )
    ).scalar_one()["prompt"]
    assert "Asking the board for a budget" in prompt


def test_bad_stakes_are_refused(session, lesson):
    user = make_user(session)
    with pytest.raises(ValidationError, match="scenario"):
        get_or_choose_stakes(
            session=session, user_id=user.id, module_id=lesson.module_id, scenario="  ", audience="", stakes=""
        )
    with pytest.raises(ValidationError, match="500"):
        get_or_choose_stakes(
            session=session, user_id=user.id, module_id=lesson.module_id, scenario="x" * 501, audience="", stakes=""
        )
    with pytest.raises(ValidationError, match="module"):
        get_or_choose_stakes(
            session=session, user_id=user.id, module_id=lesson.id, scenario="A pitch", audience="", stakes=""
        )
    assert session.execute(select(func.count()).where(StakesMap.user_id == user.id)).scalar_one() == 0


def test_an_answer_scored_in_two_halves_is_stored_once_when_sent_twice_meanwhile(session, lesson):
    """The page checks an answer, lets the AI coach score it with no transaction open, then stores it: a
    second identical request that was checked in between is replayed, not stored again."""
    user = make_user(session)
    run_id = start_or_resume_lesson(session=session, user_id=user.id, lesson_id=lesson.id).lesson_session_id
    answer_step(
        session=session,
        user_id=user.id,
        lesson_session_id=run_id,
        step_index=0,
        answer={"acknowledged": True},
        duration_ms=10,
    )
    sent = {
        "session": session,
        "user_id": user.id,
        "lesson_session_id": run_id,
        "step_index": 1,
        "answer": {"transcript": GOOD_SPEECH},
        "duration_ms": 10,
    }
    first, second = prepare_answer(**sent), prepare_answer(**sent)
    assert isinstance(first, PendingAnswer) and isinstance(second, PendingAnswer)
    before = _counts(session)
    stored = record_answer(session=session, pending=first, feedback=coach_answer(first.feedback, None))
    after_first = _counts(session)
    again = record_answer(session=session, pending=second, feedback=coach_answer(second.feedback, None))
    assert not stored.replayed and again.replayed and again.next_step_index == stored.next_step_index == 2
    assert after_first != before and _counts(session) == after_first


def test_a_step_without_scoring_is_stored_by_the_first_half(session, lesson):
    user = make_user(session)
    run_id = start_or_resume_lesson(session=session, user_id=user.id, lesson_id=lesson.id).lesson_session_id
    done = prepare_answer(
        session=session,
        user_id=user.id,
        lesson_session_id=run_id,
        step_index=0,
        answer={"acknowledged": True},
        duration_ms=10,
    )
    assert isinstance(done, StepResult) and done.next_step_index == 1 and not done.replayed
