"""Analysis: detailed results per session, and one flat analytics row per session for dashboards."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import BigInteger, Index, Numeric, PrimaryKeyConstraint, SmallInteger
from sqlmodel import Field, SQLModel

from speakpro.models.base import between, fk, jsonb, non_negative, now_column, one_of, uuid_pk

PROVIDERS = ("local", "openai")
SKILLS = ("opening", "questioning", "objection_handling", "closing")


class AnalysisResult(SQLModel, table=True):
    """One analysis of a session (metrics or coaching) with its provenance and cost."""

    __tablename__: ClassVar[str] = "analysis_results"
    __table_args__ = (
        one_of("provider", PROVIDERS),
        between("confidence", 0, 1),
        *non_negative("processing_time_ms"),
        Index("ix_analysis_results_session_type", "session_id", "analysis_type"),
        Index("ix_analysis_results_provider_version", "provider", "version"),
    )

    id: uuid.UUID = uuid_pk()
    session_id: uuid.UUID = fk("practice_sessions.id", index=False)
    analysis_type: str = Field(max_length=32)
    provider: str = Field(max_length=16)
    version: str = Field(max_length=32)
    results: dict = jsonb()
    confidence: Decimal | None = Field(default=None, sa_type=Numeric(5, 4))
    processing_time_ms: int = 0
    api_cost_usd: Decimal = Field(default=Decimal("0"), sa_type=Numeric(10, 6))
    created_at: datetime = now_column()


class SessionAnalytics(SQLModel, table=True):
    """The headline figures of one analysed session, denormalised for fast dashboards."""

    __tablename__: ClassVar[str] = "session_analytics"
    __table_args__ = (
        between("overall_score", 0, 100),
        between("talk_time_ratio", 0, 1),
        between("sentiment_score", -1, 1),
        between("opening_score", 0, 100),
        between("questioning_score", 0, 100),
        between("objection_handling_score", 0, 100),
        between("closing_score", 0, 100),
        between("session_hour", 0, 23, nullable=False),
        *non_negative("filler_words_count", "speaking_pace_wpm", "questions_asked", "duration_seconds"),
        Index(
            "ix_session_analytics_company_date",
            "company_id",
            "session_date",
            postgresql_include=["user_id", "overall_score", "duration_seconds"],
        ),
        Index(
            "ix_session_analytics_user_date",
            "user_id",
            "session_date",
            postgresql_include=["overall_score", "talk_time_ratio", "filler_words_count", "speaking_pace_wpm"],
        ),
        Index("ix_session_analytics_scores", "overall_score", "talk_time_ratio", "sentiment_score"),
    )

    id: uuid.UUID = uuid_pk()
    session_id: uuid.UUID = Field(foreign_key="practice_sessions.id", ondelete="CASCADE", unique=True)
    user_id: uuid.UUID = fk("users.id", index=False)
    company_id: uuid.UUID | None = fk("companies.id", ondelete="SET NULL", nullable=True, index=False)
    overall_score: int | None = None
    talk_time_ratio: Decimal | None = Field(default=None, sa_type=Numeric(5, 4))
    filler_words_count: int = 0
    filler_rate_per_100: Decimal | None = Field(default=None, sa_type=Numeric(6, 2))
    speaking_pace_wpm: int | None = None
    sentiment_score: Decimal | None = Field(default=None, sa_type=Numeric(5, 4))
    longest_monologue_seconds: int | None = None
    questions_asked: int = 0
    opening_score: int | None = None
    questioning_score: int | None = None
    objection_handling_score: int | None = None
    closing_score: int | None = None
    duration_seconds: int = 0
    session_date: date
    session_hour: int = Field(default=0, sa_type=SmallInteger)
    created_at: datetime = now_column()


class CompanyDailyTotals(SQLModel, table=True):
    """A rollup of `session_analytics` per company and UTC day, kept exact by statement triggers (migration
    0004): every insert, update or delete of analytics rows adds or subtracts its sessions, scores and seconds.
    The admin overview reads it, so its cost follows companies x days, not the number of sessions."""

    __tablename__: ClassVar[str] = "company_daily_totals"
    __table_args__ = (PrimaryKeyConstraint("company_id", "day"),)

    company_id: uuid.UUID = Field(foreign_key="companies.id", ondelete="CASCADE")
    day: date
    sessions: int = Field(default=0, sa_type=BigInteger)
    scored_sessions: int = Field(default=0, sa_type=BigInteger)
    score_sum: int = Field(default=0, sa_type=BigInteger)
    seconds: int = Field(default=0, sa_type=BigInteger)
