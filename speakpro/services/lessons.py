"""Guided lessons: a state machine over a lesson's scripted steps, kept entirely in the database.

A run (`LessonSession`) snapshots the lesson's steps when it starts and walks them one at a time:
reading and feedback steps are acknowledged, speaking and writing answers are scored (see
`services.feedback`), reflections are stored. The last answer completes the run, pays the lesson's XP
once per learner ever, and completes the module when it was its last lesson. A failed speaking or
writing attempt keeps the step current and starts a short cooldown before the next try. Restarting the
app loses nothing: `start_or_resume_lesson` returns the open run at its step.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import openai
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session

from speakpro.models import (
    ExerciseSubmission,
    KnowledgeBlock,
    Lesson,
    LessonSession,
    LessonSessionContext,
    LessonStepResponse,
    Module,
    StakesMap,
    UserProfile,
    utcnow,
)
from speakpro.services import progress
from speakpro.services.economy import apply_reward
from speakpro.services.feedback import ExerciseFeedback, clean_answer_text, evaluate_exercise, words_of
from speakpro.services.telemetry import record_event, record_telemetry
from speakpro.services.validation import ValidationError, clean_text

PASS_MARK = 50
RETRY_COOLDOWN_SECONDS = 30
MAX_ANSWER_BYTES = 1_000_000
MAX_TRANSCRIPT_CHARS = 10_000
MAX_WRITING_CHARS = 10_000
MAX_REFLECTION_CHARS = 2_000
MAX_DURATION_MS = 3_600_000
LESSON_REWARD_REASON = "lesson_completed"

SCORED_KINDS = frozenset({"speaking", "writing"})
ACKNOWLEDGED_KINDS = frozenset({"reading", "feedback"})
STEP_KINDS = SCORED_KINDS | ACKNOWLEDGED_KINDS | {"reflection"}

# The run's life: (state, event) -> next state. "new" is a run that does not exist yet.
NEW = "new"
TRANSITIONS: dict[tuple[str, str], str] = {
    (NEW, "start"): "in_progress",
    ("in_progress", "answer"): "in_progress",
    ("in_progress", "complete"): "completed",
    ("in_progress", "abandon"): "abandoned",
}
EVENTS = ("start", "answer", "complete", "abandon")

_AUDIO_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,499}$")
_ANSWER_FIELDS = {
    "reading": {"acknowledged"},
    "feedback": {"acknowledged"},
    "speaking": {"transcript", "audio_ref"},
    "writing": {"text"},
    "reflection": {"text"},
}
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


@dataclass(frozen=True)
class StepView:
    """One step as the learner sees it (prompt personalised with their stakes)."""

    index: int
    kind: str
    title: str
    prompt: str = ""
    rubric: tuple[str, ...] = ()
    target_seconds: int | None = None
    min_words: int | None = None
    knowledge: dict[str, str] | None = None  # title, summary, body of a reading step's block


@dataclass(frozen=True)
class LessonView:
    """A lesson run: where it stands and what to show next."""

    lesson_session_id: uuid.UUID
    lesson_id: uuid.UUID
    module_id: uuid.UUID
    module_code: str
    lesson_title: str
    state: str
    step_index: int
    step_count: int
    step: StepView | None
    cooldown_until: datetime | None
    last_feedback: dict[str, Any] | None
    resumed: bool = False


@dataclass(frozen=True)
class StepResult:
    """The outcome of one answer (or the stored outcome of a retried one: `replayed=True`)."""

    lesson_session_id: uuid.UUID
    step_index: int
    kind: str
    passed: bool
    score: int | None
    feedback: dict[str, Any] | None
    state: str
    next_step_index: int
    cooldown_until: datetime | None = None
    xp_awarded: int = 0
    module_completed: bool = False
    replayed: bool = False

    @property
    def completed(self) -> bool:
        """Whether the run is complete."""
        return self.state == "completed"


# --- answers -------------------------------------------------------------------------------------


def check_answer(step: dict[str, Any], answer: object) -> dict[str, Any]:
    """The cleaned answer to one step, or ValidationError; touches nothing.

    Shapes: reading / feedback `{"acknowledged": true}`; speaking `{"transcript": str, "audio_ref"?: str}`
    (1-10,000 characters); writing `{"text": str}` with at least the step's `min_words` words and at most
    10,000 characters; reflection `{"text": str}` (1-2,000 characters). Anything over 1 MB is refused.

    Args:
        step: The step from the run's script.
        answer: What the browser sent.

    Returns:
        The answer as it will be stored.
    """
    if not isinstance(answer, dict) or not answer:
        raise ValidationError("answer", "Send your answer to this step." if answer in ({}, None) else
                              "That answer is not in a form SpeakPro understands.")
    try:
        size = len(json.dumps(answer, ensure_ascii=False, allow_nan=False).encode("utf-8", "surrogatepass"))
    except (TypeError, ValueError, RecursionError):
        raise ValidationError("answer", "That answer is not in a form SpeakPro understands.") from None
    if size > MAX_ANSWER_BYTES:
        raise ValidationError("answer", "That answer is too large (over 1 MB). Shorten it and send it again.")
    kind = step.get("kind")
    allowed = _ANSWER_FIELDS.get(kind, {"acknowledged"})
    unexpected = sorted(str(k) for k in answer if k not in allowed)
    if unexpected:
        raise ValidationError("answer", f"That answer has fields this step does not take: {', '.join(unexpected)}.")
    if kind == "speaking":
        transcript = clean_answer_text("transcript", answer.get("transcript"), label="Your transcript",
                                       max_chars=MAX_TRANSCRIPT_CHARS)
        cleaned: dict[str, Any] = {"transcript": transcript}
        audio_ref = answer.get("audio_ref")
        if audio_ref is not None:
            if not isinstance(audio_ref, str) or not _AUDIO_REF.match(audio_ref) or ".." in audio_ref:
                raise ValidationError("audio_ref", "That recording reference is not valid. Record again.")
            cleaned["audio_ref"] = audio_ref
        return cleaned
    if kind == "writing":
        text = clean_answer_text("text", answer.get("text"), label="Your answer", max_chars=MAX_WRITING_CHARS)
        min_words = int(step.get("min_words") or 1)
        count = len(words_of(text))
        if count < min_words:
            raise ValidationError("text", f"Write at least {min_words} words; you wrote {count}.")
        return {"text": text}
    if kind == "reflection":
        return {"text": clean_answer_text("text", answer.get("text"), label="Your reflection",
                                          max_chars=MAX_REFLECTION_CHARS)}
    if answer.get("acknowledged") is not True:
        raise ValidationError("answer", "Confirm that you have read this step to continue.")
    return {"acknowledged": True}


def check_duration(duration_ms: object) -> int:
    """Milliseconds spent on a step, 0 to 3,600,000, else ValidationError."""
    if isinstance(duration_ms, bool) or not isinstance(duration_ms, int) or not 0 <= duration_ms <= MAX_DURATION_MS:
        raise ValidationError("duration_ms", "The time spent on a step must be between 0 and 60 minutes.")
    return duration_ms


def exercise_prompt(step: dict[str, Any], stakes: StakesMap | None) -> str:
    """The step's prompt, personalised with the learner's own high-stakes scenario for speaking and writing."""
    prompt = str(step.get("prompt") or "")
    if stakes is None or step.get("kind") not in SCORED_KINDS:
        return prompt
    extra = f"Make it about your own high-stakes moment: {stakes.scenario}"
    details = [f"your audience: {stakes.audience}" if stakes.audience else "",
               f"what is at stake: {stakes.stakes}" if stakes.stakes else ""]
    details = [d for d in details if d]
    if details:
        extra += f" ({'; '.join(details)})"
    return f"{prompt}\n\n{extra.rstrip('.')}."


# --- stakes --------------------------------------------------------------------------------------


def get_stakes(*, session: Session, user_id: uuid.UUID, module_id: uuid.UUID) -> StakesMap | None:
    """The learner's stakes for a module, if chosen."""
    return session.execute(
        select(StakesMap).where(StakesMap.user_id == user_id, StakesMap.module_id == module_id)
    ).scalar_one_or_none()


