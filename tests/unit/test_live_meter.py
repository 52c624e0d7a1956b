"""The live meter: the last two minutes' figures by the analysis's own definitions, at most one reading a
second, and at most one nudge at a time, sparse."""

from __future__ import annotations

from dataclasses import dataclass

from speakpro.services.analysis import live_meter
from speakpro.services.analysis.live_meter import LiveMeter
from speakpro.services.analysis.speech_metrics import Utterance, compute_speech_metrics


@dataclass(frozen=True)
class Seg:
    sequence: int
    speaker: str
    text: str
    start_ms: int
    end_ms: int
    is_final: bool = True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def words(n: int, filler_every: int = 0) -> str:
    return " ".join("um" if filler_every and i % filler_every == filler_every - 1 else "route" for i in range(n))


def test_figures_follow_the_analysis_definitions_over_the_window():
    meter = LiveMeter()
    segments = [
        Seg(0, "user", words(30), 0, 12_000),
        Seg(1, "ai", "Which routes are you thinking about for next quarter?", 12_000, 16_000),
        Seg(2, "user", words(20, filler_every=10), 16_500, 24_500),
    ]
    meter.load(segments)
    reading = meter.measure()
    engine = compute_speech_metrics([Utterance(s.speaker, s.text, s.start_ms, s.end_ms) for s in segments])
    assert reading.pace_wpm == round(engine.pace_wpm or 0) == 150
    assert reading.filler_count == engine.filler_count == 2
    assert engine.talk_time_ratio is not None
    assert reading.talk_share_percent == round(100 * engine.talk_time_ratio) == 83
    assert reading.learner_words == 50 and reading.nudge == ""


def test_only_the_last_two_minutes_count():
    meter = LiveMeter()
    meter.load([Seg(0, "user", "um uh um uh " + words(20), 0, 10_000)])
    meter.add([Seg(1, "user", words(25), 200_000, 210_000)])
    reading = meter.measure()
    assert reading.filler_count == 0 and reading.learner_words == 25 and reading.pace_wpm == 150


def test_nothing_is_shown_that_was_not_measured():
    meter = LiveMeter()
    meter.load([Seg(0, "user", "hello there", 0, 1_500)])
    reading = meter.measure()
    assert reading.pace_wpm is None  # 1.5 s of speech: too little for a pace
    assert reading.talk_share_percent is None  # no partner in the window: not applicable, never 100%
    assert meter.measure().filler_count == 0
    french = LiveMeter()
    french.load([Seg(0, "user", "nous livrons les palettes pour vous et avec le transporteur deux fois", 0, 9_000)])
    assert french.measure().filler_count is None  # fillers are English-only, as in the analysis


def test_a_final_is_never_replaced_by_a_late_partial():
    meter = LiveMeter()
    meter.load([Seg(0, "user", words(20), 0, 8_000, is_final=True)])
    meter.add([Seg(0, "user", "route", 0, 500, is_final=False)])
    assert meter.measure().learner_words == 20


def test_readings_go_out_at_most_once_a_second_and_only_when_changed():
    clock = Clock()
    meter = LiveMeter(clock=clock)
    meter.load([Seg(0, "user", words(20), 0, 8_000)])
    assert meter.reading() is not None
    meter.add([Seg(1, "user", words(5), 8_000, 10_000)])
    assert meter.reading() is None and meter.changed  # under a second later: it waits
    assert meter.due_in() == live_meter.MIN_INTERVAL_SECONDS
    clock.now += 1.0
    later = meter.reading()
    assert later is not None and later.learner_words == 25
    clock.now += 5
    meter.add([Seg(1, "user", words(5), 8_000, 10_000)])  # the same again
    assert meter.reading() is None


def test_a_long_turn_with_a_partner_present_gets_one_question_nudge_and_then_quiet():
    meter = LiveMeter()
    meter.load([Seg(0, "ai", "Tell me about your shipping.", 0, 3_000)])
    start = 3_500
    shown = []
    for i in range(12):  # 12 x 8 s of the learner at 150 wpm: a 96-second turn
        meter.add([Seg(1 + i, "user", words(20), start + i * 8_000, start + (i + 1) * 8_000)])
        shown.append(meter.measure())
    kinds = [r.nudge_kind for r in shown]
    first = kinds.index("monologue")
    assert (start + (first + 1) * 8_000) - start >= live_meter.MONOLOGUE_NUDGE_MS
    assert all(k == "" for k in kinds[:first])
    # shown for about ten seconds, then nothing (the next may come 30 s after the first at the earliest)
    assert kinds[first + 1] == "monologue" and kinds[first + 2] == ""
    assert "question" in shown[first].nudge


def test_solo_practice_gets_no_monologue_nudge_and_a_fast_pace_gets_one():
    meter = LiveMeter()
    meter.load([Seg(i, "user", words(26), i * 8_000, (i + 1) * 8_000) for i in range(10)])  # 195 wpm, 80 s
    reading = meter.measure()
    assert reading.nudge_kind == "fast" and "195" in reading.nudge


def test_a_burst_of_fillers_gets_a_nudge_naming_the_filler():
    meter = LiveMeter()
    meter.load([Seg(0, "user", words(40, filler_every=5), 0, 16_000)])  # 8 "um" in 40 words, 150 wpm
    reading = meter.measure()
    assert reading.nudge_kind == "fillers" and "“um”" in reading.nudge


def test_one_nudge_at_a_time_and_thirty_seconds_between_them():
    meter = LiveMeter()
    meter.load([Seg(0, "user", words(40, filler_every=5), 0, 16_000)])
    assert meter.measure().nudge_kind == "fillers"
    meter.add([Seg(1, "user", words(40), 16_000, 26_000)])  # fast now (240 wpm over 10 s), 10 s later
    assert meter.measure().nudge_kind == ""  # the filler nudge has been shown; the next waits
    meter.add([Seg(2, "user", words(40), 36_000, 46_000)])  # 30 s after the first nudge
    assert meter.measure().nudge_kind == "fast"
