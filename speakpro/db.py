"""Database engine, session scope and the embedded PostgreSQL.

Services take a `Session` argument; states and commands open one with `session_scope()`, which
commits on success and rolls back on any error.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from speakpro.pgembed import ensure_database, start_embedded_postgres
from speakpro.settings import settings

log = logging.getLogger(__name__)

APP_DATABASE = "speakpro"
# Connections a process keeps, and the threads its blocking work runs on (`state.auth.run_db`): one thread
# per connection, so a thread never queues for a connection while holding the event loop's work.
POOL_SIZE = 16
POOL_OVERFLOW = 4
# No ping per checkout (a round trip each): a connection is replaced after an hour, and a connection the
# server dropped is found by the statement that fails on it, which invalidates the pool (see `unavailable`).
POOL_RECYCLE_SECONDS = 3600


class DatabaseUnavailable(Exception):
    """The database could not be reached (down, restarting, network): nothing was done; try again later."""

    def __init__(self) -> None:
        super().__init__("We can't reach our database right now. Please try again in a moment.")
        self.message = str(self)


# SQLSTATE classes of a lost or refused connection: 08 connection exception, 57P01-57P03 shutdown/crash
# and "cannot connect now". A connection error from libpq carries no SQLSTATE at all.
_UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03")


def unavailable(error: BaseException) -> bool:
    """Whether `error` means the database could not be reached (as opposed to a bad query or a conflict)."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    code = getattr(error.orig, "pgcode", None)
    return code is None or code.startswith(_UNAVAILABLE_STATES)


@lru_cache(maxsize=1)
def database_url() -> str:
    """The URL this process uses: `DATABASE_URL`, else the embedded server's `speakpro` database."""
    if settings.database_url:
        return settings.database_url
    return ensure_database(start_embedded_postgres(settings.embedded_pgdata), APP_DATABASE)


def job_queue_url(url: str | None = None) -> str:
    """The libpq URL (`postgresql://...`) of `url` (the app's database when omitted), for the job queue.

    The job queue (procrastinate, `speakpro/jobs.py`) talks to PostgreSQL through psycopg 3, which takes a
    plain libpq connection string rather than SQLAlchemy's `postgresql+psycopg2://` URL.
    """
    parsed = make_url(url or database_url())
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


_engine: Engine | None = None
_bind: Engine | Connection | None = None


def get_engine() -> Engine:
    """The process-wide engine (created on first use)."""
    global _engine
    if _engine is None:
        _engine = create_engine(
            database_url(),
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
            pool_recycle=POOL_RECYCLE_SECONDS,
            pool_timeout=10,
            connect_args={"connect_timeout": 5},
        )
    return _engine


def set_engine(engine: Engine | None) -> None:
    """Point the app at another engine (tests bind it to their own database)."""
    global _engine
    _engine = engine


def bind_sessions_to(connection: Connection | None) -> None:
    """Make `session_scope()` join an open connection's transaction (tests roll it back after)."""
    global _bind
    _bind = connection


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits when the block ends and rolls back on an error.

    Raises:
        DatabaseUnavailable: When the database could not be reached (the work was rolled back or never ran).
    """
    bind = _bind if _bind is not None else get_engine()
    with Session(bind, expire_on_commit=False, join_transaction_mode="create_savepoint") as session:
        try:
            yield session
            session.commit()
        except DBAPIError as error:
            _rollback_quietly(session)
            if unavailable(error):
                raise DatabaseUnavailable() from error
            raise
        except BaseException:
            _rollback_quietly(session)
            raise


def _rollback_quietly(session: Session) -> None:
    try:
        session.rollback()
    except DBAPIError:  # the connection is gone: nothing to roll back
        log.debug("rollback on a lost connection", exc_info=True)


@contextmanager
def autocommit_connection() -> Iterator[Connection]:
    """A connection in autocommit: each statement is its own transaction and commits as it returns, so a
    one-statement request costs one round trip. In tests bound to a connection, that connection.

    Raises:
        DatabaseUnavailable: When the database could not be reached (the statement did not commit).
    """
    try:
        if _bind is not None:
            yield _bind
            return
        with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            yield connection
    except DBAPIError as error:
        if unavailable(error):
            raise DatabaseUnavailable() from error
        raise


def check_database() -> tuple[bool, str]:
    """Whether the database answers, with a short reason when it does not (no secrets in it)."""
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        return True, "reachable"
    except Exception as error:  # noqa: BLE001 - any failure means unreachable
        log.warning("database check failed: %s", type(error).__name__)
        return False, type(error).__name__


def redacted(url: str) -> str:
    """The URL with its password hidden, for logs and messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return "<unparseable url>"
