"""Realtime practice: topics, sessions, client-secret fingerprints, transcripts and recordings."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import CheckConstraint, Index, Numeric, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from speakpro.models.base import (
    between,
    fk,
    jsonb,
    non_negative,
    now_column,
    one_of,
    timestamp,
    uuid_pk,
)

DIFFICULTIES = ("beginner", "intermediate", "advanced")
SESSION_STATUSES = ("active", "ended", "failed", "analyzed", "archived")
# Who may see a session besides its learner: nobody ("private", the default) or their company's managers.
PRIVATE, SHARED_WITH_MANAGERS = "private", "managers"
SESSION_PRIVACY = (PRIVATE, SHARED_WITH_MANAGERS)
PROCESSING_STATUSES = ("pending", "processing", "complete", "failed")
SPEAKERS = ("user", "ai")
QUALITY_STATUSES = ("pending", "ok", "poor", "failed")
MAX_SESSION_SECONDS = 15 * 60


class Topic(SQLModel, table=True):
    """A role-play topic; seeded and read-only for learners."""

    __tablename__: ClassVar[str] = "topics"
    __table_args__ = (one_of("difficulty", DIFFICULTIES),)

    id: uuid.UUID = uuid_pk()
    slug: str = Field(max_length=64, unique=True)
    title: str = Field(max_length=160)
    difficulty: str = Field(max_length=16)
    category: str = Field(default="sales", max_length=32)
    prompt_hint: str = ""
    partner_role: str = ""
    is_active: bool = True
    created_at: datetime = now_column()
    updated_at: datetime = now_column()


class PracticeSession(SQLModel, table=True):
    """One spoken practice session: active, then ended or failed, then analyzed, then archived."""

    __tablename__: ClassVar[str] = "practice_sessions"
    __table_args__ = (
        one_of("status", SESSION_STATUSES),
        one_of("processing_status", PROCESSING_STATUSES),
        one_of("mode", ("realtime", "solo")),
        one_of("privacy", SESSION_PRIVACY),
        between("duration_seconds", 0, MAX_SESSION_SECONDS),
        CheckConstraint("minute_cost IS NULL OR minute_cost >= 0", name="minute_cost_non_negative"),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="end_after_start"),
        CheckConstraint("status = 'active' OR ended_at IS NOT NULL", name="ended_sessions_have_end"),
        # A session practises a library topic or a company's scenario (one version of it), never both.
        CheckConstraint("(topic_id IS NULL) <> (scenario_version_id IS NULL)", name="topic_or_scenario"),
        # Covering indexes: the company dashboard and the learner history read only these columns.
        Index(
            "ix_practice_sessions_company_started",
            "company_id",
            "started_at",
            postgresql_include=["user_id", "status", "duration_seconds"],
        ),
        Index(
            "ix_practice_sessions_user_started",
            "user_id",
            "started_at",
            postgresql_include=["status", "duration_seconds", "topic_id"],
        ),
        Index("ix_practice_sessions_status_created", "status", "created_at"),
        # The dashboard's "Shared with you": a company's shared sessions, newest first, without reading the rest.
        Index(
            "ix_practice_sessions_shared",
            "company_id",
            "started_at",
            postgresql_where=text("privacy = 'managers' AND deleted_at IS NULL"),
        ),
        # A learner has at most one active session (start_practice serialises starts; this backs it up).
        Index(
            "uq_practice_sessions_one_active",
            "user_id",
            unique=True,
            postgresql_where=text("status = 'active' AND deleted_at IS NULL"),
        ),
    )

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = fk("users.id", index=False)
    company_id: uuid.UUID | None = fk("companies.id", ondelete="SET NULL", nullable=True, index=False)
    topic_id: uuid.UUID | None = fk("topics.id", ondelete="RESTRICT", nullable=True)
    scenario_version_id: uuid.UUID | None = fk("scenario_versions.id", ondelete="RESTRICT", nullable=True)
    title: str = Field(max_length=255)
    mode: str = Field(default="realtime", max_length=16)
    status: str = Field(default="active", max_length=16)
    privacy: str = Field(default="private", max_length=16)
    failure_reason: str | None = Field(default=None, max_length=200)
    started_at: datetime = now_column()
    ended_at: datetime | None = timestamp()
    duration_seconds: int | None = None
    processing_status: str = Field(default="pending", max_length=16)
    minute_cost: Decimal | None = Field(default=None, sa_type=Numeric(10, 4))
    analytics_summary: dict = jsonb()
    deleted_at: datetime | None = timestamp()
    created_at: datetime = now_column()
    updated_at: datetime = now_column()


class ClientSecret(SQLModel, table=True):
    """A minted Realtime client secret: only its expiry and a fingerprint, never the value."""

    __tablename__: ClassVar[str] = "client_secrets"

    id: uuid.UUID = uuid_pk()
    session_id: uuid.UUID = fk("practice_sessions.id")
    fingerprint: str = Field(max_length=64)
    expires_at: datetime = timestamp(nullable=False)
    created_at: datetime = now_column()


class Transcript(SQLModel, table=True):
    """The transcript of one session, finalized when the session ends."""

    __tablename__: ClassVar[str] = "transcripts"
    __table_args__ = (
        between("confidence", 0, 1),
        *non_negative("word_count"),
        Index(
            "ix_transcripts_content_search",
            text("to_tsvector('simple', coalesce(content, ''))"),
            postgresql_using="gin",
        ),
    )

    id: uuid.UUID = uuid_pk()
    session_id: uuid.UUID = Field(foreign_key="practice_sessions.id", ondelete="CASCADE", unique=True)
    finalized: bool = False
    content: str = ""
    language: str = Field(default="en", max_length=16)
    confidence: Decimal | None = Field(default=None, sa_type=Numeric(5, 4))
    word_count: int = 0
    # The learner typed it (solo practice without speech recognition): not a record of how they spoke.
    typed: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    is_anonymized: bool = False
    anonymized_at: datetime | None = timestamp()
    created_at: datetime = now_column()
    updated_at: datetime = now_column()


class TranscriptSegment(SQLModel, table=True):
    """One utterance of a transcript, ordered by sequence; finals are never overwritten by partials."""

    __tablename__: ClassVar[str] = "transcript_segments"
    __table_args__ = (
        UniqueConstraint("transcript_id", "sequence"),
        one_of("speaker", SPEAKERS),
        *non_negative("sequence", "start_ms"),
        CheckConstraint("end_ms >= start_ms", name="end_after_start"),
    )

    id: uuid.UUID = uuid_pk()
    transcript_id: uuid.UUID = fk("transcripts.id", index=False)
    sequence: int
    speaker: str = Field(max_length=8)
    text: str = ""
    start_ms: int = 0
    end_ms: int = 0
    is_final: bool = False
    created_at: datetime = now_column()
    updated_at: datetime = now_column()


class AudioRecording(SQLModel, table=True):
    """The learner's audio of a session in storage; one primary recording per session."""

    __tablename__: ClassVar[str] = "audio_recordings"
    __table_args__ = (
        one_of("quality_status", QUALITY_STATUSES),
        CheckConstraint("size_bytes > 0", name="size_positive"),
        between("duration_seconds", 0, MAX_SESSION_SECONDS),
        Index(
            "uq_audio_recordings_one_primary",
            "session_id",
            unique=True,
            postgresql_where=text("is_primary"),
        ),
    )

    id: uuid.UUID = uuid_pk()
    session_id: uuid.UUID = fk("practice_sessions.id")
    user_id: uuid.UUID = fk("users.id")
    storage_key: str = Field(max_length=500, unique=True)
    mime_type: str = Field(max_length=100)
    size_bytes: int
    duration_seconds: float | None = None
    quality_status: str = Field(default="pending", max_length=16)
    is_primary: bool = True
    created_at: datetime = now_column()
    deleted_at: datetime | None = timestamp()


