"""Counting the statements a block of test code sends: a page must be a fixed number of queries."""

from __future__ import annotations

import contextlib

from sqlalchemy import event

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
