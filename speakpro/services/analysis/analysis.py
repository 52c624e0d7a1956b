"""Analysis of ended practice sessions: speech metrics, AI (or local) coaching, one analytics row per session.

Lifecycle of `PracticeSession.processing_status`: "pending" (set by `end_practice`) -> "processing" ->
"complete" (and the session's status becomes "analyzed") or "failed" (retryable).

1. CLAIM: one committed `UPDATE practice_sessions SET processing_status = 'processing' WHERE id = :id AND
   status = 'ended' AND deleted_at IS NULL AND processing_status IN ('pending', 'failed') RETURNING ...`.
   Row locking makes it atomic: of two workers, exactly one gets the row back; the other returns "skipped".
2. WORK, outside any lock: read the segments, compute `speech_metrics`, measure the recording
   (`audio_metrics`: voiced time, pauses, pitch and loudness; a solo session's pace), call the coach (network).
3. WRITE, in one transaction: two `AnalysisResult` rows (speech_metrics / local, coach / openai|local), the
   `SessionAnalytics` row (INSERT ... ON CONFLICT (session_id) DO UPDATE), the session's `analytics_summary`
   and status "analyzed" / "complete", the daily quest "filler_free" (under 3 fillers per 100 words, at
   least `FILLER_QUEST_MIN_WORDS` learner words) on the learner's date when the session ended, and a `practice_analyzed`
   event. Complete is never claimed again, so the quest is fed once.
4. Any exception after the claim: the work is rolled back and the session is set "failed" with the reason
   in `analytics_summary["analysis"]` (attempts counted); it is retried up to `MAX_ATTEMPTS`. A worker killed
   mid-analysis leaves "processing" behind: `release_stale` returns it to "failed" ("stale"), so nothing
   stays stuck: at once when the job queue finds the job stalled (its worker stopped sending heartbeats,
   `speakpro/jobs.py`), and after `STALE_AFTER` for a claim without a job (a killed `analyse` command).

The job queue runs the analysis (`services.analysis.queue`: one job per session, queued when it ends).
`analyse_pending` (the `python -m speakpro analyse` command) analyses the queue by hand, without jobs; the
claim keeps it and the workers from doing one session twice.

The segments analysed are the transcript's non-empty segments in sequence order, final or not (an
unfinished segment's words were said; the finalized transcript content keeps them too).
"""

from __future__ import annotations

import logging
import time
import typing
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, Integer, cast, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from speakpro.models import PracticeSession, Transcript, TranscriptSegment, utcnow
from speakpro.models.analysis import AnalysisResult, SessionAnalytics
from speakpro.services.accounts.time_zones import learner_day
from speakpro.services.analysis.audio_metrics import recording_metrics, with_recording
from speakpro.services.analysis.coach import CoachResult, coach_session
from speakpro.services.analysis.speech_metrics import SpeechMetrics, Utterance, compute_speech_metrics
from speakpro.services.analysis.summary import AnalysisRun, Improvement, SessionSummary
from speakpro.services.learning.assignments import refresh_progress
from speakpro.services.learning.quests import record_quest_progress
from speakpro.services.practice.scenarios import SessionRef, scene_of
from speakpro.services.telemetry import record_event
from speakpro.services.validation import id_or_none

log = logging.getLogger(__name__)

VERSION = "analysis-1"
FILLER_QUEST = "filler_free"
FILLER_QUEST_MIN_WORDS = 30
MAX_ATTEMPTS = 3
STALE_AFTER = timedelta(minutes=10)
_DEFAULT_CLIENT: Any = object()


@dataclass(frozen=True)
class AnalysisOutcome:
    """What one call did: "complete", "failed" (retryable) or "skipped" (not claimable, with why)."""

    session_id: uuid.UUID
    status: str
    processing_status: str | None
    reason: str | None = None
    metrics: SpeechMetrics | None = None
    coach: CoachResult | None = None
    processing_time_ms: int = 0


