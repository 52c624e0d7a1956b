"""The weakest moments of a practice session, found in its transcript, and how a try at one is scored.

A **turn** is a run of the learner's segments with no partner segment between them; its **prompt** is the
partner's last line before it ("" in solo practice, where the learner retakes their own words). Each turn
is checked for four weaknesses, each with a severity (how far past its threshold it goes, 1 = at it):

- **fillers**: at least `FILLER_MIN` fillers at `FILLER_RATE_HEALTHY_MAX` or more per 100 words
  (severity = rate / that maximum). English only, as in the analysis.
- **monologue**: a turn of `MONOLOGUE_HEALTHY_MAX_SECONDS` or longer (severity = length / that maximum).
- **pause**: a silence of at least `PAUSE_DRILL_MS` inside the turn (severity = silence / that).
- **objection**: the partner raised an objection (`OBJECTION_CUES`) and the turn asks no question back
  (severity 1.5: answering an objection without a question is the classic miss).

A turn offers its most severe weakness only, and the session its `LIMIT` most severe turns, in the order
they happened. `moment_key` (kind and start time) names a moment for good: the same transcript always
gives the same moments.

`score_try` scores the original and every retake with one function, so the side by side compares like with
like: the local rubric (`rubric.score_locally`, relevance to the prompt and the session's topic included)
and the figures that matter for the kind (fillers, words, questions).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from speakpro.services.analysis.rubric import score_locally
from speakpro.services.analysis.speech_metrics import (
    FILLER_RATE_HEALTHY_MAX,
    LEARNER,
    MONOLOGUE_HEALTHY_MAX_SECONDS,
    SegmentLike,
)
from speakpro.services.text import count_fillers, count_sentences, guess_language, words_of

__all__ = ["Moment", "TryScore", "moment_key", "score_try", "weakest_moments"]

LIMIT = 3
FILLER_MIN = 2
PAUSE_DRILL_MS = 3000
OBJECTION_SEVERITY = 1.5
OBJECTION_CUES = (
    "too expensive",
    "expensive",
    "not interested",
    "no budget",
    "budget",
    "already have",
    "already use",
    "already work with",
    "happy with",
    "no time",
    "don't have time",
    "too busy",
    "not sure",
    "not convinced",
    "concern",
    "worried",
    "why should",
    "send me an email",
    "call me later",
    "not a priority",
)
KIND_TITLES = {
    "fillers": "Fillers in one answer",
    "monologue": "A long monologue",
    "pause": "A long pause",
    "objection": "An objection answered without a question",
}
KIND_GOALS = {
    "fillers": "Say it again without the fillers: pause silently instead.",
    "monologue": "Say it again in a few sentences, then hand the turn back with a question.",
    "pause": "Say it again in one go: know your first sentence before you start.",
    "objection": "Acknowledge the concern, then ask a question that opens it up.",
}


@dataclass(frozen=True)
class Moment:
    """One weak moment: where it starts, what prompted it and what the learner said."""

    key: str
    kind: str
    at_ms: int
    prompt: str
    original_text: str
    severity: float
    detail: str  # what was measured, in words ("4 fillers in 38 words", "a 5.2 s silence")

    @property
    def title(self) -> str:
        return KIND_TITLES[self.kind]

    @property
    def goal(self) -> str:
        return KIND_GOALS[self.kind]


@dataclass(frozen=True)
class TryScore:
    """The score of one try (the original or a retake), by the same rules for both."""

    score: int
    words: int
    fillers: int | None  # None: not English, fillers not counted
    questions: int
    on_topic: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def read(cls, data: dict[str, Any]) -> TryScore | None:
        try:
            return cls(
                score=int(data["score"]),
                words=int(data["words"]),
                fillers=None if data.get("fillers") is None else int(data["fillers"]),
                questions=int(data["questions"]),
                on_topic=bool(data.get("on_topic", True)),
            )
        except (KeyError, TypeError, ValueError):
            return None


def moment_key(kind: str, at_ms: int) -> str:
    return f"{kind}-{int(at_ms)}"


def _is_objection(line: str) -> bool:
    lowered = " ".join(words_of(line.replace("’", "'")))
    return any(f" {cue} " in f" {lowered} " for cue in OBJECTION_CUES)


@dataclass
class _Turn:
    start_ms: int
    end_ms: int
    texts: list[str]
    longest_gap_ms: int
    prompt: str


def _turns(segments: Iterable[SegmentLike]) -> list[_Turn]:
    turns: list[_Turn] = []
    current: _Turn | None = None
    last_partner = ""
    for s in segments:
        text = (s.text or "").strip()
        if not words_of(text):
            continue
        if s.speaker != LEARNER:
            current, last_partner = None, text
            continue
        start, end = int(s.start_ms), max(int(s.end_ms), int(s.start_ms))
        if current is None:
            current = _Turn(start, end, [text], 0, last_partner)
            turns.append(current)
        else:
            current.longest_gap_ms = max(current.longest_gap_ms, start - current.end_ms)
            current.end_ms = max(current.end_ms, end)
            current.texts.append(text)
    return turns


def weakest_moments(segments: Sequence[SegmentLike], *, limit: int = LIMIT) -> list[Moment]:
    """The session's weakest moments (see the module docstring), at most `limit`, in the order they happened."""
    turns = _turns(segments)
    english = guess_language([w for t in turns for x in t.texts for w in words_of(x)]).startswith("en")
    found: list[Moment] = []
    for turn in turns:
        text = " ".join(turn.texts)
        words = len(words_of(text))
        options: list[tuple[float, str, str]] = []
        fillers = sum(count_fillers(text).values()) if english else 0
        if english and words and fillers >= FILLER_MIN:
            rate = 100 * fillers / words
            if rate >= FILLER_RATE_HEALTHY_MAX:
                options.append((rate / FILLER_RATE_HEALTHY_MAX, "fillers", f"{fillers} fillers in {words} words"))
        seconds = (turn.end_ms - turn.start_ms) / 1000
        if seconds >= MONOLOGUE_HEALTHY_MAX_SECONDS:
            options.append(
                (seconds / MONOLOGUE_HEALTHY_MAX_SECONDS, "monologue", f"{round(seconds)} s without a break")
            )
        if turn.longest_gap_ms >= PAUSE_DRILL_MS:
            options.append(
                (turn.longest_gap_ms / PAUSE_DRILL_MS, "pause", f"a {turn.longest_gap_ms / 1000:.1f} s silence")
            )
        if turn.prompt and _is_objection(turn.prompt) and count_sentences(text)[1] == 0:
            options.append((OBJECTION_SEVERITY, "objection", "no question after their concern"))
        if not options:
            continue
        severity, kind, detail = max(options, key=lambda option: option[0])
        found.append(
            Moment(
                key=moment_key(kind, turn.start_ms),
                kind=kind,
                at_ms=turn.start_ms,
                prompt=turn.prompt,
                original_text=text,
                severity=round(severity, 3),
                detail=detail,
            )
        )
    chosen = sorted(found, key=lambda m: (-m.severity, m.at_ms))[:limit]
    return sorted(chosen, key=lambda m: m.at_ms)


def score_try(text: str, *, prompt: str, topic: str) -> TryScore:
    """One try's score: the local rubric against the moment's prompt and the session's topic, and its figures."""
    local = score_locally(text, kind="speaking", target_seconds=30, prompt=f"{prompt}\n{topic}".strip())
    english = guess_language(words_of(text)).startswith("en")
    return TryScore(
        score=local.score,
        words=local.words,
        fillers=local.fillers if english else None,
        questions=local.questions,
        on_topic=local.on_topic,
    )
