"""The embedded PostgreSQL (pgserver) and database creation; no settings are read here, so the
test harness can use it before the app's settings are loaded."""

from __future__ import annotations

import warnings
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def start_embedded_postgres(pgdata: Path) -> str:
    """Start (or reuse) the embedded PostgreSQL and return a psycopg2 URL of its server.

    The server keeps running after this process exits so that `reflex run`'s workers, the CLI
    and the tests share it; `python -m speakpro db-stop` stops it.

    Args:
        pgdata: The data folder (created on first use).

    Returns:
        A URL for the `postgres` maintenance database on that server.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        pgdata.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(pgdata, cleanup_mode=None)  # pyright: ignore[reportPrivateImportUsage]
        uri = server.get_uri("postgres")
    return uri.replace("postgresql://", "postgresql+psycopg2://", 1)


def ensure_database(server_url: str, name: str) -> str:
    """Create database `name` on the server of `server_url` if it does not exist.

    Returns:
        The URL of that database.
    """
    url = make_url(server_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
            if not exists:
                if not name.replace("_", "").isalnum():
                    raise ValueError(f"unsafe database name {name!r}")
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)
