"""The public landing page: what SpeakPro is, how it works, the curriculum and the offer for teams."""

from __future__ import annotations

import reflex as rx

from speakpro import routes, styles
from speakpro.components.chatbot import chatbot_panel
from speakpro.components.layout import page_frame
from speakpro.services.learning.catalog import ModuleSummary
from speakpro.state.landing import LandingState


def _hero() -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.badge("Speaking practice, out loud", size="2", variant="soft", radius="full"),
            rx.heading(
                "Speak with confidence in the conversations that matter",
                # One size down per breakpoint: at size 9, "conversations" alone is wider than a phone.
                size=rx.breakpoints(initial="7", sm="8", md="9"),
                weight="bold",
                max_width="820px",
                overflow_wrap="break-word",
                line_height="1.1",
                id="hero-title",
            ),
            rx.text(
                "SpeakPro is a daily speaking gym: short guided lessons, live spoken role-play with an AI "
                "partner, and clear feedback on your pace, filler words and how much you listen.",
                size="5",
                color_scheme="gray",
                max_width="720px",
            ),
            rx.hstack(
                rx.link(rx.button("Start practising free", size="4"), href=routes.SIGNUP),
                rx.link(rx.button("Log in", size="4", variant="outline"), href=routes.LOGIN),
                spacing="3",
                wrap="wrap",
            ),
            spacing="5",
            style=styles.page,
            padding_y="5rem",
        ),
        style=styles.hero_background,
        width="100%",
    )


def _step(icon: str, title: str, text: str) -> rx.Component:
    return rx.vstack(
        rx.center(
            rx.icon(icon, size=22),
            width="44px",
            height="44px",
            border_radius="12px",
            background=rx.color("violet", 3),
            color=rx.color("violet", 11),
        ),
        rx.heading(title, size="4"),
        rx.text(text, color_scheme="gray", size="3"),
        style=styles.card,
        spacing="3",
        align="start",
        flex="1",
        min_width="240px",
    )


def _how_it_works() -> rx.Component:
    return rx.vstack(
        rx.heading("How it works", size="7", id="how-it-works"),
        rx.flex(
            _step(
                "book-open",
                "Learn",
                "Bite-sized lessons on openings, delivery, discovery questions and "
                "closing, each ending in a speaking or writing exercise with instant feedback.",
            ),
            _step(
                "audio-lines",
                "Practise",
                "Role-play a cold call, a pitch or a tough negotiation with a "
                "voice partner in real time. Every session is recorded and transcribed.",
            ),
            _step(
                "chart-line",
                "Improve",
                "See your words per minute, filler words, talk-to-listen ratio and "
                "skill scores after every session, and watch them move week by week.",
            ),
            gap="1rem",
            wrap="wrap",
            width="100%",
        ),
        spacing="5",
        style=styles.page,
        padding_top="3.5rem",
    )


def _module_card(module: ModuleSummary) -> rx.Component:
    return rx.hstack(
        rx.center(
            rx.text(module.code, weight="bold", size="5"),
            min_width="44px",
            height="44px",
            border_radius="9999px",
            background=rx.color("violet", 9),
            color="white",
        ),
        rx.vstack(
            rx.heading(module.title, size="4"),
            rx.text(module.description, color_scheme="gray", size="2"),
            spacing="1",
            align="start",
        ),
        style=styles.card,
        spacing="4",
        align="start",
        width="100%",
        class_name="module-card",
    )


def _curriculum() -> rx.Component:
    return rx.vstack(
        rx.heading("The curriculum", size="7", id="curriculum"),
        rx.cond(
            LandingState.level_title != "",
            rx.text("Level 1 · ", LandingState.level_title, color_scheme="gray", size="4"),
        ),
        rx.cond(
            ~LandingState.loaded,
            rx.vstack(
                rx.skeleton(height="72px", width="100%"),
                rx.skeleton(height="72px", width="100%"),
                width="100%",
                spacing="3",
            ),
            rx.cond(
                LandingState.load_failed,
                rx.callout(
                    "The curriculum preview is unavailable right now.", icon="triangle-alert", color_scheme="amber"
                ),
                rx.grid(
                    rx.foreach(LandingState.modules, _module_card),
                    columns=rx.breakpoints(initial="1", md="2"),
                    gap="1rem",
                    width="100%",
                ),
            ),
        ),
        spacing="4",
        style=styles.page,
        padding_top="3.5rem",
        width="100%",
    )


def _figure(value: int | str | rx.Var[int], label: str, figure_id: str) -> rx.Component:
    return rx.vstack(
        rx.text(value, size="8", weight="bold", color=rx.color("violet", 11), id=figure_id),
        rx.text(label, color_scheme="gray", size="2"),
        spacing="1",
        align="center",
        flex="1",
        min_width="150px",
    )


def _world() -> rx.Component:
    return rx.vstack(
        rx.heading("A city that opens as you grow", size="7"),
        rx.text(
            "Finishing modules earns XP, coins and tickets and unlocks venues on the district map: rehearse a "
            "keynote in the amphitheatre, a negotiation in the market, a board update in the tower.",
            color_scheme="gray",
            size="4",
            max_width="760px",
        ),
        rx.flex(
            _figure(LandingState.topic_count, "role-play topics", "topic-count"),
            _figure(LandingState.district_count, "districts", "district-count"),
            _figure(LandingState.venue_count, "venues to unlock", "venue-count"),
            _figure("43%", "talk time of top sales reps", "talk-ratio"),
            style=styles.card,
            wrap="wrap",
            gap="1rem",
            width="100%",
        ),
        spacing="4",
        style=styles.page,
        padding_top="3.5rem",
    )


def _teams() -> rx.Component:
    return rx.vstack(
        rx.heading("For teams", size="7", id="teams"),
        rx.flex(
            _step(
                "building-2",
                "Enrol your people",
                "Invite learners with a join code; they practise on their "
                "own schedule, with their own persona and stakes.",
            ),
            _step(
                "layout-dashboard",
                "See progress",
                "Managers see their company's sessions, scores and "
                "trends per learner, and nothing of any other company.",
            ),
            _step(
                "shield-check",
                "Private by default",
                "Recordings and transcripts belong to the learner; "
                "deleting a session removes its audio and transcript.",
            ),
            gap="1rem",
            wrap="wrap",
            width="100%",
        ),
        spacing="5",
        style=styles.page,
        padding_top="3.5rem",
    )


def _ask() -> rx.Component:
    return rx.vstack(
        rx.heading("Questions?", size="7", id="ask"),
        rx.text(
            "Ask how SpeakPro works, what the lessons cover, or how to sound more confident.",
            color_scheme="gray",
            size="4",
        ),
        chatbot_panel(),
        spacing="4",
        style=styles.page,
        padding_top="3.5rem",
    )


def landing() -> rx.Component:
    """The landing page."""
    return page_frame(_hero(), _how_it_works(), _curriculum(), _world(), _teams(), _ask())
