"""`/progress`: the learner's own charts, with skeletons while they load."""

import reflex as rx

from speakpro import routes, styles
from speakpro.components.layout import page_frame
from speakpro.services.analysis.speech_metrics import FILLER_RATE_HEALTHY_MAX, PACE_HEALTHY_WPM, TALK_RATIO_HEALTHY
from speakpro.state.progress import WINDOWS, ProgressState


def stat(label: str, value, element_id: str) -> rx.Component:
    """A small labelled figure."""
    return rx.vstack(
        rx.text(label, size="1", color_scheme="gray"),
        rx.heading(value, size="6", id=element_id),
        spacing="1",
        style=styles.card,
        min_width="150px",
        flex="1",
    )


def chart_card(figure, element_id: str) -> rx.Component:
    """One plotly figure in a card, a skeleton while the page loads."""
    return rx.box(
        rx.cond(
            ProgressState.loading,
            rx.skeleton(width="100%", height="260px"),
            rx.plotly(data=figure, config={"displayModeBar": False}, width="100%"),
        ),
        style=styles.card,
        id=element_id,
        width="100%",
    )


def progress_page() -> rx.Component:
    """The learner's progress page."""
    return page_frame(
        rx.vstack(
            rx.hstack(
                rx.heading("Your progress", size="7", id="progress-title"),
                rx.select(
                    list(WINDOWS),
                    value=ProgressState.window,
                    on_change=ProgressState.set_window,
                    id="progress-window",
                    aria_label="Days shown",
                ),
                rx.text("days", size="2", color_scheme="gray"),
                align="center",
                spacing="3",
                wrap="wrap",
            ),
            rx.hstack(
                stat("Analysed sessions", ProgressState.sessions, "stat-sessions"),
                stat("First score", ProgressState.first_score, "stat-first"),
                stat("Latest score", ProgressState.latest_score, "stat-latest"),
                stat("Average score", ProgressState.average_score, "stat-average"),
                stat("Minutes practised", ProgressState.total_minutes, "stat-minutes"),
                stat("Day streak", ProgressState.streak, "stat-streak"),
                spacing="3",
                wrap="wrap",
                width="100%",
            ),
            rx.cond(
                ~ProgressState.loading & (ProgressState.sessions == 0),
                rx.callout(
                    rx.hstack(
                        rx.text("No analysed sessions in this period yet."),
                        rx.link("Start a practice session", href=routes.PRACTICE),
                    ),
                    icon="info",
                    id="progress-empty",
                    width="100%",
                ),
            ),
            chart_card(ProgressState.score_fig, "chart-score"),
            rx.grid(
                chart_card(ProgressState.pace_fig, "chart-pace"),
                chart_card(ProgressState.fillers_fig, "chart-fillers"),
                chart_card(ProgressState.talk_fig, "chart-talk"),
                chart_card(ProgressState.skills_fig, "chart-skills"),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="3",
                width="100%",
            ),
            chart_card(ProgressState.weekly_fig, "chart-weekly"),
            chart_card(ProgressState.calendar_fig, "chart-calendar"),
            rx.text(
                f"Shaded bands show the healthy range: {PACE_HEALTHY_WPM[0]}–{PACE_HEALTHY_WPM[1]} words per "
                f"minute, under {FILLER_RATE_HEALTHY_MAX:g} filler words per 100 words, "
                f"{TALK_RATIO_HEALTHY[0]:.0%}–{TALK_RATIO_HEALTHY[1]:.0%} of the talking.",
                size="1",
                color_scheme="gray",
            ),
            spacing="4",
            style=styles.page,
            padding_y="2rem",
        )
    )
