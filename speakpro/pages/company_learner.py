"""`/company/[slug]/learners/[learner_id]`: one learner, for their company's managers."""

import reflex as rx
from reflex.vars import ObjectVar

from speakpro import styles
from speakpro.components.charts import chart_card
from speakpro.components.forms import date_range_form
from speakpro.components.guards import forbidden_notice
from speakpro.components.layout import page_frame
from speakpro.components.tables import wide_table
from speakpro.services.dashboards.dashboards import SKILL_LABELS
from speakpro.state.company_learner import CompanyLearnerState


def _figure(label: str, value, element_id: str) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color_scheme="gray"),
        rx.cond(
            CompanyLearnerState.loading,
            rx.skeleton(width="80px", height="28px"),
            rx.heading(value, size="6", id=element_id),
        ),
        spacing="1",
        style=styles.card,
        min_width="150px",
        flex="1",
    )


def _session_row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["when"]),
        rx.table.cell(row["score"]),
        rx.table.cell(row["minutes"]),
        *[rx.table.cell(row[skill]) for skill in SKILL_LABELS],
        class_name="learner-session",
    )


def company_learner_page() -> rx.Component:
    """A learner's figures and sessions over a date range, from the dashboard's learner table."""
    return page_frame(
        rx.cond(
            CompanyLearnerState.forbidden,
            forbidden_notice("This learner is not one of your company's learners."),
            rx.vstack(
                rx.link("← Back to the dashboard", href=CompanyLearnerState.dashboard_href, id="back-to-dashboard"),
                rx.heading(CompanyLearnerState.name, size="7", id="learner-name"),
                rx.text(CompanyLearnerState.email, " · ", CompanyLearnerState.company_name, color_scheme="gray"),
                rx.text(
                    "Scores and times from their analysed sessions. Transcripts and recordings stay private to "
                    "the learner.",
                    size="2",
                    color_scheme="gray",
                ),
                date_range_form(
                    date_from=CompanyLearnerState.date_from,
                    date_to=CompanyLearnerState.date_to,
                    on_submit=CompanyLearnerState.apply_range,
                    id_prefix="learner-",
                    busy=CompanyLearnerState.loading,
                ),
                rx.cond(
                    CompanyLearnerState.error != "",
                    rx.callout(
                        CompanyLearnerState.error, color_scheme="red", icon="triangle-alert", id="learner-range-error"
                    ),
                ),
                rx.flex(
                    _figure("Sessions", CompanyLearnerState.kpi_sessions, "learner-sessions"),
                    _figure("Average score", CompanyLearnerState.kpi_score, "learner-score"),
                    _figure("Minutes practised", CompanyLearnerState.kpi_minutes, "learner-minutes"),
                    _figure("Trend over the range", CompanyLearnerState.kpi_trend, "learner-trend"),
                    gap="0.75rem",
                    wrap="wrap",
                    width="100%",
                ),
                rx.grid(
                    chart_card(CompanyLearnerState.score_fig, CompanyLearnerState.loading, "chart-learner-scores"),
                    chart_card(CompanyLearnerState.skills_fig, CompanyLearnerState.loading, "chart-learner-skills"),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="3",
                    width="100%",
                ),
                rx.heading("Sessions", size="5"),
                rx.cond(
                    rx.Var.create(CompanyLearnerState.session_rows).length() == 0,
                    rx.text("No analysed sessions in this range.", color_scheme="gray", id="learner-no-sessions"),
                    wide_table(
                        ("When", "Score", "Minutes", *SKILL_LABELS.values()),
                        rx.table.body(rx.foreach(CompanyLearnerState.session_rows, _session_row)),
                        label="Sessions",
                        table_id="learner-session-table",
                    ),
                ),
                spacing="4",
                style=styles.page,
                padding_y="2rem",
            ),
        )
    )
