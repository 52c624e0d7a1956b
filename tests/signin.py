"""Calling state handlers directly: sign a state in (as the websocket handshake's cookie header would), put it
on a page, run a handler and read what it answered."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
from urllib.parse import parse_qs, urlsplit

from reflex.istate.data import HeaderData, ReflexURL

from speakpro.session_cookie import SESSION_COOKIE

GOOD = "a sturdy passphrase"  # a password every check accepts


def signed_in(state_cls, session, user):
    """A new `state_cls` signed in as `user` (a fresh login session in the database)."""
    from speakpro.services.accounts import sessions

    return sign_in(state_cls(), sessions.create_session(session=session, user_id=user.id))


def sign_in(state, token: str):
    """Give `state` the session cookie `token` (as every event of a signed-in page carries it)."""
    state.router = dataclasses.replace(state.router, headers=HeaderData(cookie=f"{SESSION_COOKIE}={token}"))
    return state


def _dynamic_routes() -> list[re.Pattern]:
    from speakpro import routes

    patterns = []
    for value in vars(routes).values():
        if isinstance(value, str) and value.startswith("/") and "[" in value:
            regex = re.sub(r"\\\[(\w+)\\\]", r"(?P<\1>[^/]+)", re.escape(value))
            patterns.append(re.compile(f"^{regex}/?$"))
    return patterns


def route_params(path: str) -> dict[str, str]:
    """The dynamic arguments of `path` under SpeakPro's routes, as Reflex's frontend sends them."""
    for pattern in _dynamic_routes():
        if match := pattern.match(path):
            return match.groupdict()
    return {}


def at_url(state, url: str):
    """Put `state` on a page URL (its route arguments parsed as Reflex does), keeping its cookie."""
    path = urlsplit(url).path or "/"
    params = {key: values[-1] for key, values in parse_qs(urlsplit(url).query).items()} | route_params(path)
    page = dataclasses.replace(state.rx_router_page, path=path, raw_path=path, params=params)
    state.router = dataclasses.replace(state.router, url=ReflexURL(url), _page=page)
    return state


def token_of(state) -> str:
    """The session token `state` is signed in with ("" when none)."""
    from speakpro.session_cookie import token_from_cookie_header

    return token_from_cookie_header(state.router.headers.cookie)


def handoff_code(state) -> str:
    """The one-time code of the full page load a sign-in ended with ("" when none)."""
    query = parse_qs(urlsplit(state.navigate_to).query)
    return (query.get("code") or [""])[0]


def background(state, name: str):
    """A background event handler of `state`, callable as `run` calls handlers: Reflex refuses a direct call
    of a background task, and its `async with self` is a no-op on a state that is not proxied."""
    return functools.partial(type(state).event_handlers[name].fn, state)


async def run(handler, *args):
    """Call an event handler (plain, coroutine or async generator) and collect what it returns or yields."""
    result = handler(*args)
    out = []
    if inspect.isasyncgen(result):
        async for item in result:
            out.append(item)
    elif inspect.iscoroutine(result):
        out.append(await result)
    else:
        out.append(result)
    flat = []
    for item in out:
        flat.extend(item if isinstance(item, list) else [item])
    return [i for i in flat if i is not None]


def redirects(events) -> list[str]:
    """The paths of the redirect events among `events`."""
    paths = []
    for event in events:
        text = str(event)
        if "_redirect" in text:
            args = dict(getattr(event, "args", ()) or ())
            paths.append(str(args.get("path", text)) if args else text)
    return paths
