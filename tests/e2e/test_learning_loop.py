"""The learning loop in the browser: finish module A's last lesson, see coins rise, see a venue unlock on the
map, enter it and see tickets fall."""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import expect

PASSWORD = "a long enough passphrase"
ANSWER = (
    "First, picture this: every Monday our team loses two hours hunting for files. Here is the plan in three "
    "parts. First, I will show the problem with one number. Second, I will walk through the proposal: one "
    "shared folder structure. Third, I will cover what it costs and what it saves. To sum up, a shared "
    "structure gives us back two hours a week, and the next step is a one-month trial. Will you try it with "
    "me? Next, I will take your questions, and finally we will agree who starts on Monday."
)


def _learner_with_two_lessons_done() -> tuple[str, str]:
    """A fresh, onboarded learner who has finished lessons 1 and 2 of module A; returns (email, lesson 3 id)."""
    from sqlalchemy import insert, select

    from speakpro.db import session_scope
    from speakpro.models import Lesson, LessonSession, Level, Module
    from tests.factories import make_onboarded_learner

    email = f"loop-{secrets.token_hex(4)}@example.com"
    with session_scope() as session:
        user = make_onboarded_learner(session, email=email, password=PASSWORD, display_name="Loop Learner")
        lessons = session.execute(
            select(Lesson.id, Lesson.module_id, Lesson.order)
            .join(Module, Module.id == Lesson.module_id)
            .join(Level, Level.id == Module.level_id)
            .where(Level.number == 1, Module.code == "A")
            .order_by(Lesson.order)
        ).all()
        for lesson in lessons[:-1]:
            session.execute(
                insert(LessonSession).values(
                    user_id=user.id, lesson_id=lesson.id, module_id=lesson.module_id, state="completed"
                )
            )
        return email, str(lessons[-1].id)


def _number(page, selector: str) -> int:
    return int(re.sub(r"\D", "", page.locator(selector).inner_text()) or 0)


def _you_have(tickets: int) -> str:
    return f"You have {tickets} ticket" + ("" if tickets == 1 else "s")


def test_complete_a_lesson_unlock_a_venue_and_spend_tickets(page, base_url):
    email, last_lesson = _learner_with_two_lessons_done()
    page.goto(base_url + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#login-submit").click()
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.locator("#stat-coins")).to_have_text("0")
    expect(page.locator("#stat-tickets")).to_have_text("0")

    page.goto(f"{base_url}/lesson/{last_lesson}")
    expect(page.locator("#lesson-title")).to_be_visible()
    for _ in range(10):
        if page.locator("#lesson-complete").count():
            break
        kind = page.locator("#lesson-step-card").get_attribute("data-kind")
        step = page.locator("#lesson-step").inner_text()
        if kind in ("reading", "feedback"):
            page.locator("#answer-continue").click()
        else:
            # Each step's answer starts empty: the text a learner keeps after a failed attempt is that step's.
            expect(page.locator("#answer-text")).to_have_value("")
            page.locator("#answer-text").fill(ANSWER)
            page.locator("#answer-submit").click()
        page.wait_for_function(
            "s => !document.querySelector('#lesson-step') || document.querySelector('#lesson-step').innerText !== s",
            arg=step,
        )
    expect(page.locator("#lesson-complete")).to_be_visible()
    expect(page.locator("#module-complete")).to_be_visible()
    # The next module opened: the end of the lesson offers its first lesson.
    expect(page.locator("#next-lesson")).to_be_visible()
    next_href = page.locator("a:has(#next-lesson)").get_attribute("href")
    assert next_href.startswith("/lesson/") and next_href != f"/lesson/{last_lesson}"

    page.goto(base_url + "/home")
    expect(page.locator("#module-A")).to_have_attribute("data-status", "completed")
    expect(page.locator("#stat-coins")).not_to_have_text("0")
    coins = _number(page, "#stat-coins")
    tickets = _number(page, "#stat-tickets")
    assert coins > 0 and tickets > 0

    page.goto(base_url + "/map")
    soapbox = page.locator("#venue-town-square-soapbox")
    expect(soapbox).to_have_attribute("data-unlocked", "true")
    expect(page.locator("#venue-summit-boardroom")).to_have_attribute("data-unlocked", "false")
    expect(page.locator("#map-tickets")).to_contain_text(str(tickets))
    # On a phone the venues are a list (the map's pins would overlap), with the same locks; at desktop width
    # the list is hidden.
    expect(page.locator("#venue-list")).to_be_hidden()
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.locator("#city-map")).to_be_hidden()
    expect(page.locator("#venue-row-town-square-soapbox")).to_contain_text("Open")
    expect(page.locator("#venue-row-summit-boardroom")).to_contain_text("Unlocks with module")
    page.set_viewport_size({"width": 1280, "height": 900})
    soapbox.click()

    expect(page.locator("#venue-name")).to_have_text("Town Square Soapbox")
    expect(page.locator("#venue-tickets")).to_have_text(_you_have(tickets))
    page.locator("#enter-venue").click()
    expect(page.locator("#venue-tickets")).to_have_text(_you_have(tickets - 1))
    expect(page.locator("#submit-exercise")).to_be_visible()
    # The answer is recorded (Chromium's fake microphone) and then written down.
    page.locator("#recorder-start").click()
    expect(page.locator("#recorder-status")).to_have_text("Recording...")
    page.wait_for_timeout(2000)
    page.locator("#recorder-stop").click()
    expect(page.locator("#venue-audio")).to_contain_text("Your recording is attached", timeout=20_000)
    # An answer is scored against its exercise (the farmers' market hook) and the score shows by it.
    page.locator("#exercise-text").fill(
        "Picture this square on a Saturday morning: fresh bread, local cheese and neighbours meeting again. Our "
        "proposal adds a weekend farmers' market with twelve stalls from farms nearby. Will you back it?"
    )
    page.locator("#submit-exercise").click()
    expect(page.locator(".exercise-score").first).to_contain_text(re.compile(r"Score \d+/100"))
    expect(page.locator(".exercise-off-topic")).to_have_count(0)
    # The recording itself was measured: the voiced time and pace show by the answer.
    expect(page.locator(".exercise-delivery").first).to_contain_text(re.compile(r"From your recording: \d+ s of"))

    page.goto(base_url + "/home")
    expect(page.locator("#stat-tickets")).to_have_text(str(tickets - 1))


def test_a_failed_answer_keeps_its_text_and_the_pause_counts_down(page, base_url):
    email, lesson_id = _learner_with_two_lessons_done()
    page.goto(base_url + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#login-submit").click()
    expect(page).to_have_url(re.compile(r"/home$"))
    page.goto(f"{base_url}/lesson/{lesson_id}")
    expect(page.locator("#lesson-title")).to_be_visible()
    while page.locator("#lesson-step-card").get_attribute("data-kind") in ("reading", "feedback"):
        step = page.locator("#lesson-step").inner_text()
        page.locator("#answer-continue").click()
        page.wait_for_function("s => document.querySelector('#lesson-step').innerText !== s", arg=step)

    weak = "um I think so"
    page.locator("#answer-text").fill(weak)
    page.locator("#answer-submit").click()
    wait = page.locator("#lesson-wait")
    expect(wait).to_contain_text(re.compile(r"try this step again in 0:\d\d"))
    expect(page.locator("#answer-text")).to_have_value(weak)  # the learner improves it, not retypes it
    first = wait.inner_text()
    page.wait_for_timeout(2_200)
    assert wait.inner_text() != first  # it counts down by itself
