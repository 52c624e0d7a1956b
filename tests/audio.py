"""Speech for the audio tests: espeak-ng at a chosen rate (installed by scripts/test.sh), the truth of its
length measured apart from the code under test, and the codecs browsers record in."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import wave

import numpy as np
import pytest


def speaker(folder):
    """`speak(text, rate=150, ssml=False) -> WAV bytes` by espeak-ng, writing into `folder`; skips the test when
    espeak-ng is missing (fails it in CI, where scripts/test.sh installs it)."""
    if shutil.which("espeak-ng") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("espeak-ng is missing: scripts/test.sh installs it")
        pytest.skip("espeak-ng is not installed")

    def speak(text: str, rate: int = 150, ssml: bool = False) -> bytes:
        path = folder / f"speech-{rate}-{abs(hash(text))}.wav"
        subprocess.run(
            ["espeak-ng", *(["-m"] if ssml else []), "-s", str(rate), "-w", str(path), text],
            check=True,
            capture_output=True,
        )
        return path.read_bytes()

    return speak


def speech_span_seconds(wav: bytes) -> float:
    """The truth, measured apart from the code under test: first to last sample above 1% of full scale."""
    with wave.open(io.BytesIO(wav)) as w:
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
        rate = w.getframerate()
    loud = np.flatnonzero(np.abs(samples) > 327)
    return (loud[-1] - loud[0]) / rate


def encode_opus(wav: bytes, container: str) -> bytes:
    """The speech as a browser's MediaRecorder uploads it: Opus at 48 kHz in WebM or Ogg."""
    import av

    out = io.BytesIO()
    with av.open(io.BytesIO(wav)) as source, av.open(out, "w", format=container) as target:
        stream = target.add_stream("libopus", rate=48000)
        for frame in source.decode(audio=0):
            frame.pts = None
            for packet in stream.encode(frame):
                target.mux(packet)
        for packet in stream.encode(None):
            target.mux(packet)
    return out.getvalue()
