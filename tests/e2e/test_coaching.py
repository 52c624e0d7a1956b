"""A manager coaches in the browser: writes a scenario with a rubric and assigns it with a due date; the learner
sees it first on home, practises it (solo), shares the session; the manager scores it on the skills and the
scenario's own criteria, and the dashboard's calibration compares them; another company's manager sees none."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta

from playwright.sync_api import expect

from tests.e2e.browser import login

PASSWORD = "a long enough passphrase"
RUBRIC = (
    "Discovery | 3 | Asks open questions about the customer's onboarding process\n"
    "Next step | 1 | Agrees a dated demo as the next step"
)
SAID = (
    "Hello, I'm Sam from Northwind. How does your onboarding process work today, and what does it cost your "
    "customer team? Could we book a demo on Tuesday as the next step?"
)


def _northwind_learner() -> tuple[str, str]:
    from sqlalchemy import select

    from speakpro.db import session_scope
    from speakpro.models import Company, UserProfile
    from tests.factories import make_onboarded_learner

    name = f"Coached {secrets.token_hex(3)}"
    email = f"coached-{secrets.token_hex(4)}@example.com"
    with session_scope() as session:
        user = make_onboarded_learner(session, email=email, password=PASSWORD, display_name=name)
        profile = session.get(UserProfile, user.id)
        profile.company_id = session.execute(select(Company.id).where(Company.slug == "northwind")).scalar_one()
    return email, name


def _person(browser):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(30_000)
    return page


def test_scenario_assignment_practice_review_and_calibration(browser, warm_app, base_url):
    email, name = _northwind_learner()
    title = f"Pricing call {secrets.token_hex(3)}"

    manager = _person(browser)
    login(manager, base_url, "manager@example.com", lands_on="/home")
    manager.locator("#nav-dashboard").click()
    manager.locator("#dashboard-to-scenarios").click()
    expect(manager).to_have_url(re.compile(r"/company/northwind/scenarios$"))
    manager.locator("#title").fill(title)
    manager.locator("#situation").fill("The customer's renewal is next month and their onboarding has been slow.")
    manager.locator("#partner_persona").fill("Dana, head of customer success: busy and sceptical of a price rise.")
    manager.locator("#difficulty").select_option("advanced")
    manager.locator("#learner_goal").fill("Agree a dated demo of the new onboarding flow.")
    manager.locator("#rubric").fill(RUBRIC)
    manager.locator("#save-scenario").click()
    expect(manager.locator(".scenario-row").filter(has_text=title)).to_have_count(1)

    manager.goto(f"{base_url}/company/northwind/dashboard")
    manager.locator("#dashboard-to-assignments").click()
    expect(manager).to_have_url(re.compile(r"/company/northwind/assignments$"))
    manager.locator("#target").select_option(label=f"Scenario: {title}")
    manager.locator("#due_on").fill((date.today() + timedelta(days=3)).isoformat())
    manager.get_by_text("Chosen learners", exact=True).click()
    manager.locator("#learner-picks label").filter(has_text=name).locator(".assign-learner").click()
    manager.locator("#create-assignment").click()
    card = manager.locator(".assignment-row").filter(has_text=title)
    expect(card).to_have_count(1)
    expect(card).to_contain_text(name)

    learner = _person(browser)
    login(learner, base_url, email, PASSWORD, lands_on="/home")
    assigned = learner.locator("#home-assignments .assignment-card").first
    expect(assigned).to_contain_text(title)
    expect(assigned).to_contain_text("Due ")
    assigned.locator(".assignment-start").click()
    expect(learner).to_have_url(re.compile(r"/practice\?scenario="))
    learner.locator(".scenario-card").filter(has_text=title).get_by_role("button", name="Start").click()
    expect(learner).to_have_url(re.compile(r"/practice/live/[0-9a-f-]{36}$"))
    session_id = learner.url.rstrip("/").rsplit("/", 1)[-1]
    expect(learner.locator("#practice-goal")).to_contain_text("Agree a dated demo")
    expect(learner.locator("#practice-criteria")).to_contain_text("Discovery")
    expect(learner.locator("#practice-status")).to_have_attribute("data-status", "live", timeout=20_000)
    learner.locator("#solo-transcript").fill(SAID)
    learner.wait_for_timeout(1500)
    learner.locator("#practice-end").click()
    expect(learner).to_have_url(re.compile(rf"/practice/session/{session_id}$"), timeout=30_000)
    criteria = learner.locator("#coach-criteria")
    expect(criteria).to_be_visible(timeout=45_000)  # the analysis lands on the open page
    expect(criteria.locator(".criterion-row")).to_have_count(2)
    learner.locator("#share-with-managers").click()
    expect(learner.get_by_text("Shared with your company's managers")).to_be_visible()
    learner.goto(base_url + "/home")
    expect(learner.locator("#home-assignments .assignment-card").first.locator(".assignment-status")).to_have_text(
        "Done"
    )

    manager.goto(f"{base_url}/company/northwind/review/{session_id}")
    expect(manager.locator(".review-line").first).to_be_visible()
    manager.locator(".review-line").first.locator(".review-moment").click()
    manager.locator("#comment-body").fill("Good open question: now wait for the answer.")
    manager.locator("#add-comment").click()
    expect(manager.locator("#review-comments .session-comment")).to_contain_text(["wait for the answer"])
    for field, score in (
        ("opening", "70"),
        ("questioning", "80"),
        ("objection_handling", "60"),
        ("closing", "75"),
        ("discovery", "65"),
        ("next_step", "90"),
    ):
        manager.locator(f"#score-{field}").fill(score)
    manager.locator("#save-scores").click()
    expect(manager.get_by_text("Scores saved.")).to_be_visible()
    manager.locator("#review-back").click()
    expect(manager.locator("#calibration-table")).to_contain_text(f"{title} · Discovery")

    learner.goto(f"{base_url}/practice/session/{session_id}")
    expect(learner.locator("#session-comments .session-comment").first).to_contain_text("wait for the answer")
    # The replay's strip of moments holds the comment: a click plays the recording from its moment.
    chip = learner.locator("#moment-strip .comment-chip")
    expect(chip).to_have_count(1)
    chip.click()
    learner.wait_for_function("() => !document.querySelector('#session-audio').paused")

    stranger = _person(browser)
    login(stranger, base_url, "manager@blueharbor.example.com", lands_on="/home")
    for path in ("scenarios", "assignments", f"review/{session_id}"):
        stranger.goto(f"{base_url}/company/northwind/{path}")
        expect(stranger.locator("#forbidden")).to_be_visible()
    expect(stranger.get_by_text(title)).to_have_count(0)
    for page in (manager, learner, stranger):
        page.context.close()
