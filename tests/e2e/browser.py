"""What the browser tests do again and again, as a person would: log in through the form, fill onboarding."""

from __future__ import annotations

import re

from playwright.sync_api import expect

DEMO_PASSWORD = "speakpro-demo"


def login(page, base_url, email, password=DEMO_PASSWORD, *, lands_on: str | None = None):
    """Log in through the login form; with `lands_on` (a path such as "/home"), wait until the page is there."""
    page.goto(base_url + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#login-submit").click()
    if lands_on is not None:
        expect(page).to_have_url(re.compile(re.escape(lands_on) + "$"))


def _choose(page, trigger_id: str, option: str):
    page.locator(f"#{trigger_id}").click()
    page.get_by_role("option", name=option).click()


def fill_onboarding(page):
    """Answer every onboarding question (the form is then ready to submit)."""
    page.locator("#job_role").fill("Sales development rep")
    _choose(page, "audience", "Prospective customers")
    _choose(page, "main_goal", "Cut filler words")
    _choose(page, "practice_for", "Sales conversations")
    page.locator("#comfort_speaking").get_by_text("2", exact=True).click()
    page.locator("#comfort_selling").get_by_text("4", exact=True).click()


def demo_ids() -> tuple[str, str, str]:
    """The demo learner's id, one of their sessions, and the first lesson of the curriculum."""
    from sqlalchemy import select

    from speakpro.db import session_scope
    from speakpro.models import Lesson, Level, Module, PracticeSession, User

    with session_scope() as session:
        learner = session.execute(select(User.id).where(User.email == "learner@example.com")).scalar_one()
        practice = session.execute(
            select(PracticeSession.id)
            .where(PracticeSession.user_id == learner, PracticeSession.deleted_at.is_(None))
            .order_by(PracticeSession.started_at.desc())
            .limit(1)
        ).scalar_one()
        lesson = session.execute(
            select(Lesson.id)
            .join(Module, Module.id == Lesson.module_id)
            .join(Level, Level.id == Module.level_id)
            .order_by(Level.number, Module.code, Lesson.order)
            .limit(1)
        ).scalar_one()
        return str(learner), str(practice), str(lesson)


# Every page, by who can open it (the ones with an id in their path are added by `tour`).
SIGNED_OUT_PAGES = ("/", "/login", "/signup", "/privacy", "/no-such-page")
LEARNER_PAGES = (
    "/home",
    "/practice",
    "/map",
    "/venue/town-square-soapbox",
    "/amphitheatre",
    "/amphitheatre/history",
    "/history",
    "/progress",
    "/milestone",
    "/account",
)
MANAGER_PAGES = (
    "/company/northwind/dashboard",
    "/company/northwind",
    "/company/northwind/scenarios",
    "/company/northwind/assignments",
)
ADMIN_PAGES = ("/admin", "/admin/overview")


def tour(page, base_url, check) -> list:
    """Open every page as a visitor, the demo learner, manager and admin in turn, and call `check(path)` on
    each once it has loaded; returns what the checks returned that was not empty."""
    learner_id, practice, lesson = demo_ids()
    found = []

    def visit(paths):
        for path in paths:
            page.goto(base_url + path)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(600)
            if result := check(path):
                found.append(result)

    visit(SIGNED_OUT_PAGES)
    for email, paths in (
        ("learner@example.com", (*LEARNER_PAGES, f"/lesson/{lesson}", f"/practice/session/{practice}")),
        ("manager@example.com", (*MANAGER_PAGES, f"/company/northwind/learners/{learner_id}")),
        ("admin@example.com", ADMIN_PAGES),
    ):
        page.context.clear_cookies()
        login(page, base_url, email, lands_on="/home")
        visit(paths)
    return found
