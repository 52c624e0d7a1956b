"""Admin: the companies of this instance and the form that creates one."""

import reflex as rx

from speakpro import styles
from speakpro.components.forms import error_callout, field
from speakpro.components.guards import forbidden_notice
from speakpro.components.layout import page_frame
from speakpro.components.tables import wide_table
from speakpro.services.accounts.companies import CompanySummary
from speakpro.state.admin import AdminState


def _row(company: CompanySummary) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(company.name, href="/company/" + company.slug)),
        rx.table.cell(rx.code(company.join_code)),
        rx.table.cell(rx.code(AdminState.app_base + "/join/" + company.manager_invite_code)),
        rx.table.cell(company.learners),
        rx.table.cell(company.managers),
    )


def admin() -> rx.Component:
    """The admin page."""
    return page_frame(
        rx.cond(
            AdminState.forbidden,
            forbidden_notice("Only SpeakPro administrators can open this page."),
            rx.vstack(
                rx.heading("Companies", size="7"),
                rx.form(
                    rx.hstack(
                        field("New company name", "company_name", max_length=120),
                        rx.button("Create company", type="submit", id="create-company"),
                        align="end",
                        width="100%",
                    ),
                    on_submit=AdminState.create_company,
                    reset_on_submit=True,
                    width="100%",
                ),
                error_callout(AdminState.error),
                wide_table(
                    ("Company", "Learner join code", "Manager invite link", "Learners", "Managers"),
                    rx.table.body(rx.foreach(AdminState.company_list, _row)),
                    label="Companies",
                    table_id="company-table",
                ),
                spacing="4",
                style=styles.page,
                padding_y="2rem",
            ),
        )
    )
