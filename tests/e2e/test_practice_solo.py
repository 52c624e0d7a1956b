"""Solo practice in the browser (the e2e app runs offline: no OpenAI key, so no AI partner).

The learner starts a topic, the page says clearly that this is solo mode, the fake microphone is recorded,
the learner types what they said, and ending the session stores it as one final segment with the recording.
"""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import expect

PASSWORD = "a long enough passphrase"
TOPIC = "team-standup-update"
SAID = "Yesterday I finished the onboarding checklist. Today I am pairing with Sam. My blocker is the VPN access."


def _learner() -> tuple[str, object]:
    from speakpro.db import session_scope
    from tests.factories import make_onboarded_learner

    email = f"solo-{secrets.token_hex(4)}@example.com"
    with session_scope() as session:
        user = make_onboarded_learner(session, email=email, password=PASSWORD, display_name="Solo Learner", comfort=2)
        return email, user.id


def test_solo_session_with_a_typed_transcript(page, base_url):
    from sqlalchemy import select

    from speakpro.db import session_scope
    from speakpro.integrations.storage import get_storage
    from speakpro.models import AudioRecording, PracticeSession, Transcript, TranscriptSegment

    email, user_id = _learner()
    page.goto(base_url + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#login-submit").click()
    expect(page).to_have_url(re.compile(r"/home$"))

    page.goto(base_url + "/practice")
    expect(page.locator("#solo-banner")).to_contain_text("Solo mode: no AI partner is configured")
    page.locator(f"#start-{TOPIC}").click()
    expect(page).to_have_url(re.compile(r"/practice/live/[0-9a-f-]{36}$"))
    session_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    expect(page.locator("#solo-badge")).to_be_visible()
    expect(page.locator("#solo-live-banner")).to_be_visible()
    expect(page.locator("#practice-status")).to_have_attribute("data-status", "live", timeout=20_000)
    # Solo practice has no partner: the live meter says talk share does not apply, and shows no pace yet.
    expect(page.locator("#meter-talk")).to_have_text("Not applicable (no partner)")
    expect(page.locator("#meter-pace")).to_have_text("Not measured yet")

    page.locator("#solo-transcript").fill(SAID)
    page.wait_for_timeout(1500)  # some audio
    page.locator("#practice-end").click()
    expect(page).to_have_url(re.compile(rf"/practice/session/{session_id}$"), timeout=30_000)
    expect(page.locator("#session-transcript")).to_contain_text("My blocker is the VPN access.")
    # The recording's player knows its length (MediaRecorder's WebM has none in its header: "Infinity").
    page.wait_for_function(
        "() => { const a = document.querySelector('#session-audio');"
        " return !!a && Number.isFinite(a.duration) && a.duration > 0 && a.currentTime === 0; }",
        timeout=20_000,
    )
    # The transcript follows the recording: a line's time plays from there and the line heard is marked.
    line = page.locator(".transcript-line").first
    expect(line.locator(".transcript-seek")).to_be_visible()
    line.locator(".transcript-seek").click()
    page.wait_for_function("() => !document.querySelector('#session-audio').paused")
    expect(line).to_have_attribute("data-playing", "true", timeout=5_000)
    page.evaluate("document.querySelector('#session-audio').pause()")
    expect(line).not_to_have_attribute("data-playing", "true")
    # The analysis shows up on this page when it lands, without a reload ("Analysing..." until then).
    expect(page.locator("#session-metrics")).to_be_visible(timeout=30_000)
    expect(page.locator("#session-analysing")).to_have_count(0)
    # No partner in solo mode: a talk-time share does not apply, never "100%".
    talk = page.locator("#session-metrics").get_by_text("Your talk time").locator("xpath=..")
    expect(talk).to_contain_text("Not applicable (solo)")
    expect(talk).not_to_contain_text("%")
    # The learner typed it: labelled, and its fillers are not counted as if they were spoken.
    expect(page.locator("#transcript-typed")).to_have_text("Typed by you")
    fillers = page.locator("#session-metrics").get_by_text("Filler words").locator("xpath=..")
    expect(fillers).to_contain_text("Not measured (typed transcript)")

    with session_scope() as session:
        practice = session.get(PracticeSession, session_id)
        # Ended, and by now usually analysed already: the job queue picks the session up within a second.
        assert practice.user_id == user_id and practice.mode == "solo" and practice.status in ("ended", "analyzed")
        assert practice.duration_seconds is not None and practice.ended_at is not None
        segments = session.execute(
            select(TranscriptSegment.speaker, TranscriptSegment.text, TranscriptSegment.is_final)
            .join(Transcript, Transcript.id == TranscriptSegment.transcript_id)
            .where(Transcript.session_id == practice.id)
        ).all()
        recordings = session.execute(
            select(AudioRecording.storage_key, AudioRecording.mime_type).where(AudioRecording.session_id == practice.id)
        ).all()
    assert [tuple(s) for s in segments] == [("user", SAID, True)]
    assert len(recordings) == 1 and recordings[0].mime_type == "audio/webm"
    assert get_storage().exists(recordings[0].storage_key)


SPOKEN = (
    "Good morning everyone. Thank you for joining the call today. I want to walk you through our plan for the "
    "next quarter. First we will look at the numbers from last month."
)


def test_solo_pace_is_measured_from_what_the_microphone_heard(browser, warm_app, base_url, speak, tmp_path):
    """The fake microphone plays espeak speech at 150 wpm; the learner types the same words. The session page
    shows the pace of the recording's voiced time (within 10% of the speech's own), labelled as such."""
    from tests.audio import speech_span_seconds
    from tests.e2e.browser import login
    from tests.e2e.conftest import CHROMIUM_ARGS, _chromium

    wav = speak(SPOKEN, 150)
    truth = len(SPOKEN.split()) / (speech_span_seconds(wav) / 60)
    microphone = tmp_path / "microphone.wav"
    microphone.write_bytes(wav)
    email, _ = _learner()
    # A browser of its own: the fake microphone plays this file once, from when the page opens it.
    speaking = browser.browser_type.launch(
        executable_path=_chromium(),
        args=[*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={microphone}%noloop"],
    )
    try:
        page = speaking.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.set_default_timeout(30_000)
        login(page, base_url, email, PASSWORD, lands_on="/home")
        page.goto(base_url + "/practice")
        page.locator(f"#start-{TOPIC}").click()
        expect(page.locator("#practice-status")).to_have_attribute("data-status", "live", timeout=20_000)
        page.locator("#solo-transcript").fill(SPOKEN)
        page.wait_for_timeout(int(speech_span_seconds(wav) * 1000) + 2500)  # the whole speech, and a breath
        page.locator("#practice-end").click()
        expect(page).to_have_url(re.compile(r"/practice/session/[0-9a-f-]{36}$"), timeout=30_000)
        pace = page.locator("[data-metric='pace_wpm']")
        expect(pace).to_contain_text("Pace (from your recording)", timeout=45_000)
        shown = int(re.search(r"(\d+) wpm", pace.inner_text()).group(1))
        assert abs(shown - truth) / truth <= 0.10, (shown, truth)
        expect(page.locator("[data-metric='pitch_variation_semitones']")).to_contain_text("semitones")
    finally:
        speaking.close()
