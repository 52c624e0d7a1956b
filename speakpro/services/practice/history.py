"""A learner's practice history: the paginated list, one session in full, and deleting a session.

Reads return plain dataclasses (ids as strings), never ORM rows. A learner only ever sees their own
sessions: someone else's session and an unknown one give the same "not found" error, so ids cannot be
probed. The list costs two queries per page (count + page, flags as EXISTS subqueries) and the detail
three (the session with its 1:1 rows, the segments, then its analysis results), however long the history is.

The detail also carries the analysis next to the transcript: the speech metrics with their healthy
bands (`services.analysis.speech_metrics` constants), the coach's rubric with strengths and improvements, and each
learner line split into plain and filler parts (`text.filler_parts`, English only).

Deleting a session lives in `services.practice.session_deletion`; its docstring gives the privacy rules.
"""

from __future__ import annotations

import logging
import math
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlmodel import Session, col

from speakpro.integrations.storage import StorageError, get_storage
from speakpro.models import (
    AnalysisResult,
    AudioRecording,
    PracticeSession,
    Retake,
    ScenarioVersion,
    SessionAnalytics,
    Topic,
    Transcript,
    TranscriptSegment,
)
from speakpro.models.practice import SHARED_WITH_MANAGERS
from speakpro.services.analysis import speech_metrics as sm
from speakpro.services.analysis.criteria import CriterionScore, RubricCriterion, criteria_of, scores_of
from speakpro.services.analysis.moments import Moment, weakest_moments

# One parser for a session id and one "not found" answer, shared with the deletion of a session.
from speakpro.services.practice.session_deletion import (
    not_found_error,
    session_uuid,
)
from speakpro.services.text import filler_parts

log = logging.getLogger(__name__)

PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100
MAX_SEGMENTS = 2_000  # a 15-minute session has a few hundred; the cap keeps the page state small
PLAYBACK_SECONDS = 300
STRIP_MOMENTS = 8  # the replay strip's weak moments, the most severe


@dataclass(frozen=True)
class HistoryItem:
    """One row of the history list (seed 002's History view, plus the score when analysed)."""

    id: str
    topic_title: str
    title: str
    started_at: datetime
    duration_seconds: int | None
    status: str
    privacy: str
    mode: str
    has_audio: bool
    has_transcript: bool
    overall_score: int | None
    retakes_improved: int = 0  # moments of the session whose retake beat the original
    retakes: int = 0  # moments of the session retaken at least once


@dataclass(frozen=True)
class HistoryPage:
    """One page of the history, newest first; `pages` is at least 1 so "page 1 of 1" reads right."""

    items: list[HistoryItem]
    page: int
    pages: int
    total: int
    page_size: int = PAGE_SIZE_DEFAULT


@dataclass(frozen=True)
class SegmentView:
    """One final utterance of the transcript."""

    sequence: int
    speaker: str
    text: str
    start_ms: int
    end_ms: int
    parts: list[dict[str, Any]] = field(default_factory=list)  # [{"text", "filler": bool}]; learner lines only


@dataclass(frozen=True)
class MetricView:
    """One speech metric against its healthy band (`low`/`high` None when open-ended).

    `assessment` is "ok", "low", "high", or None when the metric was not measured. `applicable` is False
    for a metric the session cannot have (talk time in solo practice, which has no partner).
    """

    key: str
    value: float | None
    low: float | None
    high: float | None
    assessment: str | None
    applicable: bool = True
    source: str | None = None  # for the pace: "transcript" or "recording"


@dataclass(frozen=True)
class CoachView:
    """The coach's rubric: scores 0-100, the overall score, strengths and improvements with quotes."""

    provider: str  # "openai" or "local"
    provider_label: str  # "AI coach" or "Local rubric"
    note: str
    scores: dict[str, int | None]
    overall: int | None
    strengths: list[dict[str, str]]  # [{"text", "quote"}]
    improvements: list[dict[str, str]]
    criteria: tuple[CriterionScore, ...] = ()  # a company scenario's own rubric, scored


@dataclass(frozen=True)
class RecordingView:
    """The session's primary recording, with a playback URL valid for `PLAYBACK_SECONDS`."""

    mime_type: str
    size_bytes: int
    duration_seconds: float | None
    url: str


