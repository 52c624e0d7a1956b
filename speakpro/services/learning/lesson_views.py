"""What the learner is shown of a lesson run, built from stored rows; nothing here writes.

`LessonView` is where a run stands (the current step personalised with the learner's stakes, any cooldown,
the latest feedback); `StepResult` is the outcome of one answer, rebuilt from storage for a retried request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from speakpro.models import (
    ExerciseSubmission,
    KnowledgeBlock,
    Lesson,
    LessonSession,
    LessonSessionContext,
    LessonStepResponse,
    Module,
    utcnow,
)
from speakpro.services.learning.lesson_answers import SCORED_KINDS
from speakpro.services.learning.stakes import exercise_prompt, get_stakes


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


def active_cooldown(session: Session, user_id: uuid.UUID, module_id: uuid.UUID) -> datetime | None:
    """When the learner may next try a scored step of the module, or None when they may now."""
    until = session.execute(
        select(col(LessonSessionContext.cooldown_until)).where(
            col(LessonSessionContext.user_id) == user_id, col(LessonSessionContext.module_id) == module_id
        )
    ).scalar_one_or_none()
    return until if until is not None and until > utcnow() else None


def feedback_summary(scores: dict[str, Any]) -> dict[str, Any]:
    """A submission's stored scores without what the learner is not shown (local details, raw AI answer)."""
    return {k: v for k, v in scores.items() if k not in ("local", "ai", "grounding")}


def lesson_view(
    *,
    session: Session,
    run: LessonSession,
    lesson_title: str | None = None,
    module_code: str | None = None,
    resumed: bool = False,
) -> LessonView:
    """Build the view of a run: current step (personalised), cooldown and the latest feedback."""
    if lesson_title is None or module_code is None:
        names = session.execute(
            select(col(Lesson.title), col(Module.code))
            .join(Module, col(Module.id) == col(Lesson.module_id))
            .where(col(Lesson.id) == run.lesson_id)
        ).one()
        lesson_title, module_code = str(names[0]), str(names[1])
    step_view = None
    if run.state == "in_progress" and run.step_index < len(run.script):
        step = run.script[run.step_index]
        stakes = get_stakes(session=session, user_id=run.user_id, module_id=run.module_id)
        knowledge = None
        if step.get("knowledge_block"):
            block = session.execute(
                select(col(KnowledgeBlock.title), col(KnowledgeBlock.summary), col(KnowledgeBlock.body)).where(
                    col(KnowledgeBlock.key) == step["knowledge_block"]
                )
            ).first()
            if block is not None:
                knowledge = {"title": block.title, "summary": block.summary, "body": block.body}
        step_view = StepView(
            index=run.step_index,
            kind=str(step.get("kind", "reading")),
            title=str(step.get("title", "")),
            prompt=exercise_prompt(step, stakes),
            rubric=tuple(step.get("rubric") or ()),
            target_seconds=step.get("target_seconds"),
            min_words=step.get("min_words"),
            knowledge=knowledge,
        )
    last = session.execute(
        select(col(ExerciseSubmission.scores))
        .where(col(ExerciseSubmission.lesson_session_id) == run.id, col(ExerciseSubmission.stage).in_(SCORED_KINDS))
        .order_by(col(ExerciseSubmission.created_at).desc())
        .limit(1)
    ).scalar_one_or_none()
    return LessonView(
        lesson_session_id=run.id,
        lesson_id=run.lesson_id,
        module_id=run.module_id,
        module_code=module_code,
        lesson_title=lesson_title,
        state=run.state,
        step_index=run.step_index,
        step_count=len(run.script),
        step=step_view,
        cooldown_until=active_cooldown(session, run.user_id, run.module_id),
        last_feedback=feedback_summary(last) if last else None,
        resumed=resumed,
    )


def replayed_response(run: LessonSession, stored: LessonStepResponse) -> StepResult:
    """The stored result of a step answered before, for a retried request."""
    value = stored.value
    return StepResult(
        lesson_session_id=run.id,
        step_index=stored.step_index,
        kind=stored.step_kind,
        passed=True,
        score=value.get("score"),
        feedback=value.get("feedback"),
        state=run.state,
        next_step_index=run.step_index,
        xp_awarded=value.get("xp_awarded", 0),
        module_completed=value.get("module_completed", False),
        replayed=True,
    )


def replayed_attempt(session: Session, run: LessonSession, attempt: ExerciseSubmission) -> StepResult:
    """The stored result of a failed scored attempt, for a retried request (with the cooldown still running)."""
    scores = attempt.scores
    return StepResult(
        lesson_session_id=run.id,
        step_index=attempt.payload["step_index"],
        kind=attempt.stage,
        passed=False,
        score=scores.get("score"),
        feedback=feedback_summary(scores),
        state=run.state,
        next_step_index=run.step_index,
        cooldown_until=active_cooldown(session, run.user_id, run.module_id),
        replayed=True,
    )
