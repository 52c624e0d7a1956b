"""OpenID Connect / OAuth login over plain HTTP routes on the Reflex backend.

`GET /auth/{provider}/login` sends the browser to the provider (authorization code flow, PKCE S256, state,
and a nonce for OpenID providers; authlib keeps them in a short-lived signed cookie scoped to `/auth`).
`GET /auth/{provider}/callback` checks all of that, finds or creates the account, starts its session, sets
the HttpOnly session cookie (`session_cookie.py`) and sends the browser to the frontend's home page.
Every failure lands on `/login?error=...` with a short message; tokens never reach a URL or a log line.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from urllib.parse import urlencode, urlsplit

from authlib.integrations.base_client.errors import MismatchingStateError
from authlib.integrations.starlette_client import OAuthError
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from speakpro import routes
from speakpro.db import SYSTEM, session_scope, use_context
from speakpro.integrations.oauth import Identity, ProviderRegistry, get_registry
from speakpro.services.accounts.accounts import login_with_identity
from speakpro.services.accounts.sessions import create_session
from speakpro.services.telemetry import record_event
from speakpro.services.validation import ValidationError
from speakpro.session_cookie import set_session_cookie
from speakpro.settings import Settings, settings
from speakpro.urls import backend_url, frontend_url

log = logging.getLogger(__name__)

LOGIN_PATH = "/auth/{provider}/login"  # = routes.oauth_login(provider), which the login page links to
CALLBACK_PATH = "/auth/{provider}/callback"
FLOW_COOKIE = "speakpro_oauth"
SESSION_MAX_AGE = 600  # seconds a user may spend at the provider before the flow's state expires

CANCELLED = "Sign-in was cancelled."
EXPIRED = "Your sign-in expired or was started in another window. Please try again."
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def login_path(provider: str) -> str:
    """The backend path that starts a login with a provider (the login page links to api_url + this)."""
    return routes.oauth_login(provider)


def callback_url(provider: str) -> str:
    """The redirect_uri registered with a provider: `{api_url}/auth/{provider}/callback`."""
    return backend_url() + CALLBACK_PATH.format(provider=provider)


def _session_key(secret_key: str) -> str:
    # A key derived for this one purpose, so the flow cookie's signatures never double as session-token hashes.
    return hmac.new(secret_key.encode(), b"speakpro.oauth-flow-cookie", hashlib.sha256).hexdigest()


def session_middleware(current: Settings | None = None) -> Middleware:
    """The signed cookie in which authlib keeps state, nonce and PKCE verifier between login and callback.

    Lax, so the provider's top-level redirect back carries it; HttpOnly; Secure when the backend is on
    https; scoped to the auth routes and short-lived, since it only has to outlive one sign-in.
    """
    current = current or settings
    return Middleware(
        SessionMiddleware,
        secret_key=_session_key(current.secret_key),
        session_cookie=FLOW_COOKIE,
        max_age=SESSION_MAX_AGE,
        path=urlsplit(current.api_url).path.rstrip("/") + "/auth",
        same_site="lax",
        https_only=current.api_url.startswith("https://"),
    )


def _to_login(message: str) -> RedirectResponse:
    url = f"{frontend_url()}{routes.LOGIN}?{urlencode({'error': message})}"
    return RedirectResponse(url, status_code=303, headers=PRIVATE_HEADERS)


def _unknown_provider() -> JSONResponse:
    return JSONResponse({"error": "unknown sign-in provider"}, status_code=404, headers=PRIVATE_HEADERS)


def _loggable(code: str | None) -> str:
    # The error code comes from the query string: keep it to a short token so it cannot forge log lines.
    return re.sub(r"[^A-Za-z0-9_.-]", "", code or "")[:40] or "unknown"


def _failed(label: str) -> str:
    return f"Sign-in with {label} didn't work. Please try again."


def client_address(request: Request) -> str:
    """The browser's address: the connection's peer, or, behind `TRUSTED_PROXY_HOPS` proxies, the address
    the outermost trusted one saw (the same rule Reflex applies to events)."""
    address = request.client.host if request.client else "0.0.0.0"  # noqa: S104 - a label, not a bind
    hops = settings.trusted_proxy_hops
    forwarded = [part.strip() for part in request.headers.get("x-forwarded-for", "").split(",") if part.strip()]
    return forwarded[-hops] if hops and len(forwarded) >= hops else address


def _complete_login(identity: Identity, user_agent: str, client: str) -> str:
    """Find or create the account, record the login, and start its session (one transaction)."""
    with use_context(SYSTEM), session_scope() as session:  # nobody is signed in yet
        user = login_with_identity(
            session=session,
            provider=identity.provider,
            subject=identity.subject,
            email=identity.email,
            email_verified=identity.email_verified,
            name=identity.name,
            client=client,
        )
        record_event(session=session, event_type="login", user_id=user.id, data={"method": identity.provider})
        return create_session(session=session, user_id=user.id, user_agent=user_agent[:300])


def auth_routes(registry: ProviderRegistry | None = None) -> list[Route]:
    """The login and callback routes.

    Args:
        registry: The providers to serve; the ones configured in `settings` when omitted.

    Returns:
        Routes to add to the backend's Starlette app (which must also use `session_middleware()`).
    """

    def providers() -> ProviderRegistry:
        return registry if registry is not None else get_registry()

    async def login(request: Request) -> Response:
        name = request.path_params["provider"]
        client, provider = providers().client(name), providers().provider(name)
        if client is None or provider is None:
            return _unknown_provider()
        label = provider.label
        try:
            response = await client.authorize_redirect(request, callback_url(name))
        except Exception as error:  # noqa: BLE001 - discovery or network trouble must not become a 500
            log.warning("oauth login could not start for %s: %s", name, type(error).__name__)
            return _to_login(f"{label} is not reachable right now. Please try again later.")
        response.headers.update(PRIVATE_HEADERS)
        return response

    async def callback(request: Request) -> Response:
        name = request.path_params["provider"]
        registry_now = providers()
        client, provider = registry_now.client(name), registry_now.provider(name)
        if client is None or provider is None:
            return _unknown_provider()
        label = provider.label
        try:
            token = await client.authorize_access_token(request, claims_options=registry_now.claims_options(name))
            identity = await registry_now.fetch_identity(name, token)
        except MismatchingStateError:
            log.info("oauth callback for %s: state missing or mismatched", name)
            return _to_login(EXPIRED)
        except OAuthError as error:
            # Only the error code is logged: descriptions come from outside and tokens must never be logged.
            log.info("oauth callback for %s failed: %s", name, _loggable(error.error or type(error).__name__))
            return _to_login(CANCELLED if error.error == "access_denied" else _failed(label))
        except Exception as error:  # noqa: BLE001 - bad ID token, network, malformed answer: never a traceback
            log.warning("oauth callback for %s failed: %s", name, type(error).__name__)
            return _to_login(_failed(label))
        try:
            token = await run_in_threadpool(
                _complete_login, identity, request.headers.get("user-agent", ""), client_address(request)
            )
        except ValidationError as error:
            log.info("oauth login for %s refused (%s)", name, error.field)
            return _to_login(error.message)
        except Exception as error:  # noqa: BLE001
            log.exception("oauth login for %s could not be completed: %s", name, type(error).__name__)
            return _to_login(_failed(label))
        response = RedirectResponse(f"{frontend_url()}{routes.HOME}", status_code=303, headers=PRIVATE_HEADERS)
        set_session_cookie(response, token)
        return response

    return [
        Route(LOGIN_PATH, login, methods=["GET"], name="oauth_login"),
        Route(CALLBACK_PATH, callback, methods=["GET"], name="oauth_callback"),
    ]
