"""Transcript segments as values: the checks a delivered batch must pass and the shapes the transcript
service returns.

Pure: nothing here touches the database. `services/practice/transcripts.py` stores the validated segments.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from speakpro.models.practice import MAX_SESSION_SECONDS, SPEAKERS
from speakpro.services.validation import ValidationError

__all__ = [
    "MAX_BATCH",
    "MAX_SEGMENT_CHARS",
    "MAX_SEGMENT_MS",
    "MAX_SEQUENCE",
    "FinalTranscript",
    "IngestResult",
    "LiveSegment",
    "Segment",
    "validate_segments",
]

MAX_BATCH = 200
MAX_SEGMENT_CHARS = 5_000
# Times are relative to the session start; a session lasts 15 minutes, plus a minute for clock drift.
MAX_SEGMENT_MS = (MAX_SESSION_SECONDS + 60) * 1000
MAX_SEQUENCE = 2**31 - 1  # the column is a 4-byte integer

_SEGMENT_KEYS = ("sequence", "speaker", "text", "start_ms", "end_ms", "is_final")


@dataclass(frozen=True)
class Segment:
    """One validated segment of a batch."""

    sequence: int
    speaker: str
    text: str
    start_ms: int
    end_ms: int
    is_final: bool


@dataclass(frozen=True)
class IngestResult:
    """What one batch did.

    Attributes:
        received: Segments in the batch (duplicates included).
        inserted: New sequences stored.
        updated: Stored partials replaced (by a newer partial or by their final).
        ignored: Segments that changed nothing: re-deliveries, partials after a final, in-batch duplicates.
        clamped: Sequences whose final was stored with clamped times (the overlap rule).
        conflicts: Sequences for which a different final arrived after the stored one (kept the stored one).
    """

    received: int
    inserted: int
    updated: int
    ignored: int
    clamped: tuple[int, ...] = ()
    conflicts: tuple[int, ...] = ()


@dataclass(frozen=True)
class LiveSegment:
    """One segment of the live view's tail."""

    sequence: int
    speaker: str
    text: str
    start_ms: int
    end_ms: int
    is_final: bool


@dataclass(frozen=True)
class FinalTranscript:
    """A finalized transcript's figures."""

    content: str
    word_count: int
    language: str
    confidence: Decimal | None
    finalized: bool


# --- validation -------------------------------------------------------------------------------------


def _bad(index: int, problem: str) -> ValidationError:
    return ValidationError("segments", f"Segment {index + 1} of the batch is not valid: {problem}")


def _whole(raw: dict, key: str, index: int, high: int) -> int:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise _bad(index, f"{key} must be a whole number from 0 to {high:,}.")
    return value


def _clean_segment_text(raw: object, index: int) -> str:
    if not isinstance(raw, str):
        raise _bad(index, "text must be text.")
    if len(raw) > MAX_SEGMENT_CHARS:
        raise _bad(index, f"its text has {len(raw):,} characters; the limit is {MAX_SEGMENT_CHARS:,}.")
    value = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n")
    # Drop control characters (PostgreSQL cannot even store NUL) rather than refuse the batch: a
    # transcript with a stray control byte still holds words the learner said.
    value = "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs"))
    return value.strip()


def validate_segments(segments: object) -> list[Segment]:
    """Check a whole batch before anything is stored.

    Args:
        segments: What the browser sent: a list of at most 200 dicts with `sequence` (int >= 0), `speaker`
            ("user" or "ai"), `text` (at most 5,000 characters), `start_ms` and `end_ms` (whole
            milliseconds from the session start, end >= start) and `is_final` (bool). Other keys are ignored.

    Returns:
        The segments, in delivery order, with their text NFC-normalised, trimmed and without control characters.

    Raises:
        ValidationError: On the first bad segment (the message names it) or an oversized batch.
    """
    if not isinstance(segments, list | tuple):
        raise ValidationError("segments", "The transcript update is not a list of segments.")
    if len(segments) > MAX_BATCH:
        raise ValidationError(
            "segments", f"The transcript update has {len(segments):,} segments; send at most {MAX_BATCH} at a time."
        )
    batch = []
    for index, raw in enumerate(segments):
        if not isinstance(raw, dict):
            raise _bad(index, "it is not an object.")
        missing = [key for key in _SEGMENT_KEYS if key not in raw]
        if missing:
            raise _bad(index, f"it has no {', '.join(missing)}.")
        sequence = _whole(raw, "sequence", index, MAX_SEQUENCE)
        speaker = raw["speaker"]
        if speaker not in SPEAKERS:
            raise _bad(index, "speaker must be user or ai.")
        start_ms = _whole(raw, "start_ms", index, MAX_SEGMENT_MS)
        end_ms = _whole(raw, "end_ms", index, MAX_SEGMENT_MS)
        if end_ms < start_ms:
            raise _bad(index, "it ends before it starts.")
        if not isinstance(raw["is_final"], bool):
            raise _bad(index, "is_final must be true or false.")
        batch.append(
            Segment(sequence, speaker, _clean_segment_text(raw["text"], index), start_ms, end_ms, raw["is_final"])
        )
    return batch
