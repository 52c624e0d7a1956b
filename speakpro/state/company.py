"""A company's manager page: only that company's managers (and instance admins) get in."""

from __future__ import annotations

import uuid

import reflex as rx
from reflex.config import get_config
from sqlmodel import Session

from speakpro.models import Company
from speakpro.services.accounts import companies, retention
from speakpro.services.accounts.sessions import Viewer
from speakpro.services.dashboards.dashboard_access import can_view_company
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
            company = companies.get_company_by_slug(session=session, slug=slug)
            # Unknown and forbidden companies look the same, so slugs cannot be probed.
            if company is None or not (viewer.manages(company.id) or viewer.is_admin):
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
