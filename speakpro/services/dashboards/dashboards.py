"""The company dashboard and its CSV, and what every dashboard shares (skill labels, the date range, the
trend): every figure is an aggregate over `session_analytics`. A learner's own progress is
`learner_progress.py`, the admin overview `admin_overview.py`.

Each function issues a fixed number of queries whatever the data size:

- `company_dashboard`: 3 (KPIs with the skill breakdown, daily series, per-learner table), through the
  `(company_id, session_date)` covering index (KPIs and daily series are index-only scans).
- `company_csv`: 1 (the per-learner table).

The KPI and per-learner queries follow seed 001's `company_session_metrics` and `user_progress_metrics`
views, but on the denormalised `session_analytics` rows (one per analysed session) and on an explicit
date range instead of "the last 30 / 90 days".

CSV exports (`export_company_csv`) write an audit row each (who, which company, which dates; nothing about
the learners), and the file is named after the company's slug and the date range. A browser link cannot
send the session cookie to the backend's origin, so the dashboard state mints a single-use, two-minute
download token bound to the user, the company and the login session (`services/dashboards/dashboard_access.py`); the
export route redeems it and checks again in the database that the user may still see that company.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ARRAY, Date, Integer, Uuid, and_, bindparam, func, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlmodel import Session

from speakpro.models import Company, SessionAnalytics, User, UserProfile, table_of
from speakpro.services.telemetry import audit
from speakpro.services.validation import ValidationError

SA = SessionAnalytics
_A = table_of(SessionAnalytics).c
SKILL_LABELS = {
    "opening": "Opening",
    "questioning": "Questioning",
    "objection_handling": "Objection handling",
    "closing": "Closing",
}
MAX_RANGE_DAYS = 366
EARLIEST_DAY = date(2000, 1, 1)
MAX_SERIES_POINTS = 400
TREND_THRESHOLD = 3
TREND_MIN_SESSIONS = 3
REVERSED_RANGE = "The end date is before the start date. Choose a start on or before the end."


def rounded(value, digits: int = 1) -> float | None:
    """A database average as a float rounded to `digits` (None stays None)."""
    return None if value is None else round(float(value), digits)


def trend_of(change: float | None, scored: int) -> str:
    """`up`, `down` or `flat` from the fitted change across a window (a change under 3 points is flat), or
    `few` with fewer than `TREND_MIN_SESSIONS` scored sessions: two points are a coincidence, not a trend."""
    if scored < TREND_MIN_SESSIONS:
        return "few"
    if change is None:
        return "flat"  # every scored session at the same moment: no change to fit
    if change >= TREND_THRESHOLD:
        return "up"
    if change <= -TREND_THRESHOLD:
        return "down"
    return "flat"


def _session_time():
    """Days since 2000-01-01 (with the hour) of an analytics row: the x of the trend's fit."""
    return (_A.session_date - EARLIEST_DAY) + func.coalesce(_A.session_hour, 0) / 24.0


def fitted_change():
    """The least-squares change of the overall score across a group's scored sessions: the fitted line's
    slope per day times the days from the first to the last (NULL with fewer than two distinct times)."""
    x, scored = _session_time(), _A.overall_score.is_not(None)
    return func.regr_slope(_A.overall_score, x).filter(scored) * (
        func.max(x).filter(scored) - func.min(x).filter(scored)
    )


def score_at(*, asc: bool):
    """The first (or latest) overall score: `(array_agg(overall_score ORDER BY date, hour, created)
    FILTER (WHERE overall_score IS NOT NULL))[1]`."""
    order = (_A.session_date, _A.session_hour, _A.created_at)
    if not asc:
        order = tuple(column.desc() for column in order)
    aggregated = func.array_agg(aggregate_order_by(_A.overall_score, *order)).filter(_A.overall_score.is_not(None))
    return type_coerce(aggregated, ARRAY(Integer))[1]


# --------------------------------------------------------------------------------------------- company
@dataclass
class DayPoint:
    """One day of a company's activity."""

    day: date
    sessions: int
    average_score: float | None
    minutes: float
    active_learners: int


@dataclass
class LearnerRow:
    """One learner of the per-learner table."""

    user_id: str
    name: str
    email: str
    sessions: int
    average_score: float | None
    first_score: int | None
    latest_score: int | None
    # `trend_of` the fitted change across the range's scored sessions (`fitted_change`), and that change in
    # points (None with fewer than `TREND_MIN_SESSIONS`).
    trend: str
    trend_change: float | None
    minutes: float
    last_session: date | None


@dataclass
class CompanyDashboard:
    """What `/company/[slug]/dashboard` shows for one date range."""

    date_from: date
    date_to: date
    sessions: int = 0
    average_score: float | None = None
    total_seconds: int = 0
    active_learners: int = 0
    daily: list[DayPoint] = field(default_factory=list)
    learners: list[LearnerRow] = field(default_factory=list)
    skills: dict[str, float | None] = field(default_factory=dict)


