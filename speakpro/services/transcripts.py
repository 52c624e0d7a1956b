"""Live transcript segments: ingested in batches without losing or garbling a word, then finalized.

The browser sends what the Realtime API (or the browser's own speech recognition in solo mode)
transcribes as numbered segments: partial ones while someone speaks, then one final per sequence.
The guarantees, whatever the order, duplication or batching of deliveries:

- **Order**: segments are ordered by `sequence` (UNIQUE per transcript); the sender numbers them.
- **Idempotent re-delivery**: delivering a segment again changes nothing (no row, no write).
- **Finals are immutable**: a partial never overwrites a final, and neither does a later, different
  final for the same sequence (it is ignored and reported in `IngestResult.conflicts`). A final replaces
  the partial of its sequence; a partial replaces an older partial.
- **Finals of one speaker never overlap in time** (the overlap rule): a new final is CLAMPED, never
  refused, because refusing it would lose its words. Its start moves to the end of the previous final of
  the same speaker (by sequence) and its end to the start of the next one, when those exist and it
  crosses them; a final squeezed between its neighbours keeps its text with zero length. Finals already
  stored never move: the one that arrives later yields, and within a batch the lower sequence wins.
  Partials are not clamped (they are replaced anyway), and the two speakers may overlap (cross-talk).

Hot path: a batch costs three statements on the caller's session (lock the session row with its
transcript id, read the stored neighbours when the batch has finals, then ONE
`INSERT ... SELECT FROM unnest(...) ON CONFLICT (transcript_id, sequence) DO UPDATE ... WHERE NOT
transcript_segments.is_final`). The upsert's WHERE clause is the database-level guard for the
"finals are immutable" rule; the read is only needed to clamp. No ORM objects are built per row.

Concurrency: ingestion locks the practice session row (FOR NO KEY UPDATE), so batches of one session
apply one after the other and `end_practice` (which takes the same lock) sees every accepted word.

The batch checks and the result shapes live in `services/segments.py`, the session id, cap and
ownership checks in `services/practice_access.py`; this module re-exports their names.
"""

from __future__ import annotations

import bisect
import re
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session

from speakpro.models import PracticeSession, Transcript, TranscriptSegment, utcnow
from speakpro.services.practice_access import CAP, NOT_ACTIVE, NOT_FOUND, OVER_CAP, over_cap, parse_session_id
from speakpro.services.segments import (
    MAX_BATCH,
    MAX_SEGMENT_CHARS,
    MAX_SEGMENT_MS,
    MAX_SEQUENCE,
    FinalTranscript,
    IngestResult,
    LiveSegment,
    Segment,
    validate_segments,
)
from speakpro.services.validation import ValidationError

__all__ = [
    "CAP", "MAX_BATCH", "MAX_SEGMENT_CHARS", "MAX_SEGMENT_MS", "MAX_SEQUENCE", "NOT_ACTIVE", "NOT_FOUND", "OVER_CAP",
    "SPEAKER_LABELS", "TAIL_DEFAULT", "TAIL_MAX", "UNFINISHED_MARK", "FinalTranscript", "IngestResult", "LiveSegment",
    "Segment", "finalize_transcript", "guess_language", "ingest_segments", "lock_active_session", "over_cap",
    "parse_session_id", "transcript_tail", "upsert_segments", "validate_segments",
]

TAIL_DEFAULT, TAIL_MAX = 30, 200
SPEAKER_LABELS = {"user": "Learner", "ai": "Partner"}
UNFINISHED_MARK = "[unfinished]"

_WORD = re.compile(r"\w+(?:['’-]\w+)*")
_segments = TranscriptSegment.__table__
_practice = PracticeSession.__table__
_transcripts = Transcript.__table__


# --- the guard every handler shares -------------------------------------------------------------------


