"""Sign-in providers come from the environment: only configured ones appear, each set up for PKCE."""

from __future__ import annotations

import asyncio

import pytest

from speakpro.auth_routes import login_path
from speakpro.integrations.oauth import (
    IdentityError,
    ProviderRegistry,
    configured_providers,
    github_identity,
    oidc_identity,
)
from speakpro.settings import SettingsError, load_settings

try:  # authlib's HTTP client is httpx2 when installed, else httpx; mock whichever it uses.
    import httpx2 as httpx
except ImportError:  # pragma: no cover
    import httpx

GITHUB = {"GITHUB_CLIENT_ID": "gh-id", "GITHUB_CLIENT_SECRET": "gh-secret"}
GOOGLE = {"GOOGLE_CLIENT_ID": "g-id.apps.googleusercontent.com", "GOOGLE_CLIENT_SECRET": "g-secret"}
OIDC = {
    "OIDC_ISSUER": "https://sso.example.com/realms/acme/",
    "OIDC_CLIENT_ID": "speakpro",
    "OIDC_CLIENT_SECRET": "oidc-secret",
    "OIDC_NAME": "Acme SSO",
}


def _settings(tmp_path, **env):
    return load_settings({"SECRET_KEY": "k" * 40, "SPEAKPRO_DATA_DIR": str(tmp_path), **env})


def test_no_provider_is_offered_when_none_is_configured(tmp_path):
    current = _settings(tmp_path)
    assert configured_providers(current) == ()
    registry = ProviderRegistry(configured_providers(current))
    assert registry.names == ()
    assert registry.client("github") is None and registry.client("oidc") is None


def test_each_provider_appears_only_when_its_credentials_are_set(tmp_path):
    assert [p.name for p in configured_providers(_settings(tmp_path, **GITHUB))] == ["github"]
    assert [p.name for p in configured_providers(_settings(tmp_path, **GOOGLE))] == ["google"]
    assert [p.name for p in configured_providers(_settings(tmp_path, **OIDC))] == ["oidc"]
    everything = configured_providers(_settings(tmp_path, **GITHUB, **GOOGLE, **OIDC))
    assert [(p.name, p.label) for p in everything] == [("github", "GitHub"), ("google", "Google"), ("oidc", "Acme SSO")]


def test_a_half_configured_preset_stops_start_up(tmp_path):
    with pytest.raises(SettingsError, match="GITHUB_CLIENT_SECRET"):
        _settings(tmp_path, GITHUB_CLIENT_ID="gh-id")
    with pytest.raises(SettingsError, match="OIDC_CLIENT_ID"):
        _settings(tmp_path, OIDC_ISSUER="https://sso.example.com")


def test_openid_providers_use_discovery_and_github_uses_its_fixed_endpoints(tmp_path):
    registry = ProviderRegistry(configured_providers(_settings(tmp_path, **GITHUB, **GOOGLE, **OIDC)))
    assert registry.names == ("github", "google", "oidc")

    google, oidc, github = registry.client("google"), registry.client("oidc"), registry.client("github")
    assert google._server_metadata_url == "https://accounts.google.com/.well-known/openid-configuration"
    assert oidc._server_metadata_url == "https://sso.example.com/realms/acme/.well-known/openid-configuration"
    assert github.authorize_url == "https://github.com/login/oauth/authorize"
    assert github.access_token_url == "https://github.com/login/oauth/access_token"
    for client in (google, oidc, github):
        assert client.client_kwargs["code_challenge_method"] == "S256"
    assert "openid" in oidc.client_kwargs["scope"].split() and "openid" in google.client_kwargs["scope"].split()
    assert github.client_kwargs["scope"] == "read:user user:email"
    assert (oidc.client_id, oidc.client_secret) == ("speakpro", "oidc-secret")


def test_a_public_oidc_client_authenticates_with_pkce_only(tmp_path):
    env = {**OIDC, "OIDC_CLIENT_SECRET": ""}
    registry = ProviderRegistry(configured_providers(_settings(tmp_path, **env)))
    assert registry.client("oidc").client_kwargs["token_endpoint_auth_method"] == "none"
    assert configured_providers(_settings(tmp_path, **env))[0].label == "Acme SSO"
    assert configured_providers(_settings(tmp_path, **{**env, "OIDC_NAME": ""}))[0].label == "Single sign-on"


