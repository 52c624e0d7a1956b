"""The practice history and the amphitheatre in the browser.

The demo learner's ~40 analysed sessions come from the seed. One extra session with a real (WAV) recording
is added for the playback and deletion checks. Screenshots of each page go to /tmp/speakpro-*.png.
"""

from __future__ import annotations

import io
import math
import re
import secrets
import struct
import wave
from datetime import timedelta

from playwright.sync_api import expect

from speakpro.services.accounts.consent import record_consent
from tests.e2e.browser import DEMO_PASSWORD, login

DEMO_EMAIL = "learner@example.com"
PASSWORD = "a long enough passphrase"
PERSONA = {
    "job_role": "Account executive",
    "audience": "Prospective customers",
    "main_goal": "Run confident discovery calls",
    "practice_for": "Sales conversations",
    "comfort_speaking": "3",
    "comfort_selling": "3",
}


def _fresh_learner() -> str:
    from speakpro.db import session_scope
    from speakpro.services.accounts import accounts, onboarding

    email = f"history-{secrets.token_hex(4)}@example.com"
    with session_scope() as session:
        user = accounts.signup(session=session, email=email, password=PASSWORD, display_name="Other Learner")
        record_consent(session=session, user_id=user.id)  # as the sign-up form does
        onboarding.complete_onboarding(session=session, user_id=user.id, persona=onboarding.validate_persona(PERSONA))
    return email


def _wav(seconds: float = 1.0) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(
            b"".join(
                struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / 8000)))
                for n in range(int(8000 * seconds))
            )
        )
    return buffer.getvalue()


def _recorded_session_of_the_demo_learner() -> tuple[str, str]:
    """The newest session of the demo learner, with a transcript and a stored recording."""
    from sqlalchemy import func, select

    from speakpro.db import session_scope
    from speakpro.integrations.storage import get_storage, new_audio_key
    from speakpro.models import (
        AudioRecording,
        PracticeSession,
        Topic,
        Transcript,
        TranscriptSegment,
        User,
        utcnow,
    )

    data = _wav()
    with session_scope() as session:
        user_id = session.execute(select(User.id).where(User.email == DEMO_EMAIL)).scalar_one()
        topic = session.execute(select(Topic).order_by(Topic.slug).limit(1)).scalar_one()
        newest = session.execute(
            select(func.max(PracticeSession.started_at)).where(PracticeSession.user_id == user_id)
        ).scalar_one()
        # The seed spreads today's sessions over the whole day, so "newest" may be later than now.
        started = max(utcnow() - timedelta(minutes=5), newest + timedelta(minutes=1))
        practice = PracticeSession(
            user_id=user_id,
            topic_id=topic.id,
            title=topic.title,
            status="ended",
            started_at=started,
            ended_at=started + timedelta(seconds=64),
            duration_seconds=64,
        )
        session.add(practice)
        session.flush()
        transcript = Transcript(session_id=practice.id, finalized=True, content="Recorded opening. Go on.")
        session.add(transcript)
        session.flush()
        session.add_all(
            [
                TranscriptSegment(
                    transcript_id=transcript.id,
                    sequence=0,
                    speaker="user",
                    text="Recorded opening line.",
                    start_ms=0,
                    end_ms=2000,
                    is_final=True,
                ),
                TranscriptSegment(
                    transcript_id=transcript.id,
                    sequence=1,
                    speaker="ai",
                    text="Go on, I'm listening.",
                    start_ms=2100,
                    end_ms=3500,
                    is_final=True,
                ),
            ]
        )
        key = new_audio_key(user_id, "wav")
        get_storage().put(key, data, "audio/wav")
        session.add(
            AudioRecording(
                session_id=practice.id,
                user_id=user_id,
                storage_key=key,
                mime_type="audio/wav",
                size_bytes=len(data),
                duration_seconds=1.0,
                quality_status="ok",
            )
        )
        return str(practice.id), key


