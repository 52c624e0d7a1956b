"""Delivery measured from the recording itself, on speech made with espeak-ng at known rates and pitch ranges,
through the codecs browsers record in (WebM/Opus, Ogg/Opus) and as WAV."""

from __future__ import annotations

import io
import wave
from dataclasses import replace

import pytest

from speakpro.services.analysis import audio_metrics as am
from speakpro.services.analysis.speech_metrics import Utterance, compute_speech_metrics
from tests.audio import encode_opus, speech_span_seconds

TEXT = (
    "Good morning everyone. Thank you for joining the call today. I want to walk you through our plan for the "
    "next quarter. First we will look at the numbers from last month. Then we will talk about what we learned "
    "from our customers. Finally I will ask you for one clear decision before we finish."
)
WORDS = len(TEXT.split())


@pytest.mark.parametrize("rate", [100, 150, 200])
def test_the_pace_is_within_ten_percent_of_the_truth_at_each_rate(speak, rate):
    wav = speak(TEXT, rate)
    truth = WORDS / (speech_span_seconds(wav) / 60)
    for recording in (wav, encode_opus(wav, "webm")):
        measured = am.pace_over(WORDS, am.measure_audio(recording).speaking_seconds)
        assert measured is not None and abs(measured - truth) / truth <= 0.10, (rate, measured, truth)


def test_the_rates_come_out_in_order(speak):
    paces = [am.pace_over(WORDS, am.measure_audio(speak(TEXT, rate)).speaking_seconds) for rate in (100, 150, 200)]
    assert paces == sorted(paces) and paces[2] > 1.6 * paces[0]


def test_a_three_second_silence_is_a_pause_and_not_speaking_time(speak):
    first, second = "Thank you for joining the call today.", "I want to walk you through our plan for the quarter."
    together = am.measure_audio(speak(f"{first} {second}"))
    apart = am.measure_audio(speak(f'<speak>{first} <break time="3s"/> {second}</speak>', ssml=True))
    assert (together.pause_count, apart.pause_count) == (0, 1)
    assert 2.5 <= apart.longest_pause_seconds <= 3.5
    # The pause does not slow the pace: speaking time grows by well under the silence.
    assert apart.speaking_seconds - together.speaking_seconds < 1.0
    assert apart.duration_seconds - together.duration_seconds > 2.5


def test_a_flat_voice_reads_as_monotone_and_a_wide_one_as_varied(speak):
    def pitch(range_: str) -> am.AudioMetrics:
        return am.measure_audio(speak(f'<speak><prosody range="{range_}">{TEXT}</prosody></speak>', ssml=True))

    flat, wide = pitch("x-low"), pitch("x-high")
    assert flat.monotone is True and flat.pitch_variation_semitones < am.MONOTONE_BELOW
    assert wide.monotone is False and wide.pitch_variation_semitones > 2 * flat.pitch_variation_semitones


def test_the_codec_does_not_change_the_figures(speak):
    wav = speak(TEXT)
    figures = [am.measure_audio(recording) for recording in (wav, encode_opus(wav, "webm"), encode_opus(wav, "ogg"))]
    for measured in figures[1:]:
        assert abs(measured.speaking_seconds - figures[0].speaking_seconds) <= 0.3
        assert abs(measured.pitch_variation_semitones - figures[0].pitch_variation_semitones) <= 0.2
        assert abs(measured.loudness_variation_db - figures[0].loudness_variation_db) <= 1.0


def test_silence_and_garbage_measure_nothing():
    silence = io.BytesIO()
    with wave.open(silence, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * 16000 * 5)
    quiet = am.measure_audio(silence.getvalue())
    assert (quiet.speaking_seconds, quiet.pause_count, quiet.pitch_variation_semitones) == (0, 0, None)
    assert quiet.loudness_variation_db is None and quiet.monotone is None
    for junk in (b"", b"not audio at all", b"OggS" + bytes(500)):
        with pytest.raises(am.AudioUnreadable):
            am.measure_audio(junk)


def _metrics(words: int, seconds: float, *, partner: bool):
    segments = [Utterance("user", " ".join(["word"] * words), 0, int(seconds * 1000))]
    if partner:
        segments.append(Utterance("ai", "And then?", int(seconds * 1000), int(seconds * 1000) + 2000))
    return compute_speech_metrics(segments, language="en")


AUDIO = am.AudioMetrics(
    duration_seconds=30.0,
    speaking_seconds=20.0,
    pause_count=2,
    longest_pause_seconds=3.1,
    pitch_variation_semitones=2.4,
    loudness_variation_db=6.0,
)


def test_a_solo_pace_is_the_words_over_the_recordings_voiced_time():
    typed = _metrics(50, 4.0, partner=False)  # a typed paragraph stamped over a 4 s session: 750 "wpm"
    solo = am.with_recording(typed, AUDIO, solo=True)
    assert (solo.pace_wpm, solo.pace_source) == (150.0, "recording")
    assert (solo.pause_count, solo.longest_pause_seconds) == (2, 3.1)
    assert solo.talk_time_ratio is None and solo.pitch_variation_semitones == 2.4
    # A transcript that cannot be what the recording holds gets no pace at all.
    short = replace(AUDIO, speaking_seconds=3.0)
    assert am.with_recording(typed, short, solo=True).pace_wpm is None
    # Without a readable recording, a solo pace is not measured.
    assert am.with_recording(typed, None, solo=True).pace_wpm is None


def test_a_conversation_keeps_its_timed_pace_and_gains_the_delivery_figures():
    spoken = _metrics(60, 24.0, partner=True)
    both = am.with_recording(spoken, AUDIO, solo=False)
    assert (both.pace_wpm, both.pace_source) == (spoken.pace_wpm, "transcript") and spoken.pace_wpm == 150.0
    assert (both.pitch_variation_semitones, both.loudness_variation_db) == (2.4, 6.0)
    assert both.assessments()["pitch_variation_semitones"] == "ok"
    assert am.with_recording(spoken, None, solo=False) == spoken
