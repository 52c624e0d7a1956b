"""The company page's team administration and home's invitations, called as the browser calls them: a manager
makes a team, puts a learner in it, disables them and invites people; the invited learner joins from home;
another company's manager changes nothing."""

from __future__ import annotations

import io
from pathlib import Path

import reflex as rx
from sqlalchemy import select

from speakpro.models import CompanyInvite, Team, UserProfile
from speakpro.services.accounts import invites
from speakpro.state.company import NO_TEAM, CompanyState
from speakpro.state.company_invites import InviteState
from speakpro.state.home import HomeState
from tests.factories import make_company, make_user
from tests.signin import at_url, run, signed_in


async def _company_page(session, company, manager) -> CompanyState:
    page = at_url(signed_in(CompanyState, session, manager), f"http://localhost/company/{company.slug}")
    await run(page.load)
    assert not page.forbidden
    return page


def _invite_form(page: CompanyState) -> InviteState:
    form = page.substates[InviteState.get_name()]
    assert isinstance(form, InviteState)
    form.router = page.router  # in the app the router is the root state's, shared by every substate
    return form


def _profile(session, user) -> UserProfile:
    profile = session.get(UserProfile, user.id)
    session.refresh(profile)
    return profile


async def test_a_manager_makes_a_team_moves_a_learner_into_it_and_disables_them(session):
    company = make_company(session)
    manager = make_user(session, company, role="manager", onboarding_completed=True)
    ana = make_user(session, company, onboarding_completed=True)
    page = await _company_page(session, company, manager)

    (created,) = await run(page.create_team, {"team_name": " Sales West "})
    assert "Team Sales West created" in str(created)
    assert [(t.name, t.learners) for t in page.team_list] == [("Sales West", 0)]
    (doubled,) = await run(page.create_team, {"team_name": "sales west"})
    assert "already has a team" in str(doubled) and len(page.team_list) == 1

    team_id = page.team_list[0].id
    (moved,) = await run(page.set_team, str(ana.id), team_id)
    assert "is now in Sales West" in str(moved)
    assert page.team_list[0].learners == 1
    assert next(m for m in page.members if m.user_id == str(ana.id)).team == "Sales West"
    assert str(_profile(session, ana).team_id) == team_id

    (disabled,) = await run(page.set_disabled, str(ana.id), True)
    assert "is disabled" in str(disabled)
    assert next(m for m in page.members if m.user_id == str(ana.id)).disabled
    assert _profile(session, ana).company_disabled_at is not None
    await run(page.set_disabled, str(ana.id), False)
    assert _profile(session, ana).company_disabled_at is None

    (cleared,) = await run(page.set_team, str(ana.id), NO_TEAM)
    assert "in no team now" in str(cleared) and _profile(session, ana).team_id is None
    assert await run(page.delete_team, team_id) == []  # the first click only asks again
    assert page.confirm_delete_team == team_id and len(page.team_list) == 1
    (deleted,) = await run(page.delete_team, team_id)
    assert "Team Sales West deleted" in str(deleted) and page.team_list == []
    assert session.execute(select(Team).where(Team.company_id == company.id)).first() is None


async def test_another_companys_manager_changes_nothing(session):
    company, other = make_company(session), make_company(session)
    ana = make_user(session, company, onboarding_completed=True)
    stranger = make_user(session, other, role="manager", onboarding_completed=True)
    page = at_url(signed_in(CompanyState, session, stranger), f"http://localhost/company/{company.slug}")
    await run(page.load)
    assert page.forbidden and page.members == []
    for handler, args in (
        (page.create_team, ({"team_name": "Takeover"},)),
        (page.set_disabled, (str(ana.id), True)),
        (page.set_team, (str(ana.id), NO_TEAM)),
    ):
        (refused,) = await run(handler, *args)
        assert "Only this company's managers" in str(refused)
    (refused,) = await run(_invite_form(page).invite_pasted, {"emails": "someone@example.com"})
    assert "Only this company's managers" in str(refused)
    assert _profile(session, ana).company_disabled_at is None
    assert session.execute(select(CompanyInvite)).first() is None


async def test_an_invited_learner_joins_from_home_into_the_team(session):
    company = make_company(session)
    manager = make_user(session, company, role="manager", onboarding_completed=True)
    invited = make_user(session, None, onboarding_completed=True)
    page = await _company_page(session, company, manager)
    await run(page.create_team, {"team_name": "Closers"})
    form = _invite_form(page)
    form.set_invite_team(page.team_list[0].id)
    updates = await run(form.invite_pasted, {"emails": f"{invited.email.upper()}, nobody, {manager.email}"})
    assert "1 invited" in str(updates[-1])
    assert form.invite_result == "1 invited; 1 already in the company; 1 not valid (nobody)."
    assert [(i.email, i.team) for i in page.pending_invites] == [(invited.email, "Closers")]
    again = await run(form.invite_pasted, {"emails": invited.email})  # renewing adds no second invitation
    assert "1 invited" in str(again[-1]) and len(page.pending_invites) == 1

    home = signed_in(HomeState, session, invited)
    await run(home.load)
    assert [(i.company_name, i.team) for i in home.invitations] == [(company.name, "Closers")]
    (joined,) = await run(home.accept_invite, home.invitations[0].id)
    assert f"You joined {company.name}" in str(joined)
    assert home.invitations == [] and home.viewer_company_slug == company.slug
    profile = _profile(session, invited)
    assert profile.company_id == company.id and profile.team_id is not None
    assert invites.pending_invites(session=session, company_id=company.id) == []
    (gone,) = await run(home.accept_invite, "not-an-id")
    assert "not found" in str(gone)


async def test_a_csv_of_emails_invites_its_addresses_and_a_learner_may_decline(session):
    company = make_company(session)
    manager = make_user(session, company, role="manager", onboarding_completed=True)
    declining = make_user(session, None, onboarding_completed=True)
    page = await _company_page(session, company, manager)
    form = _invite_form(page)

    def upload(data: bytes) -> rx.UploadFile:
        return rx.UploadFile(file=io.BytesIO(data), path=Path("people.csv"), size=len(data))

    csv = f"Name;E-mail\nDee;{declining.email}\nEd;ed.new@example.com\n".encode()
    updates = await run(form.invite_csv, [upload(csv)])
    assert "2 invited" in str(updates[-1])
    assert sorted(i.email for i in page.pending_invites) == sorted([declining.email, "ed.new@example.com"])
    (empty,) = (await run(form.invite_csv, [upload(b"no addresses here")]))[-1:]
    assert "Paste at least one email address" in str(empty) and len(page.pending_invites) == 2

    home = signed_in(HomeState, session, declining)
    await run(home.load)
    (declined,) = await run(home.decline_invite, home.invitations[0].id)
    assert "declined" in str(declined) and home.invitations == []
    assert [i.email for i in invites.pending_invites(session=session, company_id=company.id)] == ["ed.new@example.com"]
    assert _profile(session, declining).company_id is None
