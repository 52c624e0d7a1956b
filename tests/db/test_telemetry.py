"""Analytics records: an A/B exposure is logged once per learner, however often home loads."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import col, select

from speakpro.db import APP_ROLE, DbContext, enter_context
from speakpro.models import AnalyticsEvent
from speakpro.services.telemetry import record_exposure
from tests.factories import make_user


def _exposures(session, user_id) -> list[dict]:
    return list(
        session.execute(
            select(col(AnalyticsEvent.event_data)).where(
                col(AnalyticsEvent.user_id) == user_id, col(AnalyticsEvent.event_type) == "ab_exposure"
            )
        ).scalars()
    )


def test_an_exposure_is_logged_once_per_learner(session):
    learner, other = make_user(session), make_user(session)
    for _ in range(3):
        record_exposure(session=session, user_id=learner.id, company_id=None, variant="B", surface="home_cta")
    record_exposure(session=session, user_id=other.id, company_id=None, variant="A", surface="home_cta")
    assert _exposures(session, learner.id) == [{"variant": "B", "surface": "home_cta"}]
    assert _exposures(session, other.id) == [{"variant": "A", "surface": "home_cta"}]


def test_a_learner_logs_their_own_exposure_under_row_level_security(session):
    learner = make_user(session)
    session.flush()
    session.execute(text(f"SET LOCAL ROLE {APP_ROLE}"))
    enter_context(session, DbContext(user_id=learner.id, role="learner"))
    record_exposure(session=session, user_id=learner.id, company_id=None, variant="A", surface="home_cta")
    record_exposure(session=session, user_id=learner.id, company_id=None, variant="A", surface="home_cta")
    assert len(_exposures(session, learner.id)) == 1
