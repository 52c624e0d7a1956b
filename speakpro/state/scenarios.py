"""A company's own role-play scenarios, for its managers (`/company/[slug]/scenarios`)."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx
from sqlmodel import Session

from speakpro import routes
from speakpro.models import Company
from speakpro.services.accounts.sessions import Viewer
from speakpro.services.dashboards.dashboard_access import managed_company
from speakpro.services.practice import scenarios
from speakpro.services.validation import ValidationError
from speakpro.state.auth import AuthState
from speakpro.state.edge import LONG, Form, Text, accepts

EXAMPLE_RUBRIC = (
    "Discovery | 3 | Asks open questions about the customer's current process before pitching\n"
    "Value | 2 | Ties the product to a cost or a risk the customer named\n"
    "Next step | 1 | Ends by agreeing a dated next step, such as a demo"
)
FIELDS = ("title", "situation", "partner_persona", "difficulty", "learner_goal", "rubric")


@dataclass(frozen=True)
class ScenarioRow:
    """One scenario of the list, formatted for display."""

    id: str
    title: str
    version: str
    difficulty: str
    criteria: str
    archived: bool


def _row(view: scenarios.ScenarioView) -> ScenarioRow:
    return ScenarioRow(
        id=view.id,
        title=view.title,
        version=f"v{view.version}",
        difficulty=view.difficulty,
        criteria=", ".join(f"{c.name} ×{c.weight}" for c in view.rubric),
        archived=view.archived,
    )


def _rows_of(session: Session, company: Company) -> list[ScenarioRow]:
    views = scenarios.company_scenarios(session=session, company_id=company.id, include_archived=True)
    return [_row(v) for v in views]


class ScenariosState(AuthState):
    """The list of the company's scenarios and the form that creates or edits one (an edit is a new version)."""

    forbidden: bool = False
    loaded: bool = False
    company_name: str = ""
    dashboard_href: str = ""
    rows: list[ScenarioRow] = []
    editing_id: str = ""  # "" while the form creates a new scenario
    form_values: dict[str, str] = {}
    error: str = ""
    error_field: str = ""
    busy: bool = False
    form_key: int = 0  # bumped to reset the uncontrolled inputs to `form_values`

    def _company(self, session: Session, viewer: Viewer) -> Company | None:
        return managed_company(session=session, viewer=viewer, slug=self._route_arg("slug"))

    def _blank(self) -> None:
        self.editing_id, self.error, self.error_field = "", "", ""
        self.form_values = {"difficulty": "intermediate", "rubric": EXAMPLE_RUBRIC}
        self.form_key += 1

    @rx.event
    @accepts()
    async def load(self):
        company_of = self._company
        self.loaded = False

        def read(session: Session, viewer: Viewer) -> tuple[Company, list[ScenarioRow]] | None:
            company = company_of(session, viewer)
            return (company, _rows_of(session, company)) if company is not None else None

        _, found = await self._signed_in(read)
        self.forbidden = found is None
        if found is not None:
            company, self.rows = found
            self.company_name, self.dashboard_href = company.name, routes.company_dashboard(company.slug)
        self._blank()
        self.loaded = True

    @rx.event
    @accepts()
    def new(self):
        """Clear the form for a new scenario."""
        self._blank()

    @rx.event
    @accepts(scenario_id=Text())
    async def edit(self, scenario_id: str):
        """Fill the form with a scenario's current version; saving writes the next version."""
        company_of = self._company

        def read(session: Session, viewer: Viewer) -> scenarios.ScenarioView:
            company = company_of(session, viewer)
            if company is None:
                raise ValidationError("scenario", scenarios.NOT_FOUND)
            return scenarios.get_scenario(session=session, company_id=company.id, scenario_id=scenario_id)

        try:
            _, view = await self._signed_in(read)
        except ValidationError as error:
            return rx.toast.error(error.message)
        self.editing_id, self.error, self.error_field = view.id, "", ""
        self.form_values = {
            "title": view.title,
            "situation": view.situation,
            "partner_persona": view.partner_persona,
            "difficulty": view.difficulty,
            "learner_goal": view.learner_goal,
            "rubric": view.rubric_text,
        }
        self.form_key += 1
        return None

    @rx.event
    @accepts(form=Form(**{name: Text(LONG) for name in FIELDS}))
    async def save(self, form: dict):
        """Create the scenario, or save the edit as its next version."""
        if self.busy:
            return None
        company_of, editing = self._company, self.editing_id
        values = {name: form.get(name, "") for name in FIELDS}

        def write(session: Session, viewer: Viewer) -> tuple[scenarios.ScenarioView, list[ScenarioRow]]:
            company = company_of(session, viewer)
            if company is None:
                raise ValidationError("scenario", scenarios.NOT_FOUND)
            saved = scenarios.save_scenario(
                session=session,
                company_id=company.id,
                actor_id=viewer.user_id,
                scenario_id=editing or None,
                **values,
            )
            return saved, _rows_of(session, company)

        self.busy = True
        try:
            _, (saved, self.rows) = await self._signed_in(write)
        except ValidationError as error:
            self.error, self.error_field = error.message, error.field
            self.form_values = {k: str(v) for k, v in values.items()}
            return rx.toast.error(error.message)
        finally:
            self.busy = False
        self._blank()
        return rx.toast.success(f"Saved “{saved.title}” (version {saved.version}). Your learners can practise it now.")

    @rx.event
    @accepts(scenario_id=Text())
    async def toggle_archived(self, scenario_id: str):
        """Take a scenario off the learners' list, or put it back."""
        company_of = self._company
        archived = next((r.archived for r in self.rows if r.id == scenario_id), None)
        if archived is None:
            return rx.toast.error(scenarios.NOT_FOUND)

        def write(session: Session, viewer: Viewer) -> list[ScenarioRow]:
            company = company_of(session, viewer)
            if company is None:
                raise ValidationError("scenario", scenarios.NOT_FOUND)
            scenarios.archive_scenario(
                session=session,
                company_id=company.id,
                actor_id=viewer.user_id,
                scenario_id=scenario_id,
                archived=not archived,
            )
            return _rows_of(session, company)

        try:
            _, self.rows = await self._signed_in(write)
        except ValidationError as error:
            return rx.toast.error(error.message)
        return rx.toast.success(
            "Put back on your learners' list." if archived else "Archived: learners no longer see it."
        )