def _claim(session: Session, session_id: uuid.UUID):
    row = session.execute(
        update(PracticeSession)
        .where(
            col(PracticeSession.id) == session_id,
            col(PracticeSession.status) == "ended",
            col(PracticeSession.deleted_at).is_(None),
            col(PracticeSession.processing_status).in_(("pending", "failed")),
        )
        .values(processing_status="processing", updated_at=func.now())
        .returning(
            col(PracticeSession.id),
            col(PracticeSession.user_id),
            col(PracticeSession.company_id),
            col(PracticeSession.topic_id),
            col(PracticeSession.scenario_version_id),
            col(PracticeSession.title),
            col(PracticeSession.mode),
            col(PracticeSession.started_at),
            col(PracticeSession.ended_at),
            col(PracticeSession.duration_seconds),
            col(PracticeSession.analytics_summary),
        )
        .execution_options(synchronize_session=False)
    ).first()
    session.commit()
    return row


def _skip_reason(session: Session, session_id: uuid.UUID) -> tuple[str, str | None]:
    row = session.execute(
        select(
            col(PracticeSession.status), col(PracticeSession.processing_status), col(PracticeSession.deleted_at)
        ).where(col(PracticeSession.id) == session_id)
    ).first()
    session.commit()
    if row is None:
        return "not found", None
    if row.deleted_at is not None:
        return "deleted", row.processing_status
    if row.processing_status == "processing":
        return "already being analysed", row.processing_status
    if row.processing_status == "complete":
        return "already analysed", row.processing_status
    return f"session is {row.status}", row.processing_status


def load_utterances(session: Session, session_id: uuid.UUID) -> list[Utterance]:
    """The session's non-empty transcript segments in sequence order."""
    rows = session.execute(
        select(
            col(TranscriptSegment.speaker),
            col(TranscriptSegment.text),
            col(TranscriptSegment.start_ms),
            col(TranscriptSegment.end_ms),
        )
        .join(Transcript, col(Transcript.id) == col(TranscriptSegment.transcript_id))
        .where(col(Transcript.session_id) == session_id, col(TranscriptSegment.text) != "")
        .order_by(col(TranscriptSegment.sequence))
    ).all()
    return [Utterance(r.speaker, r.text, r.start_ms, r.end_ms) for r in rows]


def _dec(value: float | None, places: str) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal(places))


def session_summary(metrics: SpeechMetrics, coach: CoachResult, attempts: int) -> dict[str, Any]:
    """The `analytics_summary` an analysed session carries (what home and history read), as stored."""
    return SessionSummary(
        overall_score=coach.overall,
        scores=dict(coach.scores),
        provider=coach.provider,
        label=coach.label,
        pace_wpm=metrics.pace_wpm,
        pace_source=metrics.pace_source,
        pitch_variation_semitones=metrics.pitch_variation_semitones,
        loudness_variation_db=metrics.loudness_variation_db,
        recorded_speaking_seconds=metrics.recorded_speaking_seconds,
        filler_count=metrics.filler_count,
        filler_rate_per_100=metrics.filler_rate_per_100,
        talk_time_ratio=metrics.talk_time_ratio,
        longest_monologue_seconds=metrics.longest_monologue_seconds,
        questions_asked=metrics.questions_asked,
        pause_count=metrics.pause_count,
        sentiment=metrics.sentiment,
        vocabulary_variety=metrics.vocabulary_variety,
        learner_words=metrics.learner_words,
        assessments=metrics.assessments(),
        strengths=[i.text for i in coach.strengths],
        improvements=[Improvement(text=i.text, quote=i.quote) for i in coach.improvements],
        analysis=AnalysisRun(status="complete", attempts=attempts, version=VERSION, analysed_at=utcnow().isoformat()),
    ).to_json()


def result_rows(
    session_id: uuid.UUID,
    metrics: SpeechMetrics,
    coach: CoachResult,
    *,
    metrics_ms: int,
    coach_ms: int,
    created_at: datetime | None = None,
) -> list[dict[str, Any]]:
    """The two `AnalysisResult` rows of one analysis (speech metrics, coaching), as insertable values."""
    created_at = created_at or utcnow()
    metrics_confidence = Decimal(min(1.0, metrics.learner_words / 50)).quantize(Decimal("0.0001"))
    return [
        {
            "id": uuid.uuid4(),
            "session_id": session_id,
            "analysis_type": "speech_metrics",
            "provider": "local",
            "version": metrics.version,
            "results": metrics.to_json(),
            "confidence": metrics_confidence,
            "processing_time_ms": metrics_ms,
            "api_cost_usd": Decimal("0"),
            "created_at": created_at,
        },
        {
            "id": uuid.uuid4(),
            "session_id": session_id,
            "analysis_type": "coach",
            "provider": coach.provider,
            "version": coach.version,
            "results": coach.to_json(),
            "confidence": coach.confidence,
            "processing_time_ms": coach_ms,
            "api_cost_usd": coach.cost_usd,
            "created_at": created_at,
        },
    ]


