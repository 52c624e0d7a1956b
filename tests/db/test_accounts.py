"""Sign-up and login: validation, hostile input, duplicate emails, equal work for unknown emails."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from speakpro.models import AnalyticsEvent, User, UserProfile
from speakpro.services.accounts import accounts
from speakpro.services.accounts.passwords import verify_password
from speakpro.services.validation import ValidationError
from tests.factories import make_company

GOOD = "a sturdy passphrase"


def _users(session) -> int:
    return session.execute(select(func.count()).select_from(User)).scalar_one()


def test_signup_creates_a_learner_and_logs_the_event(session):
    user = accounts.signup(
        session=session, email="  New.Person@Example.COM ", password=GOOD, display_name="Nia", user_agent="pytest-agent"
    )
    assert user.email == "new.person@example.com"
    assert user.password_hash.startswith("$argon2id$") and GOOD not in user.password_hash
    profile = session.get(UserProfile, user.id)
    assert profile.role == "learner" and profile.company_id is None and not profile.onboarding_completed
    event = session.execute(select(AnalyticsEvent).where(AnalyticsEvent.user_id == user.id)).scalar_one()
    assert event.event_type == "user_signup" and event.event_data["user_agent"] == "pytest-agent"


@pytest.mark.parametrize(
    ("email", "password", "name", "field", "message"),
    [
        ("", GOOD, "", "email", "Enter your email"),
        ("not-an-email", GOOD, "", "email", "valid email"),
        ("<script>alert(1)</script>@example.com", GOOD, "", "email", "valid email"),
        ("x" * 1_000_000 + "@example.com", GOOD, "", "email", "at most 254"),
        ("ok@example.com", "", "", "password", "at least 8"),
        ("ok@example.com", "short", "", "password", "at least 8"),
        ("ok@example.com", "p" * 1_000_000, "", "password", "at most 256"),
        ("ok@example.com", "password123", "", "password", "too common"),
        ("ok@example.com", "Qwerty123", "", "password", "too common"),
        ("okaypeople@example.com", "okaypeople-2026", "", "password", "email"),
        ("ok@example.com", GOOD, "n" * 81, "display_name", "at most 80"),
        ("ok@example.com", GOOD, "bad\x00name", "display_name", "not allowed"),
        ("ok@example.com", GOOD, "admin\u202egnp.exe", "display_name", "not allowed"),
    ],
)
def test_bad_signup_input_is_refused_and_changes_nothing(session, email, password, name, field, message):
    before = _users(session)
    with pytest.raises(ValidationError) as caught:
        accounts.signup(session=session, email=email, password=password, display_name=name)
    assert caught.value.field == field and message in caught.value.message
    assert _users(session) == before


def test_unicode_and_markup_in_names_are_stored_as_text(session):
    user = accounts.signup(
        session=session, email="zoe@example.com", password=GOOD, display_name="Zoë <b>Ørsted</b> 日本"
    )
    assert user.display_name == "Zoë <b>Ørsted</b> 日本"


def test_a_taken_email_is_refused_to_scripts_but_never_told_to_the_sign_up_form(session):
    # `signup` creates accounts for commands and tests, which must know; the form uses `register`
    # (tests/db/test_signup.py), which answers as for a new account.
    accounts.signup(session=session, email="taken@example.com", password=GOOD)
    with pytest.raises(accounts.EmailTaken):
        accounts.signup(session=session, email="TAKEN@example.com", password=GOOD)
    answer = accounts.register(
        session=session, email="TAKEN@example.com", password=GOOD, accepted_privacy_notice=True, recording_consent=True
    )
    assert answer == accounts.Registration(user_id=None)


def test_signup_with_a_company_code(session):
    company = make_company(session)
    learner = accounts.signup(session=session, email="l@example.com", password=GOOD, join_code=company.join_code)
    assert session.get(UserProfile, learner.id).company_id == company.id
    with pytest.raises(ValidationError, match="not valid"):
        accounts.signup(session=session, email="m@example.com", password=GOOD, join_code="NOPE-NOPE")


def test_authenticate_gives_the_same_answer_and_work_for_unknown_emails(session, monkeypatch):
    accounts.signup(session=session, email="known@example.com", password=GOOD)
    calls = []
    real = verify_password
    monkeypatch.setattr(accounts, "verify_password", lambda h, p: calls.append(h) or real(h, p))
    assert accounts.authenticate(session=session, email="known@example.com", password="wrong password!") is None
    assert accounts.authenticate(session=session, email="unknown@example.com", password="wrong password!") is None
    assert accounts.authenticate(session=session, email="not an email", password="wrong password!") is None
    # One argon2 verification in every case, so response time does not reveal whether the email exists.
    assert len(calls) == 3 and all(h.startswith("$argon2id$") for h in calls)
    assert accounts.authenticate(session=session, email="KNOWN@example.com", password=GOOD) is not None


def test_disabled_users_cannot_log_in(session):
    user = accounts.signup(session=session, email="gone@example.com", password=GOOD)
    user.disabled = True
    session.flush()
    assert accounts.authenticate(session=session, email="gone@example.com", password=GOOD) is None


def test_change_password_checks_the_current_one(session):
    user = accounts.signup(session=session, email="pw@example.com", password=GOOD)
    with pytest.raises(ValidationError, match="current password"):
        accounts.change_password(session=session, user_id=user.id, current="nope nope nope", new="another phrase!")
    with pytest.raises(ValidationError, match="different"):
        accounts.change_password(session=session, user_id=user.id, current=GOOD, new=GOOD)
    with pytest.raises(ValidationError, match="too common"):
        accounts.change_password(session=session, user_id=user.id, current=GOOD, new="password1")
