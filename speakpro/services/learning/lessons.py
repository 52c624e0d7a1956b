"""Guided lessons: a state machine over a lesson's scripted steps, kept entirely in the database.

A run (`LessonSession`) snapshots the lesson's steps when it starts and walks them one at a time:
reading and feedback steps are acknowledged, speaking and writing answers are scored (see
`services.learning.feedback`), reflections are stored. The last answer completes the run, pays the lesson's XP
once per learner ever, and completes the module when it was its last lesson. A failed speaking or
writing attempt keeps the step current and starts a short cooldown before the next try. Restarting the
app loses nothing: `start_or_resume_lesson` returns the open run at its step.

What an answer may look like is checked in `services.learning.lesson_answers`, the learner's stakes live in
`services.learning.stakes` and the run's view is built in `services.learning.lesson_views`; callers import
those names from there.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import openai
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from speakpro.models import (
    ExerciseSubmission,
    Lesson,
    LessonSession,
    LessonSessionContext,
    LessonStepResponse,
    Module,
    table_of,
    utcnow,
)
from speakpro.services.accounts.companies import member_company_id
from speakpro.services.learning import progress
from speakpro.services.learning.assignments import refresh_progress
from speakpro.services.learning.economy import apply_reward
from speakpro.services.learning.feedback import ExerciseFeedback, FeedbackRequest, coach_answer, prepare_feedback
from speakpro.services.learning.lesson_answers import (
    SCORED_KINDS,
    check_answer,
    check_duration,
)
from speakpro.services.learning.lesson_views import (
    LessonView,
    StepResult,
    active_cooldown,
    lesson_view,
    replayed_attempt,
    replayed_response,
)
from speakpro.services.learning.stakes import exercise_prompt, get_stakes
from speakpro.services.telemetry import record_event, record_telemetry
from speakpro.services.text import fingerprint_of
from speakpro.services.validation import ValidationError

__all__ = [
    "EVENTS",
    "LESSON_REWARD_REASON",
    "NEW",
    "PASS_MARK",
    "RETRY_COOLDOWN_SECONDS",
    "TRANSITIONS",
    "IllegalTransition",
    "abandon_lesson",
    "PendingAnswer",
    "answer_step",
    "get_lesson_view",
    "next_state",
    "prepare_answer",
    "record_answer",
    "start_or_resume_lesson",
]

PASS_MARK = 50
RETRY_COOLDOWN_SECONDS = 30
LESSON_REWARD_REASON = "lesson_completed"


# The run's life: (state, event) -> next state. "new" is a run that does not exist yet.
NEW = "new"
TRANSITIONS: dict[tuple[str, str], str] = {
    (NEW, "start"): "in_progress",
    ("in_progress", "answer"): "in_progress",
    ("in_progress", "complete"): "completed",
    ("in_progress", "abandon"): "abandoned",
}
EVENTS = ("start", "answer", "complete", "abandon")

_REFUSALS = {
    ("completed", "answer"): "This lesson is already complete. Start it again to practise once more.",
    ("abandoned", "answer"): "This lesson run was stopped. Start the lesson again to continue.",
    ("completed", "abandon"): "This lesson is already complete.",
}


class IllegalTransition(ValidationError):
    """A lesson run asked to do something its state does not allow."""

    def __init__(self, state: str, event: str):
        message = _REFUSALS.get((state, event), f"A lesson run that is {state.replace('_', ' ')} cannot {event}.")
        super().__init__("lesson", message)
        self.state = state
        self.event = event


def next_state(state: str, event: str) -> str:
    """The state a run moves to on `event`.

    Raises:
        IllegalTransition: When the table has no such transition.
    """
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise IllegalTransition(state, event) from None


def _company_id(session: Session, user_id: uuid.UUID) -> uuid.UUID | None:
    return member_company_id(session=session, user_id=user_id)


def _open_run(session: Session, user_id: uuid.UUID, lesson_id: uuid.UUID) -> LessonSession | None:
    return session.execute(
        select(LessonSession)
        .where(
            col(LessonSession.user_id) == user_id,
            col(LessonSession.lesson_id) == lesson_id,
            col(LessonSession.state) == "in_progress",
        )
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def start_or_resume_lesson(*, session: Session, user_id: uuid.UUID, lesson_id: uuid.UUID) -> LessonView:
    """Return the learner's open run of a lesson, or start one (state in_progress, step 0, steps snapshotted).

    Two concurrent starts create one run: the insert does nothing on the partial unique index
    (one in_progress run per learner and lesson) and both read the run that won.

    Args:
        session: The caller's session.
        user_id: The learner.
        lesson_id: The lesson.

    Returns:
        The run's view; `resumed=True` when it already existed.

    Raises:
        ValidationError: For an unknown lesson, one without steps, or one whose module is still locked.
    """
    row = session.execute(
        select(Lesson, col(Module.code))
        .join(Module, col(Module.id) == col(Lesson.module_id))
        .where(col(Lesson.id) == lesson_id)
    ).first()
    if row is None:
        raise ValidationError("lesson", "This lesson does not exist.")
    lesson, module_code = row
    run = _open_run(session, user_id, lesson_id)
    if run is not None:
        return lesson_view(session=session, run=run, lesson_title=lesson.title, module_code=module_code, resumed=True)
    if not lesson.steps:
        raise ValidationError("lesson", "This lesson has no steps yet.")
    status = progress.module_status(session=session, user_id=user_id, module_id=lesson.module_id)
    if status is None or status.status == "locked":
        raise ValidationError("lesson", "Finish the previous module first to unlock this lesson.")
    now = utcnow()
    created = session.execute(
        insert(LessonSession)
        .values(
            id=uuid.uuid4(),
            user_id=user_id,
            lesson_id=lesson_id,
            module_id=lesson.module_id,
            state=next_state(NEW, "start"),
            step_index=0,
            script=json.loads(json.dumps(lesson.steps)),
            started_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(
            index_elements=["user_id", "lesson_id"], index_where=col(LessonSession.state) == "in_progress"
        )
        .returning(col(LessonSession.id))
    ).scalar_one_or_none()
    run = _open_run(session, user_id, lesson_id)
    if run is None:  # the concurrent winner finished or abandoned it in between: rare, and safe to retry
        raise ValidationError("lesson", "This lesson changed while starting. Please try again.")
    if created is not None:
        progress.note_lesson_started(session=session, user_id=user_id, module_id=lesson.module_id, lesson_id=lesson_id)
        data = {"lesson_id": str(lesson_id), "module_id": str(lesson.module_id), "lesson_session_id": str(run.id)}
        record_event(
            session=session,
            event_type="lesson_start",
            user_id=user_id,
            company_id=_company_id(session, user_id),
            data=data,
        )
        record_telemetry(
            session=session, name="lesson_started", user_id=user_id, module_code=module_code, properties=data
        )
        session.flush()
    return lesson_view(
        session=session, run=run, lesson_title=lesson.title, module_code=module_code, resumed=created is None
    )


def get_lesson_view(*, session: Session, user_id: uuid.UUID, lesson_session_id: uuid.UUID) -> LessonView:
    """The view of one of the learner's runs (ValidationError when it is not theirs)."""
    run = _owned_run(session, user_id, lesson_session_id)
    return lesson_view(session=session, run=run)


