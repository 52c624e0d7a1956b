"""Every page fits a phone (390x844) and a desktop (1280x800) with no sideways scrolling, for each role and
signed out: the page is never wider than the window."""

from __future__ import annotations

import pytest

from tests.e2e.browser import demo_ids, login

SIGNED_OUT = ("/", "/login", "/signup", "/privacy")
LEARNER = (
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
MANAGER = (
    "/company/northwind/dashboard",
    "/company/northwind",
    "/company/northwind/scenarios",
    "/company/northwind/assignments",
)
ADMIN = ("/admin", "/admin/overview")


def _overflowing(page, base_url, paths) -> list[tuple[str, int]]:
    wide = []
    for path in paths:
        page.goto(base_url + path)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(600)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > page.viewport_size["width"]:
            wide.append((path, width))
    return wide


@pytest.mark.parametrize("size", [(390, 844), (1280, 800)], ids=["phone", "desktop"])
def test_no_page_scrolls_sideways(page, base_url, size):
    learner_id, practice, lesson = demo_ids()
    page.set_viewport_size({"width": size[0], "height": size[1]})
    wide = _overflowing(page, base_url, SIGNED_OUT)
    login(page, base_url, "learner@example.com", lands_on="/home")
    wide += _overflowing(page, base_url, (*LEARNER, f"/lesson/{lesson}", f"/practice/session/{practice}"))
    page.context.clear_cookies()
    login(page, base_url, "manager@example.com", lands_on="/home")
    wide += _overflowing(page, base_url, (*MANAGER, f"/company/northwind/learners/{learner_id}"))
    page.context.clear_cookies()
    login(page, base_url, "admin@example.com", lands_on="/home")
    wide += _overflowing(page, base_url, ADMIN)
    assert wide == []