def test_id_tokens_must_come_from_the_configured_issuer(tmp_path):
    registry = ProviderRegistry(configured_providers(_settings(tmp_path, **GITHUB, **GOOGLE, **OIDC)))
    assert registry.claims_options("github") is None
    assert registry.claims_options("oidc")["iss"]["values"] == [
        "https://sso.example.com/realms/acme",
        "https://sso.example.com/realms/acme/",
    ]
    assert "accounts.google.com" in registry.claims_options("google")["iss"]["values"]


def test_the_login_link_of_a_provider():
    assert login_path("oidc") == "/auth/oidc/login"


def test_openid_claims_are_normalised():
    identity = oidc_identity(
        "oidc",
        {
            "sub": "abc",
            "email": " Ada@Example.com ",
            "email_verified": "true",
            "given_name": "Ada",
            "family_name": "Lovelace",
        },
    )
    assert (identity.subject, identity.email, identity.email_verified, identity.name) == (
        "abc",
        "Ada@Example.com",
        True,
        "Ada Lovelace",
    )
    assert oidc_identity("oidc", {"sub": "abc", "email_verified": 1}).email_verified is False
    assert oidc_identity("oidc", {"sub": 42}).email is None
    with pytest.raises(IdentityError):
        oidc_identity("oidc", {"email": "a@example.com", "email_verified": True})


def test_github_trusts_only_the_verified_primary_email():
    user = {"id": 583231, "login": "octocat", "name": "", "email": "public@example.com"}
    emails = [
        {"email": "old@example.com", "primary": False, "verified": True},
        {"email": "octo@example.com", "primary": True, "verified": True},
    ]
    identity = github_identity(user, emails)
    assert (identity.subject, identity.email, identity.email_verified, identity.name) == (
        "583231",
        "octo@example.com",
        True,
        "octocat",
    )
    unverified = [{"email": "octo@example.com", "primary": True, "verified": False}]
    assert github_identity(user, unverified).email_verified is False
    # Without /user/emails the public profile email is used, never as verified.
    fallback = github_identity(user, [])
    assert (fallback.email, fallback.email_verified) == ("public@example.com", False)
    with pytest.raises(IdentityError):
        github_identity({"login": "octocat"}, emails)


def test_github_identity_is_read_from_the_user_api(tmp_path):
    registry = ProviderRegistry(configured_providers(_settings(tmp_path, **GITHUB)))
    seen: list[tuple[str, str]] = []

    def github(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers.get("authorization", "")))
        if request.url.path == "/user":
            return httpx.Response(200, json={"id": 1, "login": "mona", "name": "Mona Lisa"})
        if request.url.path == "/user/emails":
            return httpx.Response(200, json=[{"email": "mona@example.com", "primary": True, "verified": True}])
        return httpx.Response(404)

    registry.client("github").client_kwargs["transport"] = httpx.MockTransport(github)
    identity = asyncio.run(registry.fetch_identity("github", {"access_token": "gho_x", "token_type": "bearer"}))
    assert identity.subject == "1" and identity.email == "mona@example.com" and identity.email_verified
    assert identity.name == "Mona Lisa"
    assert seen == [("/user", "Bearer gho_x"), ("/user/emails", "Bearer gho_x")]


def test_github_without_the_emails_scope_still_identifies_the_user(tmp_path):
    registry = ProviderRegistry(configured_providers(_settings(tmp_path, **GITHUB)))

    def github(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/user":
            return httpx.Response(200, json={"id": 7, "login": "mona", "email": "mona@example.com"})
        return httpx.Response(403, json={"message": "Resource not accessible"})

    registry.client("github").client_kwargs["transport"] = httpx.MockTransport(github)
    identity = asyncio.run(registry.fetch_identity("github", {"access_token": "gho_x", "token_type": "bearer"}))
    assert (identity.subject, identity.email, identity.email_verified) == ("7", "mona@example.com", False)