def _ensure_transcript(session: Session, practice_session_id: uuid.UUID) -> uuid.UUID:
    """The session's transcript id; creates the row if the session has none (1:1, so a race is harmless)."""
    session.execute(
        insert(Transcript)
        .values(id=uuid.uuid4(), session_id=practice_session_id)
        .on_conflict_do_nothing(index_elements=["session_id"])
    )
    return session.execute(
        select(Transcript.id).where(Transcript.session_id == practice_session_id)
    ).scalar_one()


# Built once: the hot path only binds parameters (no statement construction, no ORM entity loading).
_LOCK_ACTIVE = (
    select(_practice.c.user_id, _practice.c.status, _practice.c.started_at, _practice.c.deleted_at,
           _transcripts.c.id.label("transcript_id"))
    .select_from(_practice.outerjoin(_transcripts, _transcripts.c.session_id == _practice.c.id))
    .where(_practice.c.id == bindparam("session_id"))
    .with_for_update(of=_practice, key_share=True)
)


def lock_active_session(
    *, session: Session, user_id: uuid.UUID, practice_session_id: object, now: datetime | None = None
) -> tuple[uuid.UUID, uuid.UUID]:
    """Lock the learner's own active session (under the cap) and return (session id, transcript id).

    Refuses without changing anything: the sweep (`practice.enforce_cap`) or the learner ending the
    session is what records an over-cap session as failed.

    Raises:
        ValidationError: Not found (unknown, someone else's or deleted), not active, or past the cap.
    """
    session_uuid = parse_session_id(practice_session_id)
    row = session.connection().execute(_LOCK_ACTIVE, {"session_id": session_uuid}).first()
    if row is None or row.user_id != user_id or row.deleted_at is not None:
        raise ValidationError("session", NOT_FOUND)
    if row.status != "active":
        raise ValidationError("session", NOT_ACTIVE)
    if over_cap(row.started_at, now or utcnow()):
        raise ValidationError("session", OVER_CAP)
    transcript_id = row.transcript_id or _ensure_transcript(session, session_uuid)
    return session_uuid, transcript_id


# --- ingestion ----------------------------------------------------------------------------------------


def _collapse(batch: list[Segment]) -> dict[int, Segment]:
    """One segment per sequence: the first final delivered, else the last partial."""
    chosen: dict[int, Segment] = {}
    for segment in batch:
        current = chosen.get(segment.sequence)
        if current is None or not current.is_final:
            chosen[segment.sequence] = segment
    return chosen


# The stored rows of a batch's sequences and the stored finals that clamping needs: every final between
# the batch's lowest and highest sequence, and per speaker with a final in the batch the nearest final
# below and above that range. A constant text: psycopg2 inlines the parameters, so the planner sees
# `false AND ...` for a speaker not needed and skips that branch.
_NEIGHBOURS = text(
    """
    SELECT sequence, speaker, start_ms, end_ms, is_final, text FROM transcript_segments
    WHERE transcript_id = :transcript_id AND sequence BETWEEN :low AND :high
      AND (is_final OR sequence = ANY(CAST(:sequences AS integer[])))
    UNION ALL (
        SELECT sequence, speaker, start_ms, end_ms, is_final, text FROM transcript_segments
        WHERE :user_finals AND transcript_id = :transcript_id AND is_final AND speaker = 'user' AND sequence < :low
        ORDER BY sequence DESC LIMIT 1)
    UNION ALL (
        SELECT sequence, speaker, start_ms, end_ms, is_final, text FROM transcript_segments
        WHERE :user_finals AND transcript_id = :transcript_id AND is_final AND speaker = 'user' AND sequence > :high
        ORDER BY sequence LIMIT 1)
    UNION ALL (
        SELECT sequence, speaker, start_ms, end_ms, is_final, text FROM transcript_segments
        WHERE :ai_finals AND transcript_id = :transcript_id AND is_final AND speaker = 'ai' AND sequence < :low
        ORDER BY sequence DESC LIMIT 1)
    UNION ALL (
        SELECT sequence, speaker, start_ms, end_ms, is_final, text FROM transcript_segments
        WHERE :ai_finals AND transcript_id = :transcript_id AND is_final AND speaker = 'ai' AND sequence > :high
        ORDER BY sequence LIMIT 1)
    """
)


