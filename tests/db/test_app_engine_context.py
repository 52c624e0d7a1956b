"""The app's engine sends each transaction's tenant context with that transaction's first statement (no round
trip of its own): whatever that first statement is, the context is in force for it and for the rest of the
transaction, and a new transaction gets the context current when it begins."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from speakpro.db import APP_ROLE, DbContext, create_app_engine, use_context

SETTINGS = "SELECT current_setting('app.user_id', true), current_setting('app.role', true)"


@pytest.fixture
def app_engine(database_url, engine):
    app = create_app_engine(make_url(database_url).set(username=APP_ROLE, password=None), pool_size=1, max_overflow=0)
    yield app
    app.dispose()


def test_the_first_statement_carries_the_context_and_the_rest_keep_it(app_engine):
    user = uuid.uuid4()
    with use_context(DbContext(user_id=user, role="learner")), Session(app_engine) as session:
        assert tuple(session.execute(text(SETTINGS)).one()) == (str(user), "learner")
        assert tuple(session.execute(text(SETTINGS)).one()) == (str(user), "learner")
        session.rollback()


@pytest.mark.parametrize(
    "statement, parameters, expected",
    [
        ("SELECT :suffix || current_setting('app.role', true)", {"suffix": "100%"}, "100%learner"),
        ("SELECT '%' || current_setting('app.role', true)", None, "%learner"),
        ("SELECT count(*)::text FROM pg_class WHERE relname LIKE :pattern", {"pattern": "pg_%"}, None),
    ],
)
def test_a_first_statement_with_percent_signs_or_parameters_is_unchanged(app_engine, statement, parameters, expected):
    with use_context(DbContext(user_id=uuid.uuid4(), role="learner")), Session(app_engine) as session:
        value = session.execute(text(statement), parameters or {}).scalar_one()
        if expected is not None:
            assert value == expected
        else:
            assert int(value) > 0
        assert session.execute(text("SELECT current_setting('app.role', true)")).scalar_one() == "learner"
        session.rollback()


def test_each_transaction_takes_the_context_current_when_it_begins(app_engine):
    first, second = uuid.uuid4(), uuid.uuid4()
    with Session(app_engine) as session:
        with use_context(DbContext(user_id=first, role="learner")):
            assert session.execute(text(SETTINGS)).one()[0] == str(first)
        session.rollback()
        with use_context(DbContext(user_id=second, role="manager")):
            assert tuple(session.execute(text(SETTINGS)).one()) == (str(second), "manager")
        session.rollback()
        # No context: nobody (the policies then show no tenant rows).
        assert tuple(session.execute(text(SETTINGS)).one()) == ("", "")
        session.rollback()


def test_a_transaction_that_never_ran_a_statement_leaves_nothing_behind(app_engine):
    with Session(app_engine) as session:
        with use_context(DbContext(user_id=uuid.uuid4(), role="admin")):
            session.connection()  # begins, then ends with no statement sent
            session.rollback()
        assert tuple(session.execute(text(SETTINGS)).one()) == ("", "")
        session.rollback()
