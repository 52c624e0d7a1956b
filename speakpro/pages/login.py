"""Login and sign-up."""

from __future__ import annotations

import reflex as rx

from speakpro import routes
from speakpro.components.forms import centered_card, error_callout, field, submit_button
from speakpro.components.layout import page_frame
from speakpro.state.login import LoginState, SignupState


def _provider_button(provider: dict) -> rx.Component:
    return rx.link(
        rx.button(rx.icon("key-round", size=16), "Continue with ", provider["label"], variant="outline", size="3",
                  width="100%"),
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
                LoginState.providers.length() > 0,
                rx.vstack(
                    rx.hstack(rx.separator(size="4"), rx.text("or", size="1", color_scheme="gray"),
                              rx.separator(size="4"), align="center", width="100%"),
                    rx.foreach(LoginState.providers, _provider_button),
                    width="100%",
                    spacing="2",
                ),
            ),
            rx.text("New to SpeakPro? ", rx.link("Create an account", href=routes.SIGNUP), size="2"),
        )
    )


def signup() -> rx.Component:
    """The sign-up page."""
    return page_frame(
        centered_card(
            rx.heading("Create your SpeakPro account", size="6"),
            rx.text("Practise speaking out loud, a few minutes a day.", color_scheme="gray", size="2"),
            error_callout(SignupState.error),
            rx.form(
                rx.vstack(
                    field("Your name", "display_name", placeholder="Sam Rivera", required=False, max_length=80,
                          auto_complete="name"),
                    field("Email", "email", type_="email", placeholder="you@company.com", auto_complete="email"),
                    field("Password", "password", type_="password", auto_complete="new-password",
                          hint="At least 8 characters; a long phrase is best."),
                    field("Company code (optional)", "join_code", required=False, max_length=48,
                          default_value=SignupState.prefilled_code,
                          hint="If your company enrolled you, enter the code your manager sent."),
                    submit_button("Create account", SignupState.submitting, "signup-submit"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=SignupState.signup,
                reset_on_submit=False,
                width="100%",
                id="signup-form",
            ),
            rx.text("Already have an account? ", rx.link("Log in", href=routes.LOGIN), size="2"),
        )
    )