def _owned_run(
    session: Session, user_id: uuid.UUID, lesson_session_id: uuid.UUID, *, lock: bool = False
) -> LessonSession:
    query = select(LessonSession).where(
        col(LessonSession.id) == lesson_session_id, col(LessonSession.user_id) == user_id
    )
    if lock:
        query = query.with_for_update()
    run = session.execute(query.execution_options(populate_existing=True)).scalar_one_or_none()
    if run is None:
        # The same answer for someone else's run and for no run: ids of others' runs are not confirmed.
        raise ValidationError("lesson", "This lesson run was not found.")
    return run


def abandon_lesson(*, session: Session, user_id: uuid.UUID, lesson_session_id: uuid.UUID) -> LessonView:
    """Stop an open run (a retried abandon of an abandoned run changes nothing).

    Raises:
        ValidationError: When the run is not the learner's.
        IllegalTransition: When the run is already completed.
    """
    run = _owned_run(session, user_id, lesson_session_id, lock=True)
    if run.state != "abandoned":
        run.state = next_state(run.state, "abandon")
        run.updated_at = utcnow()
        session.add(run)
        record_telemetry(
            session=session,
            name="lesson_abandoned",
            user_id=user_id,
            properties={"lesson_id": str(run.lesson_id), "step_index": run.step_index},
        )
        session.flush()
    return lesson_view(session=session, run=run)