@dataclass(frozen=True)
class AnalyticsView:
    """The headline figures of an analysed session."""

    overall_score: int | None
    talk_time_ratio: float | None
    filler_words_count: int | None  # None: not measured (not English, or a typed transcript)
    speaking_pace_wpm: int | None
    questions_asked: int
    longest_monologue_seconds: int | None
    skills: dict[str, int | None]


@dataclass(frozen=True)
class SessionDetail:
    """One session as its owner sees it."""

    id: str
    title: str
    topic_title: str
    mode: str
    status: str
    privacy: str
    processing_status: str
    started_at: datetime
    ended_at: datetime | None
    duration_seconds: int | None
    has_transcript: bool
    transcript_anonymized: bool
    transcript_language: str
    word_count: int
    segments: list[SegmentView]
    transcript_text: str  # the plain content, only when there are no final segments to show
    recording: RecordingView | None
    analytics: AnalyticsView | None
    speech_metrics: list[MetricView] = field(default_factory=list)
    coach: CoachView | None = None
    transcript_typed: bool = False  # the learner typed it (solo): says what was said, not how
    rubric: tuple[RubricCriterion, ...] = ()  # the criteria of the scenario version it was practised with
    # Its weak moments for the replay's strip (fillers, monologues, pauses, objections; not for a typed
    # transcript, which says what was said but not how).
    moments: tuple[Moment, ...] = ()


def _topic_title() -> Any:
    """What a session practised: its library topic, or its company scenario (the session's own title when
    the scenario is no longer readable, for a learner who left the company)."""
    return func.coalesce(col(Topic.title), col(ScenarioVersion.title), col(PracticeSession.title))


def _has_audio(session_id_column) -> Any:
    return exists().where(
        AudioRecording.session_id == session_id_column,
        col(AudioRecording.is_primary).is_(True),
        col(AudioRecording.deleted_at).is_(None),
    )


def _has_transcript(session_id_column) -> Any:
    """A finalized, not anonymised transcript with some text (its content, or a non-empty final segment)."""
    final_text = exists().where(
        col(TranscriptSegment.transcript_id) == col(Transcript.id),
        col(TranscriptSegment.is_final).is_(True),
        func.btrim(TranscriptSegment.text) != "",
    )
    return exists().where(
        Transcript.session_id == session_id_column,
        col(Transcript.finalized).is_(True),
        col(Transcript.is_anonymized).is_(False),
        (func.btrim(Transcript.content) != "") | final_text,
    )


def _retakes(session_id_column, *, improved: bool = False) -> Any:
    """How many moments of the session were retaken (or retaken better than the original)."""
    condition = [col(Retake.session_id) == session_id_column]
    if improved:
        score = Retake.answer_score["score"].as_integer() > Retake.original_score["score"].as_integer()
        condition.append(score)
    return select(func.count()).select_from(Retake).where(*condition).scalar_subquery()