def clamp_range(date_from: date | None, date_to: date | None, *, today: date | None = None) -> tuple[date, date]:
    """A valid range: defaults to the last 30 days, at most 366 days long, within 2000-01-01 and a year from
    today (no session lies outside, and the date arithmetic below stays within what a date can hold: an
    address may ask for 0001-01-01 or 9999-12-31).

    Raises:
        ValidationError: For a start after the end (refused, not swapped: the figures would answer another
            question than the one asked).
    """
    if date_from is not None and date_to is not None and date_from > date_to:
        raise ValidationError("date_to", REVERSED_RANGE)
    today = today or datetime.now(UTC).date()
    latest = today + timedelta(days=MAX_RANGE_DAYS)

    def bounded(day: date) -> date:
        return min(max(day, EARLIEST_DAY), latest)

    date_to = bounded(date_to or today)
    date_from = bounded(date_from or date_to - timedelta(days=29))
    if date_from > date_to:  # only a default start after a far-off end: the range is that day
        date_from = date_to
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        date_from = date_to - timedelta(days=MAX_RANGE_DAYS - 1)
    return date_from, date_to


def _company_reads():
    """The company dashboard's three reads, built once (hot reads, see `db.py`); parameters `company_id`,
    `date_from`, `date_to`."""
    company_id = bindparam("company_id", type_=Uuid)
    in_range = and_(
        _A.company_id == company_id,
        _A.session_date >= bindparam("date_from", type_=Date),
        _A.session_date <= bindparam("date_to", type_=Date),
    )
    # KPIs (seed 001's company_session_metrics) and the skill breakdown: index-only on
    # (company_id, session_date) INCLUDE (...).
    totals = select(
        func.count(),
        func.avg(_A.overall_score),
        func.coalesce(func.sum(_A.duration_seconds), 0),
        func.count(_A.user_id.distinct()),
        *(func.avg(_A[f"{skill}_score"]) for skill in SKILL_LABELS),
    ).where(in_range)
    daily = (
        select(
            _A.session_date,
            func.count().label("n"),
            func.avg(_A.overall_score).label("avg"),
            func.sum(_A.duration_seconds).label("s"),
            func.count(_A.user_id.distinct()).label("users"),
        )
        .where(in_range)
        .group_by(_A.session_date)
        .order_by(_A.session_date)
    )
    # Per learner (seed 001's user_progress_metrics): learners with sessions in the range, then the
    # company's other learners with none, each with first vs latest score in the range.
    agg = (
        select(
            _A.user_id.label("user_id"),
            func.count().label("sessions"),
            func.avg(_A.overall_score).label("avg_score"),
            func.sum(_A.duration_seconds).label("seconds"),
            func.max(_A.session_date).label("last_session"),
            score_at(asc=True).label("first_score"),
            score_at(asc=False).label("latest_score"),
            func.count(_A.overall_score).label("scored"),
            fitted_change().label("change"),
        )
        .where(in_range)
        .group_by(_A.user_id)
        .subquery("agg")
    )
    profiles, users = table_of(UserProfile).c, table_of(User)
    members = (
        select(profiles.user_id.label("user_id"))
        .where(profiles.company_id == company_id, profiles.role == "learner")
        .subquery("members")
    )
    people = func.coalesce(agg.c.user_id, members.c.user_id)
    learners = (
        select(
            users.c.id,
            users.c.display_name,
            users.c.email,
            agg.c.sessions,
            agg.c.avg_score,
            agg.c.seconds,
            agg.c.last_session,
            agg.c.first_score,
            agg.c.latest_score,
            agg.c.scored,
            agg.c.change,
        )
        .select_from(agg.join(members, agg.c.user_id == members.c.user_id, full=True))
        .join(users, users.c.id == people)
        .where(or_(agg.c.user_id.is_not(None), users.c.deleted_at.is_(None)))
        .order_by(func.coalesce(agg.c.sessions, 0).desc(), users.c.display_name, users.c.email)
    )
    return totals, daily, learners


_TOTALS, _DAILY, _LEARNERS = _company_reads()


def _range(company_id: uuid.UUID, date_from: date, date_to: date) -> dict:
    return {"company_id": company_id, "date_from": date_from, "date_to": date_to}


def _learner_table(session: Session, company_id: uuid.UUID, date_from: date, date_to: date) -> list[LearnerRow]:
    """The per-learner table (1 query)."""
    rows = session.execute(_LEARNERS, _range(company_id, date_from, date_to)).all()
    return [
        LearnerRow(
            user_id=str(r.id),
            name=r.display_name or r.email.split("@")[0],
            email=r.email,
            sessions=r.sessions or 0,
            average_score=rounded(r.avg_score),
            first_score=r.first_score,
            latest_score=r.latest_score,
            trend=trend_of(None if r.change is None else float(r.change), r.scored or 0),
            trend_change=rounded(r.change) if (r.scored or 0) >= TREND_MIN_SESSIONS else None,
            minutes=round((r.seconds or 0) / 60, 1),
            last_session=r.last_session,
        )
        for r in rows
    ]


