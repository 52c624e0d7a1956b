"""Security bookkeeping: mail waiting for a sender, and the CSV download tokens already spent."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from speakpro.models.base import fk, jsonb, non_negative, now_column, timestamp, uuid_pk


class EmailOutbox(SQLModel, table=True):
    """A message for a user that a mail sender will deliver (SpeakPro has no mail server of its own).

    Rows name the user, not the address (the sender reads the current address when it sends), and hold
    no secret. At most one unsent message of a kind per user: a form hammered with someone's address
    queues one notice, not a mail bomb.
    """

    __tablename__: ClassVar[str] = "email_outbox"
    __table_args__ = (
        *non_negative("attempts"),
        Index("uq_email_outbox_unsent", "user_id", "template", unique=True, postgresql_where=text("sent_at IS NULL")),
        Index("ix_email_outbox_unsent_created", "created_at", postgresql_where=text("sent_at IS NULL")),
    )

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = fk("users.id", index=False)  # the unique index above starts with user_id
    template: str = Field(max_length=64)
    details: dict = jsonb()
    created_at: datetime = now_column()
    sent_at: datetime | None = timestamp()
    attempts: int = 0


class UsedDownloadToken(SQLModel, table=True):
    """A CSV download token that has been spent: each token works once.

    Kept until the token would have expired anyway (then a spent token is refused by its expiry alone).
    """

    __tablename__: ClassVar[str] = "used_download_tokens"

    token_id: uuid.UUID = Field(primary_key=True)
    user_id: uuid.UUID = fk("users.id")
    company_id: uuid.UUID = fk("companies.id")
    used_at: datetime = now_column()
    expires_at: datetime = timestamp(nullable=False, index=True)
