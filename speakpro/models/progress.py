"""Progress and assessment: module progress, exercise submissions, milestones and daily quests."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from speakpro.models.base import between, fk, jsonb, non_negative, now_column, one_of, timestamp, uuid_pk

PROGRESS_STATUSES = ("locked", "available", "in_progress", "completed")


class UserProgress(SQLModel, table=True):
    """Where one learner stands in one module."""

    __tablename__: ClassVar[str] = "user_progress"
    __table_args__ = (
        UniqueConstraint("user_id", "module_id"),
        one_of("status", PROGRESS_STATUSES),
        Index("ix_user_progress_user_status", "user_id", "status"),
    )

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = fk("users.id", index=False)
    module_id: uuid.UUID = fk("modules.id")
    status: str = Field(default="available", max_length=16)
    current_lesson_id: uuid.UUID | None = fk("lessons.id", ondelete="SET NULL", nullable=True, index=False)
    current_knowledge_block: str | None = Field(default=None, max_length=32)
    loops: dict = jsonb()
    checkpoints: dict = jsonb()
    started_at: datetime = now_column()
    completed_at: datetime | None = timestamp()
    updated_at: datetime = now_column()


class ExerciseAttempt(SQLModel, table=True):
    """Legacy per-exercise attempt log, kept for imported history."""

    __tablename__: ClassVar[str] = "exercise_attempts"
    __table_args__ = (between("score", 0, 100), Index("ix_exercise_attempts_user_created", "user_id", "created_at"))

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = fk("users.id", index=False)
    module_id: uuid.UUID | None = fk("modules.id", ondelete="SET NULL", nullable=True, index=False)
    exercise_key: str = Field(max_length=64)
    score: int | None = None
    ai_feedback: str = ""
    user_response: dict = jsonb()
    created_at: datetime = now_column()


class ExerciseSubmission(SQLModel, table=True):
    """One answer in a lesson run or venue run: payload, scores and how long it took."""

    __tablename__: ClassVar[str] = "exercise_submissions"
    __table_args__ = (
        *non_negative("duration_ms"),
        Index("ix_exercise_submissions_user_module_stage", "user_id", "module_id", "stage"),
        Index("ix_exercise_submissions_user_created", "user_id", "created_at"),
    )

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = fk("users.id", index=False)
    module_id: uuid.UUID | None = fk("modules.id", ondelete="SET NULL", nullable=True, index=False)
    lesson_session_id: uuid.UUID | None = fk("lesson_sessions.id", ondelete="SET NULL", nullable=True)
    venue_entry_id: uuid.UUID | None = fk("venue_entries.id", ondelete="SET NULL", nullable=True)
    stage: str = Field(max_length=32)
    payload: dict = jsonb()
    scores: dict = jsonb()
    duration_ms: int = 0
    created_at: datetime = now_column()


class MilestoneAttempt(SQLModel, table=True):
    """A recorded end-of-level speaking task, scored against the rubric."""

    __tablename__: ClassVar[str] = "milestone_attempts"
    __table_args__ = (
        between("score", 0, 100),
        Index("ix_milestone_attempts_user_level_created", "user_id", "level_id", "created_at"),
        # A retried request finds its attempt by key; NULL for attempts stored before keys had a column.
        UniqueConstraint("user_id", "idempotency_key"),
    )

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = fk("users.id", index=False)
    level_id: uuid.UUID = fk("levels.id", index=False)
    idempotency_key: str | None = Field(default=None, max_length=64)
    audio_ref: str | None = Field(default=None, max_length=500)
    transcript: str = ""
    rubric_scores: dict = jsonb()
    score: int = 0
    passed: bool = False
    created_at: datetime = now_column()


class DailyQuest(SQLModel, table=True):
    """One quest of one learner on one day; one per quest type per day."""

    __tablename__: ClassVar[str] = "daily_quests"
    __table_args__ = (
        UniqueConstraint("user_id", "quest_date", "quest_type"),
        CheckConstraint("target > 0", name="target_positive"),
        *non_negative("progress", "xp_reward", "coin_reward"),
        CheckConstraint("claimed_at IS NULL OR completed_at IS NOT NULL", name="claim_after_completion"),
    )

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = fk("users.id", index=False)
    quest_date: date
    quest_type: str = Field(max_length=32)
    title: str = Field(max_length=160)
    target: int = 1
    progress: int = 0
    xp_reward: int = 0
    coin_reward: int = 0
    completed_at: datetime | None = timestamp()
    claimed_at: datetime | None = timestamp()
    created_at: datetime = now_column()
