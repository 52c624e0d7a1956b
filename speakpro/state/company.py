"""A company's manager page: only that company's managers (and instance admins) get in."""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx
from reflex.config import get_config
from sqlmodel import Session

from speakpro.db import SYSTEM, enter_context
from speakpro.services.accounts import companies, invites, retention, teams
from speakpro.services.accounts.sessions import Viewer
from speakpro.services.dashboards.dashboard_access import can_view_company, managed_company
from speakpro.services.validation import ValidationError
from speakpro.state.auth import AuthState
from speakpro.state.edge import Flag, Form, Text, accepts

NOT_ALLOWED = "Only this company's managers can change this."
NO_TEAM = "none"  # the team choice "No team" (a select's items cannot have an empty value)


class CompanyState(AuthState):
    """Members and codes of one company."""

    forbidden: bool = False
    company_name: str = ""
    join_code: str = ""
    manager_invite_code: str = ""
    members: list[companies.Member] = []
    app_base: str = ""
    # How long the company keeps its learners' recordings ("" = until the learner deletes them).
    retention_days: str = ""
    retention_error: str = ""
    retention_saving: bool = False
    # The member whose "Remove" was clicked once: a second click removes them.
    confirm_remove: str = ""
    team_list: list[teams.TeamSummary] = []
    # The team whose "Delete" was clicked once: a second click deletes it.
    confirm_delete_team: str = ""
    team_form_key: int = 0
    pending_invites: list[invites.PendingInvite] = []
    _company_id: str = ""

    def _clear(self) -> None:
        self.company_name = self.join_code = self.manager_invite_code = ""
        self.members, self.team_list, self.pending_invites = [], [], []
        self.retention_days, self.retention_error, self.retention_saving, self._company_id = "", "", False, ""

    @rx.event
    @accepts()
    async def load(self):
        return await self._load_company(self._route_arg("slug"))

    async def _load_company(self, slug: str) -> None:
        def read(session: Session, viewer: Viewer):
            company = managed_company(session=session, viewer=viewer, slug=slug)
            if company is None:
                return None
            return (
                company,
                _people(session, company.id),
                retention.recording_retention(session=session, company_id=company.id),
                invites.pending_invites(session=session, company_id=company.id),
            )

        _, found = await self._signed_in(read)
        if found is None:
            self.forbidden = True
            self._clear()
            return
        company, people, days, pending = found
        self.members, self.team_list = people
        self.pending_invites = pending
        self.forbidden = False
        self._company_id = str(company.id)
        self.retention_days = "" if days is None else str(days)
        self.retention_error, self.retention_saving = "", False
        self.company_name = company.name
        self.join_code = company.join_code
        self.manager_invite_code = company.manager_invite_code or ""
        self.app_base = (get_config().deploy_url or "").rstrip("/")

    @rx.event
    @accepts(form=Form(retention_days=Text()))
    async def save_retention(self, form: dict):
        """Set how many days the company keeps recordings (empty: no limit); managers of this company only."""
        if self.retention_saving:
            return
        if not self._company_id:
            self.retention_error = NOT_ALLOWED
            return
        company_id = uuid.UUID(self._company_id)
        raw = form.get("retention_days", "")
        self.retention_saving, self.retention_error = True, ""
        yield

        def save(session: Session, viewer: Viewer) -> tuple[int | None, str]:
            if not can_view_company(session=session, user_id=viewer.user_id, company_id=company_id):
                return None, NOT_ALLOWED
            return retention.set_recording_retention(
                session=session, company_id=company_id, days=raw, actor_user_id=viewer.user_id
            ), ""

        try:
            _, (days, problem) = await self._signed_in(save)
        except ValidationError as error:
            days, problem = None, error.message
        finally:
            self.retention_saving = False
        if problem:
            self.retention_error = problem
            yield rx.toast.error(problem)
            return
        self.retention_days = "" if days is None else str(days)
        yield rx.toast.success(
            f"Recordings are now kept for {days} days."
            if days is not None
            else "Recordings are now kept until each learner deletes them."
        )

    def _as_manager(self, work):
        """`_signed_in` work that runs as the system once the viewer is checked, in the database, to manage
        this page's company (a manager may not change another person's rows under Row-Level Security)."""
        company_id = uuid.UUID(self._company_id) if self._company_id else None

        def run(session: Session, viewer: Viewer):
            if company_id is None or not can_view_company(
                session=session, user_id=viewer.user_id, company_id=company_id
            ):
                raise ValidationError("company", NOT_ALLOWED)
            enter_context(session, SYSTEM)
            return work(session, viewer, company_id)

        return run

    @rx.event
    @accepts()
    async def rotate_join_code(self):
        """A new learner join code; the old one (and its link) stops working at once."""

        def rotate(session: Session, viewer: Viewer, company_id: uuid.UUID) -> str:
            return companies.rotate_join_code(session=session, company_id=company_id, actor_id=viewer.user_id)

        try:
            _, code = await self._signed_in(self._as_manager(rotate))
        except ValidationError as error:
            return rx.toast.error(error.message)
        self.join_code = code
        return rx.toast.success("New join code ready. The old code and link no longer work.")

    @rx.event
    @accepts(member_id=Text(64))
    async def remove_member(self, member_id: str):
        """Take a learner out of the company, after a second click on the same row."""
        if self.confirm_remove != member_id:
            self.confirm_remove = member_id
            return None
        self.confirm_remove = ""

        def remove(session: Session, viewer: Viewer, company_id: uuid.UUID) -> str:
            return teams.remove_member(
                session=session, company_id=company_id, actor_id=viewer.user_id, member_id=member_id
            )

        name, refused = await self._change_people(remove)
        if refused is not None:
            return refused
        return rx.toast.success(f"{name} is no longer a member. Sessions they had shared are private again.")

    async def _change_people(self, change) -> tuple[Any, Any]:
        """Run a change of the company's people or teams as its manager, then show the people and teams as
        they now are. Returns (what `change` returned, None), or (None, the error toast) when refused."""

        def run(session: Session, viewer: Viewer, company_id: uuid.UUID):
            return change(session, viewer, company_id), _people(session, company_id)

        try:
            _, (answer, (members, team_list)) = await self._signed_in(self._as_manager(run))
        except ValidationError as error:
            return None, rx.toast.error(error.message)
        self.members, self.team_list = members, team_list
        return answer, None

    @rx.event
    @accepts(member_id=Text(64), disabled=Flag())
    async def set_disabled(self, member_id: str, disabled: bool | str):
        """Disable a learner's membership (they keep their account; the company's content and figures go),
        or enable it again."""
        off = disabled is True

        def change(session: Session, viewer: Viewer, company_id: uuid.UUID) -> str:
            return teams.set_member_disabled(
                session=session, company_id=company_id, actor_id=viewer.user_id, member_id=member_id, disabled=off
            )

        name, refused = await self._change_people(change)
        if refused is not None:
            return refused
        if off:
            return rx.toast.success(
                f"{name} is disabled: they keep their account but no longer see the company's scenarios and "
                "assignments, and their new practice is not counted."
            )
        return rx.toast.success(f"{name} is active again.")

    @rx.event
    @accepts(member_id=Text(64), team_id=Text(64))
    async def set_team(self, member_id: str, team_id: str):
        """Put a learner in a team ("none": no team)."""
        chosen = "" if team_id == NO_TEAM else team_id

        def change(session: Session, viewer: Viewer, company_id: uuid.UUID) -> str:
            return teams.set_member_team(
                session=session, company_id=company_id, actor_id=viewer.user_id, member_id=member_id, team_id=chosen
            )

        name, refused = await self._change_people(change)
        if refused is not None:
            return refused
        team = next((t.name for t in self.team_list if t.id == chosen), "")
        return rx.toast.success(f"{name} is now in {team}." if team else f"{name} is in no team now.")

    @rx.event
    @accepts(form=Form(team_name=Text()))
    async def create_team(self, form: dict):
        """A new team of the company."""
        name = form.get("team_name", "")

        def change(session: Session, viewer: Viewer, company_id: uuid.UUID) -> str:
            return teams.create_team(session=session, company_id=company_id, actor_id=viewer.user_id, name=name).name

        created, refused = await self._change_people(change)
        if refused is not None:
            return refused
        self.team_form_key += 1
        return rx.toast.success(f"Team {created} created. Put learners in it from the list of people.")

    @rx.event
    @accepts(team_id=Text(64))
    async def delete_team(self, team_id: str):
        """Delete a team after a second click; its learners stay in the company without a team."""
        if self.confirm_delete_team != team_id:
            self.confirm_delete_team = team_id
            return None
        self.confirm_delete_team = ""

        def change(session: Session, viewer: Viewer, company_id: uuid.UUID) -> str:
            return teams.delete_team(session=session, company_id=company_id, actor_id=viewer.user_id, team_id=team_id)

        name, refused = await self._change_people(change)
        if refused is not None:
            return refused
        return rx.toast.success(f"Team {name} deleted. Its learners stay in the company.")


def _people(session: Session, company_id: uuid.UUID) -> tuple[list[companies.Member], list[teams.TeamSummary]]:
    return companies.list_members(session=session, company_id=company_id), teams.list_teams(
        session=session, company_id=company_id
    )
