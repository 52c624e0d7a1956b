"""Delivery measured from the recording itself: speaking time, pauses, pitch and loudness variation.

Input: the bytes of an uploaded recording (WebM/Opus or Ogg/Opus from the browser's MediaRecorder, or any
other container FFmpeg reads), decoded with PyAV to 16 kHz mono. No transcript, no partner, no network: the
same bytes always give the same numbers, so solo practice and every recorder get real figures offline.

Definitions:

- **speaking_seconds** = the learner's voiced time: 30 ms frames that WebRTC's voice-activity detector
  (aggressiveness 2) marks as speech, joined across silences shorter than `PHRASE_GAP_MS` (a breath between
  phrases is part of speaking), without runs shorter than `MIN_RUN_MS` (a click or a cough). In solo practice
  the pace is the transcript's words over these minutes (`with_recording`), not over the session's length.
- **pause_count / longest_pause_seconds** = silences of at least `PAUSE_MIN_MS` (2 s, as the transcript
  engine counts them) between the first and the last voiced frame.
- **pitch_variation_semitones** = the standard deviation of the voice's fundamental frequency in semitones
  around its median (Praat's autocorrelation pitch through parselmouth, 75-500 Hz, 10 ms steps). Semitones
  make a low and a high voice comparable. Under `MONOTONE_BELOW` reads as monotone;
  `speech_metrics.PITCH_VARIATION_HEALTHY` is SpeakPro's band for lively delivery. None with under
  `MIN_PITCHED_SECONDS` of pitched voice.
- **loudness_variation_db** = the standard deviation of the level (RMS, dBFS) of the voiced frames: how much
  the learner's volume moves (emphasis) rather than staying flat (`speech_metrics.LOUDNESS_VARIATION_HEALTHY`).
  None with under `MIN_PITCHED_SECONDS` of voice.
"""

from __future__ import annotations

import io
import logging
import math
import uuid
from dataclasses import asdict, dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from speakpro.integrations.storage import Storage, StorageError, get_storage
from speakpro.models import AudioRecording
from speakpro.services.analysis.speech_metrics import PAUSE_MIN_MS, SpeechMetrics

log = logging.getLogger(__name__)

VERSION = "audio-metrics-1"
RATE = 16_000
FRAME_MS = 30
FRAME = RATE * FRAME_MS // 1000
VAD_AGGRESSIVENESS = 2
PHRASE_GAP_MS = 1000
MIN_RUN_MS = 150
MIN_PITCHED_SECONDS = 2.0
MAX_SECONDS = 20 * 60  # longer than any session (15 min): the rest of a longer file is not read
MONOTONE_BELOW = 1.5  # semitones
LOUDNESS_RANGE_DB = 30.0  # the span of a voice's own levels; quieter frames are the recording's noise floor
# A pace outside this range cannot be what was said in the recording: the transcript (typed, say) does not
# belong to it, and no pace is shown.
PLAUSIBLE_WPM = (40, 320)


class AudioUnreadable(ValueError):
    """The bytes are not audio FFmpeg can decode, or hold no sound."""


@dataclass(frozen=True)
class AudioMetrics:
    """The figures of one recording (see the module docstring)."""

    duration_seconds: float
    speaking_seconds: float
    pause_count: int
    longest_pause_seconds: float
    pitch_variation_semitones: float | None
    loudness_variation_db: float | None
    version: str = VERSION

    @property
    def monotone(self) -> bool | None:
        """Whether the pitch barely moved (None when it was not measured)."""
        if self.pitch_variation_semitones is None:
            return None
        return self.pitch_variation_semitones < MONOTONE_BELOW

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "monotone": self.monotone}


def decode(data: bytes):
    """The recording as 16 kHz mono 16-bit samples (a numpy array), at most `MAX_SECONDS` of it."""
    import av
    import numpy as np
    from av.error import FFmpegError

    chunks, total = [], 0
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise AudioUnreadable("no audio stream")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray().reshape(-1)
                    chunks.append(chunk)
                    total += len(chunk)
                if total >= MAX_SECONDS * RATE:
                    break
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except FFmpegError as error:
        raise AudioUnreadable(type(error).__name__) from error
    if not chunks:
        raise AudioUnreadable("no samples")
    return np.concatenate(chunks).astype(np.int16)[: MAX_SECONDS * RATE]


