"""The base state of every signed-in page: the session cookie, who the viewer is, and the guards.

Page states subclass `AuthState`. Guards run on every page load and every privileged handler resolves
the token against the database again, so a revoked session or a disabled user stops at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

import reflex as rx

from speakpro import routes
from speakpro.db import session_scope
from speakpro.services.sessions import ABSOLUTE_LIFETIME, Viewer, resolve_session, revoke_session
from speakpro.settings import settings

log = logging.getLogger(__name__)
T = TypeVar("T")

SESSION_COOKIE = "speakpro_session"


def safe_next(target: str | None) -> str:
    """A same-site path to go to after login; anything else falls back to home."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target or len(target) > 300:
        return routes.HOME
    return target


async def run_db(work: Callable[..., T], *args: Any) -> T:
    """Run blocking database work off the event loop, in its own committed session."""

    def call() -> T:
        with session_scope() as session:
            return work(session, *args)

    return await asyncio.to_thread(call)


class AuthState(rx.State):
    """Who is signed in, as far as the page needs to know."""

    session_token: str = rx.Cookie(
        "",
        name=SESSION_COOKIE,
        path="/",
        max_age=int(ABSOLUTE_LIFETIME.total_seconds()),
        same_site="lax",
        secure=settings.app_url.startswith("https://"),
    )
    signed_in: bool = False
    viewer_name: str = ""
    viewer_email: str = ""
    viewer_is_admin: bool = False
    viewer_role: str = ""
    viewer_company_name: str = ""
    viewer_company_slug: str = ""

    def _set_viewer(self, viewer: Viewer | None) -> None:
        self.signed_in = viewer is not None
        self.viewer_name = viewer.display_name if viewer else ""
        self.viewer_email = viewer.email if viewer else ""
        self.viewer_is_admin = viewer.is_admin if viewer else False
        self.viewer_role = viewer.role if viewer else ""
        self.viewer_company_name = viewer.company_name if viewer else ""
        self.viewer_company_slug = viewer.company_slug if viewer else ""

    async def _viewer(self) -> Viewer | None:
        """Resolve the cookie's token against the database (every call: revocation is immediate)."""
        token = self.session_token
        if not token:
            self._set_viewer(None)
            return None
        viewer = await run_db(lambda s: resolve_session(session=s, token=token))
        if viewer is None:
            self.session_token = ""
        self._set_viewer(viewer)
        return viewer

    def _login_redirect(self):
        path = self.router.url.path or routes.HOME
        return rx.redirect(f"{routes.LOGIN}?next={quote(path)}")

    async def _guard(self, *, onboarded: bool = True) -> tuple[Viewer | None, Any]:
        """The viewer, or the redirect to send instead (to login, or to onboarding when it is not done)."""
        viewer = await self._viewer()
        if viewer is None:
            return None, self._login_redirect()
        if onboarded and not viewer.onboarding_completed:
            return None, rx.redirect(routes.ONBOARDING)
        return viewer, None

    @rx.event
    async def check_session(self):
        """For public pages: show the signed-in navigation when there is a valid session."""
        await self._viewer()

    @rx.event
    async def logout(self):
        """End this session on the server and forget the cookie."""
        token = self.session_token
        if token:
            await run_db(lambda s: revoke_session(session=s, token=token))
        self.session_token = ""
        self._set_viewer(None)
        return [rx.toast.success("You are logged out."), rx.redirect(routes.LOGIN)]
