"""Database engine, session scope, the tenant context and the embedded PostgreSQL.

Services take a `Session` argument; states and commands open one with `session_scope()`, which
commits on success and rolls back on any error.

Two roles: migrations run as the owner (`DATABASE_URL`); the app connects as `speakpro_app`
(`app_database_url()`), which is neither superuser nor owner and cannot bypass Row-Level Security
(migration 0009). Every transaction of the app's engine starts by setting the tenant context of
`current_context()` (`app.user_id`, `app.company_id`, `app.role`, local to the transaction, sent with the
transaction's first statement), which the policies read: no context, no rows. The signed-in viewer's
context is set by `state.auth.AuthState._viewer`; background jobs, sign-in flows and commands use `SYSTEM`
explicitly (`use_context`).

Hot reads (what every page load runs: the home page, the quest claim, the company dashboard) are statements
built once at import, on the Core tables (`models.table_of(Model).c`) with `bindparam`s, and run with
`session.execute(STATEMENT, {...})`. Building a statement and the ORM's per-statement work for ORM
columns cost more than the database's own work on those queries (measured in `bench/bench_handlers.py`);
elsewhere services build statements as they go, with `col(Model.field)`.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import CursorResult, Result, make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from speakpro.pgembed import ensure_database, start_embedded_postgres
from speakpro.settings import settings

log = logging.getLogger(__name__)

APP_DATABASE = "speakpro"
APP_ROLE = "speakpro_app"  # created by migration 0009
# Connections a process keeps, and the threads its blocking work runs on (`run_db_call`): one thread
# per connection, so a thread never queues for a connection while holding the event loop's work.
POOL_SIZE = 16
POOL_OVERFLOW = 4
# No ping per checkout (a round trip each): a connection is replaced after an hour, and a connection the
# server dropped is found by the statement that fails on it, which invalidates the pool (see `unavailable`).
POOL_RECYCLE_SECONDS = 3600
T = TypeVar("T")

# Blocking database work of the async code (Reflex handlers, the live transcript socket) runs here.
_DB_THREADS = ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="speakpro-db")


async def run_db_call(work: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run a blocking call that manages its own database access (a session scope, one autocommit
    statement) off the event loop, on the database threads, in the caller's context (its viewer)."""
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(_DB_THREADS, lambda: context.run(work, *args, **kwargs))


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


def app_database_url() -> str:
    """The URL the app connects with: `APP_DATABASE_URL`, else the owner's URL as the `speakpro_app` role
    with no password (local servers and the embedded one trust local connections)."""
    if settings.app_database_url:
        return settings.app_database_url
    return make_url(database_url()).set(username=APP_ROLE, password=None).render_as_string(hide_password=False)


@dataclass(frozen=True)
class DbContext:
    """Who the database should think is asking (read by the Row-Level Security policies).

    Attributes:
        user_id: The signed-in user (None: nobody).
        company_id: The viewer's company (managers see its rows).
        role: learner | manager | admin | system ("" : nobody).
    """

    user_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None
    role: str = ""


NOBODY = DbContext()
SYSTEM = DbContext(role="system")
_context: ContextVar[DbContext] = ContextVar("speakpro_db_context", default=NOBODY)


def current_context() -> DbContext:
    """The context the next transaction of this task or thread starts with."""
    return _context.get()


def set_context(context: DbContext) -> None:
    """Set the context for the rest of this task or thread (an event handler, after it knows its viewer)."""
    _context.set(context)


@contextmanager
def use_context(context: DbContext) -> Iterator[None]:
    """Run a block with `context` (the system's, for jobs, sign-in flows and commands), then restore."""
    token = _context.set(context)
    try:
        yield
    finally:
        _context.reset(token)


def enter_context(session: Session, context: DbContext) -> None:
    """Switch the session's open transaction, and the rest of this task or thread, to `context` (a handler
    that signs its viewer in and does its work in one transaction).

    The switch rides on the transaction's next statement, as a new transaction's context does (see
    `_with_context`): no round trip of its own."""
    _context.set(context)
    session.connection().info[_PENDING] = context


_SET_CONTEXT = (
    "SELECT set_config('app.user_id', %s, true), set_config('app.company_id', %s, true), "
    "set_config('app.role', %s, true); "
)
_PENDING = "speakpro_pending_context"


def _begin(connection: Connection) -> None:
    """A transaction begins: its context rides on its first statement (no round trip of its own)."""
    if getattr(connection.connection.dbapi_connection, "autocommit", False):
        connection.info.pop(_PENDING, None)
        return  # one statement per transaction: functions called that way carry their own context
    connection.info[_PENDING] = _context.get()


def _with_context(connection: Connection, cursor, statement: str, parameters, _context_, _executemany):
    """Prefix the transaction's first statement with the `set_config` calls of its context.

    psycopg2 sends both in one simple-query message and returns the last one's rows and row count, so the
    statement behaves as before. The prefix is rendered by the driver (`mogrify`) from a UUID, a UUID and a
    role name; the statement's own placeholders are left alone.
    """
    context = connection.info.pop(_PENDING, None)
    if context is None:
        return statement, parameters
    prefix = cursor.mogrify(
        _SET_CONTEXT, (str(context.user_id or ""), str(context.company_id or ""), context.role)
    ).decode()
    if parameters is not None:  # the driver formats the whole string: keep any `%` of the prefix literal
        prefix = prefix.replace("%", "%%")
    return prefix + statement, parameters


def create_app_engine(url: str, **options) -> Engine:
    """An engine whose every transaction starts with the current tenant context."""
    engine = create_engine(url, **options)
    event.listen(engine, "begin", _begin)
    event.listen(engine, "before_cursor_execute", _with_context, retval=True)
    return engine


_engine: Engine | None = None
_bind: Connection | None = None


def get_engine() -> Engine:
    """The process-wide engine of the app role (created on first use)."""
    global _engine
    if _engine is None:
        _engine = create_app_engine(
            app_database_url(),
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
            pool_recycle=POOL_RECYCLE_SECONDS,
            pool_timeout=10,
            connect_args={"connect_timeout": 5},
        )
    return _engine


_autocommit: tuple[Engine, Engine] | None = None  # (the engine it mirrors, the autocommit engine)


def _autocommit_engine() -> Engine:
    """A pool of connections opened in autocommit, beside the app's engine (same URL): switching a pooled
    connection in and out of autocommit at every checkout cost about as much as the hot path's statement."""
    global _autocommit
    engine = get_engine()
    if _autocommit is None or _autocommit[0] is not engine:
        _autocommit = (
            engine,
            create_engine(
                engine.url,
                isolation_level="AUTOCOMMIT",
                pool_size=POOL_SIZE // 2,
                max_overflow=POOL_SIZE // 2,
                pool_recycle=POOL_RECYCLE_SECONDS,
                pool_timeout=10,
                connect_args={"connect_timeout": 5},
            ),
        )
    return _autocommit[1]


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
        with _autocommit_engine().connect() as connection:
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


def rowcount(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (`Session.execute` is typed as returning a plain `Result`)."""
    return cast(CursorResult[Any], result).rowcount or 0