def _stored_rows(session: Session, transcript_id: uuid.UUID, chosen: dict[int, Segment]) -> list[Any]:
    """See `_NEIGHBOURS`."""
    sequences = sorted(chosen)
    final_speakers = {s.speaker for s in chosen.values() if s.is_final}
    return session.connection().execute(_NEIGHBOURS, {
        "transcript_id": transcript_id, "low": sequences[0], "high": sequences[-1], "sequences": sequences,
        "user_finals": "user" in final_speakers, "ai_finals": "ai" in final_speakers,
    }).all()


def _plan(chosen: dict[int, Segment], stored_rows: list[Any]) -> tuple[list[Segment], list[int], list[int]]:
    """The segments to upsert (finals clamped), the clamped sequences and the conflicting ones."""
    stored = {row.sequence: row for row in stored_rows}
    # Per speaker, the finals that bound a new final: (sequence, start_ms, end_ms), sorted by sequence.
    finals: dict[str, list[tuple[int, int, int]]] = {}
    for row in stored.values():
        if row.is_final:
            finals.setdefault(row.speaker, []).append((row.sequence, row.start_ms, row.end_ms))
    for bounds in finals.values():
        bounds.sort()
    writes, clamped, conflicts = [], [], []
    for sequence in sorted(chosen):
        segment = chosen[sequence]
        before = stored.get(sequence)
        if before is not None and before.is_final:
            if segment.is_final and (segment.speaker, segment.text) != (before.speaker, before.text):
                conflicts.append(sequence)
            continue
        if segment.is_final:
            bounds = finals.setdefault(segment.speaker, [])
            position = bisect.bisect_left(bounds, (sequence,))
            low = bounds[position - 1][2] if position > 0 else 0
            high = bounds[position][1] if position < len(bounds) else MAX_SEGMENT_MS
            # Stored finals of one speaker never overlap, so low <= high and the result fits between them.
            start = min(max(segment.start_ms, low), high)
            end = min(max(segment.end_ms, start), high)
            if (start, end) != (segment.start_ms, segment.end_ms):
                clamped.append(sequence)
                segment = Segment(sequence, segment.speaker, segment.text, start, end, True)
            bounds.insert(position, (sequence, start, end))
        writes.append(segment)
    return writes, clamped, conflicts


# One statement per batch, whatever its size: seven array parameters and a constant SQL text (so the
# server and SQLAlchemy never see a new statement shape). DO UPDATE only touches a stored row that is
# not final, and only when something differs, so re-deliveries write nothing.
_UPSERT = text(
    """
    INSERT INTO transcript_segments AS s
        (id, transcript_id, sequence, speaker, text, start_ms, end_ms, is_final, created_at, updated_at)
    SELECT gen_random_uuid(), :transcript_id, b.sequence, b.speaker, b.text, b.start_ms, b.end_ms, b.is_final,
           :now, :now
    FROM unnest(CAST(:sequences AS integer[]), CAST(:speakers AS varchar[]), CAST(:texts AS text[]),
                CAST(:starts AS integer[]), CAST(:ends AS integer[]), CAST(:finals AS boolean[]))
         AS b(sequence, speaker, text, start_ms, end_ms, is_final)
    ON CONFLICT (transcript_id, sequence) DO UPDATE
        SET speaker = excluded.speaker, text = excluded.text, start_ms = excluded.start_ms,
            end_ms = excluded.end_ms, is_final = excluded.is_final, updated_at = excluded.updated_at
        WHERE NOT s.is_final
          AND (s.speaker, s.text, s.start_ms, s.end_ms, s.is_final)
              IS DISTINCT FROM (excluded.speaker, excluded.text, excluded.start_ms, excluded.end_ms, excluded.is_final)
    RETURNING s.sequence, (s.xmax = 0) AS inserted
    """
)


