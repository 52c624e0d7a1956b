"""Alembic environment: SpeakPro's models are the target, types are compared."""

from __future__ import annotations

from sqlalchemy import create_engine, pool
from sqlmodel import SQLModel

import speakpro.models  # noqa: F401  (registers every table on SQLModel.metadata)
from alembic import context

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    """`-x dburl=...` wins (tests), then the app's own database (settings / embedded server)."""
    url = context.get_x_argument(as_dictionary=True).get("dburl") or config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from speakpro.db import database_url

    return database_url()


# The job queue's own tables (procrastinate, created by revision 0005) are not SQLModel tables: autogenerate
# and `alembic check` leave them alone.
JOB_QUEUE_PREFIX = "procrastinate_"


def _include_name(name, type_, _parent_names) -> bool:
    return not (type_ == "table" and name and name.startswith(JOB_QUEUE_PREFIX))


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=False,
        include_name=_include_name,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _as_system(connection) -> None:
    # A migration sees every row: under Row-Level Security (revision 0009), an owner that is not a superuser
    # would otherwise see none, and a data fix would silently change nothing.
    connection.exec_driver_sql("SELECT set_config('app.role', 'system', false)")
    if not connection.in_nested_transaction() and config.attributes.get("connection") is None:
        connection.commit()  # our own connection: end the implicit transaction; the setting stays


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _as_system(connection)
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _as_system(connection)
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