def list_history(*, session: Session, user_id: uuid.UUID, page: int, page_size: int = PAGE_SIZE_DEFAULT) -> HistoryPage:
    """The learner's own practice sessions, newest first, one page at a time.

    Two queries whatever the page size: the count, then the page, whose flags and score come from
    EXISTS subqueries and an outer join on the 1:1 analytics row. The page is read through the
    `(user_id, started_at)` index.

    Args:
        session: A database session.
        user_id: The learner; only their sessions, and never deleted ones, are listed.
        page: 1-based; out-of-range values are clamped to the first or last page.
        page_size: 1 to `PAGE_SIZE_MAX` rows per page.

    Returns:
        The page, with the clamped page number, the number of pages and the total.
    """
    page_size = max(1, min(PAGE_SIZE_MAX, int(page_size)))
    owned = and_(col(PracticeSession.user_id) == user_id, col(PracticeSession.deleted_at).is_(None))
    total = session.execute(select(func.count()).select_from(PracticeSession).where(owned)).scalar_one()
    pages = max(1, math.ceil(total / page_size))
    page = max(1, min(pages, int(page)))
    rows = session.execute(
        select(
            col(PracticeSession.id),
            _topic_title().label("topic_title"),
            col(PracticeSession.title),
            col(PracticeSession.started_at),
            col(PracticeSession.duration_seconds),
            col(PracticeSession.status),
            col(PracticeSession.privacy),
            col(PracticeSession.mode),
            _has_audio(col(PracticeSession.id)).label("has_audio"),
            _has_transcript(col(PracticeSession.id)).label("has_transcript"),
            col(SessionAnalytics.overall_score),
            _retakes(col(PracticeSession.id)).label("retakes"),
            _retakes(col(PracticeSession.id), improved=True).label("retakes_improved"),
        )
        .outerjoin(Topic, col(Topic.id) == col(PracticeSession.topic_id))
        .outerjoin(ScenarioVersion, col(ScenarioVersion.id) == col(PracticeSession.scenario_version_id))
        .outerjoin(SessionAnalytics, col(SessionAnalytics.session_id) == col(PracticeSession.id))
        .where(owned)
        .order_by(col(PracticeSession.started_at).desc(), col(PracticeSession.id).desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    items = [
        HistoryItem(
            id=str(r.id),
            topic_title=r.topic_title,
            title=r.title,
            started_at=r.started_at,
            duration_seconds=r.duration_seconds,
            status=r.status,
            privacy=r.privacy,
            mode=r.mode,
            has_audio=bool(r.has_audio),
            has_transcript=bool(r.has_transcript),
            overall_score=r.overall_score,
            retakes=r.retakes,
            retakes_improved=r.retakes_improved,
        )
        for r in rows
    ]
    return HistoryPage(items=items, page=page, pages=pages, total=total, page_size=page_size)


def _float(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


# (key, low, high) of each metric with a healthy band, in display order (see services.analysis.speech_metrics).
METRIC_BANDS: tuple[tuple[str, float | None, float | None], ...] = (
    ("pace_wpm", *sm.PACE_HEALTHY_WPM),
    ("filler_rate_per_100", 0, sm.FILLER_RATE_HEALTHY_MAX),
    ("talk_time_ratio", *sm.TALK_RATIO_HEALTHY),
    ("longest_monologue_seconds", 0, sm.MONOLOGUE_HEALTHY_MAX_SECONDS),
    ("vocabulary_variety", sm.VOCABULARY_VARIETY_HEALTHY_MIN, 1),
    ("sentiment", sm.SENTIMENT_POSITIVE_MIN, 1),
    ("pitch_variation_semitones", *sm.PITCH_VARIATION_HEALTHY),
    ("loudness_variation_db", *sm.LOUDNESS_VARIATION_HEALTHY),
)
COACH_SKILLS = ("opening", "questioning", "objection_handling", "closing")


def provider_label(provider: str) -> str:
    """How the coaching is labelled for learners: "Local rubric" or "AI coach"."""
    return "Local rubric" if provider == "local" else "AI coach"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _assess(key: str, value: float | None, low: float | None, high: float | None) -> str | None:
    if value is None:
        return None
    if key == "filler_rate_per_100":  # healthy is strictly under the maximum (the quest's rule)
        return "ok" if value < sm.FILLER_RATE_HEALTHY_MAX else "high"
    if key in ("vocabulary_variety", "sentiment"):  # open-ended above
        return "low" if low is not None and value < low else "ok"
    if low is not None and value < low:
        return "low"
    if high is not None and value > high:
        return "high"
    return "ok"


# What a session without a partner cannot have.
NOT_IN_SOLO = frozenset({"talk_time_ratio"})


def metric_views(figures: dict[str, Any], *, solo: bool = False, keep_unmeasured: bool = False) -> list[MetricView]:
    """The banded metrics of the speech_metrics result (or the analytics row), [] when nothing was measured
    (unless `keep_unmeasured`: then each says "not measured"); in a `solo` session the metrics that need a
    partner are "not applicable"."""
    views = []
    for key, low, high in METRIC_BANDS:
        if solo and key in NOT_IN_SOLO:
            views.append(MetricView(key=key, value=None, low=low, high=high, assessment=None, applicable=False))
            continue
        value = _number(figures.get(key))
        source = figures.get("pace_source") if key == "pace_wpm" and value is not None else None
        views.append(
            MetricView(
                key=key,
                value=value,
                low=low,
                high=high,
                assessment=_assess(key, value, low, high),
                source=source if isinstance(source, str) else None,
            )
        )
    return views if keep_unmeasured or any(v.value is not None for v in views) else []


def _coach_view(provider: str, results: dict[str, Any], stats: SessionAnalytics | None) -> CoachView | None:
    raw_scores = results.get("scores")
    if not isinstance(raw_scores, dict):
        raw_scores = {}
    scores: dict[str, int | None] = {}
    for skill in COACH_SKILLS:
        value = _number(raw_scores.get(skill))
        if value is None and stats is not None:
            value = _number(getattr(stats, f"{skill}_score", None))
        scores[skill] = None if value is None else int(round(value))
    overall = _number(results.get("overall"))
    if overall is None and stats is not None:
        overall = _number(stats.overall_score)
    if not results and all(v is None for v in scores.values()) and overall is None:
        return None

    def items(name: str) -> list[dict[str, str]]:
        value = results.get(name)
        return [
            {"text": str(i.get("text") or ""), "quote": str(i.get("quote") or "")}
            for i in (value if isinstance(value, list) else [])
            if isinstance(i, dict) and i.get("text")
        ]

    provider = provider or str(results.get("provider") or "local")
    return CoachView(
        provider=provider,
        provider_label=provider_label(provider),
        note=str(results.get("label") or ""),
        scores=scores,
        overall=None if overall is None else int(round(overall)),
        strengths=items("strengths"),
        improvements=items("improvements"),
        criteria=scores_of(results.get("criteria")),
    )


def _english(language: str | None) -> bool:
    return not language or language.lower().startswith("en")


def get_session_detail(
    *,
    session: Session,
    user_id: uuid.UUID,
    practice_session_id: uuid.UUID | str,
    shared_with_company: uuid.UUID | None = None,
) -> SessionDetail:
    """One of the learner's sessions: transcript segments, recording with a playback URL, analytics.

    With `shared_with_company`, the reader is a manager of that company (`user_id` is theirs): the session
    is any of the company's that its learner shared with managers (`review.review_session`), and Row-Level
    Security holds the same rule (migration 0018).

    Three queries: the session with its transcript, primary recording and analytics (all 1:1), the
    final segments in sequence order, then the newest "speech_metrics" and "coach" analysis results.
    Learner lines carry `parts` (fillers marked) when the transcript is English. The playback URL is
    minted only after ownership is established.

    Raises:
        ValidationError: "not found" for an unknown id, someone else's session or a deleted one.
    """
    session_id = session_uuid(practice_session_id)
    row = session.execute(
        select(
            PracticeSession,
            _topic_title().label("topic_title"),
            col(Transcript.id).label("transcript_id"),
            col(Transcript.finalized),
            col(Transcript.content).label("transcript_content"),
            col(Transcript.is_anonymized),
            col(Transcript.language),
            col(Transcript.word_count),
            col(Transcript.typed),
            col(AudioRecording.storage_key),
            col(AudioRecording.mime_type),
            col(AudioRecording.size_bytes),
            col(AudioRecording.duration_seconds).label("audio_seconds"),
            SessionAnalytics,
            col(ScenarioVersion.rubric),
        )
        .outerjoin(Topic, col(Topic.id) == col(PracticeSession.topic_id))
        .outerjoin(ScenarioVersion, col(ScenarioVersion.id) == col(PracticeSession.scenario_version_id))
        .outerjoin(Transcript, col(Transcript.session_id) == col(PracticeSession.id))
        .outerjoin(
            AudioRecording,
            and_(
                col(AudioRecording.session_id) == col(PracticeSession.id),
                col(AudioRecording.is_primary).is_(True),
                col(AudioRecording.deleted_at).is_(None),
            ),
        )
        .outerjoin(SessionAnalytics, col(SessionAnalytics.session_id) == col(PracticeSession.id))
        .where(
            col(PracticeSession.id) == session_id,
            col(PracticeSession.deleted_at).is_(None),
            *(
                (col(PracticeSession.user_id) == user_id,)
                if shared_with_company is None
                else (
                    col(PracticeSession.company_id) == shared_with_company,
                    col(PracticeSession.privacy) == SHARED_WITH_MANAGERS,
                )
            ),
        )
    ).first()
    if row is None:
        raise not_found_error()
    practice: PracticeSession = row.PracticeSession
    readable = row.transcript_id is not None and not row.is_anonymized
    segments: list[SegmentView] = []
    if readable:
        segments = [
            SegmentView(sequence=s.sequence, speaker=s.speaker, text=s.text, start_ms=s.start_ms, end_ms=s.end_ms)
            for s in session.execute(
                select(
                    col(TranscriptSegment.sequence),
                    col(TranscriptSegment.speaker),
                    col(TranscriptSegment.text),
                    col(TranscriptSegment.start_ms),
                    col(TranscriptSegment.end_ms),
                )
                .where(
                    col(TranscriptSegment.transcript_id) == row.transcript_id, col(TranscriptSegment.is_final).is_(True)
                )
                .order_by(col(TranscriptSegment.sequence))
                .limit(MAX_SEGMENTS)
            ).all()
        ]
    results: dict[str, tuple[str, dict[str, Any]]] = {}
    for analysis_type, provider, payload in session.execute(
        select(col(AnalysisResult.analysis_type), col(AnalysisResult.provider), col(AnalysisResult.results))
        .where(
            col(AnalysisResult.session_id) == session_id,
            col(AnalysisResult.analysis_type).in_(("speech_metrics", "coach")),
        )
        .order_by(col(AnalysisResult.created_at).desc(), col(AnalysisResult.id).desc())
    ).all():
        results.setdefault(analysis_type, (provider, payload if isinstance(payload, dict) else {}))
    stats: SessionAnalytics | None = row.SessionAnalytics
    figures = results.get("speech_metrics", ("", {}))[1]
    if not figures and stats is not None:
        figures = {
            "pace_wpm": stats.speaking_pace_wpm,
            "filler_rate_per_100": stats.filler_rate_per_100,
            "talk_time_ratio": stats.talk_time_ratio,
            "longest_monologue_seconds": stats.longest_monologue_seconds,
            "sentiment": stats.sentiment_score,
        }
    coach = None
    if "coach" in results or stats is not None:
        coach = _coach_view(*results.get("coach", ("", {})), stats)
    if _english(figures.get("language") or row.language) and not row.typed:
        segments = [replace(s, parts=filler_parts(s.text)) if s.speaker == sm.LEARNER else s for s in segments]
    text = (row.transcript_content or "").strip() if readable else ""
    recording = None
    if row.storage_key is not None:
        try:
            url = get_storage().open_url(row.storage_key, PLAYBACK_SECONDS)
        except StorageError as error:
            log.warning("playback URL unavailable: %s", type(error).__name__)
            url = ""
        recording = RecordingView(
            mime_type=row.mime_type, size_bytes=row.size_bytes, duration_seconds=row.audio_seconds, url=url
        )
    analytics = None
    if stats is not None:
        analytics = AnalyticsView(
            overall_score=stats.overall_score,
            talk_time_ratio=_float(stats.talk_time_ratio),
            filler_words_count=None if stats.filler_rate_per_100 is None else stats.filler_words_count,
            speaking_pace_wpm=stats.speaking_pace_wpm,
            questions_asked=stats.questions_asked,
            longest_monologue_seconds=stats.longest_monologue_seconds,
            skills={
                "opening": stats.opening_score,
                "questioning": stats.questioning_score,
                "objection_handling": stats.objection_handling_score,
                "closing": stats.closing_score,
            },
        )
    return SessionDetail(
        id=str(practice.id),
        title=practice.title,
        topic_title=row.topic_title,
        mode=practice.mode,
        status=practice.status,
        privacy=practice.privacy,
        processing_status=practice.processing_status,
        started_at=practice.started_at,
        ended_at=practice.ended_at,
        duration_seconds=practice.duration_seconds,
        has_transcript=bool(readable and row.finalized and (segments or text)),
        transcript_anonymized=bool(row.is_anonymized),
        transcript_typed=bool(row.typed),
        transcript_language=row.language or "",
        word_count=row.word_count or 0,
        segments=segments,
        transcript_text=text if not segments else "",
        recording=recording,
        analytics=analytics,
        speech_metrics=metric_views(figures, solo=practice.mode == "solo"),
        coach=coach,
        rubric=criteria_of(row.rubric),
        moments=() if row.typed else tuple(weakest_moments(segments, limit=STRIP_MOMENTS)),
    )
