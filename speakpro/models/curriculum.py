"""The curriculum: levels, their modules A-D, lessons and the knowledge blocks that ground feedback."""

from __future__ import annotations

import uuid
from typing import ClassVar

from sqlalchemy import CheckConstraint, Column, Computed, Index, UniqueConstraint
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlmodel import Field, SQLModel

from speakpro.models.base import between, fk, jsonb, non_negative, uuid_pk


class Level(SQLModel, table=True):
    """A level of the curriculum, ending in a milestone speaking task."""

    __tablename__: ClassVar[str] = "levels"
    __table_args__ = (
        CheckConstraint("number > 0", name="number_positive"),
        between("milestone_threshold", 0, 100, nullable=False),
    )

    id: uuid.UUID = uuid_pk()
    number: int = Field(unique=True)
    title: str = Field(max_length=120)
    description: str = ""
    milestone_threshold: int = 70
    milestone_prompt: str = ""


class Module(SQLModel, table=True):
    """A module of a level (codes A, B, C, D), with the rewards its completion pays once."""

    __tablename__: ClassVar[str] = "modules"
    __table_args__ = (
        UniqueConstraint("level_id", "code"),
        UniqueConstraint("level_id", "order"),
        CheckConstraint("code ~ '^[A-Z]$'", name="code_letter"),
        *non_negative("xp_reward", "coin_reward", "ticket_reward"),
    )

    id: uuid.UUID = uuid_pk()
    level_id: uuid.UUID = fk("levels.id", index=False)
    code: str = Field(max_length=1)
    order: int
    title: str = Field(max_length=120)
    description: str = ""
    lesson_video_url: str | None = Field(default=None, max_length=500)
    xp_reward: int = 0
    coin_reward: int = 0
    ticket_reward: int = 0


class Lesson(SQLModel, table=True):
    """A lesson of a module; `steps` is its script (reading, exercise, feedback, reflection)."""

    __tablename__: ClassVar[str] = "lessons"
    __table_args__ = (UniqueConstraint("module_id", "order"), *non_negative("xp_reward"))

    id: uuid.UUID = uuid_pk()
    module_id: uuid.UUID = fk("modules.id", index=False)
    order: int
    title: str = Field(max_length=160)
    xp_reward: int = 0
    steps: list = jsonb(list)


class KnowledgeBlock(SQLModel, table=True):
    """A chunk of teaching content, searchable by PostgreSQL full-text search."""

    __tablename__: ClassVar[str] = "knowledge_blocks"
    __table_args__ = (Index("ix_knowledge_blocks_search", "search", postgresql_using="gin"),)

    id: uuid.UUID = uuid_pk()
    module_id: uuid.UUID = fk("modules.id")
    key: str = Field(max_length=32, unique=True)
    title: str = Field(max_length=160)
    summary: str = ""
    body: str = ""
    tags: list = jsonb(list)
    exercise_seeds: list = jsonb(list)
    citations: list = jsonb(list)
    search: str | None = Field(
        default=None,
        sa_column=Column(
            TSVECTOR,
            Computed(
                "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
                "setweight(to_tsvector('english', coalesce(summary, '')), 'B') || "
                "setweight(to_tsvector('english', coalesce(body, '')), 'C')",
                persisted=True,
            ),
        ),
    )
