"""What a page shows instead of its content when the viewer may not see it."""

import reflex as rx

from speakpro import routes


def forbidden_notice(message: str = "You don't have access to this page.") -> rx.Component:
    """A clear refusal: no data, a way back."""
    return rx.center(
        rx.vstack(
            rx.icon("shield-x", size=40, color=rx.color("red", 9)),
            rx.heading("Access denied", size="6"),
            rx.text(message, color_scheme="gray", text_align="center"),
            rx.link(rx.button("Go to your home"), href=routes.HOME),
            align="center",
            spacing="3",
            id="forbidden",
        ),
        min_height="50vh",
        width="100%",
    )
