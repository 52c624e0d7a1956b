"""Retake the moment, in the browser: an ended session offers its weakest moments, a retake is scored side by
side with the original, the first improvement pays XP once, and the result is still there after a reload."""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import expect

PASSWORD = "a long enough passphrase"


def _learner_with_a_session() -> tuple[str, str]:
    from speakpro.db import session_scope
    from tests.factories import RETAKE_SCRIPT, make_ended_session, make_onboarded_learner

    email = f"retake-{secrets.token_hex(4)}@example.com"
    with session_scope() as session:
        user = make_onboarded_learner(session, email=email, password=PASSWORD, display_name="Retake Learner")
        practice = make_ended_session(session, user, RETAKE_SCRIPT)
        return email, str(practice.id)


def _xp(email: str) -> int:
    from sqlalchemy import select

    from speakpro.db import session_scope
    from speakpro.models import User, UserProfile

    with session_scope() as session:
        return session.execute(
            select(UserProfile.xp).join(User, User.id == UserProfile.user_id).where(User.email == email)
        ).scalar_one()


def test_a_retake_is_scored_side_by_side_and_pays_once(page, base_url):
    from tests.factories import RETAKE_BETTER as BETTER

    email, session_id = _learner_with_a_session()
    page.goto(base_url + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#login-submit").click()
    expect(page).to_have_url(re.compile(r"/home$"))
    xp_before = _xp(email)

    page.goto(f"{base_url}/practice/session/{session_id}")
    card = page.locator("#session-retakes")
    expect(card).to_be_visible()
    moments = card.locator(".retake-moment")
    expect(moments).to_have_count(2)
    objection = card.locator(".retake-moment[data-kind='objection']")
    expect(objection).to_contain_text("Your partner said: Honestly, it sounds too expensive for us right now.")
    expect(objection).to_contain_text("You said: Our price is the best on the market")
    expect(card.locator(".retake-moment[data-kind='fillers']")).to_contain_text("4 fillers in 15 words")

    objection.locator("textarea").fill(BETTER)
    objection.locator(".retake-submit").click()
    expect(page.get_by_text(re.compile(r"Better than the original: \+10 XP"))).to_be_visible()
    result = objection.locator(".retake-result")
    expect(result).to_be_visible()
    expect(result.locator(".retake-verdict")).to_contain_text("Better than the original")
    expect(result.locator(".retake-verdict")).to_contain_text("(1 try)")
    questions = result.locator("tr", has_text="Questions")
    expect(questions).to_contain_text("0")
    expect(questions.locator("td").nth(1)).to_have_text("1")
    assert _xp(email) == xp_before + 10
    page.screenshot(path="/tmp/speakpro-retakes.png", full_page=True)

    # The same answer again is not another try and pays nothing more; the result survives a reload.
    objection.locator(".retake-submit").click()
    expect(page.get_by_text("Retake saved: still better than the original.")).to_be_visible()
    page.reload()
    objection = page.locator("#session-retakes .retake-moment[data-kind='objection']")
    expect(objection.locator(".retake-verdict")).to_contain_text("(1 try)")
    expect(objection.locator("textarea")).to_have_value(BETTER)
    assert _xp(email) == xp_before + 10
    page.goto(base_url + "/history")
    row = page.locator(f".history-row[data-session-id='{session_id}']")
    expect(row.locator(".retakes")).to_have_text("1 retaken · 1 better")
    page.goto(f"{base_url}/practice/session/{session_id}")
    expect(page.locator("#session-retakes")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    page.screenshot(path="/tmp/speakpro-retakes-phone.png", full_page=True)
