"""A solo transcript the learner typed is marked as typed when the session ends: the analysis leaves its
fillers unmeasured (typed text says what was said, not how) and the session page labels it."""

from __future__ import annotations

from sqlalchemy import select

from speakpro.models import PracticeSession, Transcript
from speakpro.services.analysis.analysis import analyse_session
from speakpro.services.analysis.summary import SessionSummary
from speakpro.services.practice import history
from speakpro.services.practice.practice import end_practice, start_practice
from speakpro.services.practice.transcripts import ingest_segments
from tests.factories import make_topic, make_user

TYPED = "Um, yesterday I, uh, finished the checklist. Um, today I pair with Sam, uh, and fix the VPN."


def _ended(session, *, mode: str, typed: bool):
    user = make_user(session)
    live = start_practice(session=session, user_id=user.id, topic_id=make_topic(session).id, mode=mode)
    segment = {"sequence": 0, "speaker": "user", "text": TYPED, "start_ms": 0, "end_ms": 6000, "is_final": True}
    ingest_segments(session=session, user_id=user.id, practice_session_id=live.id, segments=[segment])
    end_practice(session=session, user_id=user.id, practice_session_id=live.id, typed=typed)
    return user, live.id


def _typed(session, session_id) -> bool:
    return session.execute(select(Transcript.typed).where(Transcript.session_id == session_id)).scalar_one()


def test_a_typed_solo_transcript_is_marked_and_its_fillers_are_not_measured(session):
    user, session_id = _ended(session, mode="solo", typed=True)
    assert _typed(session, session_id) is True
    assert analyse_session(session=session, practice_session_id=session_id).status == "complete"
    session.expire_all()
    summary = SessionSummary.read(session.get(PracticeSession, session_id).analytics_summary)
    assert (summary.filler_count, summary.filler_rate_per_100) == (None, None)
    assert summary.learner_words > 0  # what was said still counts
    detail = history.get_session_detail(session=session, user_id=user.id, practice_session_id=session_id)
    assert detail.transcript_typed and detail.analytics is not None
    assert detail.analytics.filler_words_count is None
    assert all(not s.parts for s in detail.segments)  # no filler marks in typed text


def test_spoken_transcripts_keep_their_fillers_and_a_realtime_session_is_never_typed(session):
    user, spoken = _ended(session, mode="solo", typed=False)
    _, realtime = _ended(session, mode="realtime", typed=True)
    assert _typed(session, spoken) is False and _typed(session, realtime) is False
    analyse_session(session=session, practice_session_id=spoken)
    detail = history.get_session_detail(session=session, user_id=user.id, practice_session_id=spoken)
    assert detail.analytics is not None and detail.analytics.filler_words_count == 4
    assert not detail.transcript_typed