def get_or_choose_stakes(
    *, session: Session, user_id: uuid.UUID, module_id: uuid.UUID, scenario: str, audience: str = "", stakes: str = ""
) -> StakesMap:
    """Store the learner's high-stakes scenario for a module the first time; later choices keep the first.

    Args:
        session: The caller's session.
        user_id: The learner.
        module_id: The module.
        scenario: The situation, e.g. "Pitching our budget to the board" (1-500 characters).
        audience: Who listens (up to 200 characters).
        stakes: What depends on it (up to 500 characters).

    Returns:
        The stored choice (the first one made).

    Raises:
        ValidationError: On bad text or an unknown module; nothing is stored.
    """
    scenario = clean_text("scenario", scenario, label="Your scenario", max_length=500)
    audience = clean_text("audience", audience, label="Your audience", max_length=200, required=False)
    stakes = clean_text("stakes", stakes, label="What is at stake", max_length=500, required=False)
    if session.execute(select(Module.id).where(Module.id == module_id)).first() is None:
        raise ValidationError("module", "This module does not exist.")
    session.execute(
        insert(StakesMap)
        .values(id=uuid.uuid4(), user_id=user_id, module_id=module_id, scenario=scenario, audience=audience,
                stakes=stakes, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["user_id", "module_id"])
    )
    return session.execute(
        select(StakesMap).where(StakesMap.user_id == user_id, StakesMap.module_id == module_id)
        .execution_options(populate_existing=True)
    ).scalar_one()


