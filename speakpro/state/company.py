"""A company's manager page: only that company's managers (and instance admins) get in."""

from __future__ import annotations

import uuid

import reflex as rx
from reflex.config import get_config
from sqlmodel import Session

from speakpro.db import SYSTEM, enter_context
from speakpro.models import Company
from speakpro.services.accounts import companies, retention
from speakpro.services.accounts.sessions import Viewer
from speakpro.services.dashboards.dashboard_access import can_view_company, managed_company
from speakpro.services.validation import ValidationError
from speakpro.state.auth import AuthState
from speakpro.state.edge import Form, Text, accepts

NOT_ALLOWED = "Only this company's managers can change this."


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
    _company_id: str = ""

    def _clear(self) -> None:
        self.company_name = self.join_code = self.manager_invite_code = ""
        self.members = []
        self.retention_days, self.retention_error, self.retention_saving, self._company_id = "", "", False, ""

    @rx.event
    @accepts()
    async def load(self):
        return await self._load_company(self._route_arg("slug"))

    async def _load_company(self, slug: str) -> None:
        def read(session: Session, viewer: Viewer) -> tuple[Company, list[companies.Member], int | None] | None:
            company = managed_company(session=session, viewer=viewer, slug=slug)
            if company is None:
                return None
            return (
                company,
                companies.list_members(session=session, company_id=company.id),
                retention.recording_retention(session=session, company_id=company.id),
            )

        _, found = await self._signed_in(read)
        if found is None:
            self.forbidden = True
            self._clear()
            return
        company, members, days = found
        self.forbidden = False
        self._company_id = str(company.id)
        self.retention_days = "" if days is None else str(days)
        self.retention_error, self.retention_saving = "", False
        self.company_name = company.name
        self.join_code = company.join_code
        self.manager_invite_code = company.manager_invite_code or ""
        self.members = members
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

        def remove(session: Session, viewer: Viewer, company_id: uuid.UUID) -> tuple[str, list[companies.Member]]:
            name = companies.remove_member(
                session=session, company_id=company_id, actor_id=viewer.user_id, member_id=member_id
            )
            return name, companies.list_members(session=session, company_id=company_id)

        try:
            _, (name, members) = await self._signed_in(self._as_manager(remove))
        except ValidationError as error:
            return rx.toast.error(error.message)
        self.members = members
        return rx.toast.success(f"{name} is no longer a member. Sessions they had shared are private again.")
