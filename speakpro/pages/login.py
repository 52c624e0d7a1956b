"""Login and sign-up."""

from __future__ import annotations

import reflex as rx

from speakpro import routes
from speakpro.components.forms import centered_card, consent_box, error_callout, field, submit_button
from speakpro.components.layout import page_frame
from speakpro.state.login import LoginState, SignupState


def _provider_button(provider: dict) -> rx.Component:
    return rx.link(
        rx.button(
            rx.icon("key-round", size=16),
            "Continue with ",
            provider["label"],
            variant="outline",
            size="3",
            width="100%",
        ),
        href=LoginState.api_base + "/auth/" + provider["name"] + "/login",
        id="oauth-" + provider["name"],
        width="100%",
        underline="none",
    )


def login() -> rx.Component:
    """The login page."""
    return page_frame(
        centered_card(
            rx.heading("Log in to SpeakPro", size="6"),
            error_callout(LoginState.error),
            rx.form(
                rx.vstack(
                    field("Email", "email", type_="email", placeholder="you@company.com", auto_complete="email"),
                    field("Password", "password", type_="password", auto_complete="current-password"),
                    submit_button("Log in", LoginState.submitting, "login-submit"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=LoginState.login,
                reset_on_submit=False,
                width="100%",
                id="login-form",
            ),
            rx.cond(
                rx.Var.create(LoginState.providers).length() > 0,
                rx.vstack(
                    rx.hstack(
                        rx.separator(size="4"),
                        rx.text("or", size="1", color_scheme="gray"),
                        rx.separator(size="4"),
                        align="center",
                        width="100%",
                    ),
                    rx.foreach(LoginState.providers, _provider_button),
                    width="100%",
                    spacing="2",
                ),
            ),
            rx.text("New to SpeakPro? ", rx.link("Create an account", href=routes.SIGNUP), size="2"),
        )
    )


def _signup_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            field(
                "Your name",
                "display_name",
                placeholder="Sam Rivera",
                required=False,
                max_length=80,
                auto_complete="name",
            ),
            field("Email", "email", type_="email", placeholder="you@company.com", auto_complete="email"),
            field(
                "Password",
                "password",
                type_="password",
                auto_complete="new-password",
                hint="At least 8 characters; a long phrase is best.",
            ),
            field(
                "Company code (optional)",
                "join_code",
                required=False,
                max_length=48,
                default_value=SignupState.prefilled_code,
                hint="If your company enrolled you, enter the code your manager sent.",
            ),
            consent_box(
                "privacy_notice",
                "I have read the privacy notice",
                rx.fragment(
                    "Required: ",
                    rx.link(
                        "how SpeakPro keeps and uses your data",
                        href=routes.PRIVACY,
                        is_external=True,
                        id="signup-privacy-link",
                    ),
                    ".",
                ),
                required=True,
            ),
            consent_box(
                "recording_consent",
                "I agree that my practice sessions are recorded",
                "Needed before you can practise: every session is recorded, transcribed and analysed.",
                required=False,
            ),
            submit_button("Create account", SignupState.submitting, "signup-submit"),
            spacing="3",
            width="100%",
        ),
        on_submit=SignupState.signup,
        reset_on_submit=False,
        width="100%",
        id="signup-form",
    )


def _signup_done() -> rx.Component:
    # The same words whether the email was new or already had an account: the page must not tell.
    return rx.vstack(
        rx.callout("Sign-up received", icon="mail", color_scheme="green", width="100%"),
        rx.text(
            "We've received your sign-up for ",
            rx.text(SignupState.done_email, as_="span", weight="bold"),
            ".",
            size="2",
        ),
        rx.text(
            "If this email is new to SpeakPro, your account is ready: log in with the password you just "
            "chose. If you already have an account, we've sent a notice to that address instead; log in "
            "with your existing password.",
            size="2",
        ),
        rx.link(
            rx.button("Log in", size="3", width="100%"),
            href=routes.LOGIN,
            id="signup-login",
            width="100%",
            underline="none",
        ),
        spacing="3",
        width="100%",
        id="signup-done",
    )


def signup() -> rx.Component:
    """The sign-up page."""
    return page_frame(
        centered_card(
            rx.heading("Create your SpeakPro account", size="6"),
            rx.text("Practise speaking out loud, a few minutes a day.", color_scheme="gray", size="2"),
            error_callout(SignupState.error),
            rx.cond(SignupState.done, _signup_done(), _signup_form()),
            rx.text("Already have an account? ", rx.link("Log in", href=routes.LOGIN, underline="always"), size="2"),
        )
    )
