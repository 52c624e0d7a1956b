"""OpenID Connect login end to end: SpeakPro's login page, a real OpenID Provider (node-oidc-provider), and back."""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import Page, expect

from tests.e2e.browser import fill_onboarding


def _sign_in_at_provider(page: Page, base_url: str, issuer: str, login: str) -> None:
    # The provider's development pages import a web font; there is no internet here, so fail that fast.
    page.route("https://fonts.googleapis.com/**", lambda route: route.abort())
    page.goto(base_url + "/login")
    button = page.locator("#oauth-oidc")
    expect(button).to_contain_text("Continue with Test SSO")
    button.click()

    page.wait_for_url(re.compile(re.escape(issuer) + r"/interaction/"))
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password works here")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()  # consent to share email and profile


def test_a_new_user_signs_in_with_the_openid_provider(page, base_url, oidc_provider):
    login = f"sso-{secrets.token_hex(4)}"
    _sign_in_at_provider(page, base_url, oidc_provider.issuer, login)

    # Back on SpeakPro: the hand-off code became a session, and a new account starts with onboarding.
    page.wait_for_url(re.compile(r"/onboarding/?$"))
    expect(page.locator("#onboarding-form")).to_be_visible()
    assert "code=" not in page.url

    # No sign-up form came first: onboarding asks for the privacy consent, and needs the notice ticked.
    expect(page.locator("#onboarding-consent")).to_be_visible()
    fill_onboarding(page)
    page.locator("#recording_consent").click()
    page.locator("#onboarding-submit").click()
    expect(page).to_have_url(re.compile(r"/onboarding/?$"))  # the browser holds back the required box
    page.locator("#privacy_notice").click()
    page.locator("#onboarding-submit").click()
    expect(page).to_have_url(re.compile(r"/home$"))

    from sqlalchemy import select

    from speakpro.db import session_scope
    from speakpro.models import OAuthIdentity, User
    from speakpro.services.accounts.consent import current_consent

    with session_scope() as session:
        user = session.execute(select(User).where(User.email == f"{login}@example.com")).scalar_one()
        identity = session.execute(select(OAuthIdentity).where(OAuthIdentity.user_id == user.id)).scalar_one()
        assert (identity.provider, identity.subject, user.email_verified) == ("oidc", login, True)
        consent = current_consent(session=session, user_id=user.id)
        assert consent is not None and consent.current and consent.recording


def test_an_unverified_email_cannot_take_over_an_existing_account(page, base_url, oidc_provider):
    from speakpro.db import session_scope
    from speakpro.services.accounts.accounts import signup

    login = f"unverified-{secrets.token_hex(4)}"
    with session_scope() as session:
        signup(session=session, email=f"{login}@example.com", password=secrets.token_urlsafe(16))

    _sign_in_at_provider(page, base_url, oidc_provider.issuer, login)

    page.wait_for_url(re.compile(r"/login\?error="))
    expect(page.get_by_text("An account with this email exists")).to_be_visible()
    expect(page.locator("#login-form")).to_be_visible()