def test_history_list_detail_delete_and_refusal(page, base_url, browser):
    session_id, audio_key = _recorded_session_of_the_demo_learner()
    login(page, base_url, DEMO_EMAIL, DEMO_PASSWORD, lands_on="/home")

    page.locator("#nav-history").click()
    expect(page).to_have_url(re.compile(r"/history$"))
    rows = page.locator("tr.history-row")
    expect(rows).to_have_count(20)
    expect(page.locator("#history-page")).to_have_text(re.compile(r"Page 1 of [23]"))
    expect(rows.first).to_have_attribute("data-session-id", session_id)
    page.screenshot(path="/tmp/speakpro-history.png", full_page=True)

    page.locator("#history-next").click()
    expect(page).to_have_url(re.compile(r"/history\?page=2$"))
    expect(page.locator("#history-page")).to_have_text(re.compile(r"Page 2 of"))
    expect(rows.first).not_to_have_attribute("data-session-id", session_id)
    page.locator("#history-prev").click()
    expect(page.locator("#history-page")).to_have_text(re.compile(r"Page 1 of"))

    # A seeded session: transcript lines with speaker labels.
    seeded = rows.nth(1)
    seeded_id = seeded.get_attribute("data-session-id")
    seeded.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/practice/session/{seeded_id}$"))
    lines = page.locator(".transcript-line")
    expect(lines.first).to_be_visible()
    assert lines.count() >= 2
    expect(page.locator(".transcript-line[data-speaker='user']").first).to_contain_text("You")
    expect(page.locator(".transcript-line[data-speaker='ai']").first).to_contain_text("Partner")
    expect(page.locator("#session-score")).to_be_visible()
    expect(page.locator("#session-no-audio")).to_be_visible()
    page.screenshot(path="/tmp/speakpro-session.png", full_page=True)

    # The recorded session: an audio player whose short-lived URL serves the recording.
    page.goto(base_url + f"/practice/session/{session_id}")
    expect(page.locator(".transcript-line")).to_have_count(2)
    audio = page.locator("#session-audio")
    expect(audio).to_be_attached()
    src = audio.locator("source").get_attribute("src")
    assert "/api/media/" in src and "exp=" in src and "sig=" in src
    response = page.request.get(src)
    assert response.status == 200 and response.body()[:4] == b"RIFF"
    page.screenshot(path="/tmp/speakpro-session-recorded.png", full_page=True)

    # Someone else opening that URL sees "not found" and none of its data.
    other = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        stranger = other.new_page()
        login(stranger, base_url, _fresh_learner(), PASSWORD, lands_on="/home")
        stranger.goto(base_url + f"/practice/session/{session_id}")
        expect(stranger.locator("#session-not-found")).to_be_visible()
        expect(stranger.locator(".transcript-line")).to_have_count(0)
        expect(stranger.locator("#session-audio")).to_have_count(0)
        assert "Recorded opening line" not in stranger.content()
        stranger.screenshot(path="/tmp/speakpro-session-not-found.png", full_page=True)
    finally:
        other.close()

    # Delete it: confirm, a toast, back on the history without it; the object is gone from storage.
    page.locator("#delete-session").click()
    expect(page.locator("#confirm-delete")).to_be_visible()
    # The demo learner is in a company: the dialog says their scores stay in its anonymous totals.
    expect(page.get_by_role("alertdialog")).to_contain_text("company's anonymous totals")
    page.screenshot(path="/tmp/speakpro-session-delete-dialog.png")
    page.locator("#confirm-delete").click()
    expect(page.get_by_text("The session, its recording and its transcript were deleted.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/history$"))
    expect(rows).to_have_count(20)
    expect(page.locator(f"tr.history-row[data-session-id='{session_id}']")).to_have_count(0)
    expect(rows.first).to_have_attribute("data-session-id", seeded_id)

    from speakpro.integrations.storage import get_storage

    assert not get_storage().exists(audio_key)
    assert page.request.get(src).status == 403
    page.goto(base_url + f"/practice/session/{session_id}")
    expect(page.locator("#session-not-found")).to_be_visible()


def test_amphitheatre_visit_and_timeline(page, base_url):
    login(page, base_url, _fresh_learner(), PASSWORD, lands_on="/home")
    page.locator("#nav-amphitheatre").click()
    expect(page).to_have_url(re.compile(r"/amphitheatre$"))
    expect(page.locator("#visit-number")).to_have_text("Visit 1")
    expect(page.locator(".amphitheatre-exercise")).to_have_count(3)
    expect(page.locator("#recorder-start")).to_have_count(1)  # only the current exercise records

    page.locator("#recorder-start").click()
    expect(page.locator("#recorder-stop")).to_be_visible()
    page.wait_for_timeout(1500)
    page.locator("#recorder-stop").click()
    expect(page.locator("#amphitheatre-audio")).to_contain_text("Your recording is attached", timeout=20_000)
    page.locator("#reflection").fill("Crisp consonants at first, then I sped up and slurred the last round.")
    page.locator("#marker-pace").check()
    page.locator("#marker-pauses").check()
    page.screenshot(path="/tmp/speakpro-amphitheatre-active.png", full_page=True)
    page.locator("#submit-exercise").click()
    first = page.locator("#exercise-warm_up_tongue_twister")
    expect(first).to_have_attribute("data-done", "true")
    expect(first).to_contain_text("recorded")
    # The recording is measured when the exercise is saved (the fake device's beeps here).
    expect(first.locator(".exercise-delivery")).to_contain_text("From your recording: ")

    for key, reflection in (
        ("one_minute_story", "The story had a clear start and end; the lesson came too fast."),
        ("handle_a_heckler", "I acknowledged the heckler and got back on track in one go."),
    ):
        page.locator("#reflection").fill(reflection)
        page.locator("#submit-exercise").click()
        expect(page.locator(f"#exercise-{key}")).to_have_attribute("data-done", "true")
    expect(page.locator("#visit-finished")).to_contain_text("XP")
    expect(page.locator("#visit-status")).to_have_text("finished")
    page.screenshot(path="/tmp/speakpro-amphitheatre.png", full_page=True)

    page.locator("#amphitheatre-history-link").click()
    expect(page).to_have_url(re.compile(r"/amphitheatre/history$"))
    expect(page.locator(".timeline-item")).to_have_count(1)
    expect(page.locator(".timeline-item").first).to_contain_text("3 of 3 exercises")
    page.screenshot(path="/tmp/speakpro-amphitheatre-history.png", full_page=True)
