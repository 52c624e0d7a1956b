"""The company page's invitations: invite learners by a pasted list or a CSV of emails, and the ones waiting."""

import reflex as rx
from reflex_components_core.el.elements.forms import Input

from speakpro import styles
from speakpro.components.forms import field_label
from speakpro.services.accounts.invites import MAX_CSV_BYTES, MAX_PER_BATCH, PendingInvite
from speakpro.state.company import NO_TEAM, CompanyState
from speakpro.state.company_invites import CSV_UPLOAD_ID, InviteState


def _pending(invite: PendingInvite) -> rx.Component:
    return rx.flex(
        rx.text(invite.email, size="2", word_break="break-all", flex="1", min_width="0"),
        rx.text(
            rx.cond(invite.team == "", "no team", invite.team),
            " · invited ",
            invite.invited_on,
            size="1",
            color_scheme="gray",
        ),
        rx.button(
            "Withdraw",
            size="1",
            variant="soft",
            color_scheme="red",
            on_click=InviteState.revoke(invite.id),
            class_name="revoke-invite",
            aria_label="Withdraw the invitation of " + invite.email,
        ),
        align="center",
        gap="0.5rem",
        wrap="wrap",
        padding_y="0.5rem",
        border_bottom="1px solid var(--gray-a4)",
        width="100%",
        class_name="invite-row",
    )


def _csv_drop() -> rx.Component:
    zone = rx.upload(
        rx.vstack(
            rx.button(
                rx.icon("file-spreadsheet", size=14),
                "Choose a CSV file",
                type="button",
                variant="soft",
                loading=InviteState.inviting,
            ),
            rx.text("or drop it here (an email column, up to 256 KB)", size="1", color_scheme="gray"),
            align="center",
            spacing="1",
        ),
        id=CSV_UPLOAD_ID,
        accept={"text/csv": [".csv"], "text/plain": [".txt"]},
        multiple=False,
        max_files=1,
        max_size=MAX_CSV_BYTES,
        on_drop=InviteState.invite_csv(rx.upload_files(upload_id=CSV_UPLOAD_ID)),  # pyright: ignore[reportArgumentType]
        on_drop_rejected=rx.toast.error("That file cannot be read: choose one CSV file of at most 256 KB."),
        border="1px dashed var(--gray-a7)",
        border_radius="8px",
        padding="1rem",
        width="100%",
    )
    # The dropzone's own file input takes no props: name it, so a screen reader says what it is for.
    [file_input] = [child for child in zone.children[0].children if isinstance(child, Input)]
    file_input.custom_attrs["aria-label"] = "CSV file of email addresses"
    return zone


def invites_card() -> rx.Component:
    """Invite learners by email into a team (or none), and see or withdraw the invitations waiting."""
    return rx.vstack(
        rx.heading("Invite learners", size="5"),
        rx.text(
            "Invited people see the invitation on their home page once they sign in (or sign up) with that "
            f"address, and join with one click. Up to {MAX_PER_BATCH} addresses at a time.",
            size="2",
            color_scheme="gray",
        ),
        rx.hstack(
            field_label("Into team", "invite-team"),
            rx.el.select(
                rx.el.option("No team", value=NO_TEAM),
                rx.foreach(CompanyState.team_list, lambda team: rx.el.option(team.name, value=team.id)),
                value=InviteState.invite_team,
                on_change=InviteState.set_invite_team,
                id="invite-team",
                style=styles.native_select,
            ),
            align="center",
            spacing="2",
            wrap="wrap",
        ),
        rx.form(
            rx.vstack(
                rx.text_area(
                    name="emails",
                    id="invite-emails",
                    placeholder="ana@example.com, Ben Li <ben@example.com>\none per line, or separated by commas",
                    rows="4",
                    width="100%",
                    aria_label="Email addresses to invite",
                ),
                rx.button(
                    rx.cond(InviteState.inviting, "Inviting…", "Send invitations"),
                    type="submit",
                    loading=InviteState.inviting,
                    id="send-invites",
                ),
                spacing="2",
                width="100%",
            ),
            on_submit=InviteState.invite_pasted,
            key=InviteState.invite_form_key,
            width="100%",
        ),
        _csv_drop(),
        rx.cond(
            InviteState.invite_result != "",
            rx.callout(InviteState.invite_result, icon="info", size="1", id="invite-result", width="100%"),
        ),
        rx.heading("Waiting for an answer", size="3"),
        rx.cond(
            rx.Var.create(CompanyState.pending_invites).length() > 0,
            rx.vstack(rx.foreach(CompanyState.pending_invites, _pending), spacing="0", width="100%", id="invite-list"),
            rx.text("No invitations waiting.", size="2", color_scheme="gray", id="no-invites"),
        ),
        style=styles.card,
        width="100%",
        spacing="3",
        id="invites-card",
    )
