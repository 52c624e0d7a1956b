"""One learner's page on their company's dashboard (`/company/[slug]/learners/[learner_id]`)."""

from __future__ import annotations

from datetime import date

import reflex as rx
from sqlmodel import Session

from speakpro import routes
from speakpro.components import charts
from speakpro.services.accounts.sessions import Viewer
from speakpro.services.dashboards.company_learner import CompanyLearner, company_learner
from speakpro.services.dashboards.dashboard_access import managed_company
from speakpro.services.dashboards.dashboards import SKILL_LABELS
from speakpro.services.validation import ValidationError, id_or_none
from speakpro.state.auth import AuthState
from speakpro.state.dashboard import TREND_ARROWS, parse_day, range_error
from speakpro.state.edge import Form, Text, accepts


def _fmt(value: float | int | None) -> str:
    return "Not measured" if value is None else f"{value:g}"


class CompanyLearnerState(AuthState):
    """A learner of the company, for its managers (and admins): the range's figures and each session's score.

    Unknown companies, other companies and people who are not its learners all read as one refusal, so
    neither slugs nor user ids can be probed.
    """

    forbidden: bool = False
    loading: bool = True
    error: str = ""
    company_name: str = ""
    dashboard_href: str = ""
    name: str = ""
    email: str = ""
    date_from: str = ""
    date_to: str = ""
    kpi_sessions: str = "0"
    kpi_score: str = "Not measured"
    kpi_minutes: str = "0"
    kpi_trend: str = ""
    score_fig: charts.Figure = charts.empty_figure()
    skills_fig: charts.Figure = charts.empty_figure()
    session_rows: list[dict[str, str]] = []

    async def _refresh(self, start: date | None, end: date | None) -> None:
        slug, learner_id = self._route_arg("slug"), id_or_none(self._route_arg("learner_id"))

        def read(session: Session, viewer: Viewer) -> tuple[str, CompanyLearner] | None:
            company = managed_company(session=session, viewer=viewer, slug=slug)
            if company is None or learner_id is None:
                return None
            found = company_learner(
                session=session,
                company_id=company.id,
                learner_id=learner_id,
                viewer_id=viewer.user_id,
                date_from=start,
                date_to=end,
            )
            return (company.name, found) if found is not None else None

        _, found = await self._signed_in(read)
        if found is None:
            self._assign(forbidden=True, name="", email="", session_rows=[], company_name="")
            self.score_fig = self.skills_fig = charts.empty_figure()
            return
        company_name, learner = found
        self._show(slug, company_name, learner)

    def _show(self, slug: str, company_name: str, learner: CompanyLearner) -> None:
        points = learner.points
        change = "" if learner.trend_change is None else f" ({learner.trend_change:+g} points)"
        self._assign(
            forbidden=False,
            company_name=company_name,
            dashboard_href=routes.company_dashboard(slug),
            name=learner.name,
            email=learner.email,
            date_from=learner.date_from.isoformat(),
            date_to=learner.date_to.isoformat(),
            kpi_sessions=str(learner.sessions),
            kpi_score=_fmt(learner.average_score),
            kpi_minutes=f"{learner.total_minutes:g}",
            kpi_trend=TREND_ARROWS[learner.trend] + change,
            score_fig=charts.line_with_band(
                [f"{p.day.isoformat()} {p.hour:02d}:00" for p in points],
                [p.overall_score for p in points],
                title="Score per session",
                band=(70, 100),
                y_range=(0, 100),
            ),
            skills_fig=charts.bars(
                list(SKILL_LABELS.values()),
                list(learner.skills.values()),
                title="Average skill scores in the range",
                color=charts.TEAL,
            ),
            session_rows=[
                {
                    "when": f"{p.day:%d %b %Y}, {p.hour:02d}:00 UTC",
                    "score": _fmt(p.overall_score),
                    "minutes": f"{p.minutes:g}",
                    **{skill: _fmt(p.skills[skill]) for skill in SKILL_LABELS},
                }
                for p in reversed(points)  # newest first in the table
            ],
        )

    @rx.event
    @accepts()
    async def load(self):
        self.loading, self.error = True, ""
        yield
        try:  # the dashboard's range comes along in the link
            query = self.router.url.query_parameters
            await self._refresh(parse_day(query.get("from", "")), parse_day(query.get("to", "")))
        except ValidationError:
            await self._refresh(None, None)  # a reversed range typed into the address: the default range
        finally:
            self.loading = False

    @rx.event
    @accepts(form=Form(date_from=Text(), date_to=Text()))
    async def apply_range(self, form: dict):
        raw_from, raw_to = form.get("date_from", ""), form.get("date_to", "")
        self.error = range_error(raw_from, raw_to)
        if self.error:
            return
        start, end = parse_day(raw_from), parse_day(raw_to)
        self.loading = True
        yield
        try:
            await self._refresh(start, end)
        finally:
            self.loading = False