# --- runs ----------------------------------------------------------------------------------------


def _company_id(session: Session, user_id: uuid.UUID) -> uuid.UUID | None:
    return session.execute(select(UserProfile.company_id).where(UserProfile.user_id == user_id)).scalar_one_or_none()


def _open_run(session: Session, user_id: uuid.UUID, lesson_id: uuid.UUID) -> LessonSession | None:
    return session.execute(
        select(LessonSession)
        .where(LessonSession.user_id == user_id, LessonSession.lesson_id == lesson_id,
               LessonSession.state == "in_progress")
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
        select(Lesson, Module.code).join(Module, Module.id == Lesson.module_id).where(Lesson.id == lesson_id)
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
        .values(id=uuid.uuid4(), user_id=user_id, lesson_id=lesson_id, module_id=lesson.module_id,
                state=next_state(NEW, "start"), step_index=0, script=json.loads(json.dumps(lesson.steps)),
                started_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["user_id", "lesson_id"],
                                index_where=LessonSession.state == "in_progress")
        .returning(LessonSession.id)
    ).scalar_one_or_none()
    run = _open_run(session, user_id, lesson_id)
    if run is None:  # the concurrent winner finished or abandoned it in between: rare, and safe to retry
        raise ValidationError("lesson", "This lesson changed while starting. Please try again.")
    if created is not None:
        progress.note_lesson_started(session=session, user_id=user_id, module_id=lesson.module_id, lesson_id=lesson_id)
        data = {"lesson_id": str(lesson_id), "module_id": str(lesson.module_id), "lesson_session_id": str(run.id)}
        record_event(session=session, event_type="lesson_start", user_id=user_id,
                     company_id=_company_id(session, user_id), data=data)
        record_telemetry(session=session, name="lesson_started", user_id=user_id, module_code=module_code,
                         properties=data)
        session.flush()
    return lesson_view(session=session, run=run, lesson_title=lesson.title, module_code=module_code,
                       resumed=created is None)


def get_lesson_view(*, session: Session, user_id: uuid.UUID, lesson_session_id: uuid.UUID) -> LessonView:
    """The view of one of the learner's runs (ValidationError when it is not theirs)."""
    run = _owned_run(session, user_id, lesson_session_id)
    return lesson_view(session=session, run=run)


def lesson_view(
    *, session: Session, run: LessonSession, lesson_title: str | None = None, module_code: str | None = None,
    resumed: bool = False,
) -> LessonView:
    """Build the view of a run: current step (personalised), cooldown and the latest feedback."""
    if lesson_title is None or module_code is None:
        lesson_title, module_code = session.execute(
            select(Lesson.title, Module.code).join(Module, Module.id == Lesson.module_id)
            .where(Lesson.id == run.lesson_id)
        ).one()
    step_view = None
    if run.state == "in_progress" and run.step_index < len(run.script):
        step = run.script[run.step_index]
        stakes = get_stakes(session=session, user_id=run.user_id, module_id=run.module_id)
        knowledge = None
        if step.get("knowledge_block"):
            block = session.execute(
                select(KnowledgeBlock.title, KnowledgeBlock.summary, KnowledgeBlock.body)
                .where(KnowledgeBlock.key == step["knowledge_block"])
            ).first()
            if block is not None:
                knowledge = {"title": block.title, "summary": block.summary, "body": block.body}
        step_view = StepView(
            index=run.step_index, kind=str(step.get("kind", "reading")), title=str(step.get("title", "")),
            prompt=exercise_prompt(step, stakes), rubric=tuple(step.get("rubric") or ()),
            target_seconds=step.get("target_seconds"), min_words=step.get("min_words"), knowledge=knowledge,
        )
    cooldown = session.execute(
        select(LessonSessionContext.cooldown_until)
        .where(LessonSessionContext.user_id == run.user_id, LessonSessionContext.module_id == run.module_id)
    ).scalar_one_or_none()
    if cooldown is not None and cooldown <= utcnow():
        cooldown = None
    last = session.execute(
        select(ExerciseSubmission.scores)
        .where(ExerciseSubmission.lesson_session_id == run.id, ExerciseSubmission.stage.in_(SCORED_KINDS))
        .order_by(ExerciseSubmission.created_at.desc()).limit(1)
    ).scalar_one_or_none()
    return LessonView(
        lesson_session_id=run.id, lesson_id=run.lesson_id, module_id=run.module_id, module_code=module_code,
        lesson_title=lesson_title, state=run.state, step_index=run.step_index, step_count=len(run.script),
        step=step_view, cooldown_until=cooldown, last_feedback=_summary_of(last) if last else None, resumed=resumed,
    )