def speech_frames(samples) -> list[int]:
    """The indexes of the 30 ms frames that the voice-activity detector marks as speech."""
    import webrtcvad

    vad = webrtcvad.Vad(VAD_AGGRESSIVENESS)
    return [
        index
        for index in range(len(samples) // FRAME)
        if vad.is_speech(samples[index * FRAME : (index + 1) * FRAME].tobytes(), RATE)
    ]


def voiced_runs(frames: list[int]) -> list[tuple[int, int]]:
    """(start_ms, end_ms) of the learner's speech: speech frames joined across short silences."""
    runs: list[list[int]] = []
    for index in frames:
        start = index * FRAME_MS
        if runs and start - runs[-1][1] < PHRASE_GAP_MS:
            runs[-1][1] = start + FRAME_MS
        else:
            runs.append([start, start + FRAME_MS])
    return [(start, end) for start, end in runs if end - start >= MIN_RUN_MS]


def _pitch_variation(samples) -> float | None:
    import numpy as np
    import parselmouth

    sound = parselmouth.Sound(samples.astype(np.float64) / 32768.0, sampling_frequency=RATE)
    f0 = sound.to_pitch(time_step=0.01, pitch_floor=75.0, pitch_ceiling=500.0).selected_array["frequency"]
    f0 = f0[f0 > 0]
    if len(f0) * 0.01 < MIN_PITCHED_SECONDS:
        return None
    semitones = 12.0 * np.log2(f0 / np.median(f0))
    return round(float(np.std(semitones)), 2)


def _loudness_variation(samples, frames: list[int]) -> float | None:
    """Over the speech frames within `LOUDNESS_RANGE_DB` of the loud ones (95th percentile): the quiet edges
    of words, where the detector still hears speech, are a codec's noise floor (digital zero in WAV, a hiss in
    Opus), not the learner's volume."""
    import numpy as np

    levels = []
    for index in frames:
        rms = math.sqrt(float(np.mean(samples[index * FRAME : (index + 1) * FRAME].astype(np.float64) ** 2)))
        if rms > 0:
            levels.append(20.0 * math.log10(rms / 32768.0))
    if not levels:
        return None
    loud = float(np.percentile(levels, 95))
    kept = [level for level in levels if level >= loud - LOUDNESS_RANGE_DB]
    if len(kept) * FRAME_MS / 1000 < MIN_PITCHED_SECONDS:
        return None
    return round(float(np.std(kept)), 2)


def measure_audio(data: bytes) -> AudioMetrics:
    """The delivery figures of one recording.

    Raises:
        AudioUnreadable: When the bytes cannot be decoded.
    """
    samples = decode(data)
    frames = speech_frames(samples)
    runs = voiced_runs(frames)
    gaps = [later[0] - earlier[1] for earlier, later in zip(runs, runs[1:], strict=False)]
    pauses = [gap for gap in gaps if gap >= PAUSE_MIN_MS]
    return AudioMetrics(
        duration_seconds=round(len(samples) / RATE, 2),
        speaking_seconds=round(sum(end - start for start, end in runs) / 1000, 2),
        pause_count=len(pauses),
        longest_pause_seconds=round(max(pauses, default=0) / 1000, 2),
        pitch_variation_semitones=_pitch_variation(samples) if runs else None,
        loudness_variation_db=_loudness_variation(samples, frames),
    )


def pace_over(words: int, speaking_seconds: float) -> float | None:
    """Words per minute of voiced time, or None when it was not measured or cannot be true (`PLAUSIBLE_WPM`)."""
    if words <= 0 or speaking_seconds < 1:
        return None
    pace = words / (speaking_seconds / 60)
    return round(pace, 1) if PLAUSIBLE_WPM[0] <= pace <= PLAUSIBLE_WPM[1] else None


def with_recording(metrics: SpeechMetrics, audio: AudioMetrics | None, *, solo: bool) -> SpeechMetrics:
    """The transcript's metrics completed by the recording's.

    Every session gets the delivery figures (pitch and loudness variation, voiced time) when its recording
    could be read. A solo session has no timed conversation: its transcript is one block (typed, or
    recognised in the browser), so its pace is the words over the recording's voiced time and its pauses the
    recording's; without a readable recording, its pace is not measured.
    """
    if audio is None:
        return replace(metrics, pace_wpm=None, pace_source=None) if solo else metrics
    delivery = {
        "recorded_speaking_seconds": audio.speaking_seconds,
        "pitch_variation_semitones": audio.pitch_variation_semitones,
        "loudness_variation_db": audio.loudness_variation_db,
    }
    if not solo:
        return replace(metrics, **delivery)
    pace = pace_over(metrics.learner_words, audio.speaking_seconds)
    return replace(
        metrics,
        **delivery,
        pace_wpm=pace,
        pace_source="recording" if pace is not None else None,
        pause_count=audio.pause_count,
        longest_pause_seconds=audio.longest_pause_seconds,
    )


def recording_metrics(
    *, session: Session, practice_session_id: uuid.UUID, storage: Storage | None = None
) -> AudioMetrics | None:
    """The figures of a session's primary recording, or None when it has none, or it could not be read (logged;
    the figures are then "not measured", never guessed)."""
    key = session.execute(
        select(col(AudioRecording.storage_key)).where(
            col(AudioRecording.session_id) == practice_session_id,
            col(AudioRecording.is_primary).is_(True),
            col(AudioRecording.deleted_at).is_(None),
        )
    ).scalar_one_or_none()
    if key is None:
        return None
    return _measure_stored(key, storage, f"session {practice_session_id}")


def _measure_stored(key: str, storage: Storage | None, what: str) -> AudioMetrics | None:
    try:
        return measure_audio((storage or get_storage()).get(key))
    except AudioUnreadable as error:
        # The text, not the exception: a log record kept by a handler would keep its frames alive.
        log.warning("recording of %s could not be decoded (%s)", what, str(error))
    except (OSError, StorageError) as error:
        log.warning("recording of %s could not be read (%s)", what, type(error).__name__)
    return None


def answer_delivery(*, key: str, words: int, storage: Storage | None = None) -> dict[str, Any] | None:
    """The delivery of one recorded answer (a lesson step, the milestone): its pace (the answer's words over
    the recording's voiced time, as for solo practice), pauses, pitch and loudness variation; None when the
    recording cannot be read. Touches no database (the caller checked the key is the learner's)."""
    audio = _measure_stored(key, storage, "an answer")
    if audio is None:
        return None
    pace = pace_over(words, audio.speaking_seconds)
    return {
        "pace_wpm": pace,
        "pace_source": "recording" if pace is not None else None,
        "recorded_speaking_seconds": audio.speaking_seconds,
        "pause_count": audio.pause_count,
        "longest_pause_seconds": audio.longest_pause_seconds,
        "pitch_variation_semitones": audio.pitch_variation_semitones,
        "loudness_variation_db": audio.loudness_variation_db,
        "monotone": audio.monotone,
        "version": VERSION,
    }


def describe_delivery(delivery: object) -> str:
    """What `answer_delivery` measured, in words, only the figures it measured ("" when none was): for the
    amphitheatre and venue exercises, which show it on one line."""
    if not isinstance(delivery, dict):
        return ""
    parts = []
    voiced = delivery.get("recorded_speaking_seconds")
    if isinstance(voiced, int | float):
        parts.append(f"{voiced:.0f} s of voice" if voiced >= 0.5 else "no voice heard")
    pace = delivery.get("pace_wpm")
    if isinstance(pace, int | float):
        parts.append(f"pace {pace:.0f} wpm")
    pitch = delivery.get("pitch_variation_semitones")
    if isinstance(pitch, int | float):
        parts.append(f"pitch variation {pitch:.1f} semitones" + (" (monotone)" if delivery.get("monotone") else ""))
    loudness = delivery.get("loudness_variation_db")
    if isinstance(loudness, int | float):
        parts.append(f"loudness variation {loudness:.1f} dB")
    pauses = delivery.get("pause_count")
    if isinstance(pauses, int) and voiced:
        parts.append(f"{pauses} pause" + ("" if pauses == 1 else "s") + " of 2 s or more")
    return " · ".join(parts)
