"""Live practice sessions: topics, starting and ending a session, and minting its Realtime client secret.

A learner has at most one active session. A session lives at most 15 minutes (`MAX_SESSION_SECONDS`):
every handler that touches an active session checks the cap itself (minting and segment ingestion
refuse past it), and `enforce_cap` is the periodic sweep that records abandoned sessions as failed
("time limit"). Ending a session is the learner's own act: a session ended late is ended, not failed,
with its duration capped at 15 minutes.

The Realtime configuration and the mint itself live in `services/practice/realtime_secrets.py`, the recording
in `services/practice/recordings.py`; this module decides who may mint and how often.

Locks, in this order everywhere (see also `services/learning/quests.py`): the practice session row
(FOR NO KEY UPDATE), then its transcript, then the daily quest row, then the profile row (which
`apply_reward` locks). `start_practice` serialises one learner's starts with a transaction-level
advisory lock instead of a row lock, so it never waits on a profile lock held by a reward.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from speakpro.models import PracticeSession, Topic, Transcript, UserProfile, utcnow
from speakpro.models.practice import MAX_SESSION_SECONDS
from speakpro.services.accounts.companies import MEMBER_COMPANY
from speakpro.services.accounts.consent import RECORDING_OFF, recording_allowed
from speakpro.services.accounts.time_zones import learner_day
from speakpro.services.analysis.queue import queue_analysis
from speakpro.services.learning.economy import apply_reward
from speakpro.services.learning.quests import record_quest_progress
from speakpro.services.practice.practice_access import CAP, check_live, owned_session
from speakpro.services.practice.realtime_secrets import (
    UNAVAILABLE,
    MintedSecret,
    PendingSecret,
    check_ttl,
    plain_line,
    prepare_client_secret,
    record_client_secret,
    request_client_secret,
)
from speakpro.services.practice.scenarios import get_scenario, scene_of
from speakpro.services.practice.transcripts import finalize_transcript
from speakpro.services.ratelimit import RateLimiter
from speakpro.services.telemetry import record_event
from speakpro.services.validation import ValidationError, parse_id

__all__ = [
    "LiveSession",
    "get_live_session",
    "FAILED_DEFAULT_REASON",
    "MINT_PER_COMPANY",
    "MINT_PER_LEARNER",
    "MODES",
    "QUEST_TYPE",
    "REWARD_MIN_SECONDS",
    "REWARD_XP",
    "PracticeView",
    "TopicView",
    "end_practice",
    "enforce_cap",
    "list_topics",
    "mint_client_secret",
    "prepare_mint",
    "seconds_left",
    "start_practice",
]

log = logging.getLogger(__name__)

MODES = ("realtime", "solo")
REWARD_XP = 10
REWARD_MIN_SECONDS = 30
QUEST_TYPE = "practice_session"
FAILED_DEFAULT_REASON = "ended with an error"

# Per learner and per company (the company shares one OpenAI budget), in any 10 minutes. A renewal
# counts like a first mint; a refused mint is not counted. Looked up here, where `mint_client_secret`
# uses them, so a test can swap them on this module.
MINT_PER_LEARNER = RateLimiter("realtime-secret:learner", 10, 600)
MINT_PER_COMPANY = RateLimiter("realtime-secret:company", 200, 600)

_ADVISORY_NAMESPACE = "speakpro.practice.start:"


@dataclass(frozen=True)
class TopicView:
    """A topic as the topic picker shows it."""

    id: str
    slug: str
    title: str
    difficulty: str
    category: str
    prompt_hint: str


@dataclass(frozen=True)
class PracticeView:
    """A practice session as the practice page needs it (ids as strings; no ORM row leaves the service).

    `cap_at` is when the 15-minute cap is reached; `resumed` is True when `start_practice` returned the
    learner's session already in progress instead of a new one.
    """

    id: str
    topic_id: str
    transcript_id: str | None
    title: str
    mode: str
    status: str
    failure_reason: str | None
    started_at: datetime
    cap_at: datetime
    ended_at: datetime | None
    duration_seconds: int | None
    minute_cost: Decimal | None
    processing_status: str
    resumed: bool = False


# --- reads ------------------------------------------------------------------------------------------


def list_topics(*, session: Session) -> list[TopicView]:
    """The active role-play topics, easiest first, then by title."""
    order = {d: i for i, d in enumerate(("beginner", "intermediate", "advanced"))}
    rows = session.execute(
        select(
            col(Topic.id),
            col(Topic.slug),
            col(Topic.title),
            col(Topic.difficulty),
            col(Topic.category),
            col(Topic.prompt_hint),
        ).where(col(Topic.is_active).is_(True))
    ).all()
    rows = sorted(rows, key=lambda r: (order.get(r.difficulty, len(order)), r.title, r.slug))
    return [TopicView(str(r.id), r.slug, r.title, r.difficulty, r.category, r.prompt_hint) for r in rows]


def _transcript_id(session: Session, practice_id: uuid.UUID) -> uuid.UUID | None:
    return session.execute(
        select(col(Transcript.id)).where(col(Transcript.session_id) == practice_id)
    ).scalar_one_or_none()


def _view(session: Session, row: PracticeSession, *, resumed: bool = False) -> PracticeView:
    transcript_id = _transcript_id(session, row.id)
    return PracticeView(
        id=str(row.id),
        topic_id=str(row.topic_id) if row.topic_id else "",
        transcript_id=str(transcript_id) if transcript_id else None,
        title=row.title,
        mode=row.mode,
        status=row.status,
        failure_reason=row.failure_reason,
        started_at=row.started_at,
        cap_at=row.started_at + CAP,
        ended_at=row.ended_at,
        duration_seconds=row.duration_seconds,
        minute_cost=row.minute_cost,
        processing_status=row.processing_status,
        resumed=resumed,
    )


# The practice state reads sessions through this name (speakpro/state/practice_live.py).
_owned = owned_session


# --- the cap ------------------------------------------------------------------------------------------


def _fail_over_cap(session: Session, now: datetime, reason: str, user_id: uuid.UUID | None = None) -> list[uuid.UUID]:
    """Fail the active sessions past the cap (of one learner, or all); finalize their transcripts."""
    conditions = [col(PracticeSession.status) == "active", col(PracticeSession.started_at) < now - CAP]
    if user_id is not None:
        conditions.append(col(PracticeSession.user_id) == user_id)
    failed = (
        session.execute(
            update(PracticeSession)
            .where(*conditions)
            .values(
                status="failed",
                failure_reason=reason,
                ended_at=now,
                duration_seconds=MAX_SESSION_SECONDS,
                minute_cost=_minute_cost(MAX_SESSION_SECONDS),
                processing_status="failed",
                updated_at=now,
            )
            .returning(col(PracticeSession.id))
            .execution_options(synchronize_session="fetch")
        )
        .scalars()
        .all()
    )
    for practice_id in failed:
        finalize_transcript(session=session, practice_session_id=practice_id)
    return list(failed)


def enforce_cap(*, session: Session, now: datetime | None = None) -> int:
    """Fail every active session older than 15 minutes with reason "time limit" (the periodic sweep).

    Such sessions are abandoned (a closed tab, a lost connection): they count the full 15 minutes, get
    no analysis (`processing_status` "failed") and no reward; what was transcribed is kept and finalized.

    Args:
        session: The caller's session.
        now: The time to judge by (tests pass one); the current UTC time when omitted.

    Returns:
        How many sessions were failed.
    """
    failed = _fail_over_cap(session, now or utcnow(), "time limit")
    if failed:
        log.info("practice cap sweep: %d session(s) failed with 'time limit'", len(failed))
    return len(failed)


# --- starting -----------------------------------------------------------------------------------------


def _subject(
    session: Session, topic_id: object, scenario_id: object, company_id: uuid.UUID | None
) -> tuple[uuid.UUID | None, uuid.UUID | None, str]:
    """(topic id, scenario version id, title) of what a session practises: a library topic, or the current
    version of a live scenario of the learner's company (anyone else's is "choose from the list")."""
    if scenario_id not in (None, ""):
        if company_id is None:
            raise ValidationError("scenario", "Choose a scenario from the list.")
        scenario = get_scenario(session=session, company_id=company_id, scenario_id=scenario_id, live_only=True)
        return None, uuid.UUID(scenario.version_id), scenario.title
    topic_uuid = parse_id(topic_id, field="topic", message="Choose a topic from the list.")
    topic = session.execute(
        select(col(Topic.id), col(Topic.title)).where(col(Topic.id) == topic_uuid, col(Topic.is_active).is_(True))
    ).first()
    if topic is None:
        raise ValidationError("topic", "Choose a topic from the list.")
    return topic.id, None, topic.title


def start_practice(
    *,
    session: Session,
    user_id: uuid.UUID,
    topic_id: object = None,
    mode: Literal["realtime", "solo"],
    scenario_id: object = None,
) -> PracticeView:
    """Start a practice session on a topic or a company scenario, or return the session already in progress.

    A learner has at most one active session: an active one under the cap is returned as is
    (`resumed=True`, whatever topic or mode was asked for); one past the cap is first failed with reason
    "expired". A new session gets status "active", the learner's company, the topic's title, and its
    (empty) transcript row.

    Args:
        session: The caller's session.
        user_id: The learner.
        topic_id: An active topic of the library (or None with `scenario_id`).
        mode: "realtime" (with the AI partner) or "solo".
        scenario_id: A live scenario of the learner's own company: the session keeps its current version.

    Returns:
        The session.

    Raises:
        ValidationError: An unknown mode, topic or scenario, a user without a profile, or one whose consent does not
            allow recordings (every session is recorded); nothing changes.
    """
    if not recording_allowed(session=session, user_id=user_id):
        raise ValidationError("recording", RECORDING_OFF)
    if mode not in MODES:
        raise ValidationError("mode", "Choose live practice with the AI partner or solo practice.")
    profile = session.execute(select(MEMBER_COMPANY).where(col(UserProfile.user_id) == user_id)).first()
    if profile is None:
        raise ValidationError("user", "Finish setting up your account before you practise.")
    topic_uuid, version_uuid, title = _subject(session, topic_id, scenario_id, profile.company_id)
    # Two starts of one learner (a double click, two tabs) run one after the other: the second finds the first.
    session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(f"{_ADVISORY_NAMESPACE}{user_id}", 0))))
    now = utcnow()
    _fail_over_cap(session, now, "expired", user_id=user_id)
    existing = session.execute(
        select(PracticeSession)
        .where(
            col(PracticeSession.user_id) == user_id,
            col(PracticeSession.status) == "active",
            col(PracticeSession.deleted_at).is_(None),
        )
        .order_by(col(PracticeSession.started_at).desc())
        .limit(1)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if existing is not None:
        return _view(session, existing, resumed=True)
    practice = PracticeSession(
        user_id=user_id,
        company_id=profile.company_id,
        topic_id=topic_uuid,
        scenario_version_id=version_uuid,
        title=title[:255],
        mode=mode,
        status="active",
        started_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(practice)
    session.flush()
    session.add(Transcript(session_id=practice.id))
    session.flush()
    record_event(
        session=session,
        event_type="practice_started",
        user_id=user_id,
        company_id=profile.company_id,
        data={"mode": mode, "topic_id": str(topic_uuid or ""), "scenario_version_id": str(version_uuid or "")},
    )
    return _view(session, practice)


# --- the Realtime partner ------------------------------------------------------------------------------


def _limit(limiter: RateLimiter, key: str, message: str) -> None:
    decision = limiter.hit(key)
    if not decision.allowed:
        raise ValidationError("partner", message.format(seconds=decision.retry_after_seconds))


def prepare_mint(
    *,
    session: Session,
    user_id: uuid.UUID,
    practice_session_id: uuid.UUID | str,
    client: Any,
    model: str,
    transcription_model: str = "gpt-4o-transcribe",
    ttl_seconds: int = 90,
    voice: str = "alloy",
) -> PendingSecret:
    """Check that the learner may mint a Realtime client secret now, count the mint, and build the session
    configuration to pin: the first of `mint_client_secret`'s three steps (the Realtime API is asked with
    no transaction open, `realtime_secrets.request_client_secret`, and the secret recorded after,
    `realtime_secrets.record_client_secret`).

    Raises:
        ValidationError: Not the learner's session, not active, past the cap, solo mode, no client, or rate
            limited.
        ValueError: For a `ttl_seconds` outside 10-7200 (a programming error, not user input).
    """
    check_ttl(ttl_seconds)
    row = owned_session(session, user_id, practice_session_id, lock=False)
    check_live(row, utcnow())
    if row.mode != "realtime":
        raise ValidationError("session", "This is a solo session: it has no AI partner.")
    if client is None:
        raise ValidationError("partner", UNAVAILABLE)
    _limit(
        MINT_PER_LEARNER,
        str(user_id),
        "You have connected to the practice partner too often. Please wait {seconds} seconds.",
    )
    if row.company_id is not None:
        _limit(
            MINT_PER_COMPANY,
            str(row.company_id),
            "Your company has reached its practice partner limit for now. Please wait {seconds} seconds.",
        )
    return prepare_client_secret(
        session=session,
        practice=row,
        model=model,
        transcription_model=transcription_model,
        ttl_seconds=ttl_seconds,
        voice=voice,
    )


def mint_client_secret(
    *,
    session: Session,
    user_id: uuid.UUID,
    practice_session_id: uuid.UUID | str,
    client: Any,
    model: str,
    transcription_model: str = "gpt-4o-transcribe",
    ttl_seconds: int = 90,
    voice: str = "alloy",
) -> MintedSecret:
    """Mint a short-lived Realtime client secret for the learner's active session (first or renewal), in
    one session: `prepare_mint`, the API call, `record_client_secret`. The live page runs the three steps
    apart (`PracticeLiveState._mint`), so no transaction waits on the API.

    Only the session's owner, only while it is active and under the cap, only in "realtime" mode, and
    at most 10 per learner and 200 per company in any 10 minutes. The whole session configuration is
    pinned server-side. The database gets a `ClientSecret` row with the expiry and the SHA-256
    fingerprint; the value is returned once and never stored or logged. Each call is one mint: calling
    again while the session is active is how the browser renews.

    Args:
        session: The caller's session.
        user_id: The learner asking.
        practice_session_id: Their active session.
        client: An `openai.OpenAI` client (None in offline mode).
        model: The Realtime model to pin (settings.openai_realtime_model).
        transcription_model: The input transcription model.
        ttl_seconds: How long the secret may be used to open a connection (10 to 7200).
        voice: The partner's voice.

    Returns:
        The secret value, its expiry and the URL the browser sends its SDP offer to.

    Raises:
        ValidationError: Not the learner's session, not active, past the cap, solo mode, rate limited, or
            the API failed ("The practice partner is unavailable right now: try solo mode"). Nothing is
            stored then.
        ValueError: For a `ttl_seconds` outside 10-7200 (a programming error, not user input).
    """
    pending = prepare_mint(
        session=session,
        user_id=user_id,
        practice_session_id=practice_session_id,
        client=client,
        model=model,
        transcription_model=transcription_model,
        ttl_seconds=ttl_seconds,
        voice=voice,
    )
    issued = request_client_secret(client, pending)
    return record_client_secret(session=session, pending=pending, issued=issued)


# --- ending -----------------------------------------------------------------------------------------------


def _minute_cost(duration_seconds: int) -> Decimal:
    return (Decimal(duration_seconds) / Decimal(60)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _clean_reason(reason: str | None) -> str:
    text = plain_line(reason, 200) if isinstance(reason, str) else ""
    return text or FAILED_DEFAULT_REASON


def end_practice(
    *,
    session: Session,
    user_id: uuid.UUID,
    practice_session_id: uuid.UUID | str,
    reason: str | None = None,
    failed: bool = False,
    typed: bool = False,
) -> PracticeView:
    """End the learner's session (or record it as failed), finalize its transcript and reward it once.

    An active session becomes "ended" (or "failed" with `failure_reason` = `reason`) with `ended_at`,
    `duration_seconds` = min(actual, 900), `minute_cost` = duration / 60 (4 places). An ended session is
    queued for analysis (`processing_status` "pending", and its job deferred on the job queue in this same
    transaction, see `services.analysis.queue.queue_analysis`); a failed one is not ("failed"). A session ended
    after its cap (the sweep had not run yet) is ended normally with 900 seconds: the learner did practise.

    An ended session of at least 30 seconds counts the daily quest "practice_session" and pays 10 XP
    (ledger reason "practice_session", source key = session id). Both happen in the call that moves the
    session out of "active" (the row is locked), so they happen once; the ledger key guards the XP again.

    Idempotent: ending a session that is no longer active returns it unchanged.

    Args:
        session: The caller's session.
        user_id: The learner; only the owner may end a session.
        practice_session_id: The session.
        reason: Why it failed (kept for failed sessions only; at most 200 characters).
        failed: Record the session as failed (e.g. the connection broke) rather than ended.
        typed: The learner typed their transcript (solo practice only): it is marked as typed, and the
            analysis leaves the filler figures unmeasured.

    Returns:
        The session after the change.

    Raises:
        ValidationError: Not found (unknown, someone else's or deleted session).
    """
    row = owned_session(session, user_id, practice_session_id, lock=True)
    if row.status != "active":
        return _view(session, row)
    now = max(utcnow(), row.started_at)
    duration = min(int((now - row.started_at).total_seconds()), MAX_SESSION_SECONDS)
    row.status = "failed" if failed else "ended"
    row.failure_reason = _clean_reason(reason) if failed else None
    row.ended_at = now
    row.duration_seconds = duration
    row.minute_cost = _minute_cost(duration)
    row.processing_status = "failed" if failed else "pending"
    row.updated_at = now
    session.flush()
    finalize_transcript(session=session, practice_session_id=row.id)
    if typed and row.mode == "solo":
        session.execute(update(Transcript).where(col(Transcript.session_id) == row.id).values(typed=True))
    rewarded = not failed and duration >= REWARD_MIN_SECONDS
    if rewarded:
        # Quest row before the profile row (which apply_reward locks): the lock order of services/learning/quests.py.
        day = learner_day(session=session, user_id=user_id, at=now)
        record_quest_progress(session=session, user_id=user_id, quest_type=QUEST_TYPE, day=day)
        apply_reward(
            session=session, user_id=user_id, currency="xp", amount=REWARD_XP, reason=QUEST_TYPE, source_key=str(row.id)
        )
    record_event(
        session=session,
        event_type="practice_ended",
        user_id=user_id,
        company_id=row.company_id,
        data={"status": row.status, "mode": row.mode, "duration_seconds": duration, "rewarded": rewarded},
    )
    if not failed:
        # The analysis job commits (or rolls back) with the end itself; a worker picks it up at commit.
        queue_analysis(session=session, practice_session_id=row.id)
    return _view(session, row)


def seconds_left(view: PracticeView, now: datetime | None = None) -> int:
    """Whole seconds until the session's cap (0 when past it or no longer active)."""
    if view.status != "active":
        return 0
    return max(0, int((view.cap_at - (now or utcnow())) / timedelta(seconds=1)))


@dataclass(frozen=True)
class LiveSession:
    """What the live page shows about its session."""

    view: PracticeView
    topic_title: str
    partner_role: str
    prompt_hint: str
    difficulty: str
    learner_goal: str = ""
    criteria: tuple[str, ...] = ()  # what a scenario's rubric scores, by name


def get_live_session(session: Session, user_id: uuid.UUID, ref: object) -> LiveSession:
    """The learner's own session with its topic, for the live page ("not found" otherwise, as everywhere)."""
    row = owned_session(session, user_id, ref, lock=False)
    scene = scene_of(session, row)
    return LiveSession(
        view=_view(session, row),
        topic_title=scene.title,
        partner_role=scene.partner_role,
        prompt_hint=scene.situation,
        difficulty=scene.difficulty,
        learner_goal=scene.learner_goal,
        criteria=tuple(c.name for c in scene.rubric),
    )