def analytics_values(
    *,
    user_id: uuid.UUID,
    company_id: uuid.UUID | None,
    started_at: datetime,
    duration_seconds: int | None,
    metrics: SpeechMetrics,
    coach: CoachResult,
) -> dict[str, Any]:
    """The `SessionAnalytics` columns of one analysed session (all but its id, session and creation time)."""
    started = started_at.astimezone(UTC)
    return {
        "user_id": user_id,
        "company_id": company_id,
        "overall_score": coach.overall,
        "talk_time_ratio": _dec(metrics.talk_time_ratio, "0.0001"),
        "filler_words_count": metrics.filler_count or 0,
        "filler_rate_per_100": _dec(metrics.filler_rate_per_100, "0.01"),
        "speaking_pace_wpm": None if metrics.pace_wpm is None else int(round(metrics.pace_wpm)),
        "sentiment_score": _dec(metrics.sentiment, "0.0001"),
        "longest_monologue_seconds": int(round(metrics.longest_monologue_seconds)),
        "questions_asked": metrics.questions_asked,
        "opening_score": coach.scores["opening"],
        "questioning_score": coach.scores["questioning"],
        "objection_handling_score": coach.scores["objection_handling"],
        "closing_score": coach.scores["closing"],
        "duration_seconds": duration_seconds or 0,
        "session_date": started.date(),
        "session_hour": started.hour,
    }


