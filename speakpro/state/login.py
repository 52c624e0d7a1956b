"""Sign-up and password login, both throttled.

A login ends with a full page load that sets the session cookie; a sign-up ends with a "what next" panel
that reads the same whether the email was new or taken, and signs nobody in.
"""

from __future__ import annotations

import asyncio

import reflex as rx
from reflex.config import get_config

from speakpro import routes
from speakpro.db import SYSTEM
from speakpro.services.accounts import accounts, sessions, throttle
from speakpro.services.telemetry import record_event
from speakpro.services.validation import ValidationError
from speakpro.session_cookie import session_start_path
from speakpro.settings import settings
from speakpro.state.auth import AuthState, run_db
from speakpro.state.edge import Flag, Form, Text, accepts, ticked
from speakpro.urls import safe_next


class LoginState(AuthState):
    """The login form."""

    error: str = ""
    submitting: bool = False
    providers: list[dict[str, str]] = []
    api_base: str = ""

    @rx.event
    @accepts()
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
    @accepts(form=Form(email=Text(), password=Text()))
    async def login(self, form: dict):
        """Check the password, with throttling per account and per client."""
        if self.submitting:
            return
        self.error = ""
        email, password = form.get("email", ""), form.get("password", "")
        if not email.strip() or not password:
            self.error = "Enter your email and password."
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

        # Nobody is signed in while a password is checked: this work runs as the system.
        code = await run_db(attempt, context=SYSTEM)
        if code is None:
            self.submitting = False
            self.error = accounts.LOGIN_FAILED
            return
        # Still "submitting" while the browser loads the page that sets the cookie (home sends a learner who
        # has not onboarded yet to onboarding).
        self.navigate_to = session_start_path(code, self.router.url.query_parameters.get("next"))


def _wait(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return f"about {minutes} minute{'s' if minutes > 1 else ''}"


class SignupState(AuthState):
    """The sign-up form, and what to do next once it was accepted.

    An accepted form always ends on the same "what next" panel, whether the email was new (the account is
    ready) or already had an account (its owner gets a notice, nothing else changes): the page never tells
    a visitor whether someone has an account. So nobody is signed in by a sign-up; the new learner logs in
    with the password they just chose.
    """

    error: str = ""
    error_field: str = ""
    submitting: bool = False
    prefilled_code: str = ""
    done: bool = False
    done_email: str = ""

    @rx.event
    @accepts()
    async def load(self):
        viewer = await self._viewer()
        if viewer is not None:
            return rx.redirect(routes.HOME)
        self.error, self.error_field, self.submitting = "", "", False
        self.done, self.done_email = False, ""
        self.prefilled_code = self.router.url.query_parameters.get("code", "")[:48]

    @rx.event
    @accepts(
        form=Form(
            email=Text(),
            password=Text(),
            display_name=Text(),
            join_code=Text(),
            privacy_notice=Flag(),
            recording_consent=Flag(),
        )
    )
    async def signup(self, form: dict):
        """Check the form and the address's sign-up throttle, then register (the same answer for any email)."""
        if self.submitting or self.done:
            return
        self.error, self.error_field = "", ""
        privacy_notice, recording = ticked(form, "privacy_notice"), ticked(form, "recording_consent")
        if privacy_notice is None or recording is None:
            self.error, self.error_field = "The form was not sent as expected. Please reload the page.", "form"
            return
        if not privacy_notice:
            self.error, self.error_field = "Please confirm that you have read the privacy notice.", "privacy_notice"
            return
        self.submitting = True
        yield
        client = self.router.session.client_ip
        # Its own transaction, so that the attempt counts even when the sign-up itself is refused.
        decision = await run_db(lambda s: throttle.check_signup(session=s, client=client))
        if not decision.allowed:
            self.error = f"Too many sign-ups from your network. Try again in {_wait(decision.retry_after_seconds)}."
            self.error_field, self.submitting = "form", False
            return
        if decision.delay_seconds:
            await asyncio.sleep(decision.delay_seconds)
        user_agent = self.router.headers.user_agent
        email = form.get("email", "")

        def register(session):
            return accounts.register(
                session=session,
                email=email,
                password=form.get("password", ""),
                display_name=form.get("display_name", ""),
                join_code=form.get("join_code", ""),
                accepted_privacy_notice=True,
                recording_consent=recording,
                user_agent=user_agent,
            )

        try:
            await run_db(register, context=SYSTEM)  # nobody is signed in yet: the system creates the account
        except ValidationError as error:
            self.error, self.error_field, self.submitting = error.message, error.field, False
            return
        self.done, self.done_email, self.submitting = True, email.strip().lower(), False
