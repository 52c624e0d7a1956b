"""Test-wide setup: an isolated settings environment and a fresh, migrated PostgreSQL database."""

from __future__ import annotations

import os
import tempfile

# Settings are read at import: give the tests their own data folder and no real services.
_DATA_DIR = tempfile.mkdtemp(prefix="speakpro-test-")
os.environ["SPEAKPRO_ENV"] = "test"
os.environ["SPEAKPRO_DATA_DIR"] = _DATA_DIR
for _name in ("OPENAI_API_KEY", "S3_BUCKET", "REDIS_URL"):
    os.environ.pop(_name, None)

import pytest  # noqa: E402
from sqlmodel import Session  # noqa: E402

from tests import pg  # noqa: E402


@pytest.fixture(scope="session")
def database_url():
    """A fresh database built by `alembic upgrade head`, dropped when the run ends."""
    try:
        server, origin = pg.server_url()
        url = pg.create_database(server)
    except Exception as error:  # noqa: BLE001
        if os.environ.get("CI") == "true":
            pytest.fail(f"no PostgreSQL for the database tests: {error}")
        pytest.skip(f"no PostgreSQL for the database tests: {error}")
    print(f"\n[tests] database on {origin}")
    try:
        pg.migrate(url)
        yield url
    finally:
        from speakpro import db

        db.set_engine(None)
        pg.drop_database(url)


@pytest.fixture(scope="session")
def engine(database_url):
    """The app's engine (its transactions carry the tenant context, as in production), pointed at the test
    database."""
    from speakpro import db

    engine = db.create_app_engine(database_url, pool_size=20, max_overflow=40)
    db.set_engine(engine)
    yield engine
    engine.dispose()


def _rolled_back_session(engine):
    """A session inside a transaction on `engine` that is rolled back afterwards; `session_scope()` and
    `autocommit_connection()` join it."""
    from speakpro import db

    connection = engine.connect()
    transaction = connection.begin()
    db.bind_sessions_to(connection)
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        db.bind_sessions_to(None)
        transaction.rollback()
        connection.close()


@pytest.fixture
def session(engine):
    """A session inside a transaction that is rolled back after the test; `session_scope()` joins it."""
    yield from _rolled_back_session(engine)


@pytest.fixture(scope="session")
def seeded_engine(engine):
    """A second migrated database with the demo seed committed once for the whole run (seeding takes about
    5 s), dropped when the run ends."""
    from speakpro import db
    from speakpro.seed import run_seed

    server, _ = pg.server_url()
    url = pg.create_database(server, prefix="speakpro_test_seeded")
    try:
        pg.migrate(url)
        seeded = db.create_app_engine(url, pool_size=5, max_overflow=10)
        with seeded.begin() as connection:
            run_seed(Session(bind=connection, join_transaction_mode="create_savepoint"))
        yield seeded
        seeded.dispose()
    finally:
        pg.drop_database(url)


@pytest.fixture
def seeded_session(seeded_engine):
    """Like `session`, on the database the demo seed is already in (catalogue, demo learners, history)."""
    yield from _rolled_back_session(seeded_engine)


@pytest.fixture(scope="session")
def speak(tmp_path_factory):
    """Speech made with espeak-ng (`tests/audio.speaker`)."""
    from tests.audio import speaker

    return speaker(tmp_path_factory.mktemp("speech"))


@pytest.fixture
def storage(tmp_path):
    """Local files in a temporary media folder, as the process-wide storage for this test."""
    from speakpro.integrations.storage import LocalStorage, set_storage

    local = LocalStorage(tmp_path / "media", secret_key="x" * 40, base_url=lambda: "http://backend.test")
    set_storage(local)
    yield local
    set_storage(None)
