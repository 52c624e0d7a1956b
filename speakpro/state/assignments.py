"""Assignments, for a company's managers (`/company/[slug]/assignments`): set one, follow each learner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import reflex as rx
from sqlmodel import Session

from speakpro import routes
from speakpro.models import Company
from speakpro.services.accounts.companies import list_members
from speakpro.services.accounts.sessions import Viewer
from speakpro.services.accounts.teams import list_teams
from speakpro.services.dashboards.dashboard_access import managed_company
from speakpro.services.learning import assignment_reports, assignments
from speakpro.services.validation import ValidationError
from speakpro.state.auth import AuthState
from speakpro.state.edge import Form, Maybe, Text, accepts

NOT_ALLOWED = "Only this company's managers can set its assignments."


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class LearnerRow:
    """One learner's standing on one assignment."""

    name: str
    progress: str
    status: str  # "Done", "Overdue" or "Open"
    color: str


@dataclass(frozen=True)
class AssignmentRow:
    """One assignment with its learners, formatted for display."""

    id: str
    title: str
    kind: str
    due: str
    rule: str
    done: str
    overdue: int
    learners: list[LearnerRow]


def due_text(at: datetime, time_zone: str) -> str:
    """The due day as the reader's calendar shows it (an assignment is due at the end of its day)."""
    try:
        zone = ZoneInfo(time_zone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return f"{(at.astimezone(zone) - assignments.ONE_INSTANT):%a %d %b %Y}"


def assignment_rows(found: list[assignment_reports.CompanyAssignment], time_zone: str) -> list[AssignmentRow]:
    """The company's assignments for display (the dashboard shows them too)."""
    rows = []
    for a in found:
        learners = []
        for learner in a.learners:
            status, color = (
                ("Done", "green")
                if learner.completed_at
                else ("Overdue", "red")
                if learner.overdue
                else ("Open", "gray")
            )
            learners.append(LearnerRow(learner.name, f"{learner.progress}/{a.needed}", status, color))
        rows.append(
            AssignmentRow(
                id=a.id,
                title=a.title,
                kind=assignments.KIND_LABELS[a.kind],
                due=due_text(a.due_at, time_zone),
                rule=a.rule,
                done=f"{a.completed}/{a.total}",
                overdue=a.overdue,
                learners=learners,
            )
        )
    return rows


class AssignmentsState(AuthState):
    """The form that sets an assignment, and every live assignment with each learner's standing."""

    forbidden: bool = False
    loaded: bool = False
    company_name: str = ""
    dashboard_href: str = ""
    scenarios_href: str = ""
    targets: list[Option] = []
    learners: list[Option] = []
    rows: list[AssignmentRow] = []
    error: str = ""
    busy: bool = False
    form_key: int = 0
    today: str = ""
    audience: str = "all"  # every learner of the company ("all"), a team's ("team") or the `chosen` ("some")
    chosen: list[str] = []
    team_options: list[Option] = []

    def _company(self, session: Session, viewer: Viewer) -> Company | None:
        return managed_company(session=session, viewer=viewer, slug=self._route_arg("slug"))

    @rx.event
    @accepts()
    async def load(self):
        company_of = self._company
        self.loaded = False

        def read(session: Session, viewer: Viewer):
            company = company_of(session, viewer)
            if company is None:
                return None
            options = assignments.assignables(session=session, company_id=company.id)
            members = [m for m in list_members(session=session, company_id=company.id) if m.role == "learner"]
            found = assignment_reports.company_assignments(session=session, company_id=company.id)
            return company, options, members, found, list_teams(session=session, company_id=company.id)

        viewer, result = await self._signed_in(read)
        self.forbidden = result is None
        if result is not None:
            company, options, members, found, team_list = result
            self.company_name = company.name
            self.dashboard_href = routes.company_dashboard(company.slug)
            self.scenarios_href = routes.company_scenarios(company.slug)
            self.targets = [Option(f"{o.kind}:{o.id}", o.label) for o in options]
            self.learners = [Option(m.user_id, m.name) for m in members if not m.disabled]
            self.team_options = [Option(t.id, f"{t.name} ({t.learners} learners)") for t in team_list]
            self.rows = assignment_rows(found, viewer.time_zone)
        self.today = viewer.today().isoformat()
        self.error, self.loaded = "", True

    @rx.event
    @accepts(
        form=Form(
            target=Text(),
            due_on=Text(),
            min_attempts=Text(),
            min_score=Text(),
            xp_reward=Text(),
            coin_reward=Text(),
            note=Text(),
            team=Maybe(Text(64)),  # None when the team list is not on the page (the form still names it)
        )
    )
    async def create(self, form: dict):
        """Set the assignment for every learner, a team's, or the ticked ones."""
        if self.busy:
            return None
        company_of = self._company
        kind, _, target = str(form.get("target", "")).partition(":")
        audience = self.audience
        picked = list(self.chosen)
        team = str(form.get("team") or "") if audience == "team" else None

        def write(session: Session, viewer: Viewer):
            company = company_of(session, viewer)
            if company is None:
                raise ValidationError("company", NOT_ALLOWED)
            assignments.create_assignment(
                session=session,
                company_id=company.id,
                actor_id=viewer.user_id,
                time_zone=viewer.time_zone,
                kind=kind,
                target_id=target,
                due_on=form.get("due_on"),
                learner_ids=picked if audience == "some" else None,
                team_id=team,
                min_attempts=form.get("min_attempts") or 1,
                min_score=form.get("min_score") or None,
                xp_reward=form.get("xp_reward") or 0,
                coin_reward=form.get("coin_reward") or 0,
                note=form.get("note", ""),
                today=viewer.today(),
            )
            return assignment_reports.company_assignments(session=session, company_id=company.id)

        self.busy, self.error = True, ""
        try:
            viewer, found = await self._signed_in(write)
        except ValidationError as error:
            self.error = error.message
            return rx.toast.error(error.message)
        finally:
            self.busy = False
        self.rows = assignment_rows(found, viewer.time_zone)
        self.form_key, self.chosen, self.audience = self.form_key + 1, [], "all"
        return rx.toast.success("Assignment set: your learners see it first on their home page.")

    @rx.event
    @accepts(value=Text())
    def set_audience(self, value: str):
        """Every learner ("all"), a team's ("team") or the ticked ones ("some")."""
        self.audience = value if value in ("all", "team", "some") else "all"

    @rx.event
    @accepts(user_id=Text())
    def toggle_learner(self, user_id: str):
        """Tick or untick one learner (only the company's learners can be ticked)."""
        if user_id in self.chosen:
            self.chosen = [u for u in self.chosen if u != user_id]
        elif any(o.value == user_id for o in self.learners):
            self.chosen = [*self.chosen, user_id]

    @rx.event
    @accepts(assignment_id=Text())
    async def withdraw(self, assignment_id: str):
        """Withdraw an assignment (rewards already paid stay paid)."""
        company_of = self._company

        def write(session: Session, viewer: Viewer):
            company = company_of(session, viewer)
            if company is None:
                raise ValidationError("company", NOT_ALLOWED)
            assignments.archive_assignment(
                session=session, company_id=company.id, actor_id=viewer.user_id, assignment_id=assignment_id
            )
            return assignment_reports.company_assignments(session=session, company_id=company.id)

        try:
            viewer, found = await self._signed_in(write)
        except ValidationError as error:
            return rx.toast.error(error.message)
        self.rows = assignment_rows(found, viewer.time_zone)
        return rx.toast.success("Assignment withdrawn.")
