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


def _companyless_learner(name: str) -> str:
    from speakpro.db import session_scope
    from tests.factories import make_onboarded_learner

    with session_scope() as session:
        return make_onboarded_learner(
            session,
            email=f"invited-{secrets.token_hex(4)}@example.com",
            password="a long passphrase",
            display_name=name,
        ).email


def test_a_manager_makes_a_team_invites_into_it_and_disables_a_member(browser, warm_app, base_url, tmp_path):
    team = f"Closers {secrets.token_hex(2)}"
    pasted, from_csv = _companyless_learner("Ivy Invited"), _companyless_learner("Cass Csv")
    manager = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    manager.set_default_timeout(30_000)
    login(manager, base_url, "manager@example.com", lands_on="/home")
    manager.locator("#nav-team").click()
    manager.locator("#team-name").fill(team)
    manager.locator("#create-team").click()
    expect(manager.get_by_text(f"Team {team} created.")).to_be_visible()
    expect(manager.locator(".team-row").filter(has_text=team)).to_contain_text("0 learners")

    manager.locator("#invite-team").select_option(label=team)
    manager.locator("#invite-emails").fill(f"Ivy <{pasted.upper()}>, not-an-address, learner@example.com")
    manager.locator("#send-invites").click()
    expect(manager.locator("#invite-result")).to_contain_text("1 invited; 1 already in the company; 1 not valid")
    expect(manager.locator(".invite-row").filter(has_text=pasted)).to_contain_text(team)
    csv = tmp_path / "people.csv"
    csv.write_text(f"Name,Email\nCass,{from_csv}\n")
    manager.locator("#invite-csv input[type=file]").set_input_files(str(csv))
    expect(manager.locator("#invite-result")).to_contain_text("1 invited.")
    expect(manager.locator(".invite-row").filter(has_text=from_csv)).to_have_count(1)

    learner = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    learner.set_default_timeout(30_000)
    login(learner, base_url, pasted, "a long passphrase", lands_on="/home")
    invitation = learner.locator("#home-invitations .invitation")
    expect(invitation).to_contain_text("Northwind")
    expect(invitation).to_contain_text(team)
    invitation.locator(".accept-invite").click()
    expect(learner.get_by_text("You joined Northwind")).to_be_visible()
    expect(learner.locator("#home-invitations")).to_have_count(0)

    manager.reload()
    row = manager.locator(".member-row").filter(has_text=pasted)
    expect(row.locator(".member-team")).to_have_value(re.compile(".+"))
    expect(row.locator(".member-team option:checked")).to_have_text(team)
    expect(manager.locator(".invite-row").filter(has_text=pasted)).to_have_count(0)
    manager.locator(".invite-row").filter(has_text=from_csv).locator(".revoke-invite").click()
    expect(manager.get_by_text(f"The invitation of {from_csv} is withdrawn.")).to_be_visible()

    row.locator(".disable-member").click()
    expect(manager.get_by_text("Ivy Invited is disabled")).to_be_visible()
    expect(row.locator(".member-status")).to_have_text("disabled")
    row.locator(".member-team").select_option(label="No team")
    expect(manager.get_by_text("Ivy Invited is in no team now.")).to_be_visible()
    manager.reload()
    row = manager.locator(".member-row").filter(has_text=pasted)
    expect(row.locator(".member-status")).to_have_text("disabled")
    row.locator(".enable-member").click()
    expect(manager.get_by_text("Ivy Invited is active again.")).to_be_visible()
    expect(row.locator(".member-status")).to_have_text("active")
