"""An assignment's card: what, when, the rule, how many learners are done and how many overdue."""

import reflex as rx

from speakpro import styles
from speakpro.state.assignments import AssignmentRow


def assignment_summary(row: AssignmentRow, *details: rx.Component) -> rx.Component:
    """One assignment's card; `details` (a learner table, actions) go under its figures."""
    return rx.vstack(
        rx.hstack(
            rx.badge(row.kind, variant="soft"),
            rx.heading(row.title, size="3"),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        rx.text("Due ", row.due, " · ", row.rule, size="2", color_scheme="gray"),
        rx.hstack(
            rx.badge("Done ", row.done, color_scheme="green", variant="soft", class_name="assignment-done"),
            rx.cond(
                row.overdue > 0,
                rx.badge(row.overdue, " overdue", color_scheme="red", class_name="assignment-overdue"),
            ),
            spacing="2",
        ),
        *details,
        spacing="2",
        width="100%",
        style=styles.card,
        class_name="assignment-row",
    )
