"""The learner's pages load without a warning or an error in the browser console (React's nesting checks
included: a <p> inside a <p> is one)."""

from __future__ import annotations

from tests.e2e.browser import login

PAGES = ("/home", "/amphitheatre", "/map", "/history", "/progress", "/practice", "/account")


def test_the_learners_pages_log_no_warning_or_error(page, base_url):
    logged: list[tuple[str, str, str]] = []
    current = {"path": ""}
    page.on(
        "console",
        lambda m: logged.append((current["path"], m.type, m.text[:500])) if m.type in ("warning", "error") else None,
    )
    login(page, base_url, "learner@example.com", lands_on="/home")
    for path in PAGES:
        current["path"] = path
        page.goto(base_url + path)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(1000)
    assert logged == []
