"""Sign-up and password login (throttled); both end with a full page load that sets the session cookie."""

from __future__ import annotations

import asyncio

import reflex as rx
from reflex.config import get_config

from speakpro import routes
from speakpro.services import accounts, sessions, throttle
from speakpro.services.telemetry import record_event
from speakpro.services.validation import ValidationError
from speakpro.session_cookie import session_start_path
from speakpro.settings import settings
from speakpro.state.auth import AuthState, run_db
from speakpro.urls import safe_next

MAX_FIELD = 1000  # anything longer is refused before any work is done


def _too_long(form: dict) -> bool:
    return any(isinstance(v, str) and len(v) > MAX_FIELD for v in form.values())


class LoginState(AuthState):
    """The login form."""

    error: str = ""
    submitting: bool = False
    providers: list[dict[str, str]] = []
    api_base: str = ""

    @rx.event
    async def load(self):
        """Already signed in: go on. Otherwise list the configured sign-in providers and any error."""
        viewer = await self._viewer()
        if viewer is not None:
            return rx.redirect(safe_next(self.router.url.query_parameters.get("next")))
        self.providers = [{"name": p.name, "label": p.label} for p in settings.oauth_providers]
        self.api_base = get_config().api_url.rstrip("/")
        self.error = self.router.url.query_parameters.get("error", "")[:200]
        self.submitting = False

    @rx.event
    async def login(self, form: dict):
        """Check the password, with throttling per account and per client."""
        if self.submitting:
            return
        self.error = ""
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        if _too_long(form) or not email.strip() or not password:
            self.error = "Enter your email and password." if not _too_long(form) else accounts.LOGIN_FAILED
            return
        self.submitting = True
        yield
        keys = [throttle.account_key(email), throttle.client_key(self.router.session.client_ip)]
        decision = await run_db(lambda s: throttle.check(session=s, keys=keys))
        if not decision.allowed:
            minutes = max(1, round(decision.retry_after_seconds / 60))
            self.error = f"Too many failed attempts. Try again in about {minutes} minute{'s' if minutes > 1 else ''}."
            self.submitting = False
            return
        if decision.delay_seconds:
            await asyncio.sleep(decision.delay_seconds)

        def attempt(session):
            user = accounts.authenticate(session=session, email=email, password=password)
            if user is None:
                throttle.record_failure(session=session, keys=keys)
                return None
            throttle.reset(session=session, key=keys[0])
            record_event(session=session, event_type="login", user_id=user.id, data={"method": "password"})
            return sessions.create_handoff(session=session, user_id=user.id)

        code = await run_db(attempt)
        if code is None:
            self.submitting = False
            self.error = accounts.LOGIN_FAILED
            return
        # Still "submitting" while the browser loads the page that sets the cookie (home sends a learner who
        # has not onboarded yet to onboarding).
        self.navigate_to = session_start_path(code, self.router.url.query_parameters.get("next"))


class SignupState(AuthState):
    """The sign-up form."""

    error: str = ""
    error_field: str = ""
    submitting: bool = False
    prefilled_code: str = ""

    @rx.event
    async def load(self):
        viewer = await self._viewer()
        if viewer is not None:
            return rx.redirect(routes.HOME)
        self.error, self.error_field, self.submitting = "", "", False
        self.prefilled_code = self.router.url.query_parameters.get("code", "")[:48]

    @rx.event
    async def signup(self, form: dict):
        """Create the account, start a session, go to onboarding."""
        if self.submitting:
            return
        self.error, self.error_field = "", ""
        if _too_long(form):
            self.error, self.error_field = "One of the fields is far too long.", "form"
            return
        self.submitting = True
        yield
        user_agent = self.router.headers.user_agent

        def create(session):
            user = accounts.signup(
                session=session, email=str(form.get("email", "")), password=str(form.get("password", "")),
                display_name=str(form.get("display_name", "")), join_code=str(form.get("join_code", "")),
                user_agent=user_agent,
            )
            return sessions.create_handoff(session=session, user_id=user.id)

        try:
            code = await run_db(create)
        except ValidationError as error:
            self.error, self.error_field, self.submitting = error.message, error.field, False
            return
        self.navigate_to = session_start_path(code, routes.ONBOARDING)
