"""The company dashboard (its managers and admins only) and the admin overview of every company."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

import reflex as rx
from reflex.config import get_config
from sqlmodel import Session

from speakpro import routes
from speakpro.components import charts
from speakpro.models import Company
from speakpro.services.accounts.sessions import Viewer
from speakpro.services.dashboards import calibration, dashboards
from speakpro.services.dashboards.admin_overview import CompanyTotals, admin_overview
from speakpro.services.dashboards.dashboard_access import (
    can_view_company,
    login_session_id,
    managed_company,
    mint_download_token,
)
from speakpro.services.learning import assignment_reports
from speakpro.services.practice import review
from speakpro.services.practice.history import provider_label
from speakpro.state.assignments import AssignmentRow, assignment_rows
from speakpro.state.auth import AuthState
from speakpro.state.edge import Form, Text, accepts

TREND_ARROWS = {"up": "▲ up", "down": "▼ down", "flat": "– flat", "few": "not enough sessions"}


# The learner table's sortable columns: the key of each and what it sorts on.
SORTS: dict[str, Callable[[dashboards.LearnerRow], Any]] = {
    "name": lambda r: (r.name.casefold(), r.email),
    "sessions": lambda r: r.sessions,
    "average": lambda r: r.average_score,
    "first": lambda r: r.first_score,
    "latest": lambda r: r.latest_score,
    "trend": lambda r: r.trend_change,
    "minutes": lambda r: r.minutes,
    "last": lambda r: r.last_session,
}


def _sorted(rows: list[dashboards.LearnerRow], key: str, descending: bool) -> list[dashboards.LearnerRow]:
    """Rows by one column; missing figures last in either direction, then by name (a stable, total order)."""
    by_name, column = sorted(rows, key=SORTS["name"]), SORTS[key]
    measured = [r for r in by_name if column(r) is not None]
    missing = [r for r in by_name if column(r) is None]
    return sorted(measured, key=column, reverse=descending) + missing


def _trend_text(row: dashboards.LearnerRow) -> str:
    change = "" if row.trend_change is None else f" {row.trend_change:+g}"
    return TREND_ARROWS[row.trend] + change


def range_error(raw_from: str, raw_to: str) -> str:
    """Why a date range typed into a form cannot be shown ("" when it can): a date that is not one, or a
    start after the end (refused, never swapped)."""
    start, end = parse_day(raw_from), parse_day(raw_to)
    if (raw_from and start is None) or (raw_to and end is None):
        return "Please enter dates as YYYY-MM-DD."
    if start is not None and end is not None and start > end:
        return dashboards.REVERSED_RANGE
    return ""


def parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value and value.strip() else None
    except ValueError:
        return None


def _fmt(value, suffix: str = "") -> str:
    return "–" if value is None else f"{value:g}{suffix}"


def _minutes(seconds: int) -> str:
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


class DashboardState(AuthState):
    """One company's figures for a date range; empty and `forbidden` for anyone else."""

    forbidden: bool = False
    loading: bool = True
    company_name: str = ""
    slug: str = ""
    date_from: str = ""
    date_to: str = ""
    error: str = ""
    kpi_sessions: str = "0"
    kpi_score: str = "–"
    kpi_duration: str = "0 min"
    kpi_learners: str = "0"
    learner_rows: list[dict[str, str]] = []
    # Sessions its learners shared with the company's managers, newest first (`review.shared_sessions`).
    shared_rows: list[dict[str, str]] = []
    # The company's live assignments, with completion and overdue counts (`assignment_reports.assignment_totals`).
    assignment_rows: list[AssignmentRow] = []
    # Managers' scores against the automatic ones, per skill and scorer (`calibration.calibration`).
    calibration_rows: list[dict[str, str]] = []
    sort_key: str = "sessions"
    sort_desc: bool = True
    _learners: list[dashboards.LearnerRow] = []
    daily_fig: charts.Figure = charts.empty_figure()
    activity_fig: charts.Figure = charts.empty_figure()
    skills_fig: charts.Figure = charts.empty_figure()
    _company_id: str = ""

    def _clear(self) -> None:
        self.company_name = self._company_id = ""
        self.learner_rows, self._learners, self.shared_rows, self.calibration_rows = [], [], [], []
        self.assignment_rows = []
        self.kpi_sessions, self.kpi_score, self.kpi_duration, self.kpi_learners = "0", "–", "0 min", "0"
        self.daily_fig = self.activity_fig = self.skills_fig = charts.empty_figure()

    def _slug_from_path(self) -> str:
        return self._route_arg("slug")

    async def _refresh(self) -> None:
        slug = self._slug_from_path()
        start, end = dashboards.clamp_range(parse_day(self.date_from), parse_day(self.date_to))

        def read(
            session: Session, viewer: Viewer
        ) -> (
            tuple[
                Company,
                dashboards.CompanyDashboard,
                list[review.SharedSession],
                list[calibration.Agreement],
                list[assignment_reports.CompanyAssignment],
            ]
            | None
        ):
            company = managed_company(session=session, viewer=viewer, slug=slug)
            if company is None:
                return None
            board = dashboards.company_dashboard(session=session, company_id=company.id, date_from=start, date_to=end)
            return (
                company,
                board,
                review.shared_sessions(session=session, company_id=company.id),
                calibration.calibration(session=session, company_id=company.id),
                assignment_reports.assignment_totals(session=session, company_id=company.id),
            )

        viewer, found = await self._signed_in(read)
        if found is None:
            self.forbidden = True
            self._clear()
            return
        company, board, shared, agreements, assigned = found
        self._assign(assignment_rows=assignment_rows(assigned, viewer.time_zone))
        self._assign(forbidden=False, slug=company.slug, company_name=company.name, _company_id=str(company.id))
        self._show(board)
        self._assign(
            shared_rows=[
                {
                    "learner": s.learner,
                    "title": s.title,
                    "when": f"{s.started_at:%d %b %Y}",
                    "score": _fmt(s.overall_score),
                    "comments": str(s.comments),
                    "href": routes.company_review(company.slug, s.id),
                }
                for s in shared
            ],
            calibration_rows=[
                {
                    "skill": a.label,
                    "scorer": provider_label(a.scorer),
                    "pairs": str(a.pairs),
                    "difference": "–" if a.mean_difference is None else f"{a.mean_difference:+g}",
                    "kappa": "not measurable" if a.kappa is None else f"{a.kappa:g}",
                }
                for a in agreements
            ],
        )

    def _show(self, board: dashboards.CompanyDashboard) -> None:
        days = [p.day for p in board.daily]
        self._assign(
            date_from=board.date_from.isoformat(),
            date_to=board.date_to.isoformat(),
            kpi_sessions=str(board.sessions),
            kpi_score=_fmt(board.average_score),
            kpi_duration=_minutes(board.total_seconds),
            kpi_learners=str(board.active_learners),
            daily_fig=charts.line_with_band(
                days,
                [p.average_score for p in board.daily],
                title="Average score per day",
                band=(70, 100),
                y_range=(0, 100),
            ),
            activity_fig=charts.bars(days, [p.sessions for p in board.daily], title="Sessions per day"),
            skills_fig=charts.bars(
                list(dashboards.SKILL_LABELS.values()),
                list(board.skills.values()),
                title="Average skill scores",
                color=charts.TEAL,
            ),
        )
        self._learners = board.learners
        self._show_learners()

    def _show_learners(self) -> None:
        slug, window = self.slug, "?" + urlencode({"from": self.date_from, "to": self.date_to})
        self._assign(
            learner_rows=[
                {
                    "name": r.name,
                    "email": r.email,
                    "href": routes.company_learner(slug, r.user_id) + window,
                    "sessions": str(r.sessions),
                    "average": _fmt(r.average_score),
                    "first": _fmt(r.first_score),
                    "latest": _fmt(r.latest_score),
                    "trend": _trend_text(r),
                    "trend_key": r.trend,
                    "minutes": f"{r.minutes:g}",
                    "last": r.last_session.isoformat() if r.last_session else "–",
                }
                for r in _sorted(self._learners, self.sort_key, self.sort_desc)
            ]
        )

    @rx.event
    @accepts(key=Text(20))
    async def sort_by(self, key: str):
        """Sort the learner table by a column; the same column again flips the direction (no query: the
        table already holds every learner of the range)."""
        if key not in SORTS:
            return
        if key == self.sort_key:
            self.sort_desc = not self.sort_desc
        else:  # names read A to Z first, figures highest first
            self.sort_key, self.sort_desc = key, key != "name"
        if not self._learners and self.learner_rows:
            await self._refresh()  # this state was restored without its rows: read them again
            return
        self._show_learners()

    @rx.event
    @accepts()
    async def load(self):
        self.loading = True
        self.error = ""
        self.date_from = self.date_to = ""
        yield
        try:
            await self._refresh()
        finally:
            self.loading = False

    @rx.event
    @accepts(form=Form(date_from=Text(), date_to=Text()))
    async def apply_range(self, form: dict):
        raw_from, raw_to = form.get("date_from", ""), form.get("date_to", "")
        self.error = range_error(raw_from, raw_to)
        if self.error:
            return  # refused: the figures shown stay those of the last range
        self.error = ""
        self.date_from, self.date_to = raw_from, raw_to
        self.loading = True
        yield
        try:
            await self._refresh()
        finally:
            self.loading = False

    @rx.event
    @accepts()
    async def download_csv(self):
        """Mint a single-use, two-minute download token for this viewer, company and login session, and let
        the browser fetch the CSV."""
        if not self._company_id or self.forbidden:
            self.forbidden = True
            return None
        company_id = uuid.UUID(self._company_id)
        token = self._token()

        def check(session: Session, viewer: Viewer) -> uuid.UUID | None:
            if not can_view_company(session=session, user_id=viewer.user_id, company_id=company_id):
                return None
            return login_session_id(session=session, token=token)

        viewer, login_id = await self._signed_in(check)
        if login_id is None:
            self.forbidden = True
            self._clear()
            return None
        download = mint_download_token(user_id=viewer.user_id, company_id=company_id, login_session_id=login_id)
        query = urlencode({"from": self.date_from, "to": self.date_to, "token": download})
        url = f"{get_config().api_url.rstrip('/')}{routes.company_export(self.slug)}?{query}"
        return rx.call_script(
            "(() => { const a = document.createElement('a'); a.href = " + json.dumps(url) + ";"
            " a.download = ''; document.body.appendChild(a); a.click(); a.remove(); })()"
        )


