"""`practice_sessions.analytics_summary`, as a declared type: what an analysed session carries for the pages
that list it (home's latest feedback, history), and the analysis run's own bookkeeping.

Written only through `SessionSummary.to_json()` (the analysis service), read only through
`SessionSummary.read()`, which accepts every shape stored so far: a complete analysis, a failed run (only
`analysis`), a summary scrubbed by a deletion (personal context removed), or nothing at all.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

log = logging.getLogger(__name__)


class _Stored(BaseModel):
    # Fields added later, or by a scrub (`personal_context_removed`), are kept out of the way, not refused.
    model_config = ConfigDict(extra="ignore")


class Improvement(_Stored):
    text: str
    quote: str = ""


class AnalysisRun(_Stored):
    """The analysis job's bookkeeping: complete or failed, after how many attempts."""

    status: str
    attempts: int = 0
    version: int | str | None = None
    reason: str | None = None
    analysed_at: str | None = None
    failed_at: str | None = None


class SessionSummary(_Stored):
    """One analysed session's figures and advice; None where nothing was measured."""

    overall_score: int | None = None
    scores: dict[str, int | None] = {}
    provider: str = "local"
    label: str = ""
    pace_wpm: float | None = None
    pace_source: str | None = None  # "transcript" (segment timing) or "recording" (voiced time)
    pitch_variation_semitones: float | None = None
    loudness_variation_db: float | None = None
    recorded_speaking_seconds: float | None = None
    filler_count: int | None = None
    filler_rate_per_100: float | None = None
    talk_time_ratio: float | None = None
    longest_monologue_seconds: float | None = None
    questions_asked: int | None = None
    pause_count: int | None = None
    sentiment: float | None = None
    vocabulary_variety: float | None = None
    learner_words: int | None = None
    assessments: dict[str, str | None] = {}
    strengths: list[str] = []
    improvements: list[Improvement] = []
    analysis: AnalysisRun | None = None

    @classmethod
    def read(cls, stored: object) -> SessionSummary:
        """The summary of a stored value; an empty one for anything that is not a summary (logged)."""
        if not isinstance(stored, dict) or not stored:
            return cls()
        try:
            return cls.model_validate(stored)
        except ValidationError as error:
            log.warning("analytics_summary does not match its type (%d errors); read as empty", error.error_count())
            return cls()

    @property
    def attempts(self) -> int:
        """How many analysis runs this session has had."""
        return self.analysis.attempts if self.analysis is not None else 0

    @property
    def analysed(self) -> bool:
        return self.analysis is not None and self.analysis.status == "complete"

    def figures(self) -> dict[str, Any]:
        """The measured figures by name, for `history.metric_views`."""
        return self.model_dump(exclude={"scores", "provider", "label", "strengths", "improvements", "analysis"})

    def to_json(self) -> dict[str, Any]:
        """The stored form (JSONB): the fields that were given (a failed run stores only `analysis`)."""
        return self.model_dump(mode="json", exclude_unset=True)
