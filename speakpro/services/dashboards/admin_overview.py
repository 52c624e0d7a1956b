"""The admin overview: totals per company over all time, in one query on the `company_daily_totals` rollup
(kept exact by triggers, migration 0004), so it reads companies x days rows, never the sessions themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session, col

from speakpro.models import Company, CompanyDailyTotals, UserProfile
from speakpro.services.dashboards.dashboards import rounded


@dataclass
class CompanyTotals:
    """One company's totals for the admin overview."""

    name: str
    slug: str
    learners: int
    managers: int
    sessions: int
    average_score: float | None
    minutes: float
    last_session: date | None


def admin_overview(*, session: Session) -> list[CompanyTotals]:
    """Totals per company over all time (1 query; sessions, scores and minutes from the daily rollup)."""
    people = (
        select(
            col(UserProfile.company_id).label("company_id"),
            func.count().filter(col(UserProfile.role) == "learner").label("learners"),
            func.count().filter(col(UserProfile.role) == "manager").label("managers"),
        )
        .where(col(UserProfile.company_id).is_not(None))
        .group_by(col(UserProfile.company_id))
        .subquery("people")
    )
    totals = CompanyDailyTotals
    stats = (
        select(
            col(totals.company_id).label("company_id"),
            func.sum(col(totals.sessions)).label("sessions"),
            (func.sum(col(totals.score_sum)) / func.nullif(func.sum(col(totals.scored_sessions)), 0)).label(
                "avg_score"
            ),
            func.sum(col(totals.seconds)).label("seconds"),
            func.max(col(totals.day)).filter(col(totals.sessions) > 0).label("last_session"),
        )
        .group_by(col(totals.company_id))
        .subquery("stats")
    )
    rows = session.execute(
        select(
            col(Company.name),
            col(Company.slug),
            people.c.learners,
            people.c.managers,
            stats.c.sessions,
            stats.c.avg_score,
            stats.c.seconds,
            stats.c.last_session,
        )
        .outerjoin(people, people.c.company_id == col(Company.id))
        .outerjoin(stats, stats.c.company_id == col(Company.id))
        .order_by(col(Company.name))
    ).all()
    return [
        CompanyTotals(
            name=r.name,
            slug=r.slug,
            learners=r.learners or 0,
            managers=r.managers or 0,
            sessions=r.sessions or 0,
            average_score=rounded(r.avg_score),
            minutes=round((r.seconds or 0) / 60, 1),
            last_session=r.last_session,
        )
        for r in rows
    ]
