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
from sqlmodel import Session

from speakpro.pgembed import ensure_database, start_embedded_postgres
from speakpro.settings import settings

log = logging.getLogger(__name__)

APP_DATABASE = "speakpro"


@lru_cache(maxsize=1)
def database_url() -> str:
    """The URL this process uses: `DATABASE_URL`, else the embedded server's `speakpro` database."""
    if settings.database_url:
        return settings.database_url
    return ensure_database(start_embedded_postgres(settings.embedded_pgdata), APP_DATABASE)


_engine: Engine | None = None
_bind: Engine | Connection | None = None


def get_engine() -> Engine:
    """The process-wide engine (created on first use)."""
    global _engine
    if _engine is None:
        _engine = create_engine(
            database_url(),
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=20,
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
    """A session that commits when the block ends and rolls back on an error."""
    bind = _bind if _bind is not None else get_engine()
    with Session(bind, expire_on_commit=False, join_transaction_mode="create_savepoint") as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
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
