"""Home's invitations: companies that invited a learner who is in none, each to accept or decline."""

import reflex as rx

from speakpro import styles
from speakpro.services.accounts.invites import MyInvite
from speakpro.state.home import HomeState


def _invitation(invite: MyInvite) -> rx.Component:
    busy = HomeState.answering_invite == invite.id
    return rx.hstack(
        rx.vstack(
            rx.text(invite.company_name, weight="bold"),
            rx.cond(
                invite.team != "",
                rx.text("Team: ", invite.team, size="2", color_scheme="gray"),
            ),
            spacing="0",
        ),
        rx.spacer(),
        rx.hstack(
            rx.button(
                "Join",
                size="2",
                loading=busy,
                disabled=HomeState.answering_invite != "",
                on_click=HomeState.accept_invite(invite.id),
                class_name="accept-invite",
                aria_label="Join " + invite.company_name,
            ),
            rx.button(
                "Decline",
                size="2",
                variant="soft",
                color_scheme="gray",
                disabled=HomeState.answering_invite != "",
                on_click=HomeState.decline_invite(invite.id),
                class_name="decline-invite",
                aria_label="Decline the invitation of " + invite.company_name,
            ),
            spacing="2",
        ),
        align="center",
        wrap="wrap",
        width="100%",
        class_name="invitation",
    )


def invitations() -> rx.Component:
    """The card of invitations, shown only when there are some."""
    return rx.cond(
        rx.Var.create(HomeState.invitations).length() > 0,
        rx.vstack(
            rx.heading("You're invited", size="4"),
            rx.text(
                "Joining lets the company's managers set you assignments and see your progress figures. Your "
                "sessions stay private unless you share one.",
                size="2",
                color_scheme="gray",
            ),
            rx.foreach(HomeState.invitations, _invitation),
            spacing="3",
            width="100%",
            style=styles.card,
            id="home-invitations",
        ),
    )
