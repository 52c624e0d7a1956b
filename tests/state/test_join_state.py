"""`/join/<code>` asks before enrolling: opening the link shows the company and changes nothing; pressing
"Join <company>" joins."""

from __future__ import annotations

from sqlalchemy import func, select

from speakpro import routes
from speakpro.models import AuditLog, UserProfile
from speakpro.services.accounts import sessions
from speakpro.state.account import JoinState
from tests.factories import make_company, make_user
from tests.signin import at_url, redirects, run, sign_in


def _page(session, user, code: str) -> JoinState:
    state = sign_in(JoinState(), sessions.create_session(session=session, user_id=user.id))
    return at_url(state, f"http://localhost:3000{routes.join(code)}")


def _membership(session, user) -> tuple:
    profile = session.get(UserProfile, user.id)
    session.refresh(profile)
    joins = session.execute(
        select(func.count())
        .select_from(AuditLog)
        .where(AuditLog.action == "company.joined", AuditLog.subject_user_id == user.id)
    ).scalar_one()
    return profile.company_id, profile.role, joins


async def test_opening_the_link_shows_the_company_and_changes_nothing(session):
    company = make_company(session)
    learner = make_user(session, onboarding_completed=True)
    state = _page(session, learner, company.join_code)

    events = await run(state.load)

    assert redirects(events) == [] and state.error == ""
    assert state.checked and state.company_name == company.name and state.role == "learner"
    assert not state.already_member
    assert _membership(session, learner) == (None, "learner", 0)


async def test_pressing_join_enrols_the_learner(session):
    company = make_company(session)
    learner = make_user(session, onboarding_completed=True)
    state = _page(session, learner, company.join_code)
    await run(state.load)

    events = await run(state.join)

    assert _membership(session, learner) == (company.id, "learner", 1)
    assert redirects(events) and routes.HOME in redirects(events)[0]
    assert state.viewer_company_name == company.name


async def test_a_manager_invite_says_so_and_waits_too(session):
    company = make_company(session, manager_invite_code="INVITE-" + "X" * 16)
    person = make_user(session, onboarding_completed=True)
    state = _page(session, person, company.manager_invite_code)
    await run(state.load)
    assert state.role == "manager" and _membership(session, person) == (None, "learner", 0)
    await run(state.join)
    assert _membership(session, person) == (company.id, "manager", 1)


async def test_bad_codes_and_other_companies_are_explained_and_change_nothing(session):
    mine, other = make_company(session), make_company(session)
    learner = make_user(session, company=other, onboarding_completed=True)
    wrong = _page(session, make_user(session, onboarding_completed=True), "NO-SUCH-CODE")
    await run(wrong.load)
    assert "not valid" in wrong.error and wrong.company_name == ""
    elsewhere = _page(session, learner, mine.join_code)
    await run(elsewhere.load)
    assert "another company" in elsewhere.error and elsewhere.company_name == ""
    await run(elsewhere.join)  # pressed anyway (a crafted event): still refused
    assert _membership(session, learner) == (other.id, "learner", 0)


async def test_members_are_told_so_and_visitors_sign_up_with_the_code(session):
    company = make_company(session)
    member = make_user(session, company=company, onboarding_completed=True)
    state = _page(session, member, company.join_code)
    await run(state.load)
    assert state.already_member and state.company_name == company.name

    visitor = at_url(JoinState(), f"http://localhost:3000{routes.join(company.join_code + '&x=1')}")
    events = await run(visitor.load)
    [target] = redirects(events)
    assert f'"{routes.SIGNUP}?code={company.join_code}%26x%3D1"' in target  # the code stays one parameter
