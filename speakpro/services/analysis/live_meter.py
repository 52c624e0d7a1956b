"""The live meter: pace, fillers and talk-time share of the last two minutes, while the learner practises.

The live page's transcript channel (`speakpro.live_socket`) keeps one `LiveMeter` per connection. It holds the
segments of the last two minutes (by sequence, a newer version replacing an older one) and reads them with the
session engine (`speech_metrics.compute_speech_metrics`, without sentiment), so the meter and the analysis after
the session use one definition of each figure. The meter is a view of what the transcript channel has seen: a
new connection (a reload, another backend) loads the session's recent segments from the database first, so it
never depends on what one process remembers.

What it shows (each None, "not measured yet", until there is enough to measure):

- **pace** = the learner's words over their speaking time in the window, once they have spoken for at least
  `PACE_MIN_SPEAKING_MS` in it (a pace from three words is noise);
- **fillers** = fillers counted in the learner's words of the window (English only, as in the analysis);
- **talk share** = the learner's share of the speaking time in the window; None when the partner has not
  spoken in it (solo practice: not applicable).

Nudges: at most one at a time, shown for `NUDGE_SHOW_MS` and then not replaced for `NUDGE_GAP_MS` (times on
the session's clock, the segments' own), the first that applies of: a monologue of a minute while a partner
is present, a pace well above the healthy band, a burst of fillers, a pace well below the band. The thresholds
sit outside the healthy bands of `speech_metrics` on purpose: a nudge interrupts, so it waits for a clear case.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Protocol

from speakpro.services.analysis.speech_metrics import (
    FILLER_RATE_HEALTHY_MAX,
    LEARNER,
    PACE_HEALTHY_WPM,
    SegmentLike,
    Utterance,
    compute_speech_metrics,
)
from speakpro.services.text import words_of

__all__ = ["LiveMeter", "MeterReading", "WINDOW_MS"]

WINDOW_MS = 120_000
PACE_MIN_SPEAKING_MS = 8_000
MIN_INTERVAL_SECONDS = 1.0  # readings at most once a second
NUDGE_SHOW_MS = 10_000
NUDGE_GAP_MS = 30_000
MONOLOGUE_NUDGE_MS = 60_000
FAST_WPM = PACE_HEALTHY_WPM[1] + 20
SLOW_WPM = PACE_HEALTHY_WPM[0] - 30
FILLER_NUDGE_MIN = 3
FILLER_NUDGE_RATE = 2 * FILLER_RATE_HEALTHY_MAX  # per 100 words of the window
KEPT_SEGMENTS = 400  # a bound on memory per connection, far above two minutes of speech


class StoredSegment(SegmentLike, Protocol):
    """A segment as the transcript channel stored it (`segments.Segment`, `segments.LiveSegment`)."""

    @property
    def sequence(self) -> int: ...
    @property
    def is_final(self) -> bool: ...


@dataclass(frozen=True)
class MeterReading:
    """What the live page shows; see the module docstring for each figure."""

    pace_wpm: int | None
    filler_count: int | None
    talk_share_percent: int | None
    learner_words: int
    nudge: str
    nudge_kind: str

    def to_json(self) -> dict:
        return asdict(self)


def _nudge_for(
    *, pace: float | None, fillers: dict[str, int], words: int, run_ms: int, partner_heard: bool
) -> tuple[str, str]:
    if partner_heard and run_ms >= MONOLOGUE_NUDGE_MS:
        return "monologue", "You have talked for over a minute: ask your partner a question."
    if pace is not None and pace > FAST_WPM:
        return "fast", f"A little slower: you are at about {round(pace)} words a minute."
    filler_total = sum(fillers.values())
    if words and filler_total >= FILLER_NUDGE_MIN and 100 * filler_total / words >= FILLER_NUDGE_RATE:
        word = max(sorted(fillers), key=lambda kind: fillers[kind])
        return "fillers", f"Try a short pause instead of “{word}”."
    if pace is not None and pace < SLOW_WPM:
        return "slow", "You can pick up the pace a little."
    return "", ""


class LiveMeter:
    """One live page's meter (see the module docstring). Not thread-safe: one per connection."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._segments: dict[int, Utterance] = {}
        self._finals: set[int] = set()
        self._floor = -1  # sequences below it were dropped (KEPT_SEGMENTS): older than any window
        self._partner_heard = False
        self._last_reading_at: float | None = None
        self._last_sent: MeterReading | None = None
        self._nudge: tuple[str, str] = ("", "")
        self._nudge_at_ms: int | None = None
        self.loaded = False
        self.changed = False

    def load(self, segments: Iterable[StoredSegment]) -> None:
        """Start from what the database holds, before this connection's batches."""
        self.loaded = True
        self.add(segments)

    def add(self, segments: Iterable[StoredSegment]) -> None:
        """Take stored segments: a newer version of a sequence replaces the older, a final is never replaced
        by a partial (as in the database)."""
        for s in segments:
            sequence = int(s.sequence)
            if sequence in self._finals or sequence < self._floor:
                continue
            utterance = Utterance(s.speaker, s.text or "", int(s.start_ms), max(int(s.end_ms), int(s.start_ms)))
            if s.is_final:
                self._finals.add(sequence)
            if self._segments.get(sequence) == utterance:
                continue
            self._segments[sequence] = utterance
            self.changed = True
            if utterance.speaker != LEARNER and words_of(utterance.text):
                self._partner_heard = True
        if len(self._segments) > KEPT_SEGMENTS:
            for sequence in sorted(self._segments)[: len(self._segments) - KEPT_SEGMENTS]:
                del self._segments[sequence]
                self._finals.discard(sequence)
            self._floor = min(self._segments)

    def due_in(self) -> float:
        """Seconds until a reading may be sent (0: now)."""
        if self._last_reading_at is None:
            return 0.0
        return max(0.0, MIN_INTERVAL_SECONDS - (self._clock() - self._last_reading_at))

    def reading(self) -> MeterReading | None:
        """The reading to send now, or None: nothing changed, or the last one went out under a second ago."""
        if not self.changed or self.due_in() > 0:
            return None
        self.changed = False
        reading = self.measure()
        if reading == self._last_sent:
            return None
        self._last_reading_at, self._last_sent = self._clock(), reading
        return reading

    def measure(self) -> MeterReading:
        """The figures of the window ending at the latest segment (no throttling; `reading` throttles)."""
        ordered = [self._segments[sequence] for sequence in sorted(self._segments)]
        spoken = [u for u in ordered if words_of(u.text)]
        anchor = max((u.end_ms for u in spoken), default=0)
        window = [u for u in spoken if u.end_ms > anchor - WINDOW_MS]
        metrics = compute_speech_metrics(window, sentiment=False)
        measured_pace = metrics.learner_speaking_seconds * 1000 >= PACE_MIN_SPEAKING_MS
        pace = metrics.pace_wpm if measured_pace else None
        share = None
        if metrics.partner_words and metrics.total_speaking_seconds > 0:
            share = round(100 * metrics.learner_speaking_seconds / metrics.total_speaking_seconds)

        run_start = None  # the learner's current turn: their segments since the partner last spoke
        for u in spoken:
            if u.speaker != LEARNER:
                run_start = None
            elif run_start is None:
                run_start = u.start_ms
        run_ms = anchor - run_start if run_start is not None else 0

        if self._nudge_at_ms is not None and anchor - self._nudge_at_ms >= NUDGE_SHOW_MS:
            self._nudge = ("", "")
        if self._nudge_at_ms is None or anchor - self._nudge_at_ms >= NUDGE_GAP_MS:
            kind, text = _nudge_for(
                pace=pace,
                fillers=metrics.fillers,
                words=metrics.learner_words,
                run_ms=run_ms,
                partner_heard=self._partner_heard,
            )
            if kind:
                self._nudge, self._nudge_at_ms = (kind, text), anchor
        return MeterReading(
            pace_wpm=round(pace) if pace is not None else None,
            filler_count=metrics.filler_count,
            talk_share_percent=share,
            learner_words=metrics.learner_words,
            nudge=self._nudge[1],
            nudge_kind=self._nudge[0],
        )