def _stored_response(session: Session, run_id: uuid.UUID, step_index: int) -> LessonStepResponse | None:
    return session.execute(
        select(LessonStepResponse).where(
            col(LessonStepResponse.lesson_session_id) == run_id, col(LessonStepResponse.step_index) == step_index
        )
    ).scalar_one_or_none()


def _last_attempt(session: Session, run_id: uuid.UUID, step_index: int) -> ExerciseSubmission | None:
    return session.execute(
        select(ExerciseSubmission)
        .where(
            col(ExerciseSubmission.lesson_session_id) == run_id,
            ExerciseSubmission.payload["step_index"].as_integer() == step_index,
        )
        .order_by(col(ExerciseSubmission.created_at).desc())
        .limit(1)
    ).scalar_one_or_none()


@dataclass(frozen=True)
class PendingAnswer:
    """A checked answer to a scored step, waiting for the AI coach (`prepare_answer` -> `coach_answer` ->
    `record_answer`); nothing of it is stored yet."""

    user_id: uuid.UUID
    lesson_session_id: uuid.UUID
    step_index: int
    answer: dict[str, Any]
    duration_ms: int
    feedback: FeedbackRequest


def _checked(session: Session, user_id: uuid.UUID, lesson_session_id: uuid.UUID, step_index: int, answer, duration_ms):
    """Lock the run and check the answer against it; a StepResult when it is a replay of a stored one."""
    run = _owned_run(session, user_id, lesson_session_id, lock=True)
    if isinstance(step_index, bool) or not isinstance(step_index, int) or not 0 <= step_index < len(run.script):
        raise ValidationError("step_index", "That step does not exist in this lesson.")
    step = run.script[step_index]
    kind = str(step.get("kind", "reading"))
    cleaned = check_answer(step, answer)
    duration = check_duration(duration_ms)

    stored = _stored_response(session, run.id, step_index)
    if stored is not None:
        if stored.value.get("answer") == cleaned:
            return replayed_response(run, stored)
        raise ValidationError("step_index", "You have already answered this step.")
    if kind in SCORED_KINDS:
        last = _last_attempt(session, run.id, step_index)
        if last is not None and last.payload.get("answer") == cleaned and not last.scores.get("passed", True):
            return replayed_attempt(session, run, last)
    next_state(run.state, "answer")
    if step_index != run.step_index:
        raise ValidationError("step_index", "Answer the current step of this lesson first.")
    if kind in SCORED_KINDS:
        until = active_cooldown(session, user_id, run.module_id)
        if until is not None:
            seconds = max(1, int((until - utcnow()).total_seconds() + 0.999))
            raise ValidationError("answer", f"Take a breath: you can try this step again in {seconds} seconds.")
    return run, step, kind, cleaned, duration


def prepare_answer(
    *,
    session: Session,
    user_id: uuid.UUID,
    lesson_session_id: uuid.UUID,
    step_index: int,
    answer: dict[str, Any],
    duration_ms: int,
    with_ai: bool = False,
) -> StepResult | PendingAnswer:
    """The first half of answering a step: check it and, for a step that needs no scoring (reading, a
    reflection...) or a replay, store it and return the result. A speaking or writing answer comes back as
    a `PendingAnswer` with what the coach needs: commit, score it with `feedback.coach_answer` outside any
    transaction, then `record_answer`. Same arguments and errors as `answer_step`.
    """
    checked = _checked(session, user_id, lesson_session_id, step_index, answer, duration_ms)
    if isinstance(checked, StepResult):
        return checked
    run, step, kind, cleaned, duration = checked
    if kind not in SCORED_KINDS:
        with session.begin_nested():
            return _record_answer(session, run, step_index, step, kind, cleaned, duration, None, True, None)
    _refuse_reused(session, run, step_index, _answer_text(kind, cleaned))
    stakes = get_stakes(session=session, user_id=user_id, module_id=run.module_id)
    request = prepare_feedback(
        session=session,
        module_ids=[run.module_id],
        kind=kind,
        prompt=exercise_prompt(step, stakes),
        text=_answer_text(kind, cleaned),
        rubric=tuple(step.get("rubric") or ()),
        target_seconds=step.get("target_seconds"),
        min_words=step.get("min_words"),
        with_ai=with_ai,
        user_id=user_id,
        audio_ref=cleaned.get("audio_ref") if kind == "speaking" else None,
    )
    return PendingAnswer(
        user_id=user_id,
        lesson_session_id=run.id,
        step_index=step_index,
        answer=answer,
        duration_ms=duration_ms,
        feedback=request,
    )


