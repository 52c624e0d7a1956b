"""Account handlers called directly: sign-up, login throttling, guards and forbidden pages."""

from __future__ import annotations

import inspect

from speakpro import routes
from speakpro.services import accounts, sessions
from speakpro.state.account import AccountState
from speakpro.state.admin import AdminState
from speakpro.state.company import CompanyState
from speakpro.state.home import HomeState
from speakpro.state.login import LoginState, SignupState
from speakpro.state.onboarding import OnboardingState
from tests.factories import make_company, make_user
from tests.signin import handoff_code, sign_in, token_of

GOOD = "a sturdy passphrase"


async def run(handler, *args):
    """Call an event handler (plain, coroutine or async generator) and collect what it returns or yields."""
    result = handler(*args)
    out = []
    if inspect.isasyncgen(result):
        async for item in result:
            out.append(item)
    elif inspect.iscoroutine(result):
        out.append(await result)
    else:
        out.append(result)
    flat = []
    for item in out:
        flat.extend(item if isinstance(item, list) else [item])
    return [i for i in flat if i is not None]


def redirects(events) -> list[str]:
    """The paths of the redirect events among `events`."""
    paths = []
    for event in events:
        text = str(event)
        if "_redirect" in text:
            args = dict(getattr(event, "args", ()) or ())
            paths.append(str(args.get("path", text)) if args else text)
    return paths


def _signed_in(state_cls, session, user):
    return sign_in(state_cls(), sessions.create_session(session=session, user_id=user.id))


async def test_signup_starts_a_session_and_goes_to_onboarding(session):
    state = SignupState()
    events = await run(state.signup, {"email": "fresh@example.com", "password": GOOD, "display_name": "Fresh"})
    assert state.error == "" and redirects(events) == []
    # The page loads the backend route that sets the HttpOnly cookie, then onboarding.
    assert state.navigate_to.startswith("/auth/session?") and "next=%2Fonboarding" in state.navigate_to
    token = sessions.redeem_handoff(session=session, code=handoff_code(state))
    assert token and sessions.resolve_session(session=session, token=token).email == "fresh@example.com"
    assert sessions.redeem_handoff(session=session, code=handoff_code(state)) is None  # once only


async def test_signup_with_bad_input_shows_the_message_and_creates_nothing(session):
    state = SignupState()
    await run(state.signup, {"email": "bad", "password": GOOD})
    assert "valid email" in state.error and state.navigate_to == ""
    await run(state.signup, {"email": "ok@example.com", "password": "x" * 2_000_000})
    assert state.error and state.navigate_to == ""
    assert accounts.get_user_by_email(session=session, email="ok@example.com") is None


async def test_wrong_password_message_then_lockout(session):
    accounts.signup(session=session, email="target@example.com", password=GOOD)
    state = LoginState()
    await run(state.login, {"email": "target@example.com", "password": "wrong password"})
    assert state.error == accounts.LOGIN_FAILED and state.navigate_to == ""
    unknown = LoginState()
    await run(unknown.login, {"email": "nobody@example.com", "password": "wrong password"})
    assert unknown.error == accounts.LOGIN_FAILED  # the same message whether the account exists or not
    from speakpro.services import throttle

    for _ in range(throttle.ACCOUNT_LIMIT.lock_after):
        throttle.record_failure(session=session, keys=[throttle.account_key("target@example.com")])
    locked = LoginState()
    await run(locked.login, {"email": "target@example.com", "password": GOOD})
    assert "Too many failed attempts" in locked.error and locked.navigate_to == ""


async def test_correct_password_logs_in(session):
    accounts.signup(session=session, email="right@example.com", password=GOOD)
    state = LoginState()
    await run(state.login, {"email": "right@example.com", "password": GOOD})
    assert state.error == "" and state.navigate_to.startswith("/auth/session?code=")
    token = sessions.redeem_handoff(session=session, code=handoff_code(state))
    assert sessions.resolve_session(session=session, token=token).email == "right@example.com"


async def test_protected_pages_send_visitors_to_login(session):
    for state_cls in (HomeState, AccountState, AdminState, CompanyState, OnboardingState):
        events = await run(state_cls().load)
        assert any(routes.LOGIN in r for r in redirects(events)), state_cls.__name__


async def test_home_needs_onboarding(session):
    user = make_user(session)
    events = await run(_signed_in(HomeState, session, user).load)
    assert any(routes.ONBOARDING in r for r in redirects(events))


async def test_learners_and_other_managers_are_refused_a_company_page(session):
    first, second = make_company(session), make_company(session)
    learner = make_user(session, company=first, onboarding_completed=True)
    other_manager = make_user(session, company=second, role="manager", onboarding_completed=True)
    manager = make_user(session, company=first, role="manager", onboarding_completed=True)
    for user in (learner, other_manager):
        state = _signed_in(CompanyState, session, user)
        await run(state._load_company, first.slug)
        assert state.forbidden and state.members == [] and state.join_code == ""
    allowed = _signed_in(CompanyState, session, manager)
    await run(allowed._load_company, first.slug)
    assert not allowed.forbidden and allowed.join_code == first.join_code
    assert {m.user_id for m in allowed.members} == {str(learner.id), str(manager.id)}


async def test_admin_page_is_for_admins(session):
    user = make_user(session, onboarding_completed=True)
    state = _signed_in(AdminState, session, user)
    await run(state.load)
    assert state.forbidden and state.company_list == []
    await run(state.create_company, {"company_name": "Sneaky Co"})
    assert state.forbidden
    user.is_admin = True
    session.flush()
    admin = _signed_in(AdminState, session, user)
    await run(admin.create_company, {"company_name": "Real Co"})
    assert not admin.forbidden and any(c.name == "Real Co" for c in admin.company_list)


async def test_logout_everywhere_ends_every_session(session):
    user = make_user(session, onboarding_completed=True)
    state = _signed_in(AccountState, session, user)
    other = sessions.create_session(session=session, user_id=user.id)
    token = token_of(state)
    await run(state.logout_everywhere)
    assert state.navigate_to.startswith("/auth/signed-out") and not state.signed_in
    assert sessions.resolve_session(session=session, token=token) is None
    assert sessions.resolve_session(session=session, token=other) is None
