"""`/company/[slug]/assignments`: what a company's managers set their learners, and who has done it."""

import reflex as rx

from speakpro import styles
from speakpro.components.assignments import assignment_summary
from speakpro.components.forms import field_label
from speakpro.components.guards import forbidden_notice
from speakpro.components.layout import page_frame
from speakpro.components.tables import wide_table
from speakpro.state.assignments import AssignmentRow, AssignmentsState, LearnerRow, Option

# The audience choices as shown; the state keeps "all", "team" or "some".
EVERYONE, A_TEAM, CHOSEN = "Every learner of the company", "A team", "Chosen learners"


def _number(label: str, name: str, low: int, high: int, default: str, hint: str) -> rx.Component:
    return rx.vstack(
        field_label(label, name),
        rx.input(name=name, id=name, type="number", min=low, max=high, default_value=default, size="3", width="100%"),
        rx.text(hint, size="1", color_scheme="gray"),
        spacing="1",
        width="100%",
    )


def _learner_choice(option: Option) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.checkbox(
                checked=rx.Var.create(AssignmentsState.chosen).contains(option.value),
                on_change=AssignmentsState.toggle_learner(option.value),
                class_name="assign-learner",
            ),
            rx.text(option.label, size="2"),
            spacing="2",
            align="center",
        ),
    )


def _team_select() -> rx.Component:
    return rx.el.select(
        rx.foreach(AssignmentsState.team_options, lambda o: rx.el.option(o.label, value=o.value)),
        name="team",
        id="team",
        aria_label="Team",
        style=styles.native_select,
    )


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading("Set an assignment", size="4"),
            rx.vstack(
                field_label("What to practise", "target"),
                rx.el.select(
                    rx.el.option("Choose a scenario, module or lesson…", value=""),
                    rx.foreach(AssignmentsState.targets, lambda o: rx.el.option(o.label, value=o.value)),
                    name="target",
                    id="target",
                    style=styles.native_select,
                ),
                rx.link("Write a scenario of your own", href=AssignmentsState.scenarios_href, size="1"),
                spacing="1",
                width="100%",
            ),
            rx.vstack(
                field_label("Due on", "due_on"),
                rx.input(name="due_on", id="due_on", type="date", min=AssignmentsState.today, size="3", width="100%"),
                spacing="1",
                width="100%",
            ),
            rx.vstack(
                rx.text("Who", size="2", weight="medium", id="audience-label"),
                rx.radio(
                    [EVERYONE, A_TEAM, CHOSEN],
                    value=rx.cond(
                        AssignmentsState.audience == "team",
                        A_TEAM,
                        rx.cond(AssignmentsState.audience == "some", CHOSEN, EVERYONE),
                    ),
                    on_change=lambda v: AssignmentsState.set_audience(
                        rx.cond(v == A_TEAM, "team", rx.cond(v == CHOSEN, "some", "all"))
                    ),
                    direction="column",
                    aria_labelledby="audience-label",
                    id="audience",
                ),
                rx.match(
                    AssignmentsState.audience,
                    (
                        "team",
                        rx.cond(
                            AssignmentsState.team_options.length() > 0,  # pyright: ignore[reportAttributeAccessIssue]
                            _team_select(),
                            rx.text(
                                "Your company has no teams yet: make them on the company page.",
                                size="2",
                                color_scheme="gray",
                                id="no-teams",
                            ),
                        ),
                    ),
                    (
                        "some",
                        rx.vstack(
                            rx.foreach(AssignmentsState.learners, _learner_choice), spacing="1", id="learner-picks"
                        ),
                    ),
                    rx.fragment(),
                ),
                spacing="1",
                width="100%",
            ),
            rx.grid(
                _number("Attempts", "min_attempts", 1, 20, "1", "Sessions or completed lessons needed."),
                _number("Minimum score", "min_score", 1, 100, "", "Scenarios only; leave empty for any score."),
                _number("XP reward", "xp_reward", 0, 500, "50", "Paid once, on completion."),
                _number("Coin reward", "coin_reward", 0, 500, "10", "Paid once, on completion."),
                columns=rx.breakpoints(initial="1", sm="2"),
                gap="0.75rem",
                width="100%",
            ),
            rx.vstack(
                field_label("Note to learners (optional)", "note"),
                rx.input(name="note", id="note", max_length=500, size="3", width="100%"),
                spacing="1",
                width="100%",
            ),
            rx.cond(
                AssignmentsState.error != "",
                rx.callout(AssignmentsState.error, color_scheme="red", icon="triangle-alert", id="assignment-error"),
            ),
            rx.button(
                rx.cond(AssignmentsState.busy, "Setting…", "Set assignment"),
                type="submit",
                loading=AssignmentsState.busy,
                size="3",
                id="create-assignment",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=AssignmentsState.create,
        key=AssignmentsState.form_key,
        width="100%",
        id="assignment-form",
    )


def _learner(row: LearnerRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.name),
        rx.table.cell(row.progress),
        rx.table.cell(rx.badge(row.status, color_scheme=row.color)),  # pyright: ignore[reportArgumentType]
        class_name="assignment-learner",
    )


def _assignment(row: AssignmentRow) -> rx.Component:
    return assignment_summary(
        row,
        wide_table(
            ("Learner", "Progress", "Status"),
            rx.table.body(rx.foreach(row.learners, _learner)),
            label="Learners' progress",
            size="1",
        ),
        rx.button(
            "Withdraw",
            size="1",
            variant="outline",
            color_scheme="gray",
            on_click=AssignmentsState.withdraw(row.id),
            class_name="withdraw-assignment",
        ),
    )


def assignments_page() -> rx.Component:
    """The form and every live assignment."""
    return page_frame(
        rx.cond(
            AssignmentsState.forbidden,
            forbidden_notice("Only this company's managers can see its assignments."),
            rx.vstack(
                rx.link("← Back to the dashboard", href=AssignmentsState.dashboard_href),
                rx.heading("Assignments", size="7"),
                rx.text(
                    "Set ",
                    AssignmentsState.company_name,
                    "'s learners a scenario, a module or a lesson with a due date. They see it first on their home "
                    "page; it completes itself when the rule is met, and pays its reward once.",
                    color_scheme="gray",
                ),
                rx.grid(
                    rx.box(_form(), style=styles.card, width="100%"),
                    rx.vstack(
                        rx.cond(
                            AssignmentsState.loaded & (rx.Var.create(AssignmentsState.rows).length() == 0),
                            rx.text("No assignments yet.", color_scheme="gray"),
                        ),
                        rx.foreach(AssignmentsState.rows, _assignment),
                        spacing="3",
                        width="100%",
                        id="assignment-list",
                    ),
                    columns=rx.breakpoints(initial="1", md="2"),
                    gap="1rem",
                    width="100%",
                ),
                spacing="4",
                width="100%",
            ),
        )
    )