RETAKE_KINDS = ("fillers", "monologue", "pause", "objection")


class Retake(SQLModel, table=True):
    """A learner's second try at one weak moment of a practice session (`services.practice.retakes`).

    One row per moment (`moment_key`, derived from the transcript: its kind and where it starts); a new try
    replaces the last one's answer and adds to `attempts`. The original's text and score are kept as they
    were scored, so the side by side stays the same if the rules change later.
    """

    __tablename__: ClassVar[str] = "retakes"
    __table_args__ = (
        UniqueConstraint("session_id", "moment_key", name="uq_retakes_session_moment"),
        one_of("kind", RETAKE_KINDS),
        CheckConstraint("attempts >= 1", name="attempts_positive"),
    )

    id: uuid.UUID = uuid_pk()
    session_id: uuid.UUID = fk("practice_sessions.id")
    user_id: uuid.UUID = fk("users.id")
    moment_key: str = Field(max_length=40)
    kind: str = Field(max_length=16)
    at_ms: int
    prompt: str = Field(default="")
    original_text: str
    original_score: dict = jsonb()
    answer_text: str
    answer_score: dict = jsonb()
    attempts: int = 1
    created_at: datetime = now_column()
    updated_at: datetime = now_column()


class SessionComment(SQLModel, table=True):
    """A manager's note pinned to a moment of a session its learner shared (`services.practice.review`).

    The session's owner reads them; its company's managers read and write them while it is shared (Row-Level
    Security, migration 0018). They go with the session; an author's erasure leaves the note unsigned.
    """

    __tablename__: ClassVar[str] = "session_comments"
    __table_args__ = (
        Index("ix_session_comments_session_at", "session_id", "at_ms"),
        CheckConstraint("at_ms >= 0", name="at_ms_non_negative"),
        CheckConstraint("length(body) BETWEEN 1 AND 1000", name="body_length"),
    )

    id: uuid.UUID = uuid_pk()
    session_id: uuid.UUID = fk("practice_sessions.id", index=False)
    author_user_id: uuid.UUID | None = fk("users.id", ondelete="SET NULL", nullable=True)
    company_id: uuid.UUID = fk("companies.id", index=False)
    at_ms: int
    body: str = Field(max_length=1000)
    created_at: datetime = now_column()


class SessionReview(SQLModel, table=True):
    """A manager's scores of a shared session on the rubric's skills, 0-100 each (`services.practice.review`):
    what the dashboard's calibration compares with the automatic scores. One row per (session, manager)."""

    __tablename__: ClassVar[str] = "session_reviews"
    __table_args__ = (UniqueConstraint("session_id", "reviewer_user_id", name="uq_session_reviews_session_id"),)

    id: uuid.UUID = uuid_pk()
    session_id: uuid.UUID = fk("practice_sessions.id", index=False)
    reviewer_user_id: uuid.UUID | None = fk("users.id", ondelete="SET NULL", nullable=True)
    company_id: uuid.UUID = fk("companies.id")
    scores: dict = jsonb()
    created_at: datetime = now_column()
    updated_at: datetime = now_column()