def upsert_segments(session: Session, transcript_id: uuid.UUID, segments: list[Segment]) -> tuple[int, int]:
    """Write planned segments in one statement; returns (inserted, updated). Sequences must be unique."""
    if not segments:
        return 0, 0
    result: CursorResult = session.connection().execute(
        _UPSERT,
        {
            "transcript_id": transcript_id,
            "now": utcnow(),
            "sequences": [s.sequence for s in segments],
            "speakers": [s.speaker for s in segments],
            "texts": [s.text for s in segments],
            "starts": [s.start_ms for s in segments],
            "ends": [s.end_ms for s in segments],
            "finals": [s.is_final for s in segments],
        },
    )
    flags = [row.inserted for row in result]
    inserted = sum(1 for flag in flags if flag)
    return inserted, len(flags) - inserted


def ingest_segments(
    *, session: Session, user_id: uuid.UUID, practice_session_id: uuid.UUID | str, segments: list[dict]
) -> IngestResult:
    """Store a batch of live transcript segments (see the module docstring for the guarantees).

    Args:
        session: The caller's session; the batch commits with the caller's transaction.
        user_id: The learner sending the batch; only the session's owner may.
        practice_session_id: The practice session.
        segments: At most 200 segments (see `validate_segments` for their shape).

    Returns:
        What the batch changed.

    Raises:
        ValidationError: For a malformed or oversized batch, or a session that is not the learner's, not
            active or past its 15-minute cap. Nothing is stored then.
    """
    batch = validate_segments(segments)
    _, transcript_id = lock_active_session(session=session, user_id=user_id,
                                           practice_session_id=practice_session_id)
    if not batch:
        return IngestResult(received=0, inserted=0, updated=0, ignored=0)
    chosen = _collapse(batch)
    has_finals = any(s.is_final for s in chosen.values())
    # Without a final there is nothing to clamp: the upsert's WHERE alone keeps finals from partials.
    stored = _stored_rows(session, transcript_id, chosen) if has_finals else []
    writes, clamped, conflicts = _plan(chosen, stored)
    inserted, updated = upsert_segments(session, transcript_id, writes)
    return IngestResult(
        received=len(batch),
        inserted=inserted,
        updated=updated,
        ignored=len(batch) - inserted - updated,
        clamped=tuple(clamped),
        conflicts=tuple(conflicts),
    )


# --- reading and finalizing -----------------------------------------------------------------------------


def transcript_tail(
    *, session: Session, user_id: uuid.UUID, practice_session_id: uuid.UUID | str, limit: int = TAIL_DEFAULT
) -> list[LiveSegment]:
    """The last `limit` segments of the learner's own session, oldest first, for the live view.

    The live view keeps only this bounded window in state (the database is the source of truth).

    Raises:
        ValidationError: Not found (unknown, someone else's or deleted session).
    """
    session_uuid = parse_session_id(practice_session_id)
    limit = max(1, min(int(limit), TAIL_MAX))
    owner = session.execute(
        select(PracticeSession.user_id, PracticeSession.deleted_at).where(PracticeSession.id == session_uuid)
    ).first()
    if owner is None or owner.user_id != user_id or owner.deleted_at is not None:
        raise ValidationError("session", NOT_FOUND)
    c = _segments.c
    rows = session.execute(
        select(c.sequence, c.speaker, c.text, c.start_ms, c.end_ms, c.is_final)
        .join(Transcript.__table__, Transcript.id == c.transcript_id)
        .where(Transcript.session_id == session_uuid)
        .order_by(c.sequence.desc())
        .limit(limit)
    ).all()
    return [LiveSegment(r.sequence, r.speaker, r.text, r.start_ms, r.end_ms, r.is_final) for r in reversed(rows)]


