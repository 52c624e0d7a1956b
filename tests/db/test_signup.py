"""The sign-up form's service: the same answer for a new and a taken email, a notice for the owner of a taken
one (queued in the outbox, since there is no mail server), the privacy notice required, and sign-ups
throttled per client address."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from speakpro.models import AnalyticsEvent, EmailOutbox, LoginThrottle, PrivacyConsent, User, UserProfile, utcnow
from speakpro.services.accounts import accounts, throttle
from speakpro.services.accounts.consent import PRIVACY_NOTICE_VERSION
from speakpro.services.accounts.passwords import hash_password
from speakpro.services.validation import ValidationError
from tests.factories import make_company

GOOD = "a sturdy passphrase"


def _register(session, email, password=GOOD, **fields):
    fields = {"accepted_privacy_notice": True, "recording_consent": True, **fields}
    return accounts.register(session=session, email=email, password=password, **fields)


def _count(session, model, *where) -> int:
    return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def _notices(session, user_id) -> list[EmailOutbox]:
    return list(session.execute(select(EmailOutbox).where(EmailOutbox.user_id == user_id)).scalars())


def test_a_new_email_gets_an_account_and_no_notice(session):
    answer = _register(session, "brand.new@example.com", display_name="Bea", user_agent="pytest-agent")
    user = session.get(User, answer.user_id)
    assert user.email == "brand.new@example.com" and user.display_name == "Bea"
    event = session.execute(select(AnalyticsEvent).where(AnalyticsEvent.user_id == user.id)).scalar_one()
    assert event.event_type == "user_signup"
    assert _notices(session, user.id) == []


@pytest.mark.parametrize("recording", [True, False])
def test_the_consent_given_on_the_form_is_recorded_with_the_account(session, recording):
    answer = _register(session, f"consent-{recording}@example.com", recording_consent=recording)
    [consent] = session.execute(select(PrivacyConsent).where(PrivacyConsent.user_id == answer.user_id)).scalars()
    assert consent.notice_version == PRIVACY_NOTICE_VERSION and consent.recording is recording


def test_a_taken_email_records_no_consent_for_its_owner(session):
    owner = accounts.signup(session=session, email="consenting@example.com", password=GOOD)
    _register(session, "consenting@example.com", recording_consent=False)
    assert _count(session, PrivacyConsent, PrivacyConsent.user_id == owner.id) == 0


def test_a_taken_email_changes_nothing_and_queues_one_notice_for_its_owner(session):
    company = make_company(session)
    owner = accounts.signup(session=session, email="owner@example.com", password=GOOD, display_name="Owner")
    before = (owner.password_hash, owner.display_name, _count(session, User), _count(session, AnalyticsEvent))

    answer = _register(
        session,
        "  OWNER@example.com ",
        password="another sturdy phrase",
        display_name="Intruder",
        join_code=company.join_code,
    )

    assert answer == accounts.Registration(user_id=None)
    session.refresh(owner)
    after = (owner.password_hash, owner.display_name, _count(session, User), _count(session, AnalyticsEvent))
    assert after == before  # no new account, no new password or name, no sign-up event
    assert session.get(UserProfile, owner.id).company_id is None  # the join code did nothing to the account
    [notice] = _notices(session, owner.id)
    assert notice.template == accounts.EXISTING_ACCOUNT_NOTICE and notice.sent_at is None
    # The sender reads the address from the account; the row holds no password, name or address.
    assert notice.details == {"has_password": True}
    assert "another sturdy phrase" not in str(notice.details) and "Intruder" not in str(notice.details)


def test_repeated_attempts_queue_one_notice_until_it_is_sent(session):
    owner = accounts.signup(session=session, email="popular@example.com", password=GOOD)
    for _ in range(5):
        assert _register(session, "popular@example.com").user_id is None
    assert len(_notices(session, owner.id)) == 1
    session.execute(update(EmailOutbox).where(EmailOutbox.user_id == owner.id).values(sent_at=utcnow()))
    _register(session, "popular@example.com")
    assert sorted(n.sent_at is None for n in _notices(session, owner.id)) == [False, True]


def test_a_disabled_owner_gets_the_same_answer_and_no_notice(session):
    owner = accounts.signup(session=session, email="gone@example.com", password=GOOD)
    owner.disabled = True
    session.flush()
    assert _register(session, "gone@example.com") == accounts.Registration(user_id=None)
    assert _notices(session, owner.id) == []


def test_both_answers_do_the_same_password_work(session, monkeypatch):
    hashed: list[str] = []
    real = hash_password
    monkeypatch.setattr(accounts, "hash_password", lambda password: hashed.append(password) or real(password))
    accounts.signup(session=session, email="taken3@example.com", password=GOOD)
    hashed.clear()
    _register(session, "taken3@example.com", password="first candidate phrase")
    _register(session, "unused3@example.com", password="second candidate phrase")
    assert hashed == ["first candidate phrase", "second candidate phrase"]


def test_bad_input_is_refused_the_same_for_new_and_taken_emails(session):
    accounts.signup(session=session, email="taken2@example.com", password=GOOD)
    for email in ("taken2@example.com", "unused2@example.com"):
        with pytest.raises(ValidationError) as caught:
            _register(session, email, password="short")
        assert caught.value.field == "password"
    assert _count(session, EmailOutbox) == 0


def test_the_privacy_notice_must_be_accepted(session):
    before = _count(session, User)
    with pytest.raises(ValidationError) as caught:
        _register(session, "careless@example.com", accepted_privacy_notice=False)
    assert caught.value.field == "privacy_notice"
    assert _count(session, User) == before


def test_sign_ups_from_one_address_are_slowed_then_locked(session):
    limit = throttle.SIGNUP_LIMIT
    decisions = [throttle.check_signup(session=session, client="203.0.113.50") for _ in range(limit.lock_after)]
    assert all(d.allowed for d in decisions)
    assert decisions[limit.slow_after - 1].delay_seconds == 0 and decisions[limit.slow_after].delay_seconds > 0
    refused = throttle.check_signup(session=session, client="203.0.113.50")
    assert not refused.allowed and 0 < refused.retry_after_seconds <= throttle.LOCKOUT.total_seconds() + 1
    # Refused attempts are not counted; another address is not affected; logins from it neither.
    row = session.get(LoginThrottle, throttle.signup_key("203.0.113.50"))
    assert row.failures == limit.lock_after and "203.0.113" not in row.key
    assert throttle.check_signup(session=session, client="198.51.100.50").allowed
    assert throttle.check(session=session, keys=[throttle.client_key("203.0.113.50")]).allowed
    later = utcnow() + throttle.LOCKOUT + throttle.WINDOW + timedelta(seconds=5)
    assert throttle.check_signup(session=session, client="203.0.113.50", now=later).allowed