def _summary_of(scores: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in scores.items() if k not in ("local", "ai", "grounding")}


def _owned_run(session: Session, user_id: uuid.UUID, lesson_session_id: uuid.UUID, *, lock: bool = False
               ) -> LessonSession:
    query = select(LessonSession).where(LessonSession.id == lesson_session_id, LessonSession.user_id == user_id)
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
        record_telemetry(session=session, name="lesson_abandoned", user_id=user_id,
                         properties={"lesson_id": str(run.lesson_id), "step_index": run.step_index})
        session.flush()
    return lesson_view(session=session, run=run)


def _stored_response(session: Session, run_id: uuid.UUID, step_index: int) -> LessonStepResponse | None:
    return session.execute(
        select(LessonStepResponse).where(LessonStepResponse.lesson_session_id == run_id,
                                         LessonStepResponse.step_index == step_index)
    ).scalar_one_or_none()


def _last_attempt(session: Session, run_id: uuid.UUID, step_index: int) -> ExerciseSubmission | None:
    return session.execute(
        select(ExerciseSubmission)
        .where(ExerciseSubmission.lesson_session_id == run_id,
               ExerciseSubmission.payload["step_index"].as_integer() == step_index)
        .order_by(ExerciseSubmission.created_at.desc()).limit(1)
    ).scalar_one_or_none()


def _cooldown(session: Session, user_id: uuid.UUID, module_id: uuid.UUID) -> datetime | None:
    until = session.execute(
        select(LessonSessionContext.cooldown_until)
        .where(LessonSessionContext.user_id == user_id, LessonSessionContext.module_id == module_id)
    ).scalar_one_or_none()
    return until if until is not None and until > utcnow() else None


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
    `RETRY_COOLDOWN_SECONDS` cooldown for the module. The run's row is locked for the whole call, so
    concurrent answers to one run are applied one after the other.

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
            return _replay_response(run, stored)
        raise ValidationError("step_index", "You have already answered this step.")
    if kind in SCORED_KINDS:
        last = _last_attempt(session, run.id, step_index)
        if last is not None and last.payload.get("answer") == cleaned and not last.scores.get("passed", True):
            return _replay_attempt(session, run, last)
    next_state(run.state, "answer")
    if step_index != run.step_index:
        raise ValidationError("step_index", "Answer the current step of this lesson first.")

    feedback: ExerciseFeedback | None = None
    stakes = None
    if kind in SCORED_KINDS:
        until = _cooldown(session, user_id, run.module_id)
        if until is not None:
            seconds = max(1, int((until - utcnow()).total_seconds() + 0.999))
            raise ValidationError("answer", f"Take a breath: you can try this step again in {seconds} seconds.")
        stakes = get_stakes(session=session, user_id=user_id, module_id=run.module_id)
        feedback = evaluate_exercise(
            session=session, module_ids=[run.module_id], kind=kind, prompt=exercise_prompt(step, stakes),
            text=cleaned["transcript" if kind == "speaking" else "text"], rubric=tuple(step.get("rubric") or ()),
            target_seconds=step.get("target_seconds"), min_words=step.get("min_words"),
            feedback_client=feedback_client,
        )
    passed = feedback is None or feedback.score >= PASS_MARK
    with session.begin_nested():
        result = _record_answer(session, run, step_index, step, kind, cleaned, duration, feedback, passed, stakes)
    return result


