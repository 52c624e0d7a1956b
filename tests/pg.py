"""A fresh PostgreSQL database for one test run, built by the Alembic migrations and dropped after.

Where the server comes from: `TEST_DATABASE_URL` (a database is created on that server), else the
PostgreSQL on 127.0.0.1:5432 when it answers, else an embedded one (pgserver) under `.speakpro/`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import psycopg2
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOCAL_SERVER = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


def _answers(url: str) -> bool:
    parsed = make_url(url)
    try:
        psycopg2.connect(
            host=parsed.host,
            port=parsed.port or 5432,
            user=parsed.username,
            password=parsed.password,
            dbname=parsed.database or "postgres",
            connect_timeout=2,
        ).close()
        return True
    except psycopg2.OperationalError:
        return False


def server_url() -> tuple[str, str]:
    """The server to create the test database on, and where it came from."""
    explicit = os.environ.get("TEST_DATABASE_URL", "").strip()
    if explicit:
        scheme, rest = explicit.split("://", 1)
        if scheme not in ("postgres", "postgresql", "postgresql+psycopg2"):
            raise ValueError("TEST_DATABASE_URL must be a postgresql:// URL")
        return "postgresql+psycopg2://" + rest, "TEST_DATABASE_URL"
    if _answers(LOCAL_SERVER):
        return LOCAL_SERVER, "PostgreSQL on 127.0.0.1:5432"
    from speakpro.pgembed import start_embedded_postgres

    return start_embedded_postgres(PROJECT_ROOT / ".speakpro" / "test-pg"), "embedded PostgreSQL"


def create_database(server: str, prefix: str = "speakpro_test") -> str:
    """Create an empty database with a random name; returns its URL."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = create_engine(make_url(server).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop the database of `url`, ending its open connections."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


def alembic_config(url: str):
    """An Alembic config for the project's migrations, pointed at `url`."""
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str, revision: str = "head") -> None:
    """Run `alembic upgrade` on the database of `url`."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)
