"""Pages load without a warning or an error in the browser console (React's nesting checks included: a <p>
inside a <p> is one), for a learner and for a manager."""

from __future__ import annotations

from tests.e2e.browser import demo_ids, login

PAGES = ("/home", "/amphitheatre", "/map", "/history", "/progress", "/practice", "/account")
MANAGER_PAGES = ("/company/northwind/dashboard", "/company/northwind")


def _visit(page, base_url, paths) -> list[tuple[str, str, str]]:
    logged: list[tuple[str, str, str]] = []
    current = {"path": ""}
    page.on(
        "console",
        lambda m: logged.append((current["path"], m.type, m.text[:500])) if m.type in ("warning", "error") else None,
    )
    for path in paths:
        current["path"] = path
        page.goto(base_url + path)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(1000)
    return logged


def test_the_learners_pages_log_no_warning_or_error(page, base_url):
    _, practice, lesson = demo_ids()
    login(page, base_url, "learner@example.com", lands_on="/home")
    paths = (*PAGES, f"/lesson/{lesson}", "/venue/town-square-soapbox", f"/practice/session/{practice}")
    assert _visit(page, base_url, paths) == []


def test_the_managers_pages_log_no_warning_or_error(page, base_url):
    learner, _, _ = demo_ids()
    login(page, base_url, "manager@example.com", lands_on="/home")
    paths = (*MANAGER_PAGES, f"/company/northwind/learners/{learner}")
    assert _visit(page, base_url, paths) == []