def _record_answer(session, run, step_index, step, kind, cleaned, duration, feedback, passed, stakes) -> StepResult:
    user_id = run.user_id
    now = utcnow()
    module_code, lesson_xp = session.execute(
        select(Module.code, Lesson.xp_reward).join(Lesson, Lesson.module_id == Module.id)
        .where(Lesson.id == run.lesson_id)
    ).one()
    scores = feedback.to_json() if feedback else {}
    scores["passed"] = passed
    submission = ExerciseSubmission(
        user_id=user_id, module_id=run.module_id, lesson_session_id=run.id, stage=kind, duration_ms=duration,
        payload={"lesson_id": str(run.lesson_id), "step_index": step_index, "step_title": step.get("title", ""),
                 "prompt": exercise_prompt(step, stakes) if kind in SCORED_KINDS else "", "answer": cleaned},
        scores=scores,
    )
    session.add(submission)
    summary = {**feedback.summary(), "passed": passed} if feedback else None
    cooldown_until = None
    xp_awarded = 0
    module_completed = False
    if not passed:
        cooldown_until = now + timedelta(seconds=RETRY_COOLDOWN_SECONDS)
        table = LessonSessionContext.__table__
        session.execute(
            insert(LessonSessionContext)
            .values(id=uuid.uuid4(), user_id=user_id, module_id=run.module_id, cooldown_until=cooldown_until,
                    attempts=1, scenario_refs={}, updated_at=now)
            .on_conflict_do_update(index_elements=["user_id", "module_id"],
                                   set_={"cooldown_until": cooldown_until, "attempts": table.c.attempts + 1,
                                         "updated_at": now})
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
                paid = apply_reward(session=session, user_id=user_id, currency="xp", amount=lesson_xp,
                                    reason=LESSON_REWARD_REASON, source_key=str(run.lesson_id))
                xp_awarded = lesson_xp if paid.applied else 0
            session.flush()
            module_completed = progress.complete_module_if_done(
                session=session, user_id=user_id, module_id=run.module_id
            ).newly_completed
        session.add(LessonStepResponse(
            lesson_session_id=run.id, user_id=user_id, step_index=step_index, step_kind=kind,
            value={"answer": cleaned, "score": feedback.score if feedback else None, "passed": True,
                   "feedback": summary, "xp_awarded": xp_awarded, "module_completed": module_completed},
        ))

    data = {"lesson_id": str(run.lesson_id), "lesson_session_id": str(run.id), "step_index": step_index,
            "kind": kind, "score": feedback.score if feedback else None, "passed": passed,
            "provider": feedback.provider if feedback else None}
    company_id = _company_id(session, user_id)
    record_event(session=session, event_type="lesson_answer", user_id=user_id, company_id=company_id, data=data)
    record_telemetry(session=session, name="lesson_step_answered" if passed else "lesson_step_failed",
                     user_id=user_id, module_code=module_code, properties=data)
    if run.state == "completed":
        record_telemetry(session=session, name="lesson_completed", user_id=user_id, module_code=module_code,
                         properties={"lesson_id": str(run.lesson_id), "xp_awarded": xp_awarded})
    session.flush()
    return StepResult(
        lesson_session_id=run.id, step_index=step_index, kind=kind, passed=passed,
        score=feedback.score if feedback else None, feedback=summary, state=run.state,
        next_step_index=run.step_index, cooldown_until=cooldown_until, xp_awarded=xp_awarded,
        module_completed=module_completed,
    )


def _replay_response(run: LessonSession, stored: LessonStepResponse) -> StepResult:
    value = stored.value
    return StepResult(
        lesson_session_id=run.id, step_index=stored.step_index, kind=stored.step_kind, passed=True,
        score=value.get("score"), feedback=value.get("feedback"), state=run.state, next_step_index=run.step_index,
        xp_awarded=value.get("xp_awarded", 0), module_completed=value.get("module_completed", False), replayed=True,
    )


def _replay_attempt(session: Session, run: LessonSession, attempt: ExerciseSubmission) -> StepResult:
    scores = attempt.scores
    return StepResult(
        lesson_session_id=run.id, step_index=attempt.payload["step_index"], kind=attempt.stage, passed=False,
        score=scores.get("score"), feedback=_summary_of(scores), state=run.state, next_step_index=run.step_index,
        cooldown_until=_cooldown(session, run.user_id, run.module_id), replayed=True,
    )
