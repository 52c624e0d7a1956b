"""What a lesson step accepts as an answer: its shape per step kind, and the checks that need no database.

`services.learning.lessons` calls these before it touches anything, so a malformed answer is refused without a write.
"""

from __future__ import annotations

import json
import re
from typing import Any

from speakpro.services.text import words_of
from speakpro.services.validation import ValidationError, clean_answer_text

MAX_ANSWER_BYTES = 1_000_000
MAX_TRANSCRIPT_CHARS = 10_000
MAX_WRITING_CHARS = 10_000
MAX_REFLECTION_CHARS = 2_000
MAX_DURATION_MS = 3_600_000

SCORED_KINDS = frozenset({"speaking", "writing"})
ACKNOWLEDGED_KINDS = frozenset({"reading", "feedback"})
STEP_KINDS = SCORED_KINDS | ACKNOWLEDGED_KINDS | {"reflection"}

_AUDIO_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,499}$")
_ANSWER_FIELDS = {
    "reading": {"acknowledged"},
    "feedback": {"acknowledged"},
    "speaking": {"transcript", "audio_ref"},
    "writing": {"text"},
    "reflection": {"text"},
}


def check_answer(step: dict[str, Any], answer: object) -> dict[str, Any]:
    """The cleaned answer to one step, or ValidationError; touches nothing.

    Shapes: reading / feedback `{"acknowledged": true}`; speaking `{"transcript": str, "audio_ref"?: str}`
    (1-10,000 characters); writing `{"text": str}` with at least the step's `min_words` words and at most
    10,000 characters; reflection `{"text": str}` (1-2,000 characters). Anything over 1 MB is refused.

    Args:
        step: The step from the run's script.
        answer: What the browser sent.

    Returns:
        The answer as it will be stored.
    """
    if not isinstance(answer, dict) or not answer:
        raise ValidationError(
            "answer",
            "Send your answer to this step."
            if answer in ({}, None)
            else "That answer is not in a form SpeakPro understands.",
        )
    try:
        size = len(json.dumps(answer, ensure_ascii=False, allow_nan=False).encode("utf-8", "surrogatepass"))
    except (TypeError, ValueError, RecursionError):
        raise ValidationError("answer", "That answer is not in a form SpeakPro understands.") from None
    if size > MAX_ANSWER_BYTES:
        raise ValidationError("answer", "That answer is too large (over 1 MB). Shorten it and send it again.")
    kind = step.get("kind")
    allowed = _ANSWER_FIELDS.get(str(kind), {"acknowledged"})
    unexpected = sorted(str(k) for k in answer if k not in allowed)
    if unexpected:
        raise ValidationError("answer", f"That answer has fields this step does not take: {', '.join(unexpected)}.")
    if kind == "speaking":
        transcript = clean_answer_text(
            "transcript", answer.get("transcript"), label="Your transcript", max_chars=MAX_TRANSCRIPT_CHARS
        )
        cleaned: dict[str, Any] = {"transcript": transcript}
        audio_ref = answer.get("audio_ref")
        if audio_ref is not None:
            if not isinstance(audio_ref, str) or not _AUDIO_REF.match(audio_ref) or ".." in audio_ref:
                raise ValidationError("audio_ref", "That recording reference is not valid. Record again.")
            cleaned["audio_ref"] = audio_ref
        return cleaned
    if kind == "writing":
        text = clean_answer_text("text", answer.get("text"), label="Your answer", max_chars=MAX_WRITING_CHARS)
        min_words = int(step.get("min_words") or 1)
        count = len(words_of(text))
        if count < min_words:
            raise ValidationError("text", f"Write at least {min_words} words; you wrote {count}.")
        return {"text": text}
    if kind == "reflection":
        return {
            "text": clean_answer_text(
                "text", answer.get("text"), label="Your reflection", max_chars=MAX_REFLECTION_CHARS
            )
        }
    if answer.get("acknowledged") is not True:
        raise ValidationError("answer", "Confirm that you have read this step to continue.")
    return {"acknowledged": True}


def check_duration(duration_ms: object) -> int:
    """Milliseconds spent on a step, 0 to 3,600,000, else ValidationError."""
    if isinstance(duration_ms, bool) or not isinstance(duration_ms, int) or not 0 <= duration_ms <= MAX_DURATION_MS:
        raise ValidationError("duration_ms", "The time spent on a step must be between 0 and 60 minutes.")
    return duration_ms
