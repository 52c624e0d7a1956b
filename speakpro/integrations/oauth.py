"""OpenID Connect / OAuth providers configured by the environment, and what they say about a user.

Three kinds are supported: a generic OpenID Connect issuer (`OIDC_*`, found by discovery), Google (OpenID
Connect, discovery at accounts.google.com) and GitHub (plain OAuth 2: the user API plus `/user/emails`).
Every provider runs the authorization code flow with PKCE (S256) and a `state`; OpenID providers also get
a `nonce`, checked in the signed ID token. What comes back is normalised into an `Identity` keyed on the
provider's stable subject, never on the email (which can change or be reassigned).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from authlib.integrations.starlette_client import OAuth, OAuthError, StarletteOAuth2App

from speakpro.settings import OAuthProvider, Settings, settings

GOOGLE_ISSUER = "https://accounts.google.com"
GITHUB_AUTHORIZE_URL = "https://github.com/login/oauth/authorize"
GITHUB_TOKEN_URL = "https://github.com/login/oauth/access_token"  # noqa: S105 - a URL, not a secret
GITHUB_API_URL = "https://api.github.com/"
HTTP_TIMEOUT_SECONDS = 10.0

# authlib logs the PKCE verifier at DEBUG: keep it out of the logs even when LOG_LEVEL=debug.
logging.getLogger("authlib").setLevel(logging.INFO)


class IdentityError(OAuthError):
    """The provider answered, but not with a usable identity (no ID token, mismatching subject, ...)."""

    def __init__(self, description: str):
        super().__init__(error="invalid_identity", description=description)


@dataclass(frozen=True)
class Identity:
    """Who the provider says the user is, in the shape `accounts.login_with_identity` takes."""

    provider: str
    subject: str
    email: str | None
    email_verified: bool
    name: str


def configured_providers(current: Settings | None = None) -> tuple[OAuthProvider, ...]:
    """The providers this instance offers, in the order the login page shows them.

    Args:
        current: Settings to read; the process settings when omitted.

    Returns:
        One entry per provider whose credentials are set (none when no variable is set).
    """
    return (current or settings).oauth_providers


def is_openid(provider: OAuthProvider) -> bool:
    """Whether the provider speaks OpenID Connect (signed ID token, nonce) rather than plain OAuth 2."""
    return provider.name != "github"


def discovery_url(issuer: str) -> str:
    """The OpenID discovery document of an issuer."""
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def _issuer_of(provider: OAuthProvider) -> str:
    return GOOGLE_ISSUER if provider.name == "google" else (provider.issuer or "")


def _client_kwargs(provider: OAuthProvider, scope: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"scope": scope, "code_challenge_method": "S256", "timeout": HTTP_TIMEOUT_SECONDS}
    if not provider.client_secret:
        # OIDC_CLIENT_SECRET may be empty for a public client; PKCE then carries the whole proof.
        kwargs["token_endpoint_auth_method"] = "none"
    return kwargs


class ProviderRegistry:
    """The authlib clients of a set of providers, by name."""

    def __init__(self, providers: Iterable[OAuthProvider]):
        self._oauth = OAuth()
        self._providers: dict[str, OAuthProvider] = {}
        for provider in providers:
            self._providers[provider.name] = provider
            if provider.name == "github":
                self._oauth.register(
                    provider.name,
                    client_id=provider.client_id,
                    client_secret=provider.client_secret,
                    authorize_url=GITHUB_AUTHORIZE_URL,
                    access_token_url=GITHUB_TOKEN_URL,
                    api_base_url=GITHUB_API_URL,
                    client_kwargs=_client_kwargs(provider, "read:user user:email"),
                )
            else:
                self._oauth.register(
                    provider.name,
                    client_id=provider.client_id,
                    client_secret=provider.client_secret,
                    server_metadata_url=discovery_url(_issuer_of(provider)),
                    client_kwargs=_client_kwargs(provider, "openid email profile"),
                )

    @property
    def names(self) -> tuple[str, ...]:
        """The names of the registered providers."""
        return tuple(self._providers)

    def provider(self, name: str) -> OAuthProvider | None:
        """The configured provider of that name, or None."""
        return self._providers.get(name)

    def client(self, name: str) -> StarletteOAuth2App | None:
        """The authlib client of that provider, or None when it is not configured."""
        if name not in self._providers:
            return None
        return self._oauth.create_client(name)

    def claims_options(self, name: str) -> dict[str, Any] | None:
        """How to check the ID token's issuer, or None for a provider without ID tokens.

        The issuer must be the one configured, not merely whatever the discovery document claims; a
        trailing slash is tolerated because `settings` strips it from OIDC_ISSUER.
        """
        provider = self._providers[name]
        if not is_openid(provider):
            return None
        issuer = _issuer_of(provider).rstrip("/")
        values = [issuer, issuer + "/"]
        if provider.name == "google":
            # Google documents both forms for the `iss` of its ID tokens.
            values.append("accounts.google.com")
        return {"iss": {"essential": True, "values": values}}

    async def fetch_identity(self, name: str, token: Mapping[str, Any]) -> Identity:
        """Ask the provider who the user behind a freshly issued token is.

        Args:
            name: The provider's name.
            token: What `authorize_access_token` returned (with `userinfo`: the checked ID token claims).

        Returns:
            The normalised identity.

        Raises:
            IdentityError: When the answer does not identify a user.
            OAuthError: When the provider refuses; the HTTP client raises its own errors when it cannot be reached.
        """
        provider = self._providers[name]
        client = self.client(name)
        assert client is not None
        if not is_openid(provider):
            user = await _get_json(client, "user", token)
            try:
                emails = await _get_json(client, "user/emails", token)
            except Exception:  # noqa: BLE001 - without the emails scope GitHub still identifies the user
                emails = []
            return github_identity(user, emails)
        id_claims = token.get("userinfo")
        if not id_claims:
            # authlib only checks an ID token that is present; an OpenID login without one proves nothing.
            raise IdentityError("the provider returned no ID token")
        claims = dict(id_claims)
        if not claims.get("email"):
            # Providers that conform ID token claims (node-oidc-provider, Okta) put email and name in
            # userinfo; the ID token's subject stays the authority.
            metadata = await client.load_server_metadata()
            if metadata.get("userinfo_endpoint"):
                userinfo = await client.userinfo(token=dict(token))
                if str(userinfo.get("sub", "")) != str(claims.get("sub", "")):
                    raise IdentityError("userinfo and ID token name different subjects")
                claims = {**dict(userinfo), **{k: v for k, v in claims.items() if v not in (None, "")}}
        return oidc_identity(name, claims)


async def _get_json(client: StarletteOAuth2App, path: str, token: Mapping[str, Any]) -> Any:
    response = await client.get(path, token=dict(token), headers={"Accept": "application/vnd.github+json"})
    response.raise_for_status()
    return response.json()


def _truthy(value: Any) -> bool:
    # Some providers (e.g. Cognito) send email_verified as the string "true".
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return value is True


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def oidc_identity(provider: str, claims: Mapping[str, Any]) -> Identity:
    """Normalise OpenID claims (checked ID token merged with userinfo).

    Args:
        provider: The provider's name.
        claims: The claims; `sub` is required, `email`, `email_verified` and `name` are used when present.

    Returns:
        The identity.

    Raises:
        IdentityError: When there is no subject.
    """
    subject = claims.get("sub")
    if subject is None or not str(subject).strip():
        raise IdentityError("the ID token has no subject")
    name = (
        _text(claims.get("name"))
        or " ".join(part for part in (_text(claims.get("given_name")), _text(claims.get("family_name"))) if part)
        or _text(claims.get("preferred_username"))
    )
    return Identity(
        provider=provider,
        subject=str(subject).strip(),
        email=_text(claims.get("email")) or None,
        email_verified=_truthy(claims.get("email_verified")),
        name=name,
    )


def github_identity(user: Mapping[str, Any], emails: Any) -> Identity:
    """Normalise GitHub's `/user` and `/user/emails` answers.

    The subject is the numeric account id (a login name can be renamed and reused). The email is the
    primary address, verified only when GitHub says so; the public profile email is never treated as
    verified.

    Args:
        user: The `/user` JSON.
        emails: The `/user/emails` JSON (a list), or an empty list when it could not be read.

    Returns:
        The identity.

    Raises:
        IdentityError: When the user has no id.
    """
    account_id = user.get("id") if isinstance(user, Mapping) else None
    if account_id is None or isinstance(account_id, bool) or not str(account_id).strip():
        raise IdentityError("GitHub returned no account id")
    entries = emails if isinstance(emails, list) else []
    primary = next((e for e in entries if isinstance(e, Mapping) and e.get("primary") and _text(e.get("email"))), None)
    if primary is not None:
        email, verified = _text(primary.get("email")), primary.get("verified") is True
    else:
        email, verified = _text(user.get("email")), False
    return Identity(
        provider="github",
        subject=str(account_id),
        email=email or None,
        email_verified=verified,
        name=_text(user.get("name")) or _text(user.get("login")),
    )


_registry: ProviderRegistry | None = None


def get_registry() -> ProviderRegistry:
    """The process-wide registry of the providers in `settings` (built on first use)."""
    global _registry
    if _registry is None:
        _registry = ProviderRegistry(configured_providers())
    return _registry
