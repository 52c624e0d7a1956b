"""A company's manager page: its people and the codes to invite more."""

import reflex as rx

from speakpro import styles
from speakpro.components.guards import forbidden_notice
from speakpro.components.layout import page_frame
from speakpro.services.companies import Member
from speakpro.state.company import CompanyState


def _member(member: Member) -> rx.Component:
    return rx.table.row(
        rx.table.cell(member.name),
        rx.table.cell(member.email),
        rx.table.cell(rx.badge(member.role, color_scheme=rx.cond(member.role == "manager", "violet", "gray"))),
        rx.table.cell(rx.cond(member.onboarded, "yes", "not yet")),
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
                    rx.vstack(rx.text("Learner join code", size="1", color_scheme="gray"),
                              rx.code(CompanyState.join_code, size="4", id="join-code"), spacing="1"),
                    rx.vstack(rx.text("Join link for learners", size="1", color_scheme="gray"),
                              rx.code(CompanyState.app_base + "/join/" + CompanyState.join_code), spacing="1"),
                    style=styles.card,
                    spacing="6",
                    wrap="wrap",
                    width="100%",
                ),
                rx.heading("People", size="5"),
                rx.table.root(
                    rx.table.header(rx.table.row(
                        rx.table.column_header_cell("Name"),
                        rx.table.column_header_cell("Email"),
                        rx.table.column_header_cell("Role"),
                        rx.table.column_header_cell("Onboarded"),
                    )),
                    rx.table.body(rx.foreach(CompanyState.members, _member)),
                    width="100%",
                    id="member-table",
                ),
                spacing="4",
                style=styles.page,
                padding_y="2rem",
            ),
        )
    )
