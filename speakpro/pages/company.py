"""A company's manager page: its people, teams, invitations, join code and recording retention."""

import reflex as rx

from speakpro import styles
from speakpro.components.forms import error_callout, field_label
from speakpro.components.guards import forbidden_notice
from speakpro.components.layout import page_frame
from speakpro.pages.company_invites import invites_card
from speakpro.pages.company_people import people_table, teams_card
from speakpro.state.company import CompanyState


def _retention() -> rx.Component:
    return rx.vstack(
        rx.heading("Recordings", size="5"),
        rx.text(
            "How long your learners' recordings are kept. Older ones are deleted every night (their "
            "transcripts and scores stay). Leave it empty to keep recordings until each learner deletes them.",
            size="2",
            color_scheme="gray",
        ),
        error_callout(CompanyState.retention_error, "retention-error"),
        rx.form(
            rx.hstack(
                rx.vstack(
                    field_label("Keep recordings for (days)", "retention_days"),
                    rx.input(
                        name="retention_days",
                        id="retention_days",
                        type="number",
                        min=1,
                        max=3650,
                        placeholder="no limit",
                        default_value=CompanyState.retention_days,
                        key=CompanyState.retention_days,
                        width="12rem",
                    ),
                    spacing="1",
                ),
                rx.button("Save", type="submit", loading=CompanyState.retention_saving, id="save-retention"),
                align="end",
            ),
            on_submit=CompanyState.save_retention,
            reset_on_submit=False,
        ),
        style=styles.card,
        width="100%",
        spacing="3",
        id="retention-card",
    )


def company() -> rx.Component:
    """The manager page of one company."""
    return page_frame(
        rx.cond(
            CompanyState.forbidden,
            forbidden_notice("This page belongs to another company's managers."),
            rx.vstack(
                rx.heading(CompanyState.company_name, size="7", id="company-name"),
                rx.hstack(
                    rx.vstack(
                        rx.text("Learner join code", size="1", color_scheme="gray"),
                        rx.code(CompanyState.join_code, size="4", id="join-code"),
                        spacing="1",
                    ),
                    rx.vstack(
                        rx.text("Join link for learners", size="1", color_scheme="gray"),
                        rx.code(CompanyState.app_base + "/join/" + CompanyState.join_code, word_break="break-all"),
                        spacing="1",
                    ),
                    rx.button(
                        rx.icon("refresh-cw", size=14),
                        "New code",
                        variant="soft",
                        size="2",
                        on_click=CompanyState.rotate_join_code,
                        id="rotate-join-code",
                        title="Make a new join code; the old code and link stop working",
                    ),
                    style=styles.card,
                    spacing="6",
                    wrap="wrap",
                    width="100%",
                ),
                rx.grid(
                    invites_card(),
                    teams_card(),
                    columns=rx.breakpoints(initial="1", md="2"),
                    gap="1rem",
                    width="100%",
                    align_items="start",
                ),
                people_table(),
                _retention(),
                spacing="4",
                style=styles.page,
                padding_y="2rem",
            ),
        )
    )