def _admin_totals(session: Session, viewer: Viewer) -> list[CompanyTotals]:
    """Every company's totals, for an admin (nothing is read for anyone else)."""
    return admin_overview(session=session) if viewer.is_admin else []


class AdminOverviewState(AuthState):
    """Totals of every company, for instance admins."""

    forbidden: bool = False
    loading: bool = True
    company_rows: list[dict[str, str]] = []
    sessions_fig: charts.Figure = charts.empty_figure()

    @rx.event
    @accepts()
    async def load(self):
        self.loading = True
        yield
        try:
            viewer, totals = await self._signed_in(_admin_totals)
        finally:
            self.loading = False
        self.forbidden = not viewer.is_admin
        if self.forbidden:
            self.company_rows = []
            self.sessions_fig = charts.empty_figure()
            return
        self.company_rows = [
            {
                "name": t.name,
                "slug": t.slug,
                "href": routes.company_dashboard(t.slug),
                "learners": str(t.learners),
                "managers": str(t.managers),
                "sessions": str(t.sessions),
                "average": _fmt(t.average_score),
                "minutes": f"{t.minutes:g}",
                "last": t.last_session.isoformat() if t.last_session else "–",
            }
            for t in totals
        ]
        self.sessions_fig = charts.bars(
            [t.name for t in totals], [t.sessions for t in totals], title="Analysed sessions per company"
        )
