"""The learner's home: balances, streak, practice so far and what to do next."""

import reflex as rx

from speakpro import styles
from speakpro.components.layout import page_frame
from speakpro.state.home import HomeState


def _stat(label: str, value: rx.Var, icon: str, element_id: str) -> rx.Component:
    return rx.hstack(
        rx.icon(icon, size=22, color=rx.color("violet", 10)),
        rx.vstack(
            rx.text(value, size="6", weight="bold", id=element_id),
            rx.text(label, size="1", color_scheme="gray"),
            spacing="0",
        ),
        style=styles.card,
        align="center",
        spacing="3",
        flex="1",
        min_width="150px",
    )


def _cta(title: str, text: str, button: str, href: str, element_id: str) -> rx.Component:
    return rx.vstack(
        rx.heading(title, size="4"),
        rx.text(text, color_scheme="gray", size="2"),
        rx.link(rx.button(button), href=href),
        style=styles.card,
        spacing="2",
        flex="1",
        min_width="260px",
        id=element_id,
    )


def _calls_to_action() -> rx.Component:
    lesson = _cta("Continue your lesson", "Pick up the curriculum where you left off.", "Open lessons", "/home",
                  "cta-lesson")
    practice = _cta("Practise out loud", "A 3-minute role-play with an AI partner.", "Start practising", "/home",
                    "cta-practice")
    # Variant B leads with live practice, variant A with the curriculum.
    return rx.cond(
        HomeState.variant == "B",
        rx.flex(practice, lesson, gap="1rem", wrap="wrap", width="100%"),
        rx.flex(lesson, practice, gap="1rem", wrap="wrap", width="100%"),
    )


def home() -> rx.Component:
    """The home page."""
    return page_frame(
        rx.vstack(
            rx.heading("Welcome back, ", HomeState.viewer_name, size="7", id="home-greeting"),
            rx.cond(HomeState.main_goal != "", rx.text("Your goal: ", HomeState.main_goal, color_scheme="gray")),
            rx.cond(
                HomeState.loaded,
                rx.flex(
                    _stat("XP", HomeState.xp, "star", "stat-xp"),
                    _stat("Coins", HomeState.coins, "coins", "stat-coins"),
                    _stat("Tickets", HomeState.tickets, "ticket", "stat-tickets"),
                    _stat("Day streak", HomeState.streak_days, "flame", "stat-streak"),
                    _stat("Sessions this week", HomeState.sessions_last_7_days, "mic", "stat-week"),
                    gap="1rem",
                    wrap="wrap",
                    width="100%",
                ),
                rx.skeleton(height="80px", width="100%"),
            ),
            _calls_to_action(),
            spacing="5",
            style=styles.page,
            padding_y="2rem",
        )
    )
