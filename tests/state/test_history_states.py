"""History and amphitheatre handlers called directly: own data only, pages, delete, submissions."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from speakpro import routes
from speakpro.models import AmphitheatreExerciseRecord, AudioRecording, PracticeSession, TranscriptSegment, utcnow
from speakpro.services.accounts import accounts, onboarding, sessions
from speakpro.services.world import amphitheatre
from speakpro.state.amphitheatre import AmphitheatreHistoryState, AmphitheatreState
from speakpro.state.history import HistoryState, SessionDetailState
from tests.factories import make_practice_session, make_topic, make_transcript
from tests.signin import at_url, background, redirects, run, sign_in

PERSONA = {
    "job_role": "Account executive",
    "audience": "Prospective customers",
    "main_goal": "Run confident discovery calls",
    "practice_for": "Sales conversations",
    "comfort_speaking": "3",
    "comfort_selling": "3",
}


def _learner(session):
    user = accounts.signup(
        session=session, email=f"h-{uuid.uuid4().hex[:8]}@example.com", password="a sturdy passphrase"
    )
    onboarding.complete_onboarding(session=session, user_id=user.id, persona=onboarding.validate_persona(PERSONA))
    return user


def _signed_in(state_cls, session, user, path: str = "/"):
    state = state_cls()
    sign_in(state, sessions.create_session(session=session, user_id=user.id))
    at_url(state, f"http://localhost:3000{path}")
    return state


def _sessions(session, user, count: int) -> list[PracticeSession]:
    topic = make_topic(session)
    now = utcnow()
    return [
        make_practice_session(
            session,
            user,
            topic,
            status="analyzed",
            started_at=now - timedelta(hours=n + 1),
            ended_at=now - timedelta(hours=n + 1) + timedelta(seconds=95),
            duration_seconds=95,
        )
        for n in range(count)
    ]


def _with_transcript(session, practice):
    transcript = make_transcript(session, practice)
    transcript.content, transcript.finalized = "Hello. Hi there.", True
    session.add_all(
        [
            TranscriptSegment(
                transcript_id=transcript.id,
                sequence=0,
                speaker="user",
                text="Hello.",
                start_ms=0,
                end_ms=900,
                is_final=True,
            ),
            TranscriptSegment(
                transcript_id=transcript.id,
                sequence=1,
                speaker="ai",
                text="Hi there.",
                start_ms=1000,
                end_ms=1900,
                is_final=True,
            ),
        ]
    )
    session.flush()


# --- history list ---------------------------------------------------------------------------------------------------


async def test_history_pages_follow_the_page_query_parameter(session):
    user = _learner(session)
    made = _sessions(session, user, 25)
    _sessions(session, _learner(session), 3)  # someone else's

    first = _signed_in(HistoryState, session, user, "/history")
    await run(first.load)
    assert first.loaded and (first.page, first.pages, first.total) == (1, 2, 25) and len(first.rows) == 20
    assert first.rows[0].id == str(made[0].id) and first.rows[0].duration == "1:35"
    assert first.rows[0].href == routes.practice_session(str(made[0].id)) and first.rows[0].score == "—"
    assert first.prev_href == "" and first.next_href == "/history?page=2"

    second = _signed_in(HistoryState, session, user, "/history?page=2")
    await run(second.load)
    assert second.page == 2 and len(second.rows) == 5 and second.prev_href == "/history"
    assert second.next_href == ""
    assert {r.id for r in first.rows} | {r.id for r in second.rows} == {str(p.id) for p in made}

    for hostile in ("abc", "-1", "9" * 50, "2%00"):
        state = _signed_in(HistoryState, session, user, f"/history?page={hostile}")
        await run(state.load)
        assert state.loaded and state.page in (1, 2)


async def test_a_running_session_links_to_its_live_page(session):
    user = _learner(session)
    ended = _sessions(session, user, 1)[0]
    running = make_practice_session(session, user, status="active", started_at=utcnow() - timedelta(minutes=1))
    state = _signed_in(HistoryState, session, user, "/history")
    await run(state.load)
    links = {row.id: row.href for row in state.rows}
    assert links == {
        str(running.id): routes.practice_live(str(running.id)),
        str(ended.id): routes.practice_session(str(ended.id)),
    }


async def test_history_needs_a_session(session):
    state = HistoryState()
    at_url(state, "http://localhost:3000/history")
    events = await run(state.load)
    assert any(routes.LOGIN in r for r in redirects(events)) and state.rows == []


# --- one session ----------------------------------------------------------------------------------------------------


async def test_the_owner_sees_the_transcript_and_the_recording(session, storage):
    user = _learner(session)
    practice = _sessions(session, user, 1)[0]
    _with_transcript(session, practice)
    key = f"audio/{user.id}/{uuid.uuid4().hex}.ogg"
    storage.put(key, b"OggS....", "audio/ogg")
    session.add(
        AudioRecording(
            session_id=practice.id,
            user_id=user.id,
            storage_key=key,
            mime_type="audio/ogg",
            size_bytes=8,
            duration_seconds=90,
        )
    )
    session.flush()

    state = _signed_in(SessionDetailState, session, user, routes.practice_session(str(practice.id)))
    await run(state.load)

    assert state.loaded and not state.not_found and state.session_id == str(practice.id)
    assert [(s.speaker_label, s.text, s.time) for s in state.segments] == [
        ("You", "Hello.", "0:00"),
        ("Partner", "Hi there.", "0:01"),
    ]
    assert state.has_recording and state.audio_url.startswith("http://backend.test/api/media/audio/")
    assert state.audio_mime == "audio/ogg" and "1:30" in state.audio_details


async def test_the_session_page_shows_its_analysis_when_it_lands(session, storage, monkeypatch):
    import speakpro.state.history as history_state
    from speakpro.services.analysis.analysis import analyse_session

    monkeypatch.setattr(history_state, "ANALYSIS_POLL_SECONDS", 0)
    user = _learner(session)
    practice = _sessions(session, user, 1)[0]
    practice.status, practice.processing_status = "ended", "pending"
    _with_transcript(session, practice)
    session.flush()

    state = _signed_in(SessionDetailState, session, user, routes.practice_session(str(practice.id)))
    events = await run(state.load)
    assert state.analysing and state.score == "" and state.metrics == []
    assert any("watch_analysis" in str(e) for e in events)

    analyse_session(session=session, practice_session_id=practice.id)  # what the job worker does meanwhile
    events = await run(background(state, "watch_analysis"))
    assert not state.analysing and not state.analysis_slow
    assert state.score != "" and state.metrics and any("Your feedback is ready" in str(e) for e in events)


async def test_the_session_page_says_when_the_analysis_takes_longer(session, storage, monkeypatch):
    import speakpro.state.history as history_state

    monkeypatch.setattr(history_state, "ANALYSIS_POLL_SECONDS", 0)
    monkeypatch.setattr(history_state, "ANALYSIS_WAIT_SECONDS", 0.05)
    user = _learner(session)
    practice = _sessions(session, user, 1)[0]
    practice.status, practice.processing_status = "ended", "pending"
    session.flush()
    state = _signed_in(SessionDetailState, session, user, routes.practice_session(str(practice.id)))
    await run(state.load)
    await run(background(state, "watch_analysis"))
    assert state.analysing and state.analysis_slow


async def test_someone_elses_session_shows_not_found_and_no_data(session, storage):
    owner, stranger = _learner(session), _learner(session)
    practice = _sessions(session, owner, 1)[0]
    _with_transcript(session, practice)
    mine = _sessions(session, stranger, 1)[0]
    _with_transcript(session, mine)

    state = _signed_in(SessionDetailState, session, stranger, routes.practice_session(str(mine.id)))
    await run(state.load)
    assert state.segments and state.title
    at_url(state, "http://localhost:3000" + routes.practice_session(str(practice.id)))
    await run(state.load)

    assert state.not_found and state.loaded
    assert state.segments == [] and state.title == "" and state.topic == "" and state.session_id == ""
    assert state.audio_url == "" and state.metrics == []
    for ref in ("not-a-uuid", str(uuid.uuid4()), "x" * 5000):
        at_url(state, "http://localhost:3000/practice/session/" + ref)
        await run(state.load)
        assert state.not_found and state.segments == []


async def test_deleting_from_the_page_toasts_and_goes_back_to_the_history(session, storage):
    user = _learner(session)
    practice = _sessions(session, user, 1)[0]
    _with_transcript(session, practice)
    state = _signed_in(SessionDetailState, session, user, routes.practice_session(str(practice.id)))
    await run(state.load)

    events = await run(state.delete_session)

    assert any(routes.HISTORY in r for r in redirects(events))
    assert any("toast" in str(e).lower() for e in events) and state.error == ""
    session.refresh(practice)
    assert practice.deleted_at is not None
    listing = _signed_in(HistoryState, session, user, "/history")
    await run(listing.load)
    assert listing.total == 0


async def test_a_stranger_cannot_delete_through_the_handler(session, storage):
    owner, stranger = _learner(session), _learner(session)
    practice = _sessions(session, owner, 1)[0]
    state = _signed_in(SessionDetailState, session, stranger, routes.practice_session(str(practice.id)))
    state.session_id = str(practice.id)  # as if the page had been tampered with

    await run(state.delete_session)

    assert "could not find" in state.error
    session.refresh(practice)
    assert practice.deleted_at is None


# --- amphitheatre ---------------------------------------------------------------------------------------------------


async def test_the_hub_opens_a_visit_and_takes_exercises_in_order(session, storage):
    user = _learner(session)
    state = _signed_in(AmphitheatreState, session, user, routes.AMPHITHEATRE)
    await run(state.load)
    assert state.loaded and state.visit_number == 1 and state.next_key == amphitheatre.PLAN[0].key
    assert [e.key for e in state.exercises] == [e.key for e in amphitheatre.PLAN]

    foreign = f"audio/{uuid.uuid4()}/{uuid.uuid4().hex}.webm"
    await run(state.recorded, {"key": foreign, "duration_seconds": 3})
    assert state.audio_key == "" and "could not be found" in state.error
    key = f"audio/{user.id}/{uuid.uuid4().hex}.webm"
    storage.put(key, b"\x1a\x45\xdf\xa3webm", "audio/webm")
    await run(state.recorded, {"key": key, "duration_seconds": 2.6})
    assert state.audio_key == key and state.audio_seconds == 2 and state.error == ""

    submit = background(state, "submit")  # a background event: the recording is measured with nothing locked
    await run(submit, {"reflection": "", "marker_pace": "on"})
    assert "empty" in state.error and not state.busy
    assert state.exercises[0].done is False

    await run(
        submit,
        {
            "reflection": "Clear consonants, but I sped up.",
            "marker_pace": "on",
            "marker_bogus": "on",
            "marker_nerves": "off",
        },
    )
    assert state.error == "" and state.exercises[0].done and state.exercises[0].has_audio
    assert state.exercises[0].markers == ["pace"] and state.audio_key == ""
    assert state.next_key == amphitheatre.PLAN[1].key

    await run(submit, {"reflection": "The story landed."})
    events = await run(submit, {"reflection": "I stayed calm with the heckler.", "marker_volume": "on"})
    assert state.status == "finished" and state.rewards.startswith("+") and state.points > 0
    assert any("toast" in str(e).lower() for e in events)
    assert (
        session.execute(
            select(func.count())
            .select_from(AmphitheatreExerciseRecord)
            .where(AmphitheatreExerciseRecord.user_id == user.id)
        ).scalar_one()
        == 3
    )

    await run(state.next_visit)
    assert state.visit_number == 2 and state.status == "active" and state.rewards == ""

    timeline = _signed_in(AmphitheatreHistoryState, session, user, routes.AMPHITHEATRE_HISTORY)
    await run(timeline.load)
    assert [(v.visit_number, v.finished, v.progress) for v in timeline.visits] == [
        (2, False, "0 of 3 exercises"),
        (1, True, "3 of 3 exercises"),
    ]
