"""The amphitheatre: rehearsal visits in front of an audience and the exercises recorded there."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from speakpro.models.base import fk, jsonb, non_negative, now_column, one_of, timestamp, uuid_pk


class AmphitheatreSession(SQLModel, table=True):
    """One visit to the amphitheatre, numbered per learner, with its plan and points."""

    __tablename__: ClassVar[str] = "amphitheatre_sessions"
    __table_args__ = (
        UniqueConstraint("user_id", "visit_number"),
        CheckConstraint("visit_number > 0", name="visit_number_positive"),
        one_of("status", ("active", "finished")),
        *non_negative("points"),
    )

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = fk("users.id", index=False)
    visit_number: int
    status: str = Field(default="active", max_length=16)
    plan: dict = jsonb()
    points: int = 0
    started_at: datetime = now_column()
    finished_at: datetime | None = timestamp()


class AmphitheatreExerciseRecord(SQLModel, table=True):
    """One recorded exercise of a visit: audio references, markers, reflections and scores."""

    __tablename__: ClassVar[str] = "amphitheatre_exercise_records"
    __table_args__ = (UniqueConstraint("session_id", "exercise_key"),)

    id: uuid.UUID = uuid_pk()
    session_id: uuid.UUID = fk("amphitheatre_sessions.id", index=False)
    user_id: uuid.UUID = fk("users.id")
    exercise_key: str = Field(max_length=64)
    audio_refs: list = jsonb(list)
    markers: list = jsonb(list)
    reflections: dict = jsonb()
    scores: dict = jsonb()
    created_at: datetime = now_column()
