"""The habit loop in the browser: practice on two days makes a two-day streak on home, in the learner's own time
zone; coins buy a streak freeze and tickets; the account page changes the time zone."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

PASSWORD = "a long enough passphrase"
ZONE = "Asia/Tokyo"


def _learner_who_practised_yesterday() -> tuple[str, str]:
    """An onboarded learner in Tokyo with a practice session yesterday and 100 coins; returns (email, the id
    of module A's first lesson)."""
    from sqlalchemy import select

    from speakpro.db import session_scope
    from speakpro.models import Lesson, Level, Module
    from speakpro.services.accounts.time_zones import save_time_zone
    from speakpro.services.learning.economy import apply_reward
    from tests.factories import make_onboarded_learner, make_practice_session

    email = f"streak-{secrets.token_hex(4)}@example.com"
    with session_scope() as session:
        user = make_onboarded_learner(session, email=email, password=PASSWORD, display_name="Streak Learner")
        save_time_zone(session=session, user_id=user.id, time_zone=ZONE)
        yesterday = datetime.now(UTC) - timedelta(days=1)  # the learner's yesterday, whatever the zone
        make_practice_session(
            session, user, started_at=yesterday, ended_at=yesterday + timedelta(minutes=4), status="ended"
        )
        apply_reward(session=session, user_id=user.id, currency="coins", amount=100, reason="test", source_key="e2e")
        first = session.execute(
            select(Lesson.id)
            .join(Module, Module.id == Lesson.module_id)
            .join(Level, Level.id == Module.level_id)
            .where(Level.number == 1, Module.code == "A")
            .order_by(Lesson.order)
        ).first()
        return email, str(first.id)


def test_practice_on_two_days_a_freeze_bought_with_coins_and_the_time_zone(page, base_url):
    email, lesson_id = _learner_who_practised_yesterday()
    page.goto(base_url + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#login-submit").click()
    expect(page).to_have_url(re.compile(r"/home$"))
    # Yesterday counts; today is not over, so the streak is not lost yet.
    expect(page.locator("#stat-streak")).to_have_text("1")
    expect(page.locator("#streak-freezes")).to_contain_text("0 streak freezes held")

    # Today's activity: the first step of a lesson.
    page.goto(f"{base_url}/lesson/{lesson_id}")
    expect(page.locator("#lesson-step-card")).to_be_visible()
    step = page.locator("#lesson-step").inner_text()
    if page.locator("#lesson-step-card").get_attribute("data-kind") in ("reading", "feedback"):
        page.locator("#answer-continue").click()
    else:
        page.locator("#answer-text").fill("Here is my plan in three parts, with one clear next step for us.")
        page.locator("#answer-submit").click()
    page.wait_for_function(
        "s => !document.querySelector('#lesson-step') || document.querySelector('#lesson-step').innerText !== s",
        arg=step,
    )

    page.goto(base_url + "/home")
    expect(page.locator("#stat-streak")).to_have_text("2")

    # A freeze for 60 of the 100 coins; the button then says there are not enough coins for another.
    page.locator("#buy-freeze").click()
    expect(page.get_by_text("Streak freeze bought for 60 coins")).to_be_visible()
    expect(page.locator("#streak-freezes")).to_contain_text("1 streak freeze held")
    expect(page.locator("#stat-coins")).to_have_text("40")
    expect(page.locator("#buy-freeze")).to_be_disabled()
    page.reload()
    expect(page.locator("#streak-freezes")).to_contain_text("1 streak freeze held")
    expect(page.locator("#stat-streak")).to_have_text("2")

    # The account page shows the zone on record and saves another.
    page.goto(base_url + "/account")
    expect(page.locator("#time_zone")).to_have_value(ZONE)
    page.locator("#time_zone").select_option("Europe/Paris")
    page.locator("#save-time-zone").click()
    expect(page.get_by_text("Your time zone is Europe/Paris.")).to_be_visible()
    page.reload()
    expect(page.locator("#time_zone")).to_have_value("Europe/Paris")


def test_onboarding_preselects_the_devices_time_zone_and_saves_it(browser, warm_app, base_url):
    from speakpro.db import session_scope
    from speakpro.models import UserProfile
    from speakpro.services.accounts.accounts import signup
    from speakpro.services.accounts.consent import record_consent
    from tests.e2e.browser import fill_onboarding, login

    email = f"zone-{secrets.token_hex(4)}@example.com"
    with session_scope() as session:  # signed up, not onboarded yet
        user = signup(session=session, email=email, password=PASSWORD)
        record_consent(session=session, user_id=user.id)
    # A browser whose clock is in New York.
    context = browser.new_context(viewport={"width": 390, "height": 844}, timezone_id="America/New_York")
    try:
        page = context.new_page()
        login(page, base_url, email, PASSWORD, lands_on="/onboarding")
        expect(page.locator("#time_zone")).to_have_value("America/New_York")
        fill_onboarding(page)
        page.locator("#onboarding-submit").click()
        expect(page).to_have_url(re.compile(r"/home$"))
    finally:
        context.close()
    with session_scope() as session:
        assert session.get(UserProfile, user.id).time_zone == "America/New_York"


def test_coins_buy_a_ticket_on_the_map(page, base_url):
    email, _ = _learner_who_practised_yesterday()  # 100 coins, no tickets
    page.goto(base_url + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#login-submit").click()
    expect(page).to_have_url(re.compile(r"/home$"))
    page.goto(base_url + "/map")
    expect(page.locator("#map-tickets")).to_have_text("0 tickets")
    expect(page.locator("#map-coins")).to_have_text("100 coins")
    page.locator("#buy-ticket").click()
    expect(page.locator("#map-tickets")).to_have_text("1 ticket")
    expect(page.locator("#map-coins")).to_have_text("60 coins")
    page.locator("#buy-ticket").click()
    expect(page.locator("#map-coins")).to_have_text("20 coins")
    expect(page.locator("#map-tickets")).to_have_text("2 tickets")
    expect(page.locator("#buy-ticket")).to_be_disabled()  # 20 coins: not enough for another
    page.reload()
    expect(page.locator("#map-tickets")).to_have_text("2 tickets")