def record_answer(*, session: Session, pending: PendingAnswer, feedback: ExerciseFeedback) -> StepResult:
    """The second half: check the run again (locked; a concurrent identical answer stored meanwhile is
    replayed, another step or an active cooldown refuses), then store the scored answer and advance."""
    checked = _checked(
        session, pending.user_id, pending.lesson_session_id, pending.step_index, pending.answer, pending.duration_ms
    )
    if isinstance(checked, StepResult):
        return checked
    run, step, kind, cleaned, duration = checked
    stakes = get_stakes(session=session, user_id=pending.user_id, module_id=run.module_id)
    passed = feedback.score >= PASS_MARK
    with session.begin_nested():
        return _record_answer(session, run, pending.step_index, step, kind, cleaned, duration, feedback, passed, stakes)


def answer_step(
    *,
    session: Session,
    user_id: uuid.UUID,
    lesson_session_id: uuid.UUID,
    step_index: int,
    answer: dict[str, Any],
    duration_ms: int,
    feedback_client: openai.OpenAI | None = None,
) -> StepResult:
    """Answer the current step of a run: validate, score, store, advance, and complete on the last step.

    Only the run's owner may answer, only the current step, only while the run is in progress. A retried
    identical request returns the stored result without writing anything (`replayed=True`). A speaking or
    writing answer scoring below `PASS_MARK` is stored as an attempt, keeps the step current and starts a
    `RETRY_COOLDOWN_SECONDS` cooldown for the module. The run's row is locked while it is checked and while
    the answer is stored, so concurrent answers to one run are applied one after the other.

    This runs both halves in the caller's transaction (scripts and tests). A page does not: it commits
    `prepare_answer`, asks the coach with no transaction open, then runs `record_answer` in a new one.

    Args:
        session: The caller's session; everything commits with the caller's transaction.
        user_id: Who is answering.
        lesson_session_id: The run.
        step_index: The step being answered (must be the run's current step).
        answer: The answer (see `check_answer` for the shapes).
        duration_ms: Time spent on the step, 0 to 3,600,000.
        feedback_client: An `openai.OpenAI` client for AI feedback, or None for local feedback only.

    Returns:
        The result: score, feedback, the run's new state and step, rewards paid.

    Raises:
        ValidationError: For someone else's run, another step, a malformed answer or an active cooldown;
            nothing is written.
        IllegalTransition: For a completed or abandoned run.
    """
    prepared = prepare_answer(
        session=session,
        user_id=user_id,
        lesson_session_id=lesson_session_id,
        step_index=step_index,
        answer=answer,
        duration_ms=duration_ms,
        with_ai=feedback_client is not None,
    )
    if isinstance(prepared, StepResult):
        return prepared
    feedback = coach_answer(prepared.feedback, feedback_client)
    return record_answer(session=session, pending=prepared, feedback=feedback)


REUSED_ANSWER = "You gave this answer to another exercise. Answer this one in your own words."


def _answer_text(kind: str, cleaned: dict[str, Any]) -> str:
    return cleaned["transcript" if kind == "speaking" else "text"]


def _refuse_reused(session: Session, run: LessonSession, step_index: int, text: str) -> None:
    """Refuse an answer the learner already gave to another exercise (the same words, whatever the case or
    punctuation): one paragraph pasted into every step passes none of them. The same step of the same
    lesson may be answered alike again (a retake)."""
    fingerprint = fingerprint_of(text)
    if fingerprint is None:
        return
    payload = col(ExerciseSubmission.payload)
    same_step = (payload["lesson_id"].astext == str(run.lesson_id)) & (payload["step_index"].astext == str(step_index))
    elsewhere = session.execute(
        select(col(ExerciseSubmission.id))
        .where(
            col(ExerciseSubmission.user_id) == run.user_id,
            payload["answer_fingerprint"].astext == fingerprint,
            ~same_step,
        )
        .limit(1)
    ).first()
    if elsewhere is not None:
        raise ValidationError("answer", REUSED_ANSWER)


