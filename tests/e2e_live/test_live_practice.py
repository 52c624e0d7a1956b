"""Live practice with the AI partner, end to end: a learner picks a topic, the browser connects over WebRTC
to the fake Realtime peer (tests/fakes/realtime_peer.py), the scripted conversation shows up in the live
transcript, and ending the session stores the transcript, the recording and the session's duration.

Chromium's fake microphone plays speech made with espeak-ng (see conftest.py), so the recording is real
Opus audio of a voice, uploaded through the real `/api/audio` route.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from playwright.sync_api import expect

from speakpro.services.text import words_of
from tests.fakes.realtime_peer import DEFAULT_SCRIPT

PASSWORD = "a long enough passphrase"
TOPIC = "cold-call-opener"
EBML_MAGIC = b"\x1a\x45\xdf\xa3"


def _learner() -> tuple[str, object]:
    """A fresh, onboarded learner; returns (email, user id)."""
    from speakpro.db import session_scope
    from tests.factories import make_onboarded_learner

    email = f"live-{secrets.token_hex(4)}@example.com"
    with session_scope() as session:
        user = make_onboarded_learner(session, email=email, password=PASSWORD, display_name="Live Learner")
        return email, user.id


def _login(page, base_url: str, email: str) -> None:
    page.goto(base_url + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#login-submit").click()
    expect(page).to_have_url(re.compile(r"/home$"))


def _stored_session(session_id: str):
    from sqlalchemy import select

    from speakpro.db import session_scope
    from speakpro.models import AudioRecording, ClientSecret, PracticeSession, Transcript, TranscriptSegment

    with session_scope() as session:
        practice = session.get(PracticeSession, session_id)
        segments = session.execute(
            select(
                TranscriptSegment.sequence,
                TranscriptSegment.speaker,
                TranscriptSegment.text,
                TranscriptSegment.start_ms,
                TranscriptSegment.end_ms,
                TranscriptSegment.is_final,
            )
            .join(Transcript, Transcript.id == TranscriptSegment.transcript_id)
            .where(Transcript.session_id == practice.id)
            .order_by(TranscriptSegment.sequence)
        ).all()
        recordings = session.execute(
            select(
                AudioRecording.storage_key,
                AudioRecording.mime_type,
                AudioRecording.size_bytes,
                AudioRecording.is_primary,
            ).where(AudioRecording.session_id == practice.id)
        ).all()
        fingerprints = (
            session.execute(select(ClientSecret.fingerprint).where(ClientSecret.session_id == practice.id))
            .scalars()
            .all()
        )
        transcript = session.execute(select(Transcript).where(Transcript.session_id == practice.id)).scalar_one()
        return practice, segments, recordings, fingerprints, transcript


def _server_side_secrets(app, session_id: str) -> list[str] | None:
    """`client_secret` of every server-side live-page state showing this session (None: cannot look).

    Reads the in-memory state manager of the app under test (the harness reloads the app's modules, so the
    state class is matched by name).
    """
    states = getattr(getattr(app.app_instance, "_state_manager", None), "states", None)
    if not isinstance(states, dict):
        return None
    found: list[str] = []

    def walk(state) -> None:
        if type(state).__name__ == "PracticeLiveState" and state.session_id == session_id:
            found.append(state.client_secret)
        for child in list(state.substates.values()):
            walk(child)

    for root in list(states.values()):
        walk(root)
    return found


def test_live_session_with_the_ai_partner(app, page, base_url, realtime_peer):
    from speakpro.integrations.storage import get_storage
    from speakpro.settings import settings

    assert not settings.offline and settings.openai_realtime_calls_url == realtime_peer.calls_url
    email, user_id = _learner()
    _login(page, base_url, email)

    page.goto(base_url + "/practice")
    expect(page.locator(f"#start-{TOPIC}")).to_be_visible()
    expect(page.locator("#solo-banner")).to_have_count(0)
    calls_before = len(realtime_peer.calls)
    page.locator(f"#start-{TOPIC}").click()
    expect(page).to_have_url(re.compile(r"/practice/live/[0-9a-f-]{36}$"))
    session_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    expect(page.locator("#practice-topic")).to_have_text("Cold Call Opener")
    expect(page.locator("#practice-partner")).to_contain_text("operations manager")

    # Connected: the browser's SDP offer reached the fake with the minted secret, the data channel opened.
    status = page.locator("#practice-status")
    expect(status).to_have_attribute("data-status", "live", timeout=30_000)
    transcript = page.locator("#live-transcript")
    user_lines = [turn.text for turn in DEFAULT_SCRIPT if turn.speaker == "user"]
    partner_lines = [turn.text for turn in DEFAULT_SCRIPT if turn.speaker == "ai"]
    expect(transcript).to_contain_text(user_lines[0], timeout=30_000)
    expect(transcript).to_contain_text(partner_lines[0], timeout=30_000)
    expect(transcript).to_contain_text(partner_lines[-1], timeout=60_000)
    expect(transcript.locator(".transcript-line[data-speaker='user'][data-final='true']")).to_have_count(
        len(user_lines)
    )
    expect(transcript.locator(".transcript-line[data-speaker='ai'][data-final='true']")).to_have_count(
        len(partner_lines)
    )
    expect(page.locator("#practice-timer")).to_be_visible()

    # The live meter reads the stored transcript (the server's engine, not the page's): the learner's words,
    # both of the script's fillers ("um", "uh"), and a talk share now that the partner has spoken.
    learner_words = sum(len(words_of(line)) for line in user_lines)
    expect(page.locator("#live-meter")).to_have_attribute("data-words", str(learner_words), timeout=10_000)
    expect(page.locator("#meter-fillers")).to_have_text("2")
    expect(page.locator("#meter-talk")).to_have_text(re.compile(r"^\d{1,3}%$"))

    calls = realtime_peer.calls[calls_before:]
    answered = [call for call in calls if call.status == 201]
    assert len(answered) == 1, [call.status for call in calls]
    call = answered[0]
    realtime_peer.wait_for(lambda: call.script_done and call.audio_frames_received > 50)
    minted = [s for s in realtime_peer.secrets if call.authorization == f"Bearer {s.value}"]
    assert len(minted) == 1, "the browser used a secret the app minted"
    assert minted[0].authorization == "Bearer sk-test-not-real"
    assert minted[0].body["session"]["model"] == settings.openai_realtime_model
    assert "transcription" in minted[0].body["session"]["audio"]["input"]
    assert call.content_type.startswith("application/sdp")
    assert call.query.get("model") == settings.openai_realtime_model
    assert "m=audio" in call.offer_sdp and "m=application" in call.offer_sdp
    assert call.channel_label == "oai-events"

    # Once live, the server no longer holds the secret; the database keeps only its fingerprint.
    held = _server_side_secrets(app, session_id)
    if held is not None:
        assert held == [""]
    _, _, _, fingerprints, _ = _stored_session(session_id)
    assert hashlib.sha256(minted[0].value.encode()).hexdigest() in fingerprints

    page.wait_for_timeout(1500)  # a little more audio after the last line
    page.locator("#practice-end").click()
    expect(page).to_have_url(re.compile(rf"/practice/session/{session_id}$"), timeout=45_000)

    practice, segments, recordings, _, stored_transcript = _stored_session(session_id)
    assert practice.status in ("ended", "analyzed") and practice.mode == "realtime"  # analysed within a second
    assert practice.ended_at is not None and practice.duration_seconds >= 5
    finals = [s for s in segments if s.is_final]
    assert len(finals) == len(segments) == len(DEFAULT_SCRIPT)
    assert [s.speaker for s in finals] == [turn.speaker for turn in DEFAULT_SCRIPT]
    assert [s.text for s in finals] == [turn.text for turn in DEFAULT_SCRIPT]
    assert [s.sequence for s in finals] == sorted(s.sequence for s in finals)
    for earlier, later in zip(finals, finals[1:], strict=False):
        assert earlier.start_ms <= later.start_ms
    for segment in finals:
        assert 0 <= segment.start_ms <= segment.end_ms
    assert stored_transcript.finalized and "Partner: Then one consolidated weekly run" in stored_transcript.content

    assert len(recordings) == 1
    key, mime, size, primary = recordings[0]
    assert primary and mime == "audio/webm" and size > 1000
    assert key.startswith(f"audio/{user_id}/") and get_storage().exists(key)

    # The session page shows it and plays its recording.
    expect(page.locator("#session-title")).to_have_text("Cold Call Opener")
    expect(page.locator("#session-transcript")).to_contain_text(user_lines[1])
    source = page.locator("#session-audio source")
    expect(source).to_have_count(1)
    audio_url = source.get_attribute("src")
    response = page.request.get(audio_url)
    assert response.status == 200
    assert response.headers["content-type"].startswith("audio/webm")
    assert response.body()[:4] == EBML_MAGIC

    # And the history lists it.
    page.goto(base_url + "/history")
    row = page.locator(f".history-row[data-session-id='{session_id}']")
    expect(row).to_be_visible()
    expect(row).to_contain_text("Cold Call Opener")
    expect(row).to_contain_text(re.compile(r"Ended|Analysed"))  # the job queue analyses it within a second


def test_an_ended_session_and_someone_elses_are_not_live(page, base_url, realtime_peer):
    from sqlalchemy import select

    from speakpro.db import session_scope
    from speakpro.models import Topic
    from speakpro.services.practice import practice

    owner_email, owner_id = _learner()
    other_email, _ = _learner()
    with session_scope() as session:
        topic_id = session.execute(select(Topic.id).where(Topic.slug == TOPIC)).scalar_one()
        view = practice.start_practice(session=session, user_id=owner_id, topic_id=topic_id, mode="realtime")

    # Someone else's session: not found, and nothing is minted for it.
    minted_before = len(realtime_peer.secrets)
    _login(page, base_url, other_email)
    page.goto(f"{base_url}/practice/live/{view.id}")
    expect(page.locator("#practice-not-found")).to_be_visible()
    expect(page.locator("#realtime-client")).to_have_count(0)
    assert len(realtime_peer.secrets) == minted_before

    # The owner's ended session goes to its record.
    with session_scope() as session:
        practice.end_practice(session=session, user_id=owner_id, practice_session_id=view.id)
    page.context.clear_cookies()
    _login(page, base_url, owner_email)
    page.goto(f"{base_url}/practice/live/{view.id}")
    expect(page).to_have_url(re.compile(rf"/practice/session/{view.id}$"))


def test_renews_an_expired_secret_and_reconnects_after_a_drop(page, base_url, realtime_peer):
    from tests.fakes.realtime_peer import DEFAULT_SCRIPT as script

    email, _ = _learner()
    _login(page, base_url, email)
    calls_before, secrets_before = len(realtime_peer.calls), len(realtime_peer.secrets)
    realtime_peer.script = script[:2]
    realtime_peer.reject_next_calls(1)  # the first secret is refused: the page mints another
    try:
        page.goto(base_url + "/practice")
        page.locator(f"#start-{TOPIC}").click()
        expect(page).to_have_url(re.compile(r"/practice/live/[0-9a-f-]{36}$"))
        session_id = page.url.rstrip("/").rsplit("/", 1)[-1]
        status = page.locator("#practice-status")
        expect(status).to_have_attribute("data-status", "live", timeout=30_000)
        expect(page.locator("#live-transcript")).to_contain_text(script[1].text, timeout=30_000)
        assert [c.status for c in realtime_peer.calls[calls_before:]] == [401, 201]
        assert len(realtime_peer.secrets) - secrets_before == 2

        # The network drops: the page reconnects with a fresh secret and carries on.
        realtime_peer.script = ()
        realtime_peer.drop_connections()
        realtime_peer.wait_for(lambda: len(realtime_peer.calls) - calls_before == 3, timeout=30)
        assert realtime_peer.calls[-1].status == 201
        assert len(realtime_peer.secrets) - secrets_before == 3
        expect(status).to_have_attribute("data-status", "live", timeout=30_000)
        expect(page.locator("#live-transcript")).to_contain_text(script[0].text)

        page.locator("#practice-end").click()
        expect(page).to_have_url(re.compile(rf"/practice/session/{session_id}$"), timeout=45_000)
    finally:
        realtime_peer.script = script
    practice, segments, recordings, fingerprints, _ = _stored_session(session_id)
    assert practice.status in ("ended", "analyzed")
    assert [(s.speaker, s.text, s.is_final) for s in segments] == [(t.speaker, t.text, True) for t in script[:2]]
    assert len(fingerprints) == 3 and len(recordings) == 1
