"""`/company/[slug]/dashboard` for that company's managers, and `/admin/overview` for admins."""

import reflex as rx
from reflex.vars import ObjectVar

from speakpro import styles
from speakpro.components.assignments import assignment_summary
from speakpro.components.charts import chart_card
from speakpro.components.forms import date_range_form
from speakpro.components.guards import forbidden_notice
from speakpro.components.layout import page_frame
from speakpro.components.tables import wide_table
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


def _calibration_row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["skill"]),
        rx.table.cell(row["scorer"]),
        rx.table.cell(row["pairs"]),
        rx.table.cell(row["difference"]),
        rx.table.cell(row["kappa"]),
        class_name="calibration-row",
    )


def _shared_row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["learner"]),
        rx.table.cell(row["title"]),
        rx.table.cell(row["when"]),
        rx.table.cell(row["score"]),
        rx.table.cell(row["comments"]),
        rx.table.cell(rx.link("Review", href=row["href"], class_name="review-link")),
        class_name="shared-row",
    )


def _learner_row(row: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(row["name"], href=row["href"], class_name="learner-link")),
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
        class_name="learner-row",
    )


# The learner table's columns: label and sort key (`DashboardState.SORTS`); the email does not sort.
_COLUMNS = (
    ("Learner", "name"),
    ("Email", ""),
    ("Sessions", "sessions"),
    ("Avg score", "average"),
    ("First", "first"),
    ("Latest", "latest"),
    ("Trend", "trend"),
    ("Minutes", "minutes"),
    ("Last session", "last"),
)


def _sortable_header(label: str, key: str) -> rx.Component:
    """A column header that sorts the table (a button, so keyboards reach it; aria-sort says the order)."""
    if not key:
        return rx.table.column_header_cell(label)
    active = DashboardState.sort_key == key
    arrow = rx.cond(active, rx.cond(DashboardState.sort_desc, " ▼", " ▲"), "")
    return rx.table.column_header_cell(
        rx.el.button(
            label,
            arrow,
            type="button",
            on_click=DashboardState.sort_by(key),
            id=f"sort-{key}",
            style={
                "background": "none",
                "border": "none",
                "padding": 0,
                "font": "inherit",
                "cursor": "pointer",
                "white_space": "nowrap",
            },
        ),
        aria_sort=rx.cond(active, rx.cond(DashboardState.sort_desc, "descending", "ascending"), "none"),
    )


def _range_form() -> rx.Component:
    return date_range_form(
        date_from=DashboardState.date_from,
        date_to=DashboardState.date_to,
        on_submit=DashboardState.apply_range,
        extra=rx.button(
            rx.icon("download", size=16),
            "Download CSV",
            type="button",
            variant="soft",
            on_click=DashboardState.download_csv,
            id="download-csv",
        ),
    )


def company_dashboard() -> rx.Component:
    """The team dashboard of one company."""
    return page_frame(
        rx.cond(
            DashboardState.forbidden,
            forbidden_notice("This dashboard belongs to another company's managers."),
            rx.vstack(
                rx.hstack(
                    rx.heading(DashboardState.company_name, " · dashboard", size="7", id="dashboard-title"),
                    rx.spacer(),
                    rx.cond(  # the links need the company's slug, which the page's load sets
                        DashboardState.slug != "",
                        rx.hstack(
                            rx.link(
                                rx.button(rx.icon("clipboard-list", size=16), "Assignments", variant="soft"),
                                href="/company/" + DashboardState.slug + "/assignments",
                                id="dashboard-to-assignments",
                            ),
                            rx.link(
                                rx.button(rx.icon("drama", size=16), "Scenarios", variant="soft"),
                                href="/company/" + DashboardState.slug + "/scenarios",
                                id="dashboard-to-scenarios",
                            ),
                            spacing="2",
                        ),
                    ),
                    align="center",
                    spacing="2",
                    wrap="wrap",
                    width="100%",
                ),
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
                rx.hstack(
                    rx.heading("Assignments", size="5"),
                    rx.link("Set or follow up →", href="/company/" + DashboardState.slug + "/assignments", size="2"),
                    align="baseline",
                    spacing="3",
                    wrap="wrap",
                ),
                rx.cond(
                    rx.Var.create(DashboardState.assignment_rows).length() > 0,
                    rx.grid(
                        rx.foreach(DashboardState.assignment_rows, lambda row: assignment_summary(row)),
                        columns=rx.breakpoints(initial="1", md="2"),
                        spacing="3",
                        width="100%",
                        id="dashboard-assignments",
                    ),
                    rx.text(
                        "No assignments yet: set your learners a scenario, a module or a lesson with a due date.",
                        size="2",
                        color_scheme="gray",
                    ),
                ),
                rx.heading("Shared with you", size="5"),
                rx.cond(
                    rx.Var.create(DashboardState.shared_rows).length() > 0,
                    wide_table(
                        ("Learner", "Session", "Date", "Score", "Comments", ""),
                        rx.table.body(rx.foreach(DashboardState.shared_rows, _shared_row)),
                        label="Shared with you",
                        table_id="shared-table",
                    ),
                    rx.text(
                        "No learner has shared a session with you yet. Learners choose, per session, whether "
                        "their managers may review it.",
                        size="2",
                        color_scheme="gray",
                        id="shared-none",
                    ),
                ),
                rx.heading("Score calibration", size="5"),
                rx.text(
                    "Where a manager scored a shared session: how far the automatic score is from the manager's "
                    "(manager minus automatic, in points) and Cohen's kappa on three bands (under 50, 50-69, 70 "
                    "and over; 1 is full agreement, 0 is chance).",
                    size="2",
                    color_scheme="gray",
                ),
                rx.cond(
                    rx.Var.create(DashboardState.calibration_rows).length() > 0,
                    wide_table(
                        ("Skill", "Automatic scorer", "Sessions", "Mean difference", "Kappa"),
                        rx.table.body(rx.foreach(DashboardState.calibration_rows, _calibration_row)),
                        label="Score calibration",
                        table_id="calibration-table",
                    ),
                    rx.text(
                        'No shared session has a manager\'s score yet: open one under "Shared with you" and score it.',
                        size="2",
                        color_scheme="gray",
                        id="calibration-none",
                    ),
                ),
                rx.heading("Learners", size="5"),
                rx.text(
                    "Sort by a column; open a learner for their sessions over the range. The trend is the "
                    "least-squares change of the range's scores (at least 3 scored sessions).",
                    size="2",
                    color_scheme="gray",
                ),
                wide_table(
                    [_sortable_header(label, key) for label, key in _COLUMNS],
                    rx.table.body(rx.foreach(DashboardState.learner_rows, _learner_row)),
                    label="Learners",
                    table_id="learner-table",
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
