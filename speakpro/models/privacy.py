"""Privacy bookkeeping: consent records, the uploads made, storage objects waiting to be deleted, and a
company's recording retention (migration 0007)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from speakpro.models.accounts import Company
from speakpro.models.base import fk, non_negative, now_column, table_of, timestamp, uuid_pk

MAX_KEY_LENGTH = 500  # = AudioRecording.storage_key


class PrivacyConsent(SQLModel, table=True):
    """One consent given by a user: the privacy notice version they accepted and whether they allow
    recordings. Appended, never edited: the newest row is what holds now, older rows are its history."""

    __tablename__: ClassVar[str] = "privacy_consents"
    __table_args__ = (Index("ix_privacy_consents_user_created", "user_id", "created_at"),)

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = fk("users.id", index=False)
    notice_version: str = Field(max_length=32)
    recording: bool = True
    created_at: datetime = now_column()


class Upload(SQLModel, table=True):
    """A recording stored by the upload route, so that one never attached to anything can be found and
    deleted (storage itself cannot be listed through the `Storage` interface)."""

    __tablename__: ClassVar[str] = "uploads"

    key: str = Field(primary_key=True, max_length=MAX_KEY_LENGTH)
    user_id: uuid.UUID = fk("users.id")
    created_at: datetime = now_column()


class StorageDeletion(SQLModel, table=True):
    """A storage object to delete: written in the transaction that drops its last reference, removed once the
    object is gone. No foreign key, so it outlives an erased account until its objects are deleted."""

    __tablename__: ClassVar[str] = "storage_deletions"
    __table_args__ = (*non_negative("attempts"),)

    key: str = Field(primary_key=True, max_length=MAX_KEY_LENGTH)
    reason: str = Field(max_length=32)
    requested_at: datetime = now_column()
    attempts: int = 0
    last_attempt_at: datetime | None = timestamp()


# `companies.recording_retention_days` (migration 0007, declared on `Company`), as a column for the sweep's SQL.
COMPANY_RECORDING_RETENTION_DAYS = table_of(Company).c.recording_retention_days