def company_dashboard(
    *, session: Session, company_id: uuid.UUID, date_from: date | None, date_to: date | None
) -> CompanyDashboard:
    """A company's figures for a date range (3 queries; only rows whose `company_id` is this company).

    Args:
        session: A database session.
        company_id: The company; the caller has already checked the viewer may see it.
        date_from: First day included (UTC dates); defaults per `clamp_range`.
        date_to: Last day included.
    """
    date_from, date_to = clamp_range(date_from, date_to)
    params = _range(company_id, date_from, date_to)
    board = CompanyDashboard(date_from=date_from, date_to=date_to)
    totals = session.execute(_TOTALS, params).one()
    board.sessions, board.average_score, board.total_seconds, board.active_learners = (
        totals[0],
        rounded(totals[1]),
        int(totals[2]),
        totals[3],
    )
    board.skills = {name: rounded(value) for name, value in zip(SKILL_LABELS, totals[4:], strict=True)}
    board.daily = [
        DayPoint(
            day=r.session_date,
            sessions=r.n,
            average_score=rounded(r.avg),
            minutes=round((r.s or 0) / 60, 1),
            active_learners=r.users,
        )
        for r in session.execute(_DAILY, params).all()
    ]
    board.learners = _learner_table(session, company_id, date_from, date_to)
    return board


CSV_HEADER = (
    "learner",
    "email",
    "sessions",
    "average_score",
    "first_score",
    "latest_score",
    "trend",
    "practice_minutes",
    "last_session",
    "trend_change",
    "company",
    "date_from",
    "date_to",
)


def _cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_text(rows: list[LearnerRow], company: Company, date_from: date, date_to: date) -> str:
    """The learner table as CSV; every row names the company and the range it was computed for, so a file
    that was renamed or pasted elsewhere still says what it is."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow(
            [
                _cell(v)
                for v in (
                    row.name,
                    row.email,
                    row.sessions,
                    row.average_score,
                    row.first_score,
                    row.latest_score,
                    row.trend,
                    row.minutes,
                    row.last_session.isoformat() if row.last_session else "",
                    row.trend_change,
                    company.name,
                    date_from.isoformat(),
                    date_to.isoformat(),
                )
            ]
        )
    return out.getvalue()


def company_csv(*, session: Session, company: Company, date_from: date | None, date_to: date | None) -> str:
    """The per-learner table of `company_dashboard` as CSV text with a header row (1 query)."""
    date_from, date_to = clamp_range(date_from, date_to)
    return _csv_text(_learner_table(session, company.id, date_from, date_to), company, date_from, date_to)


@dataclass(frozen=True)
class CsvExport:
    """A company's learner table as a file: its name and its text."""

    filename: str
    body: str


def export_company_csv(
    *,
    session: Session,
    company: Company,
    actor_user_id: uuid.UUID,
    date_from: date | None,
    date_to: date | None,
    via: str,
) -> CsvExport:
    """The CSV of a company's learners (names and emails) for a date range, and the audit row of the export.

    The caller has checked that the actor may see the company. The audit row says who exported which
    company for which dates and how many learners the file lists; nothing about the learners themselves.

    Args:
        session: An open database session (the audit row joins its transaction).
        company: The company exported.
        actor_user_id: Who asked.
        date_from: The range's first day; 30 days before `date_to` when None.
        date_to: The range's last day; today when None.
        via: How the request was authenticated (`download_token` or `bearer`).

    Returns:
        The file: `<slug>-learners-<from>-to-<to>.csv` and its text (2 statements: the table and the audit row).
    """
    date_from, date_to = clamp_range(date_from, date_to)
    rows = _learner_table(session, company.id, date_from, date_to)
    audit(
        session=session,
        action="company.csv_exported",
        target_type="company",
        actor_user_id=actor_user_id,
        company_id=company.id,
        target_id=company.id,
        details={"date_from": date_from.isoformat(), "date_to": date_to.isoformat(), "learners": len(rows), "via": via},
    )
    return CsvExport(
        filename=f"{company.slug}-learners-{date_from.isoformat()}-to-{date_to.isoformat()}.csv",
        body=_csv_text(rows, company, date_from, date_to),
    )


__all__ = [
    "CompanyDashboard",
    "DayPoint",
    "LearnerRow",
    "CsvExport",
    "clamp_range",
    "company_csv",
    "company_dashboard",
    "export_company_csv",
    "rounded",
    "score_at",
    "trend_of",
]
