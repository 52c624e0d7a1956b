"""Onboarding after the first login: the learner's persona."""

from __future__ import annotations

import dataclasses

import reflex as rx

from speakpro import routes
from speakpro.services.onboarding import Persona, complete_onboarding, validate_persona
from speakpro.services.validation import ValidationError
from speakpro.state.auth import AuthState, run_db
from speakpro.state.edge import Form, Text, accepts


class OnboardingState(AuthState):
    """The persona form."""

    error: str = ""
    submitting: bool = False

    @rx.event
    @accepts()
    async def load(self):
        viewer, redirect = await self._guard(onboarded=False)
        if redirect is not None:
            return redirect
        if viewer.onboarding_completed:
            return rx.redirect(routes.HOME)
        self.error, self.submitting = "", False

    @rx.event
    @accepts(form=Form(**{field.name: Text() for field in dataclasses.fields(Persona)}))
    async def submit(self, form: dict):
        """Validate and save the persona; bad input shows a message and saves nothing."""
        viewer = await self._viewer()
        if viewer is None:
            return self._login_redirect()
        try:
            persona = validate_persona(form)
        except ValidationError as error:
            self.error = error.message
            return
        self.submitting = True
        await run_db(lambda s: complete_onboarding(session=s, user_id=viewer.user_id, persona=persona))
        self.submitting = False
        return [rx.toast.success("You're all set. Welcome to SpeakPro!"), rx.redirect(routes.HOME)]
