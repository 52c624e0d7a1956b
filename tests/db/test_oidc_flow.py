"""The OpenID login routes against a real OpenID Provider (node-oidc-provider), without a browser.

The test plays the browser: it follows the provider's redirects with httpx, posts its development login
and consent forms, and hands the final redirect back to the backend app (Starlette's TestClient), whose
database work joins the test's rolled-back transaction.
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
import re
from collections.abc import Iterator
from contextlib import ExitStack
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from speakpro.api import build_api
from speakpro.auth_routes import CANCELLED, EXPIRED, FLOW_COOKIE, callback_url
from speakpro.integrations.oauth import ProviderRegistry
from speakpro.models import AnalyticsEvent, OAuthIdentity, User
from speakpro.services.accounts.sessions import resolve_session
from speakpro.session_cookie import SESSION_COOKIE
from speakpro.settings import OAuthProvider
from speakpro.urls import frontend_url
from tests.factories import make_user

try:  # authlib's HTTP client is httpx2 when installed, else httpx; mock whichever it uses.
    import httpx2 as authlib_httpx
except ImportError:  # pragma: no cover
    authlib_httpx = httpx

from tests.fakes.oidc import LABEL, FakeOIDCProvider, ProviderUnavailable, free_port, running_provider

FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')
FORM_PROMPT = re.compile(r'name="prompt" value="(\w+)"')
ABORT_LINK = re.compile(r'<a href="([^"]+/abort)"')


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeOIDCProvider]:
    with ExitStack() as stack:
        try:
            running = stack.enter_context(running_provider(free_port(), [callback_url("oidc")]))
        except ProviderUnavailable as error:
            if os.environ.get("CI") == "true":
                pytest.fail(str(error))
            pytest.skip(str(error))
        yield running


def _registry(provider: FakeOIDCProvider, issuer: str | None = None) -> ProviderRegistry:
    return ProviderRegistry(
        [OAuthProvider("oidc", LABEL, provider.client_id, provider.client_secret, issuer=issuer or provider.issuer)]
    )


@pytest.fixture
def api(provider, session) -> Iterator[TestClient]:
    """The backend's HTTP app serving the test provider; its database work joins `session`'s transaction."""
    with TestClient(build_api(_registry(provider)), follow_redirects=False) as client:
        yield client


def _location(response) -> str:
    assert response.status_code in (302, 303), (response.status_code, response.text[:300])
    return str(response.url.join(response.headers["location"]))


def _at_provider(authorize_url: str, login: str, *, cancel: bool = False) -> str:
    """Sign in at the provider like a browser would; returns the URL it sends the browser back to."""
    back = callback_url("oidc")
    url = authorize_url
    with httpx.Client(timeout=10) as browser:
        for _ in range(12):
            if url.startswith(back):
                return url
            response = browser.get(url)
            if response.is_redirect:
                url = _location(response)
                continue
            assert response.status_code == 200, response.text[:500]
            page = response.text
            if cancel:
                url = str(response.url.join(html.unescape(ABORT_LINK.search(page).group(1))))
                continue
            prompt = FORM_PROMPT.search(page).group(1)
            form = {"prompt": prompt}
            if prompt == "login":
                form |= {"login": login, "password": "any password works"}
            action = response.url.join(html.unescape(FORM_ACTION.search(page).group(1)))
            url = _location(browser.post(action, data=form))
    raise AssertionError("the provider never redirected back")


def _sign_in(api: TestClient, login: str, **kwargs):
    start = api.get("/auth/oidc/login")
    back = urlsplit(_at_provider(_location(start), login, **kwargs))
    return api.get(f"{back.path}?{back.query}")


def _login_error(response) -> str:
    location = _location(response)
    assert location.startswith(f"{frontend_url()}/login?")
    return parse_qs(urlsplit(location).query)["error"][0]


def _session_token(response) -> str:
    """The new session's token, from the HttpOnly cookie the callback set on its redirect home."""
    assert response.status_code == 303
    assert _location(response) == f"{frontend_url()}/home"
    cookie = next(value for value in response.headers.get_list("set-cookie") if value.startswith(f"{SESSION_COOKIE}="))
    for flag in ("httponly", "samesite=lax", "path=/"):
        assert flag in cookie.lower()
    return cookie.split(";", 1)[0].split("=", 1)[1]


def _login_name(prefix: str = "learner") -> str:
    return f"{prefix}-{os.urandom(4).hex()}"


def test_login_redirects_to_the_provider_with_pkce_state_and_nonce(api, provider):
    response = api.get("/auth/oidc/login")
    location = urlsplit(_location(response))
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}" == provider.issuer
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert query["redirect_uri"] == [callback_url("oidc")]
    assert set(query["scope"][0].split()) == {"openid", "email", "profile"}
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{FLOW_COOKIE}=")
    for flag in ("path=/auth", "max-age=600", "httponly", "samesite=lax"):
        assert flag in cookie.lower()


def test_a_new_user_signs_in_and_gets_an_httponly_session_cookie(api, session):
    login = _login_name()
    token = _session_token(_sign_in(api, login))

    user = session.execute(select(User).where(User.email == f"{login}@example.com")).scalar_one()
    assert user.email_verified is True and user.display_name == f"Test {login}"
    identity = session.execute(select(OAuthIdentity).where(OAuthIdentity.user_id == user.id)).scalar_one()
    assert (identity.provider, identity.subject) == ("oidc", login)
    events = (
        session.execute(
            select(AnalyticsEvent).where(AnalyticsEvent.user_id == user.id, AnalyticsEvent.event_type == "login")
        )
        .scalars()
        .all()
    )
    assert [event.event_data for event in events] == [{"method": "oidc"}]

    assert token and resolve_session(session=session, token=token).user_id == user.id


