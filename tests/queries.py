"""Statements in tests: counting what a block sends (a page is a fixed number of queries), asserting that
PostgreSQL accepts or refuses one by naming its constraint, and running the rest of a test as a viewer under
Row-Level Security."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError


def as_viewer(session, user) -> None:
    """Run the rest of the test's transaction as `user` under Row-Level Security: the app's role and the
    context of a fresh login session, as the app's engine sets them at the start of every transaction."""
    from speakpro.db import APP_ROLE, enter_context
    from speakpro.services.accounts.sessions import create_session, resolve_session, viewer_context

    context = viewer_context(resolve_session(session=session, token=create_session(session=session, user_id=user.id)))
    session.execute(text(f"SET LOCAL ROLE {APP_ROLE}"))
    enter_context(session, context)


_BOOKKEEPING = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@contextlib.contextmanager
def count_queries(session):
    """The statements the session runs inside the block (savepoint bookkeeping left out)."""
    connection = session.connection()
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(_BOOKKEEPING):
            statements.append(statement)

    event.listen(connection, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", before)


def refused(session, statement, constraint: str):
    """Run `statement` in a savepoint and assert PostgreSQL refuses it by naming `constraint`."""
    savepoint = session.begin_nested()
    with pytest.raises(IntegrityError) as caught:
        session.execute(statement)
    savepoint.rollback()
    assert constraint in str(caught.value.orig), str(caught.value.orig)


def accepted(session, statement):
    """Run `statement` in a savepoint and keep it (PostgreSQL accepted it)."""
    savepoint = session.begin_nested()
    session.execute(statement)
    savepoint.commit()
