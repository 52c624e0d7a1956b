"""`/company/[slug]/dashboard` for that company's managers, and `/admin/overview` for admins."""

import reflex as rx
from reflex.vars import ObjectVar

from speakpro import styles
from speakpro.components.charts import chart_card
from speakpro.components.guards import forbidden_notice
from speakpro.components.layout import page_frame
from speakpro.state.dashboard import AdminOverviewState, DashboardState


def kpi(label: str, value, element_id: str) -> rx.Component:
    """One headline figure."""
    return rx.vstack(
        rx.text(label, size="1", color_scheme="gray"),
        rx.cond(
            DashboardState.loading, rx.skeleton(width="80px", height="28px"), rx.heading(value, size="7", id=element_id)
        ),
        spacing="1",
        style=styles.card,
        min_width="180px",
        flex="1",
    )


def _learner_row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["name"]),
        rx.table.cell(row["email"]),
        rx.table.cell(row["sessions"]),
        rx.table.cell(row["average"]),
        rx.table.cell(row["first"]),
        rx.table.cell(row["latest"]),
        rx.table.cell(
            # rx.match is typed `Component | Var`; with string cases it returns a Var.
            rx.badge(row["trend"], color_scheme=rx.match(row["trend_key"], ("up", "green"), ("down", "red"), "gray"))  # pyright: ignore[reportArgumentType]
        ),
        rx.table.cell(row["minutes"]),
        rx.table.cell(row["last"]),
    )


def _range_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.vstack(
                rx.text("From", size="1", color_scheme="gray"),
                rx.input(
                    type="date",
                    name="date_from",
                    id="date-from",
                    default_value=DashboardState.date_from,
                    key=DashboardState.date_from,
                ),
                spacing="1",
            ),
            rx.vstack(
                rx.text("To", size="1", color_scheme="gray"),
                rx.input(
                    type="date",
                    name="date_to",
                    id="date-to",
                    default_value=DashboardState.date_to,
                    key=DashboardState.date_to,
                ),
                spacing="1",
            ),
            rx.button("Apply", type="submit", id="apply-range"),
            rx.button(
                rx.icon("download", size=16),
                "Download CSV",
                type="button",
                variant="soft",
                on_click=DashboardState.download_csv,
                id="download-csv",
            ),
            align="end",
            spacing="3",
            wrap="wrap",
        ),
        on_submit=DashboardState.apply_range,
    )


def company_dashboard() -> rx.Component:
    """The team dashboard of one company."""
    return page_frame(
        rx.cond(
            DashboardState.forbidden,
            forbidden_notice("This dashboard belongs to another company's managers."),
            rx.vstack(
                rx.heading(DashboardState.company_name, " · dashboard", size="7", id="dashboard-title"),
                _range_form(),
                rx.cond(
                    DashboardState.error != "",
                    rx.callout(DashboardState.error, color_scheme="red", icon="triangle-alert", id="range-error"),
                ),
                rx.hstack(
                    kpi("Sessions", DashboardState.kpi_sessions, "kpi-sessions"),
                    kpi("Average score", DashboardState.kpi_score, "kpi-score"),
                    kpi("Time practised", DashboardState.kpi_duration, "kpi-duration"),
                    kpi("Active learners", DashboardState.kpi_learners, "kpi-learners"),
                    spacing="3",
                    wrap="wrap",
                    width="100%",
                ),
                rx.grid(
                    chart_card(DashboardState.daily_fig, DashboardState.loading, "chart-daily-score"),
                    chart_card(DashboardState.activity_fig, DashboardState.loading, "chart-daily-sessions"),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="3",
                    width="100%",
                ),
                chart_card(DashboardState.skills_fig, DashboardState.loading, "chart-skills"),
                rx.heading("Learners", size="5"),
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *[
                                rx.table.column_header_cell(label)
                                for label in (
                                    "Learner",
                                    "Email",
                                    "Sessions",
                                    "Avg score",
                                    "First",
                                    "Latest",
                                    "Trend",
                                    "Minutes",
                                    "Last session",
                                )
                            ]
                        )
                    ),
                    rx.table.body(rx.foreach(DashboardState.learner_rows, _learner_row)),
                    width="100%",
                    id="learner-table",
                ),
                spacing="4",
                style=styles.page,
                padding_y="2rem",
            ),
        )
    )


def _company_row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(row["name"], href=row["href"])),
        rx.table.cell(row["learners"]),
        rx.table.cell(row["managers"]),
        rx.table.cell(row["sessions"]),
        rx.table.cell(row["average"]),
        rx.table.cell(row["minutes"]),
        rx.table.cell(row["last"]),
    )


def admin_overview() -> rx.Component:
    """Every company's totals, for admins."""
    return page_frame(
        rx.cond(
            AdminOverviewState.forbidden,
            forbidden_notice("Only administrators can see this page."),
            rx.vstack(
                rx.heading("All companies", size="7", id="overview-title"),
                chart_card(AdminOverviewState.sessions_fig, AdminOverviewState.loading, "chart-companies"),
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *[
                                rx.table.column_header_cell(label)
                                for label in (
                                    "Company",
                                    "Learners",
                                    "Managers",
                                    "Sessions",
                                    "Avg score",
                                    "Minutes",
                                    "Last session",
                                )
                            ]
                        )
                    ),
                    rx.table.body(rx.foreach(AdminOverviewState.company_rows, _company_row)),
                    width="100%",
                    id="company-table",
                ),
                spacing="4",
                style=styles.page,
                padding_y="2rem",
            ),
        )
    )