_STOPWORDS = {
    "en": {"the", "and", "you", "that", "is", "to", "of", "it", "we", "for", "this", "with", "what", "have"},
    "es": {"el", "la", "que", "de", "los", "las", "y", "es", "por", "para", "con", "una", "pero", "muy"},
    "fr": {"le", "la", "les", "et", "est", "que", "des", "une", "pour", "pas", "vous", "nous", "avec", "dans"},
    "de": {"der", "die", "das", "und", "ist", "nicht", "ich", "sie", "wir", "mit", "ein", "eine", "auch", "für"},
    "pt": {"o", "os", "que", "de", "não", "uma", "para", "com", "você", "mas", "muito", "isso", "está", "em"},
    "it": {"il", "che", "di", "non", "una", "per", "con", "sono", "della", "anche", "questo", "ma", "è", "gli"},
    "nl": {"de", "het", "een", "en", "niet", "ik", "je", "wij", "met", "voor", "maar", "ook", "dat", "zijn"},
}


def guess_language(words: list[str]) -> str:
    """A rough language code from common function words; "en" unless another language clearly leads."""
    lowered = [w.lower() for w in words]
    scores = {code: sum(1 for w in lowered if w in stop) for code, stop in _STOPWORDS.items()}
    best = max(scores, key=lambda code: scores[code])
    # Several languages share short words ("de", "que"): demand a clear lead over English.
    if best != "en" and scores[best] >= 3 and scores[best] >= 2 * scores["en"]:
        return best
    return "en"


def finalize_transcript(*, session: Session, practice_session_id: uuid.UUID | str) -> FinalTranscript:
    """Write the transcript's content and figures from its segments and mark it finalized.

    Content is one line per segment in sequence order, "Learner: ..." for the learner and "Partner: ..."
    for the AI partner. A sequence that never became final keeps its latest partial text (the words were
    said; dropping them would lose them), marked with " [unfinished]" at the end of its line. Empty
    segments are left out. `word_count` counts the words of every line (both speakers, markers excluded),
    `language` is a stopword guess ("en" by default) and `confidence` stays NULL: neither transcription
    source reports one. An anonymized transcript is only marked finalized; its content is not rebuilt.

    Called by `practice.end_practice` and the cap sweep; idempotent. No ownership check: callers are
    server-side code that has already checked it.

    Raises:
        ValidationError: When the session does not exist.
    """
    session_uuid = parse_session_id(practice_session_id)
    if session.execute(select(PracticeSession.id).where(PracticeSession.id == session_uuid)).first() is None:
        raise ValidationError("session", NOT_FOUND)
    transcript_id = _ensure_transcript(session, session_uuid)
    transcript = session.execute(
        select(Transcript.is_anonymized, Transcript.content, Transcript.word_count, Transcript.language,
               Transcript.confidence)
        .where(Transcript.id == transcript_id)
        .with_for_update(key_share=True)
    ).one()
    if transcript.is_anonymized:
        session.execute(update(Transcript).where(Transcript.id == transcript_id).values(finalized=True))
        return FinalTranscript(transcript.content, transcript.word_count, transcript.language,
                               transcript.confidence, True)
    c = _segments.c
    rows = session.execute(
        select(c.speaker, c.text, c.is_final).where(c.transcript_id == transcript_id).order_by(c.sequence)
    ).all()
    lines, words = [], []
    for row in rows:
        if not row.text:
            continue
        line = f"{SPEAKER_LABELS.get(row.speaker, row.speaker)}: {row.text}"
        lines.append(line if row.is_final else f"{line} {UNFINISHED_MARK}")
        words.extend(_WORD.findall(row.text))
    final = FinalTranscript(content="\n".join(lines), word_count=len(words), language=guess_language(words),
                            confidence=None, finalized=True)
    session.execute(
        update(Transcript)
        .where(Transcript.id == transcript_id)
        .values(content=final.content, word_count=final.word_count, language=final.language,
                confidence=None, finalized=True, updated_at=utcnow())
    )
    return final
