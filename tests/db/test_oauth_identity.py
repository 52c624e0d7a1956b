"""OpenID identities: keyed on (provider, subject); an existing account is linked only through a verified email."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import select

from speakpro.models import AnalyticsEvent, OAuthIdentity, User, UserProfile, utcnow
from speakpro.services.accounts.accounts import login_with_identity
from speakpro.services.validation import ValidationError
from tests.factories import make_user


def _subject() -> str:
    return f"sub-{secrets.token_hex(6)}"


def _email() -> str:
    return f"oidc-{secrets.token_hex(4)}@example.com"


def _identities(session, user_id):
    return session.execute(select(OAuthIdentity).where(OAuthIdentity.user_id == user_id)).scalars().all()


def test_a_new_identity_creates_a_learner_account(session):
    subject, email = _subject(), _email()
    user = login_with_identity(
        session=session, provider="oidc", subject=subject, email=email.upper(), email_verified=True, name="Ada Lovelace"
    )
    assert user.email == email and user.email_verified is True and user.display_name == "Ada Lovelace"
    assert user.password_hash is None
    profile = session.execute(select(UserProfile).where(UserProfile.user_id == user.id)).scalar_one()
    assert profile.role == "learner" and profile.company_id is None and profile.onboarding_completed is False
    [identity] = _identities(session, user.id)
    assert (identity.provider, identity.subject, identity.email) == ("oidc", subject, email)
    signups = (
        session.execute(
            select(AnalyticsEvent).where(AnalyticsEvent.user_id == user.id, AnalyticsEvent.event_type == "user_signup")
        )
        .scalars()
        .all()
    )
    assert [event.event_data for event in signups] == [{"method": "oidc"}]


def test_the_same_provider_and_subject_return_the_same_user(session):
    subject = _subject()
    first = login_with_identity(
        session=session, provider="google", subject=subject, email=_email(), email_verified=True
    )
    # The email at the provider changed since: the subject, not the email, is the key.
    again = login_with_identity(
        session=session, provider="google", subject=subject, email=_email(), email_verified=False
    )
    assert again.id == first.id
    assert len(_identities(session, first.id)) == 1


def test_the_same_subject_at_another_provider_is_another_identity(session):
    subject = _subject()
    github = login_with_identity(
        session=session, provider="github", subject=subject, email=_email(), email_verified=True
    )
    google = login_with_identity(
        session=session, provider="google", subject=subject, email=_email(), email_verified=True
    )
    assert github.id != google.id


def test_an_existing_account_is_linked_through_a_verified_email(session):
    existing = make_user(session)
    user = login_with_identity(
        session=session,
        provider="oidc",
        subject=_subject(),
        email=existing.email.upper(),
        email_verified=True,
        name="Someone Else",
    )
    assert user.id == existing.id
    assert user.display_name == "Test User"  # linking does not overwrite the account's own name
    [identity] = _identities(session, existing.id)
    assert identity.provider == "oidc"
    assert session.execute(select(User).where(User.email == existing.email)).scalars().all() == [existing]


def test_an_unverified_email_never_links_an_existing_account(session):
    existing = make_user(session)
    with pytest.raises(ValidationError) as refused:
        login_with_identity(
            session=session, provider="oidc", subject=_subject(), email=existing.email, email_verified=False
        )
    assert "An account with this email exists" in refused.value.message
    assert _identities(session, existing.id) == []


def test_an_unverified_new_email_makes_an_unverified_account(session):
    email = _email()
    user = login_with_identity(
        session=session, provider="github", subject=_subject(), email=email, email_verified=False
    )
    assert user.email == email and user.email_verified is False


def test_a_disabled_account_is_refused_through_its_identity(session):
    subject = _subject()
    user = login_with_identity(session=session, provider="oidc", subject=subject, email=_email(), email_verified=True)
    user.disabled = True
    session.flush()
    with pytest.raises(ValidationError, match="disabled"):
        login_with_identity(session=session, provider="oidc", subject=subject, email=user.email, email_verified=True)


def test_a_disabled_or_deleted_account_is_not_linked_by_email(session):
    disabled = make_user(session)
    disabled.disabled = True
    deleted = make_user(session)
    deleted.deleted_at = utcnow()
    session.flush()
    for account in (disabled, deleted):
        with pytest.raises(ValidationError, match="disabled"):
            login_with_identity(
                session=session, provider="oidc", subject=_subject(), email=account.email, email_verified=True
            )
        assert _identities(session, account.id) == []


def test_an_identity_without_email_gets_a_placeholder_address(session):
    subject = _subject()
    user = login_with_identity(session=session, provider="github", subject=subject, email=None, email_verified=False)
    assert user.email.startswith("github-") and user.email.endswith("@users.invalid")
    again = login_with_identity(session=session, provider="github", subject=subject, email=None, email_verified=False)
    assert again.id == user.id


def test_a_missing_subject_is_refused(session):
    for subject in ("", "x" * 256):
        with pytest.raises(ValidationError, match="did not identify"):
            login_with_identity(session=session, provider="oidc", subject=subject, email=_email(), email_verified=True)


def test_new_accounts_count_against_the_sign_up_throttle_of_the_address_but_returning_ones_do_not(session):
    client = f"198.51.100.{secrets.randbelow(250)}-{secrets.token_hex(3)}"
    known = login_with_identity(
        session=session, provider="oidc", subject=_subject(), email=_email(), email_verified=True, client=client
    )
    for _ in range(19):  # 20 new accounts in all lock the address (SIGNUP_LIMIT)
        login_with_identity(
            session=session, provider="oidc", subject=_subject(), email=_email(), email_verified=True, client=client
        )
    users_before = session.execute(select(User.id)).all()
    with pytest.raises(ValidationError, match="Too many sign-ups"):
        login_with_identity(
            session=session, provider="oidc", subject=_subject(), email=_email(), email_verified=True, client=client
        )
    assert session.execute(select(User.id)).all() == users_before
    # A returning identity signs in whatever the address's count.
    [identity] = _identities(session, known.id)
    again = login_with_identity(
        session=session, provider="oidc", subject=identity.subject, email=None, email_verified=False, client=client
    )
    assert again.id == known.id
