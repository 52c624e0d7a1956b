"""Account handlers called directly: sign-up, login throttling, guards and forbidden pages."""

from __future__ import annotations

from sqlalchemy import select

from speakpro import routes
from speakpro.services.accounts import accounts, sessions
from speakpro.state import edge
from speakpro.state.account import AccountState
from speakpro.state.admin import AdminState
from speakpro.state.company import CompanyState
from speakpro.state.home import HomeState
from speakpro.state.login import LoginState, SignupState
from speakpro.state.onboarding import OnboardingState
from tests.factories import make_company, make_user
from tests.signin import GOOD, handoff_code, redirects, run, signed_in, token_of

CONSENT = {"privacy_notice": True, "recording_consent": True}


def _answer(state: SignupState) -> tuple:
    """Everything a sign-up shows the browser."""
    return (
        state.done,
        state.done_email,
        state.error,
        state.error_field,
        state.submitting,
        state.navigate_to,
        state.signed_in,
    )


async def test_signup_shows_the_next_step_and_signs_nobody_in(session):
    state = SignupState()
    events = await run(
        state.signup, {"email": "Fresh@example.com", "password": GOOD, "display_name": "Fresh", **CONSENT}
    )
    assert state.error == "" and redirects(events) == []
    assert state.done and state.done_email == "fresh@example.com"
    assert state.navigate_to == "" and token_of(state) == ""  # no session: the answer must not depend on the email
    assert accounts.get_user_by_email(session=session, email="fresh@example.com").display_name == "Fresh"
    # The next step is logging in with the password just chosen; home then sends the learner to onboarding.
    login = LoginState()
    await run(login.login, {"email": "fresh@example.com", "password": GOOD})
    assert login.error == "" and login.navigate_to.startswith("/auth/session?code=")


async def test_signup_with_a_taken_email_answers_exactly_as_for_a_new_one(session):
    from speakpro.models import EmailOutbox

    owner = accounts.signup(session=session, email="owner@example.com", password=GOOD)
    new, taken = SignupState(), SignupState()
    await run(new.signup, {"email": "newcomer@example.com", "password": "a different phrase", **CONSENT})
    await run(taken.signup, {"email": "owner@example.com", "password": "a different phrase", **CONSENT})
    assert new.done and new.done_email == "newcomer@example.com"
    assert _answer(taken) == (True, "owner@example.com", *_answer(new)[2:])
    [notice] = session.execute(select(EmailOutbox).where(EmailOutbox.user_id == owner.id)).scalars().all()
    assert notice.template == accounts.EXISTING_ACCOUNT_NOTICE
    # The owner's password is unchanged.
    assert accounts.authenticate(session=session, email="owner@example.com", password=GOOD) is not None


async def test_signup_needs_the_privacy_notice_box(session):
    from speakpro.models import LoginThrottle

    state = SignupState()
    await run(
        state.signup,
        {"email": "unticked@example.com", "password": GOOD, "privacy_notice": False, "recording_consent": True},
    )
    assert "privacy notice" in state.error and state.error_field == "privacy_notice" and not state.done
    assert accounts.get_user_by_email(session=session, email="unticked@example.com") is None
    assert session.execute(select(LoginThrottle)).first() is None  # refused before anything was counted
    # The recording box is optional at sign-up (it is needed before practising).
    await run(state.signup, {"email": "unticked@example.com", "password": GOOD, "privacy_notice": "on"})
    assert state.done and accounts.get_user_by_email(session=session, email="unticked@example.com")


async def test_signups_are_throttled_per_client_address(session):
    from dataclasses import replace

    from reflex.istate.data import SessionData

    from speakpro.services.accounts import throttle

    for _ in range(throttle.SIGNUP_LIMIT.lock_after):
        throttle.check_signup(session=session, client="203.0.113.77")
    state = SignupState()
    state.router = replace(state.router, session=SessionData(client_ip="203.0.113.77"))
    await run(state.signup, {"email": "bot-21@example.com", "password": GOOD, **CONSENT})
    assert state.error.startswith("Too many sign-ups from your network") and not state.done
    assert accounts.get_user_by_email(session=session, email="bot-21@example.com") is None
    elsewhere = SignupState()
    elsewhere.router = replace(elsewhere.router, session=SessionData(client_ip="198.51.100.77"))
    await run(elsewhere.signup, {"email": "bot-21@example.com", "password": GOOD, **CONSENT})
    assert elsewhere.done and elsewhere.error == ""


async def test_signup_with_bad_input_shows_the_message_and_creates_nothing(session):
    state = SignupState()
    await run(state.signup, {"email": "bad", "password": GOOD, **CONSENT})
    assert "valid email" in state.error and state.navigate_to == "" and not state.done
    events = await run(state.signup, {"email": "ok@example.com", "password": "x" * 2_000_000, **CONSENT})
    assert any(edge.TOO_LONG in str(event) for event in events) and state.navigate_to == ""  # refused at the edge
    assert accounts.get_user_by_email(session=session, email="ok@example.com") is None


async def test_wrong_password_message_then_lockout(session):
    accounts.signup(session=session, email="target@example.com", password=GOOD)
    state = LoginState()
    await run(state.login, {"email": "target@example.com", "password": "wrong password"})
    assert state.error == accounts.LOGIN_FAILED and state.navigate_to == ""
    unknown = LoginState()
    await run(unknown.login, {"email": "nobody@example.com", "password": "wrong password"})
    assert unknown.error == accounts.LOGIN_FAILED  # the same message whether the account exists or not
    from speakpro.services.accounts import throttle

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
    events = await run(signed_in(HomeState, session, user).load)
    assert any(routes.ONBOARDING in r for r in redirects(events))


async def test_learners_and_other_managers_are_refused_a_company_page(session):
    first, second = make_company(session), make_company(session)
    learner = make_user(session, company=first, onboarding_completed=True)
    other_manager = make_user(session, company=second, role="manager", onboarding_completed=True)
    manager = make_user(session, company=first, role="manager", onboarding_completed=True)
    for user in (learner, other_manager):
        state = signed_in(CompanyState, session, user)
        await run(state._load_company, first.slug)
        assert state.forbidden and state.members == [] and state.join_code == ""
    allowed = signed_in(CompanyState, session, manager)
    await run(allowed._load_company, first.slug)
    assert not allowed.forbidden and allowed.join_code == first.join_code
    assert {m.user_id for m in allowed.members} == {str(learner.id), str(manager.id)}


async def test_admin_page_is_for_admins(session):
    user = make_user(session, onboarding_completed=True)
    state = signed_in(AdminState, session, user)
    await run(state.load)
    assert state.forbidden and state.company_list == []
    await run(state.create_company, {"company_name": "Sneaky Co"})
    assert state.forbidden
    user.is_admin = True
    session.flush()
    admin = signed_in(AdminState, session, user)
    await run(admin.create_company, {"company_name": "Real Co"})
    assert not admin.forbidden and any(c.name == "Real Co" for c in admin.company_list)


async def test_logout_everywhere_ends_every_session(session):
    user = make_user(session, onboarding_completed=True)
    state = signed_in(AccountState, session, user)
    other = sessions.create_session(session=session, user_id=user.id)
    token = token_of(state)
    await run(state.logout_everywhere)
    assert state.navigate_to.startswith("/auth/signed-out") and not state.signed_in
    assert sessions.resolve_session(session=session, token=token) is None
    assert sessions.resolve_session(session=session, token=other) is None
