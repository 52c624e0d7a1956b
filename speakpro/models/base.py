"""Shared column helpers: UUID keys, timezone-aware timestamps, JSONB and CHECK constraints."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import CheckConstraint, DateTime, MetaData, Table, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

# Deterministic constraint names, so migrations can name what they drop.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a table model, for Core statements (`insert`, `returning(*table.c)`, upserts)."""
    return model.__table__  # pyright: ignore[reportAttributeAccessIssue]  # set by SQLModel's metaclass, undeclared


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def uuid_pk() -> Any:
    """A UUID primary key generated in Python (so ids are known before insert)."""
    return Field(default_factory=uuid.uuid4, primary_key=True)


def now_column() -> Any:
    """A NOT NULL timestamptz that defaults to now, in Python and in the database."""
    return Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        nullable=False,
        sa_column_kwargs={"server_default": text("now()")},
    )


def timestamp(nullable: bool = True, index: bool = False) -> Any:
    """An optional timestamptz column."""
    return Field(default=None, sa_type=DateTime(timezone=True), nullable=nullable, index=index)


def jsonb(default_factory: type = dict) -> Any:
    """A NOT NULL JSONB column with an empty object (or list) as default."""
    empty = "'[]'::jsonb" if default_factory is list else "'{}'::jsonb"
    return Field(
        default_factory=default_factory,
        sa_type=JSONB,
        nullable=False,
        sa_column_kwargs={"server_default": text(empty)},
    )


def fk(
    target: str,
    ondelete: Literal["CASCADE", "SET NULL", "RESTRICT"] = "CASCADE",
    nullable: bool = False,
    index: bool = True,
) -> Any:
    """A UUID foreign key with an explicit ON DELETE rule."""
    return Field(
        default=None if nullable else ...,
        foreign_key=target,
        ondelete=ondelete,
        nullable=nullable,
        index=index,
    )


def one_of(column: str, values: Iterable[str], name: str | None = None) -> CheckConstraint:
    """CHECK that `column` holds one of `values`."""
    allowed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name or f"{column}_valid")


def between(column: str, low: int | float, high: int | float, nullable: bool = True) -> CheckConstraint:
    """CHECK that `column` lies in [low, high] (NULL allowed unless `nullable` is False)."""
    condition = f"{column} BETWEEN {low} AND {high}"
    if not nullable:
        condition = f"{column} IS NOT NULL AND {condition}"
    return CheckConstraint(condition, name=f"{column}_range")


def non_negative(*columns: str) -> list[CheckConstraint]:
    """CHECK column >= 0 for each column."""
    return [CheckConstraint(f"{c} >= 0", name=f"{c}_non_negative") for c in columns]
