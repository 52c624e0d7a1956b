"""Admin pages: companies across the instance."""

from __future__ import annotations

import reflex as rx
from reflex.config import get_config
from sqlmodel import Session

from speakpro.models import Company
from speakpro.services.accounts import companies
from speakpro.services.accounts.sessions import Viewer
from speakpro.services.validation import ValidationError
from speakpro.state.auth import AuthState
from speakpro.state.edge import Form, Text, accepts


def _companies(session: Session, viewer: Viewer) -> list[companies.CompanySummary]:
    """Every company, for an admin (nothing is read for anyone else)."""
    return companies.list_companies(session=session) if viewer.is_admin else []


class AdminState(AuthState):
    """The company list and the form that creates a company."""

    forbidden: bool = False
    company_list: list[companies.CompanySummary] = []
    error: str = ""
    app_base: str = ""

    @rx.event
    @accepts()
    async def load(self):
        viewer, company_list = await self._signed_in(_companies)
        self.forbidden = not viewer.is_admin
        self.company_list = company_list
        if not self.forbidden:
            self.app_base = get_config().deploy_url or ""

    @rx.event
    @accepts(form=Form(company_name=Text()))
    async def create_company(self, form: dict):
        name = form.get("company_name", "")

        def create(session: Session, viewer: Viewer) -> tuple[Company, list[companies.CompanySummary]] | None:
            if not viewer.is_admin:
                return None
            company = companies.create_company(session=session, actor_id=viewer.user_id, name=name)
            return company, companies.list_companies(session=session)

        try:
            _, created = await self._signed_in(create)
        except ValidationError as error:
            self.error = error.message
            return
        if created is None:
            self.forbidden = True
            return
        company, company_list = created
        self.error, self.company_list = "", company_list
        return rx.toast.success(f"{company.name} created. Share its codes with its manager and learners.")
