"""The page shown for an unknown address."""

import reflex as rx

from speakpro import routes, styles
from speakpro.components.layout import page_frame


def not_found() -> rx.Component:
    """A friendly 404 with a way back."""
    return page_frame(
        rx.center(
            rx.vstack(
                rx.text("404", size="9", weight="bold", color=rx.color("violet", 9)),
                rx.heading("We couldn't find that page", size="6"),
                rx.text(
                    "The address may be mistyped, or the page has moved.",
                    color_scheme="gray",
                ),
                rx.link(rx.button("Back to SpeakPro", size="3"), href=routes.LANDING),
                align="center",
                spacing="4",
                id="not-found",
            ),
            style=styles.page,
            min_height="60vh",
        )
    )
