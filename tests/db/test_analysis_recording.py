"""The analysis reads the session's own recording: a solo session's pace from its voiced time (not from a typed
block stamped over the session), the delivery figures of every session, and nothing made up when the
recording cannot be read."""

from __future__ import annotations

from datetime import timedelta

import pytest

from speakpro.integrations.storage import new_audio_key
from speakpro.models import AudioRecording, PracticeSession, TranscriptSegment
from speakpro.services.analysis.analysis import analyse_session
from speakpro.services.analysis.summary import SessionSummary
from speakpro.services.practice import history
from tests.audio import encode_opus, speech_span_seconds
from tests.factories import days_ago, make_practice_session, make_transcript, make_user

SAID = (
    "Good morning everyone. Thank you for joining the call today. I want to walk you through our plan for the "
    "next quarter. First we will look at the numbers from last month. Then we will talk about what we learned "
    "from our customers. Finally I will ask you for one clear decision before we finish."
)
WORDS = len(SAID.split())


def _session(session, *, mode: str, lines, recording: bytes | None, storage=None) -> PracticeSession:
    user = make_user(session)
    practice = make_practice_session(
        session,
        user,
        mode=mode,
        status="ended",
        processing_status="pending",
        started_at=days_ago(0) - timedelta(minutes=1),
        ended_at=days_ago(0),
        duration_seconds=60,
    )
    transcript = make_transcript(session, practice)
    for i, (speaker, text, start, end) in enumerate(lines):
        session.add(
            TranscriptSegment(
                transcript_id=transcript.id, sequence=i, speaker=speaker, text=text, start_ms=start, end_ms=end
            )
        )
    if recording is not None:
        key = new_audio_key(user.id, "webm")
        storage.put(key, recording, "audio/webm")
        session.add(
            AudioRecording(
                session_id=practice.id,
                user_id=user.id,
                storage_key=key,
                mime_type="audio/webm",
                size_bytes=len(recording),
            )
        )
    session.flush()
    return practice


def _summary(session, practice) -> SessionSummary:
    session.expire_all()
    return SessionSummary.read(session.get(PracticeSession, practice.id).analytics_summary)


def test_a_solo_session_takes_its_pace_from_the_recording(session, storage, speak):
    wav = speak(SAID, 150)
    truth = WORDS / (speech_span_seconds(wav) / 60)
    # The typed block of the solo page spans only 4 s of the session: over that, the "pace" would be 825 wpm.
    practice = _session(
        session, mode="solo", lines=[("user", SAID, 0, 4000)], recording=encode_opus(wav, "webm"), storage=storage
    )
    assert analyse_session(session=session, practice_session_id=practice.id).status == "complete"
    summary = _summary(session, practice)
    assert summary.pace_source == "recording"
    assert abs(summary.pace_wpm - truth) / truth <= 0.10
    assert summary.talk_time_ratio is None
    assert summary.pitch_variation_semitones is not None and summary.loudness_variation_db is not None
    # The session page says where the pace came from, and talk time is not applicable.
    detail = history.get_session_detail(session=session, user_id=practice.user_id, practice_session_id=practice.id)
    metrics = {m.key: m for m in detail.speech_metrics}
    assert metrics["pace_wpm"].source == "recording"
    assert metrics["talk_time_ratio"].applicable is False
    assert metrics["pitch_variation_semitones"].assessment in ("ok", "low", "high")


def test_a_conversation_keeps_its_timed_pace_and_gains_delivery(session, storage, speak):
    lines = [("ai", "Hello, how can I help?", 0, 2000), ("user", SAID, 2500, 20500)]
    practice = _session(
        session, mode="realtime", lines=lines, recording=encode_opus(speak(SAID), "webm"), storage=storage
    )
    assert analyse_session(session=session, practice_session_id=practice.id).status == "complete"
    summary = _summary(session, practice)
    assert summary.pace_source == "transcript" and summary.pace_wpm == pytest.approx(WORDS / 18 * 60, abs=0.5)
    assert summary.pitch_variation_semitones is not None and summary.talk_time_ratio is not None


def test_without_a_readable_recording_a_solo_pace_is_not_measured(session, storage):
    for recording in (None, b"this is not audio"):
        practice = _session(session, mode="solo", lines=[("user", SAID, 0, 4000)], recording=recording, storage=storage)
        assert analyse_session(session=session, practice_session_id=practice.id).status == "complete"
        summary = _summary(session, practice)
        assert (summary.pace_wpm, summary.pace_source, summary.pitch_variation_semitones) == (None, None, None)
        assert summary.learner_words == WORDS  # the rest of the analysis stands


def test_a_recorded_lesson_or_milestone_answer_gets_its_delivery_from_the_audio(session, storage, speak):
    from speakpro.services.learning.feedback import coach_answer, prepare_feedback
    from speakpro.state.history import delivery_rows

    user, other = make_user(session), make_user(session)
    wav = speak(SAID, 150)
    truth = WORDS / (speech_span_seconds(wav) / 60)
    key = new_audio_key(user.id, "webm")
    storage.put(key, encode_opus(wav, "webm"), "audio/webm")

    def feedback(user_id, audio_ref):
        request = prepare_feedback(
            session=session,
            module_ids=[],
            kind="speaking",
            prompt="Walk the team through next quarter's plan.",
            text=SAID,
            with_ai=False,
            user_id=user_id,
            audio_ref=audio_ref,
        )
        return coach_answer(request, None)

    recorded = feedback(user.id, key)
    assert recorded.delivery is not None and recorded.delivery["pace_source"] == "recording"
    assert abs(recorded.delivery["pace_wpm"] - truth) / truth <= 0.10
    assert recorded.delivery["pitch_variation_semitones"] is not None
    assert recorded.summary()["delivery"] == recorded.delivery
    rows = delivery_rows(recorded.summary()["delivery"])
    assert [r.key for r in rows] == ["pace_wpm", "pitch_variation_semitones", "loudness_variation_db"]
    assert rows[0].label == "Pace (from your recording)"
    # Someone else's recording, none, or one that is not audio: no delivery, never a guess.
    assert feedback(other.id, key).delivery is None
    assert feedback(user.id, None).delivery is None
    junk = new_audio_key(user.id, "webm")
    storage.put(junk, b"this is not audio", "audio/webm")
    assert feedback(user.id, junk).delivery is None
    assert delivery_rows(None) == []
