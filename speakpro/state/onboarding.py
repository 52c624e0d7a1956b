"""Onboarding after the first login: the learner's persona."""

from __future__ import annotations

import dataclasses

import reflex as rx
from sqlmodel import Session

from speakpro import routes
from speakpro.services.accounts.consent import current_consent, record_consent
from speakpro.services.accounts.onboarding import Persona, complete_onboarding, validate_persona
from speakpro.services.accounts.sessions import Viewer
from speakpro.services.accounts.time_zones import (
    DEFAULT_TIME_ZONE,
    save_time_zone,
    time_zones,
    validate_time_zone,
)
from speakpro.services.validation import ValidationError
from speakpro.state.auth import DEVICE_TIME_ZONE, AuthState
from speakpro.state.edge import FORM_UNREADABLE, Flag, Form, Maybe, Text, accepts, ticked

PERSONA_FIELDS = tuple(field.name for field in dataclasses.fields(Persona))
NOTICE_REQUIRED = "Please confirm that you have read the privacy notice."


def _needs_consent(session: Session, viewer: Viewer) -> bool:
    """Whether the persona form must also ask for the privacy consent (none on record; not read once
    onboarding is done: the page then sends the viewer home)."""
    return not viewer.onboarding_completed and current_consent(session=session, user_id=viewer.user_id) is None


class OnboardingState(AuthState):
    """The persona form, and the privacy consent for an account that has none yet (made by an OpenID
    sign-in, which has no sign-up form)."""

    error: str = ""
    submitting: bool = False
    needs_consent: bool = False
    time_zone: str = DEFAULT_TIME_ZONE  # the form's first choice: this device's zone once the browser says it

    @rx.event
    @accepts()
    async def load(self):
        viewer, needs_consent = await self._signed_in(_needs_consent, onboarded=False)
        if viewer.onboarding_completed:
            return rx.redirect(routes.HOME)
        self.error, self.submitting = "", False
        self.needs_consent = needs_consent
        return rx.call_script(DEVICE_TIME_ZONE, callback=OnboardingState.device_time_zone)

    @rx.event
    @accepts(value=Maybe(Text()))
    async def device_time_zone(self, value: str | None):
        """The browser's own zone, preselected in the form when SpeakPro knows it."""
        if value in time_zones():
            self.time_zone = value

    @rx.event
    # The consent boxes are sent as null when the page did not render them (a consent is on record).
    @accepts(
        form=Form(
            **{name: Text() for name in PERSONA_FIELDS},
            time_zone=Text(),
            privacy_notice=Maybe(Flag()),
            recording_consent=Maybe(Flag()),
        )
    )
    async def submit(self, form: dict):
        """Validate and save the persona (and the consent, when none is on record); bad input shows a message
        and saves nothing."""
        notice, recording = ticked(form, "privacy_notice"), ticked(form, "recording_consent")
        if notice is None or recording is None:
            self.error = FORM_UNREADABLE
            return
        try:
            persona = validate_persona(form)
            # A page from before time zones were asked sends none: the learner keeps 'UTC' until they choose.
            zone = validate_time_zone(form["time_zone"]) if "time_zone" in form else None
        except ValidationError as error:
            self.error = error.message
            return
        self.submitting = True

        def save(session: Session, viewer: Viewer) -> None:
            # Whether a consent is needed is read here, not from `needs_consent`: the page's state may be lost.
            if current_consent(session=session, user_id=viewer.user_id) is None:
                if not notice:
                    raise ValidationError("privacy_notice", NOTICE_REQUIRED)
                record_consent(session=session, user_id=viewer.user_id, recording=recording)
            if zone is not None:
                save_time_zone(session=session, user_id=viewer.user_id, time_zone=zone)
            complete_onboarding(session=session, user_id=viewer.user_id, persona=persona)

        try:
            await self._signed_in(save, onboarded=False)
        except ValidationError as error:
            self.error, self.needs_consent = error.message, True
            return
        finally:
            self.submitting = False
        return [rx.toast.success("You're all set. Welcome to SpeakPro!"), rx.redirect(routes.HOME)]