def test_the_same_subject_signs_in_to_the_same_account(api, session):
    login = _login_name()
    first = _session_token(_sign_in(api, login))
    second = _session_token(_sign_in(api, login))
    assert (
        resolve_session(session=session, token=first).user_id == resolve_session(session=session, token=second).user_id
    )
    count = session.execute(select(OAuthIdentity).where(OAuthIdentity.subject == login)).scalars().all()
    assert len(count) == 1


def test_an_existing_account_is_linked_through_a_verified_email(api, session):
    login = _login_name()
    user = make_user(session)
    user.email = f"{login}@example.com"
    session.flush()
    token = _session_token(_sign_in(api, login))
    assert resolve_session(session=session, token=token).user_id == user.id


def test_an_unverified_email_never_takes_over_an_existing_account(api, session):
    login = _login_name("unverified")
    user = make_user(session)
    user.email = f"{login}@example.com"
    session.flush()

    message = _login_error(_sign_in(api, login))
    assert "An account with this email exists" in message
    assert session.execute(select(OAuthIdentity).where(OAuthIdentity.user_id == user.id)).first() is None


def test_cancelling_at_the_provider_goes_back_to_login(api, session):
    assert _login_error(_sign_in(api, _login_name(), cancel=True)) == CANCELLED


def test_a_callback_from_another_browser_is_refused(api, provider, session):
    login = _login_name()
    back = urlsplit(_at_provider(_location(api.get("/auth/oidc/login")), login))
    with TestClient(build_api(_registry(provider)), follow_redirects=False) as stranger:
        assert _login_error(stranger.get(f"{back.path}?{back.query}")) == EXPIRED
    assert session.execute(select(User).where(User.email == f"{login}@example.com")).first() is None


def test_a_tampered_state_is_refused(api, session):
    login = _login_name()
    back = urlsplit(_at_provider(_location(api.get("/auth/oidc/login")), login))
    query = {key: values[0] for key, values in parse_qs(back.query).items()}
    query["state"] = "forged-" + query["state"]
    assert _login_error(api.get(back.path, params=query)) == EXPIRED
    # The genuine state still works once, and only once.
    genuine = api.get(f"{back.path}?{back.query}")
    assert _session_token(genuine)
    assert _login_error(api.get(f"{back.path}?{back.query}")) == EXPIRED


def test_a_replayed_code_with_a_fresh_flow_fails_the_pkce_and_state_checks(api, session):
    login = _login_name()
    back = urlsplit(_at_provider(_location(api.get("/auth/oidc/login")), login))
    code = parse_qs(back.query)["code"][0]
    fresh = urlsplit(_location(api.get("/auth/oidc/login")))  # a new state and verifier in the cookie
    state = parse_qs(fresh.query)["state"][0]
    message = _login_error(api.get(back.path, params={"code": code, "state": state}))
    assert message == f"Sign-in with {LABEL} didn't work. Please try again."


def test_an_unknown_provider_is_a_404(api):
    for path in ("/auth/nope/login", "/auth/nope/callback?code=x&state=y"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json() == {"error": "unknown sign-in provider"}


def test_an_unreachable_provider_sends_the_user_back_with_a_message(provider, session):
    registry = _registry(provider, issuer=f"http://127.0.0.1:{free_port()}")
    with TestClient(build_api(registry), follow_redirects=False) as client:
        message = _login_error(client.get("/auth/oidc/login"))
    assert message == f"{LABEL} is not reachable right now. Please try again later."


def test_github_login_runs_pkce_and_reads_the_verified_primary_email(session):
    """GitHub cannot run here, so its token endpoint and API are mocked at the HTTP client."""
    account_id = int.from_bytes(os.urandom(4), "big")
    email = f"octo-{account_id}@example.com"
    token_requests: list[dict[str, list[str]]] = []

    def github(request):
        if request.url.path == "/login/oauth/access_token":
            token_requests.append(parse_qs(request.content.decode()))
            return authlib_httpx.Response(200, json={"access_token": "gho_test", "token_type": "bearer"})
        assert request.headers["authorization"] == "Bearer gho_test"
        if request.url.path == "/user":
            return authlib_httpx.Response(200, json={"id": account_id, "login": "octo", "name": "Octo Cat"})
        if request.url.path == "/user/emails":
            return authlib_httpx.Response(200, json=[{"email": email, "primary": True, "verified": True}])
        return authlib_httpx.Response(404)

    registry = ProviderRegistry([OAuthProvider("github", "GitHub", "gh-id", "gh-secret")])
    registry.client("github").client_kwargs["transport"] = authlib_httpx.MockTransport(github)
    with TestClient(build_api(registry), follow_redirects=False) as client:
        start = urlsplit(_location(client.get("/auth/github/login")))
        query = parse_qs(start.query)
        assert start.netloc == "github.com" and query["code_challenge_method"] == ["S256"]
        assert "nonce" not in query  # plain OAuth 2: no ID token to carry one
        assert query["redirect_uri"] == [callback_url("github")]
        back = client.get("/auth/github/callback", params={"code": "gh-code", "state": query["state"][0]})
        token = _session_token(back)

    [sent] = token_requests
    verifier = sent["code_verifier"][0]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert challenge == query["code_challenge"][0] and sent["code"] == ["gh-code"]
    user = session.execute(select(User).where(User.email == email)).scalar_one()
    assert resolve_session(session=session, token=token).user_id == user.id
    assert user.email_verified and user.display_name == "Octo Cat"
    identity = session.execute(select(OAuthIdentity).where(OAuthIdentity.user_id == user.id)).scalar_one()
    assert (identity.provider, identity.subject) == ("github", str(account_id))
