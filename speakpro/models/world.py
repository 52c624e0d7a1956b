"""The world: districts and venues on the map, their task sheets, unlocks and visits."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from speakpro.models.base import between, fk, jsonb, non_negative, now_column, one_of, timestamp, uuid_pk

VENUE_ENTRY_STATUSES = ("active", "finished", "abandoned")


class District(SQLModel, table=True):
    """A district of the map; its venues unlock as the learner completes modules."""

    __tablename__: ClassVar[str] = "districts"
    __table_args__ = (between("map_x", 0, 100, nullable=False), between("map_y", 0, 100, nullable=False))

    id: uuid.UUID = uuid_pk()
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=120)
    description: str = ""
    order: int = 0
    overview_media: dict = jsonb()
    map_x: int = 50
    map_y: int = 50


class Venue(SQLModel, table=True):
    """A place to practise inside a district; entering costs tickets, finishing pays XP and coins."""

    __tablename__: ClassVar[str] = "venues"
    __table_args__ = (
        *non_negative("ticket_cost", "xp_reward", "coin_reward"),
        between("map_x", 0, 100, nullable=False),
        between("map_y", 0, 100, nullable=False),
    )

    id: uuid.UUID = uuid_pk()
    district_id: uuid.UUID = fk("districts.id")
    unlock_module_id: uuid.UUID | None = fk("modules.id", ondelete="SET NULL", nullable=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=120)
    description: str = ""
    ticket_cost: int = 1
    xp_reward: int = 0
    coin_reward: int = 0
    map_x: int = 50
    map_y: int = 50


class VenueTaskSheet(SQLModel, table=True):
    """The ordered exercises a venue run walks through."""

    __tablename__: ClassVar[str] = "venue_task_sheets"

    id: uuid.UUID = uuid_pk()
    venue_id: uuid.UUID = Field(foreign_key="venues.id", ondelete="CASCADE", unique=True)
    title: str = Field(max_length=160)
    exercises: list = jsonb(list)


class VenueEntry(SQLModel, table=True):
    """One visit of a learner to a venue: tickets spent, progress and rewards paid."""

    __tablename__: ClassVar[str] = "venue_entries"
    __table_args__ = (
        one_of("status", VENUE_ENTRY_STATUSES),
        *non_negative("tickets_spent", "xp_awarded", "coins_awarded", "step_index"),
        CheckConstraint("finished_at IS NULL OR finished_at >= started_at", name="finish_after_start"),
        Index("ix_venue_entries_user_started", "user_id", "started_at"),
        # The services keep one active visit per learner and venue under the profile lock; this is the backstop.
        Index(
            "uq_venue_entries_one_active_visit",
            "user_id",
            "venue_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = fk("users.id", index=False)
    venue_id: uuid.UUID = fk("venues.id")
    status: str = Field(default="active", max_length=16)
    step_index: int = 0
    tickets_spent: int = 0
    xp_awarded: int = 0
    coins_awarded: int = 0
    started_at: datetime = now_column()
    finished_at: datetime | None = timestamp()


class UserVenueUnlock(SQLModel, table=True):
    """A venue a learner has unlocked; at most one row per learner and venue."""

    __tablename__: ClassVar[str] = "user_venue_unlocks"
    __table_args__ = (UniqueConstraint("user_id", "venue_id"),)

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = fk("users.id", index=False)
    venue_id: uuid.UUID = fk("venues.id")
    source: str = Field(default="module", max_length=32)
    unlocked_at: datetime = now_column()
