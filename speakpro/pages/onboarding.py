"""Onboarding: who the learner is and what they practise for."""

import reflex as rx

from speakpro import routes
from speakpro.components.forms import (
    centered_card,
    consent_box,
    error_callout,
    field,
    select_field,
    submit_button,
    time_zone_field,
)
from speakpro.components.layout import page_frame
from speakpro.services.accounts.onboarding import AUDIENCES, GOALS, PRACTICE_FOR
from speakpro.state.onboarding import OnboardingState


def _comfort(label: str, name: str) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", weight="medium"),
        rx.radio(["1", "2", "3", "4", "5"], name=name, direction="row", required=True, spacing="4", id=name),
        rx.text("1 = very uncomfortable, 5 = completely at ease", size="1", color_scheme="gray"),
        spacing="1",
        width="100%",
    )


def onboarding() -> rx.Component:
    """The onboarding page."""
    return page_frame(
        centered_card(
            rx.heading("Tell us about your speaking", size="6"),
            rx.text(
                "We use this to pick your role-play partners, scenarios and first lessons.",
                color_scheme="gray",
                size="2",
            ),
            error_callout(OnboardingState.error),
            rx.form(
                rx.vstack(
                    field("Your role", "job_role", placeholder="e.g. Account executive", max_length=120),
                    select_field("Who you usually speak to", "audience", AUDIENCES),
                    select_field("Your main goal", "main_goal", GOALS),
                    select_field("What you practise for", "practice_for", PRACTICE_FOR),
                    _comfort("How comfortable are you speaking in public?", "comfort_speaking"),
                    _comfort("How comfortable are you in sales conversations?", "comfort_selling"),
                    time_zone_field(
                        "time_zone",
                        OnboardingState.time_zone,
                        rx.text(
                            "Your day streak and daily quests start at your midnight.", size="1", color_scheme="gray"
                        ),
                    ),
                    rx.cond(
                        OnboardingState.needs_consent,
                        rx.vstack(
                            consent_box(
                                "privacy_notice",
                                "I have read the privacy notice",
                                rx.fragment(
                                    "Required: ",
                                    rx.link(
                                        "how SpeakPro keeps and uses your data", href=routes.PRIVACY, is_external=True
                                    ),
                                    ".",
                                ),
                                required=True,
                            ),
                            consent_box(
                                "recording_consent",
                                "I agree that my practice sessions are recorded",
                                "Needed before you can practise out loud: every session is recorded, "
                                "transcribed and analysed.",
                                required=False,
                            ),
                            spacing="3",
                            width="100%",
                            id="onboarding-consent",
                        ),
                    ),
                    submit_button("Start my plan", OnboardingState.submitting, "onboarding-submit"),
                    spacing="4",
                    width="100%",
                ),
                on_submit=OnboardingState.submit,
                reset_on_submit=False,
                id="onboarding-form",
                width="100%",
            ),
            max_width="560px",
        )
    )
