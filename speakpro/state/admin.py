"""Admin pages: companies across the instance."""

from __future__ import annotations

import reflex as rx
from reflex.config import get_config

from speakpro.services.accounts import companies
from speakpro.services.validation import ValidationError
from speakpro.state.auth import AuthState, run_db
from speakpro.state.edge import Form, Text, accepts


class AdminState(AuthState):
    """The company list and the form that creates a company."""

    forbidden: bool = False
    company_list: list[companies.CompanySummary] = []
    error: str = ""
    app_base: str = ""

    @rx.event
    @accepts()
    async def load(self):
        viewer, redirect = await self._guard()
        if redirect is not None:
            return redirect
        self.forbidden = not viewer.is_admin
        if self.forbidden:
            self.company_list = []
            return
        self.app_base = get_config().deploy_url or ""
        self.company_list = await run_db(lambda s: companies.list_companies(session=s))

    @rx.event
    @accepts(form=Form(company_name=Text()))
    async def create_company(self, form: dict):
        viewer = await self._viewer()
        if viewer is None or not viewer.is_admin:
            self.forbidden = True
            return
        name = form.get("company_name", "")
        try:
            company = await run_db(lambda s: companies.create_company(session=s, actor_id=viewer.user_id, name=name))
        except ValidationError as error:
            self.error = error.message
            return
        self.error = ""
        self.company_list = await run_db(lambda s: companies.list_companies(session=s))
        return rx.toast.success(f"{company.name} created. Share its codes with its manager and learners.")
