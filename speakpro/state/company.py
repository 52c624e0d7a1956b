"""A company's manager page: only that company's managers (and instance admins) get in."""

from __future__ import annotations

import reflex as rx
from reflex.config import get_config

from speakpro.services import companies
from speakpro.state.auth import AuthState, run_db


class CompanyState(AuthState):
    """Members and codes of one company."""

    forbidden: bool = False
    company_name: str = ""
    join_code: str = ""
    manager_invite_code: str = ""
    members: list[companies.Member] = []
    app_base: str = ""

    def _clear(self) -> None:
        self.company_name = self.join_code = self.manager_invite_code = ""
        self.members = []

    @rx.event
    async def load(self):
        return await self._load_company(self.router.url.path.rstrip("/").rsplit("/", 1)[-1])

    async def _load_company(self, slug: str):
        viewer, redirect = await self._guard()
        if redirect is not None:
            return redirect

        def read(session):
            company = companies.get_company_by_slug(session=session, slug=slug)
            # Unknown and forbidden companies look the same, so slugs cannot be probed.
            if company is None or not (viewer.manages(company.id) or viewer.is_admin):
                return None
            return company, companies.list_members(session=session, company_id=company.id)

        found = await run_db(read)
        if found is None:
            self.forbidden = True
            self._clear()
            return
        company, members = found
        self.forbidden = False
        self.company_name = company.name
        self.join_code = company.join_code
        self.manager_invite_code = company.manager_invite_code or ""
        self.members = members
        self.app_base = (get_config().deploy_url or "").rstrip("/")
