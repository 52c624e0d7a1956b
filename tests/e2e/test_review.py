"""Consented review in the browser: a learner shares a session, their manager replays it and comments on a
moment, the learner reads the comment; another company's manager sees none of it."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.browser import login


def _demo_session_with_transcript() -> str:
    """One of the demo learner's sessions with final transcript lines and a recording-free replay."""
    from sqlalchemy import select

    from speakpro.db import session_scope
    from speakpro.models import PracticeSession, Transcript, TranscriptSegment, User

    with session_scope() as session:
        return str(
            session.execute(
                select(PracticeSession.id)
                .join(User, User.id == PracticeSession.user_id)
                .join(Transcript, Transcript.session_id == PracticeSession.id)
                .join(TranscriptSegment, TranscriptSegment.transcript_id == Transcript.id)
                .where(User.email == "learner@example.com", PracticeSession.deleted_at.is_(None))
                .order_by(PracticeSession.started_at.desc())
                .limit(1)
            ).scalar_one()
        )


def _person(browser):
    """A page in a browser context of its own: one person, one cookie jar."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(30_000)
    return page


def test_share_review_comment_and_read_the_comment(browser, warm_app, base_url):
    session_id = _demo_session_with_transcript()
    learner = _person(browser)
    login(learner, base_url, "learner@example.com", lands_on="/home")
    learner.goto(f"{base_url}/practice/session/{session_id}")
    switch = learner.locator("#share-with-managers")
    expect(switch).to_have_attribute("data-state", "unchecked")  # private by default
    switch.click()
    expect(learner.get_by_text("Shared with your company's managers")).to_be_visible()
    expect(switch).to_have_attribute("data-state", "checked")

    manager = _person(browser)
    login(manager, base_url, "manager@example.com", lands_on="/home")
    manager.locator("#nav-dashboard").click()
    row = manager.locator(".shared-row").filter(has=manager.locator(f"a[href$='{session_id}']"))
    expect(row).to_have_count(1)
    row.locator(".review-link").click()
    expect(manager).to_have_url(re.compile(rf"/company/northwind/review/{session_id}$"))
    expect(manager.locator(".review-line").first).to_be_visible()
    second = manager.locator(".review-line").nth(1)
    at = second.locator(".review-moment").inner_text()
    second.locator(".review-moment").click()
    expect(manager.locator("#comment-at")).to_have_text(at)
    manager.locator("#comment-body").fill("Great question here: now pause and let them answer.")
    manager.locator("#add-comment").click()
    expect(manager.get_by_text(f"Comment added at {at}.")).to_be_visible()
    expect(manager.locator("#review-comments .session-comment")).to_contain_text(["now pause and let them answer"])
    expect(manager.locator("#comment-body")).to_have_value("")

    # The manager scores it on the rubric; the dashboard's calibration then compares it with the automatic score.
    for skill, score in (("opening", "72"), ("questioning", "55"), ("objection_handling", "60"), ("closing", "80")):
        manager.locator(f"#score-{skill}").fill(score)
    manager.locator("#save-scores").click()
    expect(manager.get_by_text("Scores saved.")).to_be_visible()
    manager.reload()
    expect(manager.locator("#score-closing")).to_have_value("80")
    manager.locator("#review-back").click()
    expect(manager.locator("#calibration-table .calibration-row").first).to_be_visible()
    expect(manager.locator("#calibration-table")).to_contain_text("Closing")
    manager.go_back()
    expect(manager.locator(".review-line").first).to_be_visible()

    learner.reload()
    comments = learner.locator("#session-comments .session-comment")
    expect(comments.first).to_contain_text("now pause and let them answer")
    expect(comments.first).to_contain_text(at)

    # Another company's manager: one refusal, nothing of the session.
    stranger = _person(browser)
    login(stranger, base_url, "manager@blueharbor.example.com", lands_on="/home")
    stranger.goto(f"{base_url}/company/northwind/review/{session_id}")
    expect(stranger.locator("#forbidden")).to_be_visible()
    expect(stranger.locator(".review-line")).to_have_count(0)

    # Private again: the manager's review page refuses it.
    learner.locator("#share-with-managers").click()
    expect(learner.get_by_text("This session is private again.")).to_be_visible()
    manager.reload()
    expect(manager.locator("#forbidden")).to_be_visible()
    for page in (learner, manager, stranger):
        page.context.close()