def _record_answer(session, run, step_index, step, kind, cleaned, duration, feedback, passed, stakes) -> StepResult:
    user_id = run.user_id
    now = utcnow()
    module_code, lesson_xp = session.execute(
        select(col(Module.code), col(Lesson.xp_reward))
        .join(Lesson, col(Lesson.module_id) == col(Module.id))
        .where(Lesson.id == run.lesson_id)
    ).one()
    scores = feedback.to_json() if feedback else {}
    scores["passed"] = passed
    submission = ExerciseSubmission(
        user_id=user_id,
        module_id=run.module_id,
        lesson_session_id=run.id,
        stage=kind,
        duration_ms=duration,
        payload={
            "lesson_id": str(run.lesson_id),
            "step_index": step_index,
            "step_title": step.get("title", ""),
            "prompt": exercise_prompt(step, stakes) if kind in SCORED_KINDS else "",
            "answer": cleaned,
            "answer_fingerprint": fingerprint_of(_answer_text(kind, cleaned)) if kind in SCORED_KINDS else None,
        },
        scores=scores,
    )
    session.add(submission)
    summary = {**feedback.summary(), "passed": passed} if feedback else None
    cooldown_until = None
    xp_awarded = 0
    module_completed = False
    if not passed:
        cooldown_until = now + timedelta(seconds=RETRY_COOLDOWN_SECONDS)
        table = table_of(LessonSessionContext)
        session.execute(
            insert(LessonSessionContext)
            .values(
                id=uuid.uuid4(),
                user_id=user_id,
                module_id=run.module_id,
                cooldown_until=cooldown_until,
                attempts=1,
                scenario_refs={},
                updated_at=now,
            )
            .on_conflict_do_update(
                index_elements=["user_id", "module_id"],
                set_={"cooldown_until": cooldown_until, "attempts": table.c.attempts + 1, "updated_at": now},
            )
        )
    else:
        if run.step_index + 1 >= len(run.script):
            run.state = next_state(run.state, "complete")
            run.completed_at = now
        else:
            run.state = next_state(run.state, "answer")
        run.step_index += 1
        run.updated_at = now
        session.add(run)
        if run.state == "completed":
            if lesson_xp > 0:
                paid = apply_reward(
                    session=session,
                    user_id=user_id,
                    currency="xp",
                    amount=lesson_xp,
                    reason=LESSON_REWARD_REASON,
                    source_key=str(run.lesson_id),
                )
                xp_awarded = lesson_xp if paid.applied else 0
            session.flush()
            module_completed = progress.complete_module_if_done(
                session=session, user_id=user_id, module_id=run.module_id
            ).newly_completed
            refresh_progress(session=session, user_id=user_id)  # the lesson or its module may be assigned
        session.add(
            LessonStepResponse(
                lesson_session_id=run.id,
                user_id=user_id,
                step_index=step_index,
                step_kind=kind,
                value={
                    "answer": cleaned,
                    "score": feedback.score if feedback else None,
                    "passed": True,
                    "feedback": summary,
                    "xp_awarded": xp_awarded,
                    "module_completed": module_completed,
                },
            )
        )

    data = {
        "lesson_id": str(run.lesson_id),
        "lesson_session_id": str(run.id),
        "step_index": step_index,
        "kind": kind,
        "score": feedback.score if feedback else None,
        "passed": passed,
        "provider": feedback.provider if feedback else None,
    }
    company_id = _company_id(session, user_id)
    record_event(session=session, event_type="lesson_answer", user_id=user_id, company_id=company_id, data=data)
    record_telemetry(
        session=session,
        name="lesson_step_answered" if passed else "lesson_step_failed",
        user_id=user_id,
        module_code=module_code,
        properties=data,
    )
    if run.state == "completed":
        record_telemetry(
            session=session,
            name="lesson_completed",
            user_id=user_id,
            module_code=module_code,
            properties={"lesson_id": str(run.lesson_id), "xp_awarded": xp_awarded},
        )
    session.flush()
    return StepResult(
        lesson_session_id=run.id,
        step_index=step_index,
        kind=kind,
        passed=passed,
        score=feedback.score if feedback else None,
        feedback=summary,
        state=run.state,
        next_step_index=run.step_index,
        cooldown_until=cooldown_until,
        xp_awarded=xp_awarded,
        module_completed=module_completed,
    )
