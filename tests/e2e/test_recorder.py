"""The microphone recorder in the browser: record two seconds on /milestone and see the take saved.

Chromium runs with a fake microphone (`--use-fake-device-for-media-stream`, see conftest.py), so
getUserMedia and MediaRecorder produce real WebM/Opus audio that goes through the real upload route.
The recorder appears on /milestone once that page renders `audio_recorder`; until then this test skips.
"""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import expect

PASSWORD = "a long enough passphrase"


def _learner_with_level_one_done():
    """A fresh, onboarded learner (in the seeded database) whose level 1 milestone is open."""
    from sqlalchemy import insert, select

    from speakpro.db import session_scope
    from speakpro.models import Level, Module, UserProgress, utcnow
    from tests.factories import make_onboarded_learner

    email = f"recorder-{secrets.token_hex(4)}@example.com"
    with session_scope() as session:
        user = make_onboarded_learner(session, email=email, password=PASSWORD, display_name="Recorder Learner")
        modules = (
            session.execute(select(Module.id).join(Level, Level.id == Module.level_id).where(Level.number == 1))
            .scalars()
            .all()
        )
        for module_id in modules:
            session.execute(
                insert(UserProgress).values(
                    user_id=user.id, module_id=module_id, status="completed", completed_at=utcnow()
                )
            )
        return email, user.id


def _stored_keys(user_id) -> set[str]:
    from speakpro.integrations.storage import get_storage

    folder = get_storage().root / "audio" / str(user_id)
    # Hidden files are the storage's own side files (content types), not recordings.
    return {f"audio/{user_id}/{p.name}" for p in folder.glob("[!.]*")} if folder.is_dir() else set()


def test_record_two_seconds_on_the_milestone_page(page, base_url):
    email, user_id = _learner_with_level_one_done()
    page.goto(base_url + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#login-submit").click()
    expect(page).to_have_url(re.compile(r"/home$"))

    page.goto(base_url + "/milestone")
    # The page's state has arrived once the milestone shows open (or, unexpectedly, locked).
    expect(page.locator("#milestone-text, #milestone-locked").first).to_be_visible()
    expect(page.locator("#milestone-locked")).to_have_count(0)
    expect(page.locator("#recorder-start")).to_be_visible()  # the learner's consent allows recordings

    from speakpro.integrations.storage import LocalStorage, get_storage

    local = isinstance(get_storage(), LocalStorage)  # the tests' default (S3_BUCKET is unset)
    before = _stored_keys(user_id) if local else set()

    page.locator("#recorder-start").click()
    expect(page.locator("#recorder-stop")).to_be_visible()
    expect(page.locator("#recorder-status")).to_have_text("Recording...")
    page.wait_for_timeout(2000)
    page.locator("#recorder-stop").click()
    expect(page.locator("#recorder-status")).to_contain_text("Recording saved", timeout=20_000)
    expect(page.locator("#recorder-status")).to_have_text(re.compile(r"Recording saved \(0:0[1-4]\)"))
    expect(page.locator("#recorder-start")).to_be_visible()  # ready for another take
    expect(page.locator("#milestone-audio")).to_contain_text("Your recording is attached")

    if local:  # the take is stored under the learner's own prefix, as WebM
        new = _stored_keys(user_id) - before
        assert len(new) == 1 and next(iter(new)).endswith(".webm")

    # Submitting the milestone stores the attempt with that recording and the typed transcript.
    page.locator("#milestone-text").fill(
        "Good morning. Picture this: our team loses two hours every Monday hunting for files. First, the "
        "problem. Second, the plan: one shared structure. Third, the cost. Will you try it for a month?"
    )
    page.locator("#milestone-submit").click()
    expect(page.locator("#milestone-result")).to_be_visible(timeout=20_000)
    # The recording itself is measured: pace, pitch and loudness variation (the fake device's beeps here).
    delivery = page.locator("#milestone-delivery")
    expect(delivery).to_contain_text("From your recording")
    expect(delivery.locator(".speech-metric")).to_have_count(3)
    from sqlalchemy import select

    from speakpro.db import session_scope
    from speakpro.models import MilestoneAttempt

    with session_scope() as session:
        refs = session.execute(select(MilestoneAttempt.audio_ref).where(MilestoneAttempt.user_id == user_id)).all()
    assert len(refs) == 1 and refs[0][0].startswith(f"audio/{user_id}/") and refs[0][0].endswith(".webm")
