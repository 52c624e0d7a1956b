"""The economy ledger: every XP, coin and ticket change, append-only."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from speakpro.models.base import fk, now_column, one_of, uuid_pk

CURRENCIES = ("xp", "coins", "tickets")


class RewardLedger(SQLModel, table=True):
    """One signed change of one currency. (user, currency, reason, source key) is unique, so a
    retried or doubled request cannot pay twice; balances equal the sum of these rows."""

    __tablename__: ClassVar[str] = "reward_ledger"
    __table_args__ = (
        UniqueConstraint("user_id", "currency", "reason", "source_key"),
        one_of("currency", CURRENCIES),
        CheckConstraint("amount <> 0", name="amount_non_zero"),
        CheckConstraint("balance_after >= 0", name="balance_after_non_negative"),
        Index("ix_reward_ledger_user_created", "user_id", "created_at"),
    )

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = fk("users.id", index=False)
    currency: str = Field(max_length=8)
    amount: int
    balance_after: int
    reason: str = Field(max_length=64)
    source_key: str = Field(max_length=200)
    created_at: datetime = now_column()
