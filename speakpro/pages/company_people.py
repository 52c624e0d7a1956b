"""The company page's people and teams: who is in the company, in which team, active or disabled."""

import reflex as rx

from speakpro import styles
from speakpro.services.accounts.companies import Member
from speakpro.services.accounts.teams import TeamSummary
from speakpro.state.company import NO_TEAM, CompanyState


def _team_choice(member: Member) -> rx.Component:
    return rx.el.select(
        rx.el.option("No team", value=NO_TEAM),
        rx.foreach(CompanyState.team_list, lambda team: rx.el.option(team.name, value=team.id)),
        value=rx.cond(member.team_id == "", NO_TEAM, member.team_id),
        on_change=lambda value: CompanyState.set_team(member.user_id, value),
        aria_label="Team of " + member.name,
        class_name="member-team",
        style=styles.native_select,
        width="100%",
    )


def _learner_actions(member: Member) -> rx.Component:
    confirming = CompanyState.confirm_remove == member.user_id
    return rx.hstack(
        rx.cond(
            member.disabled,
            rx.button(
                "Enable",
                size="1",
                variant="soft",
                on_click=CompanyState.set_disabled(member.user_id, False),
                class_name="enable-member",
                aria_label="Enable " + member.name + "'s membership again",
            ),
            rx.button(
                "Disable",
                size="1",
                variant="soft",
                color_scheme="amber",
                on_click=CompanyState.set_disabled(member.user_id, True),
                class_name="disable-member",
                aria_label="Disable " + member.name + "'s membership",
                title="They keep their account but lose the company's scenarios, assignments and sharing",
            ),
        ),
        rx.button(
            rx.cond(confirming, "Click again to remove", "Remove"),
            size="1",
            variant=rx.cond(confirming, "solid", "soft"),
            color_scheme="red",
            on_click=CompanyState.remove_member(member.user_id),
            class_name="remove-member",
            aria_label="Remove " + member.name + " from the company",
        ),
        spacing="2",
        wrap="wrap",
    )


# The people list's columns from tablet width up (a phone stacks each person's details instead).
_WIDE = {"role": "11rem", "team": "11rem", "actions": "15rem"}


def _cell(child: rx.Component, column: str) -> rx.Component:
    return rx.box(child, width=rx.breakpoints(initial="100%", sm=_WIDE[column]), flex_shrink="0")


def _member(member: Member) -> rx.Component:
    learner = member.role == "learner"
    status = rx.cond(
        member.disabled,
        rx.badge("disabled", color_scheme="amber", class_name="member-status"),
        rx.badge(
            rx.cond(member.onboarded, "active", "not onboarded"),
            color_scheme="green",
            variant="soft",
            class_name="member-status",
        ),
    )
    role = rx.badge(member.role, color_scheme=rx.cond(member.role == "manager", "violet", "gray"))
    return rx.flex(
        rx.vstack(
            rx.text(member.name, weight="medium"),
            rx.text(member.email, size="1", color_scheme="gray", word_break="break-all"),
            spacing="0",
            flex="1",
            min_width="0",
        ),
        _cell(rx.hstack(role, status, spacing="2"), "role"),
        _cell(rx.cond(learner, _team_choice(member), rx.text("—", color_scheme="gray")), "team"),
        _cell(rx.cond(learner, _learner_actions(member)), "actions"),
        direction=rx.breakpoints(initial="column", sm="row"),
        align=rx.breakpoints(initial="start", sm="center"),
        gap="0.5rem",
        padding_y="0.75rem",
        border_bottom="1px solid var(--gray-a4)",
        width="100%",
        class_name="member-row",
    )


def _header() -> rx.Component:
    def label(text: str) -> rx.Component:
        return rx.text(text, size="1", weight="bold", color_scheme="gray")

    return rx.flex(
        rx.box(label("Person"), flex="1"),
        _cell(label("Role and status"), "role"),
        _cell(label("Team"), "team"),
        _cell(label(""), "actions"),
        display=rx.breakpoints(initial="none", sm="flex"),
        gap="0.5rem",
        padding_bottom="0.25rem",
        border_bottom="1px solid var(--gray-a6)",
        width="100%",
    )


def people_table() -> rx.Component:
    """Everyone in the company, with a learner's team, status and the buttons to change them."""
    return rx.vstack(
        rx.heading("People", size="5"),
        rx.text(
            "Disabling keeps a learner's account and history but takes away the company's scenarios, assignments "
            "and sharing until you enable them again. Removing takes them out of the company.",
            size="2",
            color_scheme="gray",
        ),
        rx.vstack(_header(), rx.foreach(CompanyState.members, _member), spacing="0", width="100%", id="member-table"),
        spacing="3",
        width="100%",
    )


def _team(team: TeamSummary) -> rx.Component:
    confirming = CompanyState.confirm_delete_team == team.id
    return rx.hstack(
        rx.text(team.name, weight="medium"),
        rx.badge(team.learners.to_string() + " learners", variant="soft"),  # pyright: ignore[reportAttributeAccessIssue]
        rx.spacer(),
        rx.button(
            rx.cond(confirming, "Click again to delete", "Delete"),
            size="1",
            variant=rx.cond(confirming, "solid", "soft"),
            color_scheme="red",
            on_click=CompanyState.delete_team(team.id),
            class_name="delete-team",
            aria_label="Delete the team " + team.name,
        ),
        align="center",
        width="100%",
        class_name="team-row",
    )


def teams_card() -> rx.Component:
    """The company's teams: make one, see how many learners each has, delete one."""
    return rx.vstack(
        rx.heading("Teams", size="5"),
        rx.text(
            "Group learners to assign practice to a whole team at once.",
            size="2",
            color_scheme="gray",
        ),
        rx.form(
            rx.hstack(
                rx.input(
                    name="team_name",
                    id="team-name",
                    placeholder="New team name",
                    max_length=80,
                    required=True,
                    aria_label="New team name",
                    flex="1",
                    min_width="10rem",
                ),
                rx.button("Create team", type="submit", id="create-team"),
                wrap="wrap",
                width="100%",
            ),
            on_submit=CompanyState.create_team,
            key=CompanyState.team_form_key,
            width="100%",
        ),
        rx.cond(
            rx.Var.create(CompanyState.team_list).length() > 0,
            rx.vstack(rx.foreach(CompanyState.team_list, _team), spacing="2", width="100%", id="team-list"),
            rx.text("No teams yet.", size="2", color_scheme="gray", id="no-teams"),
        ),
        style=styles.card,
        width="100%",
        spacing="3",
        id="teams-card",
    )
