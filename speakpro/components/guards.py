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


def not_found_notice(
    button: str,
    href: str,
    element_id: str,
    title: str = "Session not found",
    message: str = "This practice session does not exist, or it is not yours.",
) -> rx.Component:
    """What a page shows for something that does not exist or is not the viewer's (the two look the same)."""
    return rx.center(
        rx.vstack(
            rx.icon("search-x", size=40, color=rx.color("gray", 9)),
            rx.heading(title, size="6"),
            rx.text(message, color_scheme="gray"),
            rx.link(rx.button(button), href=href),
            align="center",
            spacing="3",
        ),
        min_height="50vh",
        id=element_id,
    )
