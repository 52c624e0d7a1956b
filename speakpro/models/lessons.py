"""Guided lessons: a state machine over a lesson's scripted steps, and what it remembers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from speakpro.models.base import fk, jsonb, non_negative, now_column, one_of, timestamp, uuid_pk

LESSON_STATES = ("in_progress", "completed", "abandoned")


class LessonSession(SQLModel, table=True):
    """One run of one lesson by one learner; at most one run of a lesson is in progress."""

    __tablename__: ClassVar[str] = "lesson_sessions"
    __table_args__ = (
        one_of("state", LESSON_STATES),
        *non_negative("step_index"),
        Index("ix_lesson_sessions_user_lesson", "user_id", "lesson_id"),
        Index(
            "uq_lesson_sessions_one_open_run",
            "user_id",
            "lesson_id",
            unique=True,
            postgresql_where=text("state = 'in_progress'"),
        ),
    )

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = fk("users.id", index=False)
    lesson_id: uuid.UUID = fk("lessons.id")
    module_id: uuid.UUID = fk("modules.id", index=False)
    state: str = Field(default="in_progress", max_length=16)
    step_index: int = 0
    script: list = jsonb(list)
    started_at: datetime = now_column()
    updated_at: datetime = now_column()
    completed_at: datetime | None = timestamp()


class LessonStepResponse(SQLModel, table=True):
    """The learner's answer to one step of a lesson run."""

    __tablename__: ClassVar[str] = "lesson_step_responses"
    __table_args__ = (
        UniqueConstraint("lesson_session_id", "step_index"),
        *non_negative("step_index"),
        Index("ix_lesson_step_responses_user_created", "user_id", "created_at"),  # the streak (migration 0014)
    )

    id: uuid.UUID = uuid_pk()
    lesson_session_id: uuid.UUID = fk("lesson_sessions.id", index=False)
    user_id: uuid.UUID = fk("users.id")
    step_index: int
    step_kind: str = Field(max_length=16)
    value: dict = jsonb()
    created_at: datetime = now_column()


class LessonSessionContext(SQLModel, table=True):
    """Per learner and module: retry cooldowns and the scenario the lessons refer to."""

    __tablename__: ClassVar[str] = "lesson_session_contexts"
    __table_args__ = (UniqueConstraint("user_id", "module_id"), *non_negative("attempts"))

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = fk("users.id", index=False)
    module_id: uuid.UUID = fk("modules.id", index=False)
    cooldown_until: datetime | None = timestamp()
    attempts: int = 0
    scenario_refs: dict = jsonb()
    updated_at: datetime = now_column()


class StakesMap(SQLModel, table=True):
    """The learner's own high-stakes scenario for a module, chosen once and reused by exercises."""

    __tablename__: ClassVar[str] = "stakes_maps"
    __table_args__ = (UniqueConstraint("user_id", "module_id"),)

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = fk("users.id", index=False)
    module_id: uuid.UUID = fk("modules.id", index=False)
    scenario: str = Field(max_length=500)
    audience: str = Field(default="", max_length=200)
    stakes: str = Field(default="", max_length=500)
    created_at: datetime = now_column()
