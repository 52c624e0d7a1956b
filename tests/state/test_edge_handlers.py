"""What the fuzzer and an earlier probe found, one case each: wrongly typed input is refused whole and changes
nothing; handlers called before their page loaded, hostile page addresses and `setvar` answer plainly."""

from __future__ import annotations

from sqlalchemy import func, select

from speakpro import routes
from speakpro.models import Company, LoginThrottle
from speakpro.services.accounts import accounts, retention
from speakpro.state import edge
from speakpro.state.account import AccountState
from speakpro.state.admin import AdminState
from speakpro.state.chatbot import ChatbotState
from speakpro.state.company import CompanyState
from speakpro.state.dashboard import DashboardState
from speakpro.state.history import HistoryState
from speakpro.state.lesson import LessonState
from speakpro.state.login import LoginState
from speakpro.state.milestone import MilestoneState
from speakpro.state.progress import ProgressState
from tests.factories import make_company, make_user
from tests.signin import GOOD, at_url, background, run, signed_in


def _refused(events, message: str = "") -> bool:
    return any(edge.REFUSED_TOAST_ID in str(e) and message in str(e) for e in events)


async def test_a_retention_form_of_the_wrong_type_changes_nothing(session):
    company = make_company(session)
    manager = make_user(session, company=company, role="manager", onboarding_completed=True)
    retention.set_recording_retention(session=session, company_id=company.id, days="90", actor_user_id=manager.id)
    state = at_url(signed_in(CompanyState, session, manager), routes.company(company.slug))
    await run(state.load)
    for form in ({"retention_days": 30}, {"retention_days": ["30"]}, {"retention_days": None}, "30", [30], None):
        assert _refused(await run(state.save_retention, form), edge.FORM_UNREADABLE), form
        # Not "no limit", as dropping the bad field and carrying on would have made it.
        assert retention.recording_retention(session=session, company_id=company.id) == 90
    assert state.retention_days == "90" and state.retention_error == "" and not state.retention_saving


async def test_lone_surrogates_in_a_login_or_a_password_change_are_refused(session):
    user = accounts.signup(session=session, email="surrogate@example.com", password=GOOD)
    login = LoginState()
    assert _refused(
        await run(login.login, {"email": "surrogate@example.com", "password": "\ud800"}), edge.BAD_CHARACTERS
    )
    assert session.execute(select(func.count()).select_from(LoginThrottle)).scalar_one() == 0  # nothing counted
    account = signed_in(AccountState, session, user)
    form = {"current_password": GOOD, "new_password": "new \udfff phrase", "confirm_password": "new \udfff phrase"}
    assert _refused(await run(account.change_password, form), edge.BAD_CHARACTERS)
    assert accounts.authenticate(session=session, email="surrogate@example.com", password=GOOD) is not None


async def test_a_company_name_that_is_not_text_creates_nothing(session):
    admin = make_user(session, onboarding_completed=True)
    admin.is_admin = True
    session.flush()
    state = signed_in(AdminState, session, admin)
    before = session.execute(select(func.count()).select_from(Company)).scalar_one()
    for name in (42, ["Acme"], {"name": "Acme"}, None, 1.5):
        assert _refused(await run(state.create_company, {"company_name": name}), edge.FORM_UNREADABLE)
    assert session.execute(select(func.count()).select_from(Company)).scalar_one() == before
    assert state.error == ""


async def test_the_chat_draft_takes_text_only(session):
    state = ChatbotState()
    state.set_draft("How do I pause?")
    for value in (5, None, ["a"], "x" * (edge.LONG + 1)):
        assert _refused([state.set_draft(value)])
    assert state.draft == "How do I pause?"


async def test_lesson_and_milestone_answers_before_the_page_loaded_are_refused(session):
    user = make_user(session, onboarding_completed=True)
    lesson = signed_in(LessonState, session, user)
    assert _refused(await run(background(lesson, "answer"), {"text": "an answer"}), edge.NOT_LOADED)
    assert _refused(await run(lesson.choose_stakes, {"scenario": "A board meeting"}), edge.NOT_LOADED)
    milestone = signed_in(MilestoneState, session, user)
    assert _refused(await run(background(milestone, "submit"), {"text": "my talk"}), edge.NOT_LOADED)
    assert lesson.error == milestone.error == "" and not lesson.busy and not milestone.busy


async def test_setvar_reaches_only_plain_setters_through_their_own_check(session):
    chat = ChatbotState()
    assert await run(chat.setvar, "draft", "hello") == [] and chat.draft == "hello"
    assert _refused(await run(chat.setvar, "draft", 5)) and chat.draft == "hello"
    assert _refused(await run(chat.setvar, "sending", True)) and not chat.sending  # no setter: no such event
    assert _refused(await run(chat.setvar, 3, "x"))
    progress = ProgressState()
    assert _refused(await run(progress.setvar, "window", "30")) and progress.window == "90"  # an async setter


async def test_hostile_page_addresses_answer_plainly(session):
    manager = make_user(session, company=make_company(session), role="manager", onboarding_completed=True)
    for path in ("/company/\x00", "/company/\ud800", "/company/a\x00b/dashboard"):
        company = at_url(signed_in(CompanyState, session, manager), path)
        await run(company.load)
        assert company.forbidden and company.company_name == ""
    history = at_url(signed_in(HistoryState, session, manager), "/history?page=²")
    await run(history.load)
    assert history.loaded and history.page == 1
    visitor = at_url(LessonState(), "/lesson/\ud800")
    [redirect] = await run(visitor.load)
    assert "/login?next=/home" in str(redirect)


async def test_a_dashboard_range_at_the_ends_of_the_calendar_is_clamped(session):
    company = make_company(session)
    manager = make_user(session, company=company, role="manager", onboarding_completed=True)
    state = at_url(signed_in(DashboardState, session, manager), routes.company_dashboard(company.slug))
    await run(state.apply_range, {"date_from": "0001-01-01", "date_to": "0001-01-01"})
    assert not state.forbidden and state.error == "" and state.date_from == state.date_to == "2000-01-01"
    await run(state.apply_range, {"date_from": "9999-12-31", "date_to": "9999-12-31"})
    assert state.error == "" and state.date_to < "2100"
