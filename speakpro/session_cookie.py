"""The login session cookie: HttpOnly, set and cleared only by backend HTTP responses.

Page scripts can neither read nor write it, and it is never a state var: the backend reads it from the
request, the websocket handshake included (Reflex hands the handshake's headers to every event as
`router.headers`, and never sends the cookie header to the browser). A sign-in therefore ends with a full page
load through `GET /auth/session?code=...`, which trades a one-time, two-minute hand-off code
(`services.accounts.sessions.create_handoff`) for a new session and sets the cookie; the new page's websocket carries
it. `GET /auth/signed-out` clears it after the session was revoked on the server.
"""

from __future__ import annotations

import logging
import secrets
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from speakpro import routes
from speakpro.db import SYSTEM, DatabaseUnavailable, session_scope, use_context
from speakpro.services.accounts.sessions import ABSOLUTE_LIFETIME, redeem_handoff
from speakpro.settings import settings
from speakpro.urls import frontend_url, safe_next

log = logging.getLogger(__name__)

SESSION_COOKIE = "speakpro_session"
SESSION_START = "/auth/session"
SIGNED_OUT = "/auth/signed-out"
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
EXPIRED = "That sign-in link has expired or was already used. Please sign in again."


def token_from_cookie_header(header: str | None) -> str:
    """The session token in a `Cookie` request header ("" when absent or unparseable)."""
    if not header or len(header) > 8192:
        return ""
    try:
        jar = SimpleCookie()
        jar.load(header)
    except CookieError:
        return ""
    morsel = jar.get(SESSION_COOKIE)
    return morsel.value if morsel is not None and len(morsel.value) <= 200 else ""


def session_start_path(code: str, next_path: str | None = None) -> str:
    """Where the browser goes to turn a hand-off code into the session cookie."""
    query = {"code": code}
    if next_path:
        query["next"] = safe_next(next_path)
    return f"{SESSION_START}?{urlencode(query)}"


def signed_out_path(next_path: str = routes.LOGIN) -> str:
    """Where the browser goes after a logout, to drop the cookie (unique, so each logout is followed once)."""
    return f"{SIGNED_OUT}?{urlencode({'next': safe_next(next_path), 'n': secrets.token_hex(4)})}"


def _secure() -> bool:
    return frontend_url().startswith("https://") or settings.app_url.startswith("https://")


def set_session_cookie(response: Response, token: str) -> None:
    """Attach the session cookie (HttpOnly, SameSite=Lax, Secure on https, 30 days) to a response."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(ABSOLUTE_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(),
    )


def clear_session_cookie(response: Response) -> None:
    """Tell the browser to forget the session cookie."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=_secure())


def _redeem(code: str, user_agent: str) -> str | None:
    with use_context(SYSTEM), session_scope() as session:  # the code is the credential
        return redeem_handoff(session=session, code=code, user_agent=user_agent)


async def start_session(request: Request) -> Response:
    """`GET /auth/session?code=&next=`: set the cookie of a new session, then open the page."""
    code = request.query_params.get("code", "")[:200]
    user_agent = request.headers.get("user-agent", "")[:300]
    try:
        token = await run_in_threadpool(_redeem, code, user_agent)
    except DatabaseUnavailable as error:
        target = f"{frontend_url()}{routes.LOGIN}?{urlencode({'error': error.message})}"
        return RedirectResponse(target, status_code=303, headers=PRIVATE_HEADERS)
    if token is None:
        target = f"{frontend_url()}{routes.LOGIN}?{urlencode({'error': EXPIRED})}"
        return RedirectResponse(target, status_code=303, headers=PRIVATE_HEADERS)
    target = safe_next(request.query_params.get("next"))
    response = RedirectResponse(frontend_url() + target, status_code=303, headers=PRIVATE_HEADERS)
    set_session_cookie(response, token)
    return response


async def signed_out(request: Request) -> Response:
    """`GET /auth/signed-out?next=`: drop the cookie (the session was already revoked) and open the page."""
    target = safe_next(request.query_params.get("next") or routes.LOGIN)
    response = RedirectResponse(frontend_url() + target, status_code=303, headers=PRIVATE_HEADERS)
    clear_session_cookie(response)
    return response


def session_routes() -> list[Route]:
    """The two cookie routes."""
    return [
        Route(SESSION_START, start_session, methods=["GET"]),
        Route(SIGNED_OUT, signed_out, methods=["GET"]),
    ]
