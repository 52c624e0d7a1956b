"""The landing state loads the catalogue through the service, and survives a database outage."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from speakpro import db
from speakpro.state.landing import LandingState


@pytest.fixture
def session(seeded_session):
    """Every test here reads the demo seed (committed once for the run)."""
    return seeded_session


def test_load_fills_the_curriculum_preview(session):
    state = LandingState()
    state.load()
    assert state.loaded and not state.load_failed
    assert [m.code for m in state.modules] == ["A", "B", "C", "D"]
    assert state.level_title
    assert state.topic_count >= 10 and state.district_count >= 3 and state.venue_count > state.district_count


def test_load_reports_an_outage_instead_of_crashing(engine):
    db.set_engine(create_engine("postgresql+psycopg2://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1}))
    try:
        state = LandingState()
        state.load()
    finally:
        db.set_engine(engine)
    assert state.loaded and state.load_failed
    assert state.modules == []
