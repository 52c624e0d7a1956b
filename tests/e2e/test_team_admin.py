"""Team administration in the browser, as the app runs (Row-Level Security on): a manager makes a new join
code and removes a learner with two clicks."""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import expect

from tests.e2e.browser import login


def _northwind_learner() -> str:
    from sqlalchemy import select, update

    from speakpro.db import session_scope
    from speakpro.models import Company, UserProfile
    from tests.factories import make_onboarded_learner

    with session_scope() as session:
        user = make_onboarded_learner(
            session,
            email=f"leaver-{secrets.token_hex(4)}@example.com",
            password="a long passphrase",
            display_name="Lee Leaver",
        )
        northwind = session.execute(select(Company.id).where(Company.slug == "northwind")).scalar_one()
        session.execute(update(UserProfile).where(UserProfile.user_id == user.id).values(company_id=northwind))
        return user.email


def test_a_manager_rotates_the_join_code_and_removes_a_learner(page, base_url):
    email = _northwind_learner()
    login(page, base_url, "manager@example.com", lands_on="/home")
    page.locator("#nav-team").click()
    expect(page).to_have_url(re.compile(r"/company/northwind$"))
    old = page.locator("#join-code").inner_text()
    page.locator("#rotate-join-code").click()
    expect(page.get_by_text("New join code ready.")).to_be_visible()
    expect(page.locator("#join-code")).not_to_have_text(old)

    row = page.locator(".member-row").filter(has_text=email)
    button = row.locator(".remove-member")
    button.click()
    expect(button).to_have_text("Click again to remove")  # one click alone removes nobody
    button.click()
    expect(page.get_by_text("Lee Leaver is no longer a member.")).to_be_visible()
    expect(page.locator(".member-row").filter(has_text=email)).to_have_count(0)
    page.reload()
    expect(page.locator("#member-table")).to_be_visible()
    expect(page.locator(".member-row").filter(has_text=email)).to_have_count(0)
