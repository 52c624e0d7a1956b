"""The `company_daily_totals` rollup stays equal to a GROUP BY over `session_analytics` whatever happens to the
analytics rows (inserts, bulk inserts, upserts, score / company / date changes, deletes, a deleted company)."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from speakpro.models import Company, CompanyDailyTotals, SessionAnalytics
from speakpro.services.dashboards.admin_overview import admin_overview
from tests.factories import days_ago, make_company, make_practice_session, make_user, today

SA = SessionAnalytics


def _truth(session, company_ids) -> list[tuple]:
    return sorted(
        tuple(r)
        for r in session.execute(
            text(
                "SELECT company_id, session_date, count(*), count(overall_score), coalesce(sum(overall_score), 0),"
                "       coalesce(sum(duration_seconds), 0)"
                " FROM session_analytics WHERE company_id = ANY(:ids) GROUP BY company_id, session_date"
            ),
            {"ids": list(company_ids)},
        ).all()
    )


def _rollup(session, company_ids) -> list[tuple]:
    rows = session.execute(
        select(
            CompanyDailyTotals.company_id,
            CompanyDailyTotals.day,
            CompanyDailyTotals.sessions,
            CompanyDailyTotals.scored_sessions,
            CompanyDailyTotals.score_sum,
            CompanyDailyTotals.seconds,
        ).where(CompanyDailyTotals.company_id.in_(list(company_ids)))
    ).all()
    # A (company, day) whose sessions all moved away keeps a row of zeros: the same as no row.
    return sorted(tuple(r) for r in rows if any(r[2:]))


def _analytics(session, user, company, day, score, seconds=300) -> uuid.UUID:
    practice = make_practice_session(
        session,
        user,
        company_id=company.id if company else None,
        status="analyzed",
        started_at=days_ago(1),
        ended_at=days_ago(0),
        duration_seconds=seconds,
    )
    session.execute(
        insert(SA).values(
            id=uuid.uuid4(),
            session_id=practice.id,
            user_id=user.id,
            company_id=company.id if company else None,
            overall_score=score,
            duration_seconds=seconds,
            session_date=day,
            session_hour=9,
        )
    )
    return practice.id


@pytest.fixture
def two_companies(session):
    a, b = make_company(session), make_company(session)
    return a, b, make_user(session, a), make_user(session, b)


def test_inserts_updates_and_deletes_keep_the_rollup_exact(session, two_companies):
    a, b, ann, bea = two_companies
    ids = (a.id, b.id)
    t = today()
    first = _analytics(session, ann, a, t, 60, 120)
    _analytics(session, ann, a, t, None, 60)  # unscored: counted as a session, not in the score
    _analytics(session, bea, b, t - timedelta(days=1), 90, 600)
    assert _rollup(session, ids) == _truth(session, ids)
    assert _rollup(session, [a.id]) == [(a.id, t, 2, 1, 60, 180)]

    session.execute(update(SA).where(SA.session_id == first).values(overall_score=80, duration_seconds=30))
    assert _rollup(session, [a.id]) == [(a.id, t, 2, 1, 80, 90)]

    session.execute(update(SA).where(SA.session_id == first).values(session_date=t - timedelta(days=2)))
    session.execute(update(SA).where(SA.user_id == bea.id).values(company_id=a.id))  # moved between companies
    assert _rollup(session, ids) == _truth(session, ids)
    assert [r for r in _rollup(session, ids) if r[0] == b.id] == []

    session.execute(delete(SA).where(SA.session_id == first))
    assert (
        _rollup(session, ids)
        == _truth(session, ids)
        == [(a.id, t - timedelta(days=1), 1, 1, 90, 600), (a.id, t, 1, 0, 0, 60)]
    )


def test_bulk_insert_and_the_analysis_upsert(session, two_companies):
    a, b, ann, bea = two_companies
    t = today()
    practices = [
        make_practice_session(
            session, ann if i % 2 else bea, status="analyzed", started_at=days_ago(1), ended_at=days_ago(0)
        )
        for i in range(40)
    ]
    session.execute(
        insert(SA),
        [
            {
                "id": uuid.uuid4(),
                "session_id": p.id,
                "user_id": p.user_id,
                "company_id": a.id if i % 2 else b.id,
                "overall_score": i,
                "duration_seconds": 10 * i,
                "session_date": t - timedelta(days=i % 3),
                "session_hour": 0,
            }
            for i, p in enumerate(practices)
        ],
    )
    assert _rollup(session, (a.id, b.id)) == _truth(session, (a.id, b.id))
    # Re-analysis writes INSERT ... ON CONFLICT (session_id) DO UPDATE, as services/analysis/analysis.py does.
    values = {"overall_score": 100, "duration_seconds": 5, "company_id": a.id, "session_date": t}
    for p in practices[:10]:
        session.execute(
            pg_insert(SA)
            .values(id=uuid.uuid4(), session_id=p.id, user_id=p.user_id, session_hour=0, **values)
            .on_conflict_do_update(index_elements=["session_id"], set_=values)
        )
    assert _rollup(session, (a.id, b.id)) == _truth(session, (a.id, b.id))


def test_deleting_a_company_drops_its_totals(session, two_companies):
    a, b, ann, _ = two_companies
    _analytics(session, ann, a, today(), 70)
    session.execute(delete(Company).where(Company.id == a.id))  # analytics rows keep, with company_id NULL
    assert session.execute(select(CompanyDailyTotals).where(CompanyDailyTotals.company_id == a.id)).first() is None
    assert session.execute(select(SA.company_id).where(SA.user_id == ann.id)).scalar_one() is None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_histories_keep_the_rollup_exact(session, two_companies, seed):
    a, b, ann, bea = two_companies
    rng = random.Random(seed)
    companies, ids, t = (a, b, None), (a.id, b.id), today()
    sessions: list[uuid.UUID] = []
    for _ in range(120):
        op = rng.random()
        if op < 0.45 or not sessions:
            company = rng.choice(companies)
            sessions.append(
                _analytics(
                    session,
                    rng.choice((ann, bea)),
                    company,
                    t - timedelta(days=rng.randint(0, 4)),
                    rng.choice((None, rng.randint(0, 100))),
                    rng.randint(0, 900),
                )
            )
        elif op < 0.8:
            target = rng.choice(sessions)
            change = rng.choice(
                (
                    {"overall_score": rng.randint(0, 100)},
                    {"duration_seconds": rng.randint(0, 900)},
                    {"company_id": rng.choice(ids)},
                    {"company_id": None},
                    {"session_date": t - timedelta(days=rng.randint(0, 4))},
                )
            )
            session.execute(update(SA).where(SA.session_id == target).values(**change))
        else:
            session.execute(delete(SA).where(SA.session_id == sessions.pop(rng.randrange(len(sessions)))))
        assert _rollup(session, ids) == _truth(session, ids)


def test_admin_overview_reads_the_rollup(session, two_companies):
    a, _, ann, _ = two_companies
    t = today()
    _analytics(session, ann, a, t - timedelta(days=3), 40, 600)
    _analytics(session, ann, a, t, None, 60)
    _analytics(session, ann, a, t, 80, 120)
    row = next(c for c in admin_overview(session=session) if c.slug == a.slug)
    assert (row.sessions, row.average_score, row.minutes, row.last_session) == (3, 60.0, 13.0, t)
    session.execute(delete(SA).where(SA.user_id == ann.id, SA.session_date == t))
    row = next(c for c in admin_overview(session=session) if c.slug == a.slug)
    assert (row.sessions, row.average_score, row.minutes, row.last_session) == (1, 40.0, 10.0, t - timedelta(days=3))
