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

Hot path: a batch is ONE call of the database function `speakpro_ingest_segments` (migration 0006),
which signs the learner in from their token's keyed hash (or takes a user id the caller checked), locks
their active session, clamps new finals against the stored neighbours and upserts each segment with
`ON CONFLICT (transcript_id, sequence) DO UPDATE ... WHERE NOT transcript_segments.is_final` (the
database-level guard for "finals are immutable"). The live page calls it in autocommit (`ingest_batch`),
so a batch costs one round trip and its answer means committed; no ORM object is built per row.

Concurrency: ingestion locks the practice session row (FOR NO KEY UPDATE), so batches of one session
apply one after the other and `end_practice` (which takes the same lock) sees every accepted word.

The batch checks and the result shapes live in `services/practice/segments.py`, the session id, cap and
ownership checks in `services/practice/practice_access.py`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Connection, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from speakpro.db import autocommit_connection, enter_context, session_scope
from speakpro.models import PracticeSession, Transcript, TranscriptSegment, table_of, utcnow
from speakpro.services.accounts.sessions import (
    IDLE_TIMEOUT,
    TOUCH_EVERY,
    hash_token,
    resolve_session,
    viewer_context,
)
from speakpro.services.practice.practice_access import CAP, NOT_ACTIVE, NOT_FOUND, OVER_CAP, parse_session_id
from speakpro.services.practice.segments import (
    MAX_SEGMENT_MS,
    FinalTranscript,
    IngestResult,
    LiveSegment,
    Segment,
    validate_segments,
)
from speakpro.services.text import guess_language, words_of
from speakpro.services.validation import ValidationError

__all__ = [
    "SPEAKER_LABELS",
    "TAIL_DEFAULT",
    "TAIL_MAX",
    "UNFINISHED_MARK",
    "BatchOutcome",
    "finalize_transcript",
    "ingest_batch",
    "ingest_segments",
    "live_tail",
    "transcript_tail",
]

TAIL_DEFAULT, TAIL_MAX = 30, 200
SPEAKER_LABELS = {"user": "Learner", "ai": "Partner"}
UNFINISHED_MARK = "[unfinished]"

_segments = table_of(TranscriptSegment)
_practice = table_of(PracticeSession)
_transcripts = table_of(Transcript)


# --- ingestion ----------------------------------------------------------------------------------------


def _ensure_transcript(session: Session, practice_session_id: uuid.UUID) -> uuid.UUID:
    """The session's transcript id; creates the row if the session has none (1:1, so a race is harmless)."""
    session.execute(
        insert(Transcript)
        .values(id=uuid.uuid4(), session_id=practice_session_id)
        .on_conflict_do_nothing(index_elements=["session_id"])
    )
    return session.execute(
        select(col(Transcript.id)).where(col(Transcript.session_id) == practice_session_id)
    ).scalar_one()


def _collapse(batch: list[Segment]) -> dict[int, Segment]:
    """One segment per sequence: the first final delivered, else the last partial."""
    chosen: dict[int, Segment] = {}
    for segment in batch:
        current = chosen.get(segment.sequence)
        if current is None or not current.is_final:
            chosen[segment.sequence] = segment
    return chosen


_OUTCOME_ERRORS = {"not_found": NOT_FOUND, "not_active": NOT_ACTIVE, "over_cap": OVER_CAP}

# The whole batch in one call of `speakpro_ingest_segments` (migration 0006): sign-in, the session's owner /
# active / cap checks under its row lock, the transcript row, the clamp against stored neighbours and the
# upsert. A constant SQL text with array parameters, so neither the server nor SQLAlchemy sees a new shape.
_INGEST = text(
    """
    SELECT outcome, user_id, inserted, updated, clamped, conflicts FROM speakpro_ingest_segments(
        CAST(:token_hash AS text), CAST(:user_id AS uuid), CAST(:session_id AS uuid), CAST(:now AS timestamptz),
        CAST(:idle AS interval), CAST(:touch AS interval), CAST(:cap AS interval),
        CAST(:sequences AS integer[]), CAST(:speakers AS text[]), CAST(:texts AS text[]),
        CAST(:starts AS integer[]), CAST(:ends AS integer[]), CAST(:finals AS boolean[]), :max_ms)
    """
)


@dataclass(frozen=True)
class BatchOutcome:
    """What the database said of one batch: "ok" (committed, with its figures), or why it was refused.

    Attributes:
        outcome: ok | signed_out | not_found | not_active | over_cap.
        user_id: The learner the batch was stored for (None when signed out).
        result: The figures of an accepted batch.
        sequences: Every sequence of the batch; all of them are durable once an "ok" batch committed
            (written now, or already stored in a form that supersedes what was sent).
        segments: The batch's segments, one per sequence (the last of each), in sequence order.
    """

    outcome: str
    user_id: uuid.UUID | None
    result: IngestResult | None
    sequences: tuple[int, ...]
    segments: tuple[Segment, ...] = ()

    @property
    def message(self) -> str:
        """The learner-facing reason of a refusal ("" when accepted)."""
        if self.outcome == "signed_out":
            return "You are signed out: sign in again in another tab, and your words will be sent."
        return _OUTCOME_ERRORS.get(self.outcome, "")


