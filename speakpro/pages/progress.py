"""`/progress`: the learner's own charts, with skeletons while they load."""

import reflex as rx

from speakpro import routes, styles
from speakpro.components.charts import chart_card
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
                    custom_attrs={"aria-label": "Days shown"},  # on the trigger, the element a screen reader reads
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
            chart_card(ProgressState.score_fig, ProgressState.loading, "chart-score"),
            rx.grid(
                chart_card(ProgressState.pace_fig, ProgressState.loading, "chart-pace"),
                chart_card(ProgressState.fillers_fig, ProgressState.loading, "chart-fillers"),
                chart_card(ProgressState.talk_fig, ProgressState.loading, "chart-talk"),
                chart_card(ProgressState.skills_fig, ProgressState.loading, "chart-skills"),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="3",
                width="100%",
            ),
            chart_card(ProgressState.weekly_fig, ProgressState.loading, "chart-weekly"),
            chart_card(ProgressState.calendar_fig, ProgressState.loading, "chart-calendar"),
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
