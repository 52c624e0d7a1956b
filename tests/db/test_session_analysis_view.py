"""The session page's analysis: speech metrics with healthy bands, the coach's rubric, and fillers marked
in the learner's lines, for a session analysed by `services.analysis.analysis.analyse_session`."""

from __future__ import annotations

from datetime import timedelta

from speakpro.models import TranscriptSegment
from speakpro.services.analysis import speech_metrics as sm
from speakpro.services.analysis.analysis import analyse_session
from speakpro.services.practice import history
from speakpro.services.text import filler_parts
from tests.factories import days_ago, make_practice_session, make_transcript, make_user
from tests.queries import count_queries

LINES = [
    ("ai", "Hello, this is Dana from Acme. How can I help?", 0, 3000),
    ("user", "Um, so, like, basically we, uh, you know, help teams, um, sell.", 3500, 9000),
    ("ai", "Do you know our price?", 9500, 11000),
    ("user", "Do you know the price? Would a short demo next Tuesday work for you?", 11500, 17000),
]


def _analysed(session):
    user = make_user(session)
    practice = make_practice_session(
        session,
        user,
        status="ended",
        processing_status="pending",
        started_at=days_ago(0) - timedelta(minutes=2),
        ended_at=days_ago(0),
        duration_seconds=120,
    )
    transcript = make_transcript(session, practice)
    for i, (speaker, text, start, end) in enumerate(LINES):
        session.add(
            TranscriptSegment(
                transcript_id=transcript.id,
                sequence=i,
                speaker=speaker,
                text=text,
                start_ms=start,
                end_ms=end,
                is_final=True,
            )
        )
    session.flush()
    outcome = analyse_session(session=session, practice_session_id=practice.id)
    assert outcome.status == "complete"
    return user, practice


def test_detail_carries_metrics_with_bands_coach_and_filler_parts(session):
    user, practice = _analysed(session)

    with count_queries(session) as statements:
        detail = history.get_session_detail(session=session, user_id=user.id, practice_session_id=practice.id)
    assert len(statements) == 3

    metrics = {m.key: m for m in detail.speech_metrics}
    assert list(metrics) == [
        "pace_wpm",
        "filler_rate_per_100",
        "talk_time_ratio",
        "longest_monologue_seconds",
        "vocabulary_variety",
        "sentiment",
        "pitch_variation_semitones",
        "loudness_variation_db",
    ]
    # No recording: the delivery figures that need one are not measured, and the pace is the transcript's.
    assert metrics["pitch_variation_semitones"].value is None and metrics["loudness_variation_db"].value is None
    assert metrics["pace_wpm"].source == "transcript"
    assert (metrics["pace_wpm"].low, metrics["pace_wpm"].high) == sm.PACE_HEALTHY_WPM
    assert (metrics["talk_time_ratio"].low, metrics["talk_time_ratio"].high) == sm.TALK_RATIO_HEALTHY
    assert metrics["filler_rate_per_100"].high == sm.FILLER_RATE_HEALTHY_MAX
    assert metrics["longest_monologue_seconds"].high == sm.MONOLOGUE_HEALTHY_MAX_SECONDS
    # 6 fillers in 26 learner words: far over 3 per 100, so not healthy
    assert metrics["filler_rate_per_100"].value > sm.FILLER_RATE_HEALTHY_MAX
    assert metrics["filler_rate_per_100"].assessment == "high"
    assert all(m.assessment in ("ok", "low", "high") for m in metrics.values() if m.value is not None)
    assert metrics["pace_wpm"].value is not None and metrics["talk_time_ratio"].value is not None

    coach = detail.coach
    assert coach is not None and coach.provider == "local" and coach.provider_label == "Local rubric"
    assert set(coach.scores) == {"opening", "questioning", "objection_handling", "closing"}
    assert coach.overall == detail.analytics.overall_score
    assert coach.scores["closing"] == detail.analytics.skills["closing"]
    assert all(set(i) == {"text", "quote"} for i in coach.strengths + coach.improvements)
    assert coach.improvements or coach.strengths

    learner = [s for s in detail.segments if s.speaker == "user"]
    first, second = learner
    assert "".join(p["text"] for p in first.parts) == first.text
    assert [p["text"] for p in first.parts if p["filler"]] == ["Um", "like", "basically", "uh", "you know", "um"]
    assert second.parts == [{"text": second.text, "filler": False}]  # "Do you know the price?" is a question
    assert all(s.parts == [] for s in detail.segments if s.speaker != "user")


def test_detail_without_analysis_has_no_metrics_or_coach(session):
    user = make_user(session)
    practice = make_practice_session(
        session, user, status="ended", started_at=days_ago(0), ended_at=days_ago(0), duration_seconds=60
    )
    detail = history.get_session_detail(session=session, user_id=user.id, practice_session_id=practice.id)
    assert detail.speech_metrics == [] and detail.coach is None


def test_filler_parts_join_back_and_mark_only_fillers():
    assert filler_parts("") == [{"text": "", "filler": False}]
    parts = filler_parts("I was like, hmm… a tool like Slack, I mean.")
    assert "".join(p["text"] for p in parts) == "I was like, hmm… a tool like Slack, I mean."
    assert [p["text"] for p in parts if p["filler"]] == ["like", "hmm", "I mean"]