def _call(
    connection: Connection,
    *,
    token_hash: str | None,
    user_id: uuid.UUID | None,
    session_id: uuid.UUID,
    batch: list[Segment],
) -> BatchOutcome:
    chosen = _collapse(batch)
    ordered = [chosen[sequence] for sequence in sorted(chosen)]
    row = connection.execute(
        _INGEST,
        {
            "token_hash": token_hash,
            "user_id": user_id,
            "session_id": session_id,
            "now": utcnow(),
            "idle": IDLE_TIMEOUT,
            "touch": TOUCH_EVERY,
            "cap": CAP,
            "sequences": [s.sequence for s in ordered],
            "speakers": [s.speaker for s in ordered],
            "texts": [s.text for s in ordered],
            "starts": [s.start_ms for s in ordered],
            "ends": [s.end_ms for s in ordered],
            "finals": [s.is_final for s in ordered],
            "max_ms": MAX_SEGMENT_MS,
        },
    ).one()
    if row.outcome != "ok":
        return BatchOutcome(row.outcome, row.user_id, None, tuple(sorted(chosen)))
    result = IngestResult(
        received=len(batch),
        inserted=row.inserted,
        updated=row.updated,
        ignored=len(batch) - row.inserted - row.updated,
        clamped=tuple(row.clamped),
        conflicts=tuple(row.conflicts),
    )
    return BatchOutcome("ok", row.user_id, result, tuple(sorted(chosen)), tuple(ordered))


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
    session_uuid = parse_session_id(practice_session_id)
    answer = _call(session.connection(), token_hash=None, user_id=user_id, session_id=session_uuid, batch=batch)
    if answer.outcome != "ok" or answer.result is None:
        raise ValidationError("session", answer.message)
    return answer.result


def ingest_batch(*, token: str, practice_session_id: object, segments: object) -> BatchOutcome:
    """The live page's hot path: sign the learner in from their session token and store a batch, committed,
    in one round trip to the database (autocommit; see `db.autocommit_connection`).

    Raises:
        ValidationError: For a malformed or oversized batch, or a session id that is not one.
        DatabaseUnavailable: When the database cannot be reached (nothing was stored).
    """
    batch = validate_segments(segments)
    session_uuid = parse_session_id(practice_session_id)
    if not token or len(token) > 200:
        return BatchOutcome("signed_out", None, None, tuple(sorted({s.sequence for s in batch})))
    with autocommit_connection() as connection:
        return _call(connection, token_hash=hash_token(token), user_id=None, session_id=session_uuid, batch=batch)


# --- reading and finalizing -----------------------------------------------------------------------------


def live_tail(*, token: str, practice_session_id: uuid.UUID | str, limit: int = TAIL_MAX) -> list[LiveSegment]:
    """The last `limit` segments of a live session for the transcript channel's meter, read as the learner
    the token signs in (Row-Level Security applies); [] when it signs nobody in or the session is not theirs.

    Raises:
        DatabaseUnavailable: When the database cannot be reached.
    """
    with session_scope() as session:
        viewer = resolve_session(session=session, token=token)
        if viewer is None:
            return []
        enter_context(session, viewer_context(viewer))
        try:
            return transcript_tail(
                session=session, user_id=viewer.user_id, practice_session_id=practice_session_id, limit=limit
            )
        except ValidationError:
            return []


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
        select(col(PracticeSession.user_id), col(PracticeSession.deleted_at)).where(
            col(PracticeSession.id) == session_uuid
        )
    ).first()
    if owner is None or owner.user_id != user_id or owner.deleted_at is not None:
        raise ValidationError("session", NOT_FOUND)
    c = _segments.c
    rows = session.execute(
        select(c.sequence, c.speaker, c.text, c.start_ms, c.end_ms, c.is_final)
        .join(table_of(Transcript), col(Transcript.id) == c.transcript_id)
        .where(col(Transcript.session_id) == session_uuid)
        .order_by(c.sequence.desc())
        .limit(limit)
    ).all()
    return [LiveSegment(r.sequence, r.speaker, r.text, r.start_ms, r.end_ms, r.is_final) for r in reversed(rows)]


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
    if session.execute(select(col(PracticeSession.id)).where(col(PracticeSession.id) == session_uuid)).first() is None:
        raise ValidationError("session", NOT_FOUND)
    transcript_id = _ensure_transcript(session, session_uuid)
    transcript = session.execute(
        select(
            col(Transcript.is_anonymized),
            col(Transcript.content),
            col(Transcript.word_count),
            col(Transcript.language),
            col(Transcript.confidence),
        )
        .where(col(Transcript.id) == transcript_id)
        .with_for_update(key_share=True)
    ).one()
    if transcript.is_anonymized:
        session.execute(update(Transcript).where(col(Transcript.id) == transcript_id).values(finalized=True))
        return FinalTranscript(
            transcript.content, transcript.word_count, transcript.language, transcript.confidence, True
        )
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
        words.extend(words_of(row.text))
    final = FinalTranscript(
        content="\n".join(lines), word_count=len(words), language=guess_language(words), confidence=None, finalized=True
    )
    session.execute(
        update(Transcript)
        .where(col(Transcript.id) == transcript_id)
        .values(
            content=final.content,
            word_count=final.word_count,
            language=final.language,
            confidence=None,
            finalized=True,
            updated_at=utcnow(),
        )
    )
    return final
