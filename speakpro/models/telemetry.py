"""Telemetry and audit: product analytics events, a higher-volume event stream, and the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from speakpro.models.base import fk, jsonb, now_column, uuid_pk


class AnalyticsEvent(SQLModel, table=True):
    """A product analytics breadcrumb (signup, login, lesson start, chatbot message...)."""

    __tablename__: ClassVar[str] = "analytics_events"
    __table_args__ = (
        Index("ix_analytics_events_type_created", "event_type", "created_at"),
        Index("ix_analytics_events_user_created", "user_id", "created_at"),
        # One A/B exposure per learner (migration 0012, `telemetry.record_exposure`).
        Index(
            "uq_analytics_events_ab_exposure_user",
            "user_id",
            unique=True,
            postgresql_where=text("event_type = 'ab_exposure'"),
        ),
    )

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID | None = fk("users.id", ondelete="SET NULL", nullable=True, index=False)
    company_id: uuid.UUID | None = fk("companies.id", ondelete="SET NULL", nullable=True, index=False)
    event_type: str = Field(max_length=64)
    event_data: dict = jsonb()
    created_at: datetime = now_column()


class TelemetryEvent(SQLModel, table=True):
    """A high-volume event from the learning loop, indexed by module and name."""

    __tablename__: ClassVar[str] = "telemetry_events"
    __table_args__ = (Index("ix_telemetry_events_module_name_created", "module_code", "name", "created_at"),)

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID | None = fk("users.id", ondelete="SET NULL", nullable=True)
    module_code: str | None = Field(default=None, max_length=8)
    name: str = Field(max_length=64, index=True)
    properties: dict = jsonb()
    created_at: datetime = now_column()


class AuditLog(SQLModel, table=True):
    """Who did what to whose data. Append-only (a trigger refuses UPDATE and DELETE); it holds ids,
    never personal content, and has no foreign keys so that it outlives deleted accounts."""

    __tablename__: ClassVar[str] = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_subject_created", "subject_user_id", "created_at"),
        Index("ix_audit_log_company_created", "company_id", "created_at"),
    )

    id: uuid.UUID = uuid_pk()
    actor_user_id: uuid.UUID | None = None
    subject_user_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None
    action: str = Field(max_length=64)
    target_type: str = Field(max_length=64)
    target_id: str | None = Field(default=None, max_length=64)
    details: dict = jsonb()
    created_at: datetime = now_column()
