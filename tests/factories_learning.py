"""Factories for the learning loop: lessons with scripted steps, knowledge blocks, finished runs."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlmodel import Session

from speakpro.models import KnowledgeBlock, Lesson, LessonSession, Level, Module, utcnow
from tests.factories import make_level, make_module

# A speaking answer that scores well above the pass mark with the local rubric for `speaking_step()`.
GOOD_SPEECH = (
    "Picture this: our clinic loses a full day every week to missed appointments. "
    "My one message is simple: a reminder text the day before will cut those missed visits in half. "
    "Last spring a partner clinic tried it and their empty slots fell from twelve to five a week. "
    "It costs less than one missed visit a month. So the change I ask of our team: switch on reminders this Friday."
)
POOR_SPEECH = "Um, uh, like, um."
GOOD_WRITING = "Weekly check-ins will cut our rework in half for the whole team."


def reading_step(key: str | None = None) -> dict[str, Any]:
    return {"kind": "reading", "title": "Read this", "knowledge_block": key}


def speaking_step(**extra) -> dict[str, Any]:
    return {
        "kind": "speaking",
        "title": "Say it",
        "prompt": "Pitch one change to your team.",
        "target_seconds": 20,
        "rubric": ["Message stated clearly", "Example supports the message"],
        **extra,
    }


def writing_step(min_words: int = 6) -> dict[str, Any]:
    return {
        "kind": "writing",
        "title": "Write it",
        "prompt": "Write your one message.",
        "min_words": min_words,
        "rubric": ["States a benefit", "Uses concrete words"],
    }


def default_steps(block_key: str | None = None) -> list[dict[str, Any]]:
    return [
        reading_step(block_key),
        speaking_step(),
        writing_step(),
        {"kind": "feedback", "title": "Review"},
        {"kind": "reflection", "title": "Reflect", "prompt": "What will you change?"},
    ]


def make_lesson(
    session: Session, module: Module, order: int = 1, steps: list | None = None, xp_reward: int = 20
) -> Lesson:
    lesson = Lesson(
        module_id=module.id,
        order=order,
        title=f"Lesson {order}",
        xp_reward=xp_reward,
        steps=steps if steps is not None else default_steps(),
    )
    session.add(lesson)
    session.flush()
    return lesson


def make_block(
    session: Session, module: Module, *, title: str = "Notes", summary: str = "", body: str = "", key: str | None = None
) -> KnowledgeBlock:
    block = KnowledgeBlock(
        module_id=module.id, key=key or f"T{secrets.token_hex(6)}", title=title, summary=summary, body=body
    )
    session.add(block)
    session.flush()
    return block


def make_path(
    session: Session, modules: int = 2, lessons: int = 1, level: Level | None = None
) -> tuple[Level, list[Module], dict[uuid.UUID, list[Lesson]]]:
    """A level with `modules` modules (A, B, ...) of `lessons` lessons each."""
    level = level or make_level(session)
    made = [make_module(session, level=level, code=chr(ord("A") + i), order=i + 1) for i in range(modules)]
    by_module = {m.id: [make_lesson(session, m, order=j + 1) for j in range(lessons)] for m in made}
    return level, made, by_module


def finish_lesson(session: Session, user_id: uuid.UUID, lesson: Lesson) -> LessonSession:
    """A completed run of a lesson, written directly (for progress tests that skip the answering)."""
    run = LessonSession(
        user_id=user_id,
        lesson_id=lesson.id,
        module_id=lesson.module_id,
        state="completed",
        step_index=len(lesson.steps),
        script=list(lesson.steps),
        completed_at=utcnow(),
    )
    session.add(run)
    session.flush()
    return run


def passing_answer(step: dict[str, Any]) -> dict[str, Any]:
    """An answer that the step accepts and (for exercises) passes."""
    kind = step["kind"]
    if kind == "speaking":
        return {"transcript": GOOD_SPEECH}
    if kind == "writing":
        words = max(int(step.get("min_words") or 1), 12)
        return {"text": " ".join([GOOD_WRITING] + ["Concrete benefit for every listener."] * (words // 5))}
    if kind == "reflection":
        return {"text": "I will open with the surprising number next time."}
    return {"acknowledged": True}
