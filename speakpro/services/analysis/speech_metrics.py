"""Speech metrics of one practice session: a deterministic engine over its transcript segments.

Input: the session's transcript segments in sequence order, each with `speaker` ("user" is the learner,
anything else is the partner), `text`, `start_ms` and `end_ms`. Segments with no word are ignored. No
database, no network: the same segments always give the same numbers.

Metric definitions (and where the healthy range comes from):

- **pace_wpm** = learner words / learner speaking minutes. Learner speaking time is the sum of the learner's
  segment durations (merged as an interval union, which equals the sum because `services.practice.transcripts`
  clamps overlapping segments of one speaker). Healthy 130-160 wpm: the conversational range Module B
  teaches (and `services.analysis.rubric.WORDS_PER_MINUTE`). None when the learner has no speaking time.
- **filler_count / filler_rate_per_100** = English fillers in the learner's words, and per 100 learner words.
  Fillers by the rules of `services.text` (vocal fillers, "basically", and "like", "you know", "I mean"
  only where they are used as fillers). Healthy: under 3 per 100 words (SpeakPro's target, used by the
  daily quest "filler_free").
  Fillers are English-only: when the transcript's language is not English, fillers are not counted
  (filler_count / filler_rate None): "um" is Portuguese for "a", "er" German for "he". The rate is None
  when the learner said no word.
- **talk_time_ratio** = learner speaking time / all speaking time, where all speaking time is the union
  of every segment's interval (overlapping speech is counted once). Healthy 0.35-0.55; top sales reps
  talk about 43% of the time (Gong Labs). None when nobody spoke, and None (not applicable) when the
  partner never spoke: a solo session has no conversation to share, and 100% would be a made-up figure.
- **longest_monologue_seconds** = the longest run of consecutive learner segments with no partner segment
  between them, from the first segment's start to the last one's end. Healthy under 90 s.
- **questions_asked** = learner sentences ending with "?" (`services.text.count_sentences` per segment).
- **pause_count / longest_pause_seconds** = silences of at least 2 s between consecutive learner segments
  of one run (the learner holds the floor; a gap in which the partner spoke is a turn, not a pause).
- **sentiment** = VADER (vaderSentiment) compound score of the learner's text, -1..1; above 0.05 reads as
  positive (VADER's own threshold). English lexicon: None for other languages and without words.
- **vocabulary_variety** = MATTR (moving-average type-token ratio) over 50-word windows of the learner's
  lower-cased words; the plain type-token ratio when there are fewer than 50 words. 0..1; around 0.7
  and above reads as varied for conversational speech. None without words.

Words are Unicode `\\w` runs (letters and digits of any script, "don't" is one word), so word counts,
pace, talk time, monologues, questions and pauses work for any language.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any, Protocol

from speakpro.services.text import count_fillers, count_sentences, guess_language, is_word, tokens_of

__all__ = [
    "FILLER_RATE_HEALTHY_MAX",
    "LEARNER",
    "MATTR_WINDOW",
    "MONOLOGUE_HEALTHY_MAX_SECONDS",
    "PACE_HEALTHY_WPM",
    "LOUDNESS_VARIATION_HEALTHY",
    "PAUSE_MIN_MS",
    "PITCH_VARIATION_HEALTHY",
    "SENTIMENT_POSITIVE_MIN",
    "TALK_RATIO_HEALTHY",
    "TALK_RATIO_TOP_REPS",
    "VOCABULARY_VARIETY_HEALTHY_MIN",
    "VERSION",
    "SpeechMetrics",
    "Utterance",
    "compute_speech_metrics",
]

VERSION = "speech-metrics-1"
LEARNER = "user"

PACE_HEALTHY_WPM = (130, 160)  # Module B's conversational range
FILLER_RATE_HEALTHY_MAX = 3.0  # fillers per 100 learner words; also the "filler_free" quest threshold
TALK_RATIO_HEALTHY = (0.35, 0.55)
TALK_RATIO_TOP_REPS = 0.43  # Gong Labs: top-performing sales reps talk about 43% of a call
MONOLOGUE_HEALTHY_MAX_SECONDS = 90
PAUSE_MIN_MS = 2000
SENTIMENT_POSITIVE_MIN = 0.05  # VADER's threshold for a positive compound score
MATTR_WINDOW = 50
VOCABULARY_VARIETY_HEALTHY_MIN = 0.7
# Delivery bands for the recording's figures (`services.analysis.audio_metrics`, which measures them).
PITCH_VARIATION_HEALTHY = (2.0, 6.0)  # semitones
LOUDNESS_VARIATION_HEALTHY = (3.0, 12.0)  # dB


class SegmentLike(Protocol):
    """What the engine reads of a segment (read-only, so frozen dataclasses and ORM rows both fit)."""

    @property
    def speaker(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def start_ms(self) -> int: ...
    @property
    def end_ms(self) -> int: ...


@dataclass(frozen=True)
class Utterance:
    """One transcript segment as the engine reads it."""

    speaker: str
    text: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class SpeechMetrics:
    """The figures of one session (None where a figure cannot be measured; see the module docstring)."""

    learner_words: int
    partner_words: int
    learner_speaking_seconds: float
    total_speaking_seconds: float
    pace_wpm: float | None
    filler_count: int | None
    filler_rate_per_100: float | None
    fillers: dict[str, int]
    talk_time_ratio: float | None
    longest_monologue_seconds: float
    questions_asked: int
    pause_count: int
    longest_pause_seconds: float
    sentiment: float | None
    vocabulary_variety: float | None
    language: str
    # Where the pace comes from: "transcript" (segment timing), "recording" (voiced time, solo), None.
    pace_source: str | None = None
    # From the recording (`services.analysis.audio_metrics`), None when there is none or it was unreadable.
    recorded_speaking_seconds: float | None = None
    pitch_variation_semitones: float | None = None
    loudness_variation_db: float | None = None
    version: str = VERSION

    @property
    def filler_free(self) -> bool:
        """Under 3 fillers per 100 words (False when fillers were not measured or nothing was said)."""
        return (
            self.filler_rate_per_100 is not None
            and self.learner_words > 0
            and self.filler_rate_per_100 < FILLER_RATE_HEALTHY_MAX
        )

    def assessments(self) -> dict[str, str | None]:
        """Each headline metric against its healthy range: "ok", "low", "high", or None when not measured."""

        def band(value: float | None, low: float | None, high: float | None) -> str | None:
            if value is None:
                return None
            if low is not None and value < low:
                return "low"
            if high is not None and value > high:
                return "high"
            return "ok"

        return {
            "pace_wpm": band(self.pace_wpm, *PACE_HEALTHY_WPM),
            "filler_rate_per_100": None
            if self.filler_rate_per_100 is None
            else ("ok" if self.filler_rate_per_100 < FILLER_RATE_HEALTHY_MAX else "high"),
            "talk_time_ratio": band(self.talk_time_ratio, *TALK_RATIO_HEALTHY),
            "longest_monologue_seconds": band(self.longest_monologue_seconds, None, MONOLOGUE_HEALTHY_MAX_SECONDS),
            "sentiment": band(self.sentiment, SENTIMENT_POSITIVE_MIN, None),
            "vocabulary_variety": band(self.vocabulary_variety, VOCABULARY_VARIETY_HEALTHY_MIN, None),
            "pitch_variation_semitones": band(self.pitch_variation_semitones, *PITCH_VARIATION_HEALTHY),
            "loudness_variation_db": band(self.loudness_variation_db, *LOUDNESS_VARIATION_HEALTHY),
        }

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "assessments": self.assessments()}


def _union_ms(intervals: Iterable[tuple[int, int]]) -> int:
    total, current_start, current_end = 0, 0, None
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if current_end is None or start > current_end:
            if current_end is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None:
        total += current_end - current_start
    return total


def _mattr(words: Sequence[str], window: int = MATTR_WINDOW) -> float | None:
    if not words:
        return None
    if len(words) < window:
        return len(set(words)) / len(words)
    counts: dict[str, int] = {}
    for w in words[:window]:
        counts[w] = counts.get(w, 0) + 1
    ratios = [len(counts) / window]
    for i in range(window, len(words)):
        out, into = words[i - window], words[i]
        counts[out] -= 1
        if counts[out] == 0:
            del counts[out]
        counts[into] = counts.get(into, 0) + 1
        ratios.append(len(counts) / window)
    return sum(ratios) / len(ratios)


@lru_cache(maxsize=1)
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def compute_speech_metrics(
    segments: Iterable[SegmentLike], *, language: str | None = None, sentiment: bool = True
) -> SpeechMetrics:
    """The metrics of one session's segments (in sequence order); never raises on empty input.

    Args:
        segments: Objects with speaker, text, start_ms, end_ms (e.g. `TranscriptSegment` rows, `Utterance`).
        language: The transcript's language code; guessed from the words (`transcripts.guess_language`)
            when None. Fillers and sentiment are measured for English ("en", "en-US", ...) only.
        sentiment: False skips the sentiment score (None then): the live meter, which runs every second,
            does not show it.
    """
    utterances = [
        Utterance(s.speaker, s.text or "", int(s.start_ms), max(int(s.end_ms), int(s.start_ms))) for s in segments
    ]
    learner_words: list[str] = []
    partner_words = 0
    spoken: list[tuple[Utterance, list[str]]] = []
    for u in utterances:
        words = [t for t in tokens_of(u.text) if is_word(t)]
        if not words:
            continue
        spoken.append((u, words))
        if u.speaker == LEARNER:
            learner_words.extend(words)
        else:
            partner_words += len(words)
    learner = [u for u, _ in spoken if u.speaker == LEARNER]
    language = language or guess_language(learner_words + [w for u, ws in spoken if u.speaker != LEARNER for w in ws])
    english = language.lower().startswith("en")

    learner_ms = _union_ms((u.start_ms, u.end_ms) for u in learner)
    total_ms = _union_ms((u.start_ms, u.end_ms) for u, _ in spoken)
    n_words = len(learner_words)
    pace = round(n_words / (learner_ms / 60000), 1) if learner_ms > 0 else None

    fillers: dict[str, int] = {}
    if english:
        for u in learner:
            for kind, count in count_fillers(u.text).items():
                fillers[kind] = fillers.get(kind, 0) + count
    filler_count = sum(fillers.values()) if english else None
    filler_rate = round(100 * filler_count / n_words, 2) if filler_count is not None and n_words else None

    longest_run_ms = pause_count = longest_pause_ms = 0
    run_start: int | None = None
    run_end = 0
    for u, _ in spoken:
        if u.speaker != LEARNER:
            run_start = None
            continue
        if run_start is None:
            run_start, run_end = u.start_ms, u.end_ms
        else:
            gap = u.start_ms - run_end
            if gap >= PAUSE_MIN_MS:
                pause_count += 1
                longest_pause_ms = max(longest_pause_ms, gap)
            run_end = max(run_end, u.end_ms)
        longest_run_ms = max(longest_run_ms, run_end - run_start)

    questions = sum(count_sentences(u.text)[1] for u in learner)
    mood = None
    if sentiment and english and n_words:
        mood = round(_vader().polarity_scores(" ".join(u.text for u in learner))["compound"], 4)
    variety = _mattr(learner_words)

    return SpeechMetrics(
        learner_words=n_words,
        partner_words=partner_words,
        learner_speaking_seconds=round(learner_ms / 1000, 1),
        total_speaking_seconds=round(total_ms / 1000, 1),
        pace_wpm=pace,
        filler_count=filler_count,
        filler_rate_per_100=filler_rate,
        fillers=dict(sorted(fillers.items())),
        talk_time_ratio=round(learner_ms / total_ms, 4) if total_ms > 0 and partner_words else None,
        longest_monologue_seconds=round(longest_run_ms / 1000, 1),
        questions_asked=questions,
        pause_count=pause_count,
        longest_pause_seconds=round(longest_pause_ms / 1000, 1),
        sentiment=mood,
        vocabulary_variety=round(variety, 4) if variety is not None else None,
        language=language,
        pace_source="transcript" if pace is not None else None,
    )
