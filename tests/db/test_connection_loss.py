"""A connection the server drops (restart, failover, a killed backend) is a calm DatabaseUnavailable once, then
the pool replaces it: the server process behind a pooled connection is really terminated here."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from speakpro import db
from speakpro.db import APP_ROLE, DatabaseUnavailable, create_app_engine, session_scope


@pytest.fixture
def app_engine(database_url, engine):
    app = create_app_engine(make_url(database_url).set(username=APP_ROLE, password=None), pool_size=1, max_overflow=0)
    previous = db._engine
    db.set_engine(app)
    yield app
    db.set_engine(previous)
    app.dispose()


def test_a_dropped_connection_is_unavailable_once_then_replaced(app_engine, database_url):
    with session_scope() as session:
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    owner = create_engine(database_url)
    with owner.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    owner.dispose()
    # The pooled connection is dead: the first statement (which carries the context) finds out.
    with pytest.raises(DatabaseUnavailable), session_scope() as session:
        session.execute(text("SELECT 1"))
    with session_scope() as session:
        assert session.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