def _write(
    session: Session,
    claim,
    metrics: SpeechMetrics,
    coach: CoachResult,
    *,
    attempts: int,
    metrics_ms: int,
    coach_ms: int,
) -> bool:
    locked = session.execute(
        select(col(PracticeSession.id))
        .where(col(PracticeSession.id) == claim.id, col(PracticeSession.processing_status) == "processing")
        .with_for_update(key_share=True)  # FOR NO KEY UPDATE, as services/practice/practice.py locks it
    ).first()
    if locked is None:  # the stale sweep took it back; whoever claims it next will do the work
        session.rollback()
        return False
    session.execute(
        insert(AnalysisResult), result_rows(claim.id, metrics, coach, metrics_ms=metrics_ms, coach_ms=coach_ms)
    )
    values = analytics_values(
        user_id=claim.user_id,
        company_id=claim.company_id,
        started_at=claim.started_at or utcnow(),
        duration_seconds=claim.duration_seconds,
        metrics=metrics,
        coach=coach,
    )
    session.execute(
        insert(SessionAnalytics)
        .values(id=uuid.uuid4(), session_id=claim.id, created_at=utcnow(), **values)
        .on_conflict_do_update(index_elements=["session_id"], set_=values)
    )
    now = utcnow()
    session.execute(
        update(PracticeSession)
        .where(PracticeSession.id == claim.id)
        .values(
            status="analyzed",
            processing_status="complete",
            analytics_summary=session_summary(metrics, coach, attempts),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if claim.scenario_version_id is not None:
        refresh_progress(session=session, user_id=claim.user_id)  # its score may complete an assignment
    if metrics.filler_free and metrics.learner_words >= FILLER_QUEST_MIN_WORDS:
        day = learner_day(session=session, user_id=claim.user_id, at=claim.ended_at or now)
        record_quest_progress(session=session, user_id=claim.user_id, quest_type=FILLER_QUEST, day=day)
    record_event(
        session=session,
        event_type="practice_analyzed",
        user_id=claim.user_id,
        company_id=claim.company_id,
        data={
            "session_id": str(claim.id),
            "provider": coach.provider,
            "overall_score": coach.overall,
            "fallback_reason": coach.fallback_reason,
        },
    )
    session.commit()
    return True


def _mark_failed(session: Session, session_id: uuid.UUID, reason: str, attempts: int) -> None:
    try:
        session.rollback()
        session.execute(
            update(PracticeSession)
            .where(col(PracticeSession.id) == session_id, col(PracticeSession.processing_status) == "processing")
            .values(
                processing_status="failed",
                updated_at=func.now(),
                analytics_summary=SessionSummary(
                    analysis=AnalysisRun(
                        status="failed", reason=reason[:200], attempts=attempts, failed_at=utcnow().isoformat()
                    )
                ).to_json(),
            )
            .execution_options(synchronize_session=False)
        )
        session.commit()
    except Exception:  # noqa: BLE001 - the stale sweep of analyse_pending will release it
        log.exception("analysis: could not record the failure of session %s", session_id)
        session.rollback()


def analyse_session(
    *,
    session: Session,
    practice_session_id: uuid.UUID | str,
    client: Any = None,
    model: str | None = None,
) -> AnalysisOutcome:
    """Analyse one ended session, at most once at a time (see the module docstring).

    COMMITS on `session` (the claim, then the results or the failure): give it a session of its own.

    Args:
        session: A database session.
        practice_session_id: The session to analyse.
        client: An `openai.OpenAI` client for the coach, or None for the local rubric.
        model: The coach's model (`OPENAI_TEXT_MODEL` when omitted).

    Returns:
        "complete" with the metrics and coaching; "failed" with the reason (retryable; the session is left
        "failed", never "processing"); or "skipped" when it was not claimable (with why).
    """
    session_id = id_or_none(practice_session_id)
    if session_id is None:
        return AnalysisOutcome(uuid.UUID(int=0), "skipped", None, "not found")
    claim = _claim(session, session_id)
    if claim is None:
        reason, processing = _skip_reason(session, session_id)
        return AnalysisOutcome(session_id, "skipped", processing, reason)
    attempts = SessionSummary.read(claim.analytics_summary).attempts + 1
    started = time.monotonic()
    try:
        utterances = load_utterances(session, session_id)
        scene = scene_of(session, typing.cast(SessionRef, claim))
        transcript = session.execute(
            select(col(Transcript.language), col(Transcript.typed)).where(col(Transcript.session_id) == session_id)
        ).first()
        t0 = time.monotonic()
        metrics = with_recording(
            compute_speech_metrics(utterances, language=(transcript.language if transcript else None) or None),
            recording_metrics(session=session, practice_session_id=session_id),
            solo=claim.mode == "solo",
        )
        if transcript is not None and transcript.typed:
            # Typed text says what was said, not how: fillers typed by hand are not the fillers spoken.
            metrics = replace(metrics, filler_count=None, filler_rate_per_100=None, fillers={})
        metrics_ms = int((time.monotonic() - t0) * 1000)
        t1 = time.monotonic()
        coach = coach_session(
            session=session,
            segments=utterances,
            metrics=metrics,
            topic=scene.brief,
            client=client,
            model=model,
            criteria=scene.rubric,
        )
        coach_ms = int((time.monotonic() - t1) * 1000)
        session.commit()  # end the read transaction before the write one
        if not _write(session, claim, metrics, coach, attempts=attempts, metrics_ms=metrics_ms, coach_ms=coach_ms):
            return AnalysisOutcome(session_id, "skipped", None, "claim lost (stale)")
    except Exception as error:  # noqa: BLE001 - any failure must release the claim
        reason = f"{type(error).__name__}"
        log.exception("analysis of session %s failed (attempt %d)", session_id, attempts)
        _mark_failed(session, session_id, reason, attempts)
        return AnalysisOutcome(
            session_id, "failed", "failed", reason, processing_time_ms=int((time.monotonic() - started) * 1000)
        )
    elapsed = int((time.monotonic() - started) * 1000)
    log.info("analysis of session %s complete (%s, %d ms)", session_id, coach.provider, elapsed)
    return AnalysisOutcome(session_id, "complete", "complete", None, metrics, coach, elapsed)


def release_stale(
    session: Session, *, older_than: timedelta = STALE_AFTER, session_ids: Iterable[uuid.UUID | str] = ()
) -> int:
    """Return sessions left "processing" by a worker that died to "failed" ("stale", attempts counted); commits.

    Args:
        session: A database session (committed here).
        older_than: Release any session processing for longer than this (a claim whose holder vanished).
        session_ids: Also release these at once, whatever their age: sessions whose analysis job the job
            queue found stalled (its worker stopped sending heartbeats), so the retried job can claim them.

    Returns:
        How many sessions were released.
    """
    ids = [i for i in (id_or_none(v) for v in session_ids) if i is not None]
    stale = PracticeSession.updated_at < func.now() - older_than
    rows = session.execute(
        select(col(PracticeSession.id), col(PracticeSession.analytics_summary))
        .where(
            col(PracticeSession.processing_status) == "processing",
            (stale | col(PracticeSession.id).in_(ids)) if ids else stale,
        )
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        attempts = int(((row.analytics_summary or {}).get("analysis") or {}).get("attempts") or 0) + 1
        session.execute(
            update(PracticeSession)
            .where(PracticeSession.id == row.id)
            .values(
                processing_status="failed",
                updated_at=func.now(),
                analytics_summary={"analysis": {"status": "failed", "reason": "stale", "attempts": attempts}},
            )
            .execution_options(synchronize_session=False)
        )
    session.commit()
    return len(rows)


def _open(engine_or_session_factory: Engine | Callable[[], Session]) -> Session:
    if isinstance(engine_or_session_factory, Engine):
        return Session(engine_or_session_factory, expire_on_commit=False)
    return engine_or_session_factory()


def analyse_pending(
    *,
    engine_or_session_factory: Engine | Callable[[], Session],
    limit: int = 20,
    client: Any = _DEFAULT_CLIENT,
    model: str | None = None,
) -> list[AnalysisOutcome]:
    """Analyse up to `limit` queued sessions, oldest first: "pending" ones, then "failed" ones with fewer
    than `MAX_ATTEMPTS` attempts; stale "processing" ones are released first. Each session gets its own
    database session, so one failure never affects the next.

    Args:
        engine_or_session_factory: An Engine, or a callable returning a new Session.
        limit: How many sessions at most.
        client: The coach's client; the configured one (`get_openai_client()`, None offline) when omitted.
        model: The coach's model.
    """
    if client is _DEFAULT_CLIENT:
        from speakpro.integrations.openai_client import get_openai_client

        client = get_openai_client()
    with _open(engine_or_session_factory) as session:
        released = release_stale(session)
        if released:
            log.warning("analysis: released %d stale session(s)", released)
        attempts = func.coalesce(col(PracticeSession.analytics_summary).op("#>>")("{analysis,attempts}"), "0")
        ids = (
            session.execute(
                select(col(PracticeSession.id))
                .where(
                    col(PracticeSession.status) == "ended",
                    col(PracticeSession.deleted_at).is_(None),
                    (col(PracticeSession.processing_status) == "pending")
                    | ((col(PracticeSession.processing_status) == "failed") & (cast(attempts, Integer) < MAX_ATTEMPTS)),
                )
                .order_by((col(PracticeSession.processing_status) != "pending"), col(PracticeSession.ended_at))
                .limit(max(0, int(limit)))
            )
            .scalars()
            .all()
        )
        session.commit()
    outcomes = []
    for session_id in ids:
        with _open(engine_or_session_factory) as session:
            outcomes.append(
                analyse_session(session=session, practice_session_id=session_id, client=client, model=model)
            )
    return outcomes


def run_pending_analysis(limit: int = 20) -> int:
    """The CLI hook: analyse queued sessions with the app's engine and configured client; returns how many
    completed (0 means nothing to do, or everything failed and will be retried)."""
    from speakpro.db import get_engine

    outcomes = analyse_pending(engine_or_session_factory=get_engine(), limit=limit)
    done = sum(1 for o in outcomes if o.status == "complete")
    log.info(
        "analysis: %d complete, %d failed, %d skipped",
        done,
        sum(1 for o in outcomes if o.status == "failed"),
        sum(1 for o in outcomes if o.status == "skipped"),
    )
    return done
