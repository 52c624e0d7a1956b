"""The base state of every signed-in page: who the viewer is, and the guards.

Page states subclass `AuthState`. The session token is never a state var: it lives in the HttpOnly cookie
(`session_cookie.py`) and every handler reads it from the websocket handshake's headers, so a state lost to a
restart, a new worker or a flushed Redis still knows who is asking. Guards run on every page load and every
privileged handler resolves the token against the database again, so a revoked session or a disabled user
stops at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import quote

import reflex as rx
from sqlmodel import Session

from speakpro import routes
from speakpro.db import (
    NOBODY,
    SYSTEM,
    DatabaseUnavailable,
    DbContext,
    enter_context,
    run_db_call,
    session_scope,
    set_context,
    use_context,
)
from speakpro.services.accounts.sessions import Viewer, resolve_session, revoke_session, viewer_context
from speakpro.services.validation import storable
from speakpro.session_cookie import signed_out_path, token_from_cookie_header
from speakpro.state.edge import Answered, CheckedSetvar, accepts

log = logging.getLogger(__name__)
T = TypeVar("T")
U = TypeVar("U")
V = TypeVar("V")

_NOT_ONBOARDED = object()
# What a page asks the browser for its own time zone (`rx.call_script`): an IANA name such as "Europe/Paris".
DEVICE_TIME_ZONE = "Intl.DateTimeFormat().resolvedOptions().timeZone"


def no_work(session: Session, viewer: Viewer) -> None:
    """For `AuthState._signed_in` when a handler needs only the viewer."""


async def run_db(work: Callable[..., T], *args: Any, context: DbContext | None = None) -> T:
    """Run blocking database work off the event loop, in its own committed session.

    It runs as this event's viewer (set by `AuthState._viewer`), or as `context` when given (the system's,
    for work that must happen before anyone is signed in, such as checking a password).
    """

    def call() -> T:
        if context is None:
            with session_scope() as session:
                return work(session, *args)
        with use_context(context), session_scope() as session:
            return work(session, *args)

    return await run_db_call(call)


class AuthState(CheckedSetvar, rx.State):
    """Who is signed in, as far as the page needs to know."""

    signed_in: bool = False
    viewer_name: str = ""
    viewer_email: str = ""
    viewer_is_admin: bool = False
    viewer_role: str = ""
    viewer_company_name: str = ""
    viewer_company_slug: str = ""
    # A backend path the page loads in full (`components/navigation.py`): sign-in and sign-out end there.
    navigate_to: str = ""
    # The database could not be reached when this page asked who is signed in: the frame shows a notice
    # instead of the page, so no number that was not read is shown.
    db_unavailable: bool = False

    def _token(self) -> str:
        """The session token from the HttpOnly cookie of this connection's handshake ("" when none)."""
        return token_from_cookie_header(self.router.headers.cookie)

    def _route_arg(self, name: str, max_chars: int = 64) -> str:
        """A dynamic segment of this page's route, as Reflex parsed it for its route vars (`routes.LESSON`
        is `/lesson/[lesson_ref]`: `_route_arg("lesson_ref")`); "" when absent or not storable text (it
        comes from the browser's address bar)."""
        value = self.rx_router_page.params.get(name, "")
        return value[:max_chars] if isinstance(value, str) and storable(value) else ""

    def _assign(self, **values: Any) -> None:
        """Set the vars whose value changed. Reflex sends every var an event assigned, equal or not: a page
        that reloads what it shows (home, the dashboard) would otherwise serialise and send it all again."""
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    def _set_viewer(self, viewer: Viewer | None) -> None:
        self._assign(
            signed_in=viewer is not None,
            viewer_name=viewer.display_name if viewer else "",
            viewer_email=viewer.email if viewer else "",
            viewer_is_admin=viewer.is_admin if viewer else False,
            viewer_role=viewer.role if viewer else "",
            viewer_company_name=viewer.company_name if viewer else "",
            viewer_company_slug=viewer.company_slug if viewer else "",
        )

    def _show_member(self, member: Viewer) -> None:
        """The navigation, and the rest of this event's database work, as the viewer who just joined a company."""
        set_context(viewer_context(member))
        self._set_viewer(member)

    async def _viewer(self) -> Viewer | None:
        """Resolve the cookie's token against the database (every call: revocation is immediate)."""
        self._assign(navigate_to="")  # a page that asks who is signed in has finished any sign-in navigation
        token = self._token()
        if not token:
            set_context(viewer_context(None))
            self._set_viewer(None)
            return None
        try:
            viewer = await run_db(lambda s: resolve_session(session=s, token=token))
        except DatabaseUnavailable:
            self.db_unavailable = True
            raise
        self._assign(db_unavailable=False)
        # The rest of this event's database work runs as this viewer (Row-Level Security, migration 0009).
        set_context(viewer_context(viewer))
        self._set_viewer(viewer)
        return viewer

    def _login_redirect(self):
        path = self.router.url.path or routes.HOME
        # The address comes from the browser: one that cannot be encoded is not worth coming back to.
        return rx.redirect(f"{routes.LOGIN}?next={quote(path if storable(path) else routes.HOME)}")

    async def _signed_in(self, work: Callable[[Session, Viewer], T], *, onboarded: bool = True) -> tuple[Viewer, T]:
        """The guard of every signed-in handler: resolve the cookie's session and run `work(session, viewer)`
        as that viewer, in one transaction (one thread hop, one commit).

        Returns the viewer (never None) and what `work` returned. Otherwise the handler ends here with its
        answer (`Answered`, sent by `@accepts`): the redirect to login for no or a revoked session, the
        redirect to onboarding when `onboarded` and the viewer has not finished it (`work` does not run), or
        the calm toast when the database does not answer (the frame then shows its notice instead of the
        page). Errors that `work` raises (a `ValidationError`) reach the handler, with nothing committed.
        """
        self._assign(navigate_to="")  # a page that asks who is signed in has finished any sign-in navigation
        token = self._token()

        resolved: list[Viewer] = []

        def call(session: Session) -> Any:
            viewer = resolve_session(session=session, token=token)
            if viewer is None:
                return None
            resolved.append(viewer)
            if onboarded and not viewer.onboarding_completed:
                return _NOT_ONBOARDED
            # The rest of this transaction runs as this viewer (Row-Level Security, migration 0009).
            enter_context(session, viewer_context(viewer))
            return work(session, viewer)

        try:
            value = await run_db(call, context=NOBODY) if token else None
        except DatabaseUnavailable as error:
            self.db_unavailable = True
            raise Answered(rx.toast.error(error.message, id="database-unavailable")) from None
        finally:
            # Later database work of this event runs as this viewer, and the page shows who is signed in,
            # also after `work` raised (a not-found page keeps its signed-in navigation).
            viewer = resolved[0] if resolved else None
            set_context(viewer_context(viewer))
            if viewer is not None:
                self._set_viewer(viewer)
        self._assign(db_unavailable=False)
        if viewer is None:
            self._set_viewer(None)
            raise Answered(self._login_redirect())
        if value is _NOT_ONBOARDED:
            raise Answered(rx.redirect(routes.ONBOARDING))
        return viewer, cast(T, value)

    async def _signed_in_around(
        self,
        prepare: Callable[[Session, Viewer], T],
        call: Callable[[T], U],
        store: Callable[[Session, Viewer, T, U], V],
    ) -> tuple[Viewer, V]:
        """The guard of a background event that waits on something slow (the AI coach), in three steps:
        `prepare(session, viewer)` as `_signed_in` work, under the state lock; `call(prepared)` in a thread
        with no transaction, row lock or state lock held; `store(session, viewer, prepared, called)` in a
        second transaction as that viewer, which must check again what may have changed meanwhile.

        Returns the viewer and what `store` returned. Raises `Answered` (with the state lock released) like
        `_signed_in`, and what `prepare` and `store` raise (a `ValidationError`, `DatabaseUnavailable`).
        """
        async with self:
            try:
                signed: tuple[Viewer, T] | Answered = await self._signed_in(prepare)
            except Answered as answered:
                signed = answered
        if isinstance(signed, Answered):
            raise signed
        viewer, prepared = signed
        called = await asyncio.to_thread(call, prepared)
        return viewer, await run_db(lambda s: store(s, viewer, prepared, called))

    @rx.event
    @accepts()
    async def check_session(self):
        """For public pages: show the signed-in navigation when there is a valid session."""
        await self._viewer()

    @rx.event
    @accepts()
    async def logout(self):
        """End this session on the server, then let the backend drop the cookie and open the login page."""
        token = self._token()
        if token:
            # The token is the credential: revoking it needs no signed-in viewer.
            await run_db(lambda s: revoke_session(session=s, token=token), context=SYSTEM)
        self._set_viewer(None)
        self.navigate_to = signed_out_path(routes.LOGIN)
