"""Sign a directly-called state in, as the websocket handshake's cookie header would."""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qs, urlsplit

from reflex.istate.data import HeaderData, ReflexURL

from speakpro.session_cookie import SESSION_COOKIE


def sign_in(state, token: str):
    """Give `state` the session cookie `token` (as every event of a signed-in page carries it)."""
    state.router = dataclasses.replace(state.router, headers=HeaderData(cookie=f"{SESSION_COOKIE}={token}"))
    return state


def at_url(state, url: str):
    """Put `state` on a page URL, keeping its cookie."""
    state.router = dataclasses.replace(state.router, url=ReflexURL(url))
    return state


def token_of(state) -> str:
    """The session token `state` is signed in with ("" when none)."""
    from speakpro.session_cookie import token_from_cookie_header

    return token_from_cookie_header(state.router.headers.cookie)


def handoff_code(state) -> str:
    """The one-time code of the full page load a sign-in ended with ("" when none)."""
    query = parse_qs(urlsplit(state.navigate_to).query)
    return (query.get("code") or [""])[0]
