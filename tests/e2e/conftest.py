"""Browser tests: a seeded test database, the real app under Reflex's AppHarness, and Chromium via Playwright.

The database is created before any SpeakPro module is imported, so the app under test reads its
`DATABASE_URL` like a real deployment does.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests import pg

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]

_server, _origin = pg.server_url()
E2E_DATABASE_URL = pg.create_database(_server, prefix="speakpro_e2e")
os.environ["DATABASE_URL"] = E2E_DATABASE_URL
os.environ["PATH"] = f"{PROJECT_ROOT / '.tools' / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}"
os.environ.setdefault("REFLEX_USE_SYSTEM_BUN", "1")
os.environ.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
os.environ.setdefault("REFLEX_CHECK_LATEST_VERSION", "false")


def pytest_sessionfinish(session, exitstatus):
    pg.drop_database(E2E_DATABASE_URL)


def _chromium() -> str | None:
    return os.environ.get("SPEAKPRO_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def seeded_database():
    """The e2e database, migrated and loaded with the demo data."""
    pg.migrate(E2E_DATABASE_URL)
    from speakpro.db import session_scope
    from speakpro.seed import run_seed

    with session_scope() as session:
        run_seed(session)
    return E2E_DATABASE_URL


@pytest.fixture(scope="session")
def app(seeded_database):
    """SpeakPro running under AppHarness (backend in-process, frontend dev server)."""
    from reflex.testing import AppHarness

    with AppHarness.create(root=PROJECT_ROOT, app_name="speakpro") as harness:
        yield harness


@pytest.fixture(scope="session")
def browser():
    chromium = _chromium()
    if not chromium:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing: install Debian's chromium (make test does when apt is usable)")
        pytest.skip("Chromium is missing")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, app):
    """A fresh browser context (no cookies, no storage) on the running app."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.fixture
def base_url(app) -> str:
    return app.frontend_url.rstrip("/")


@pytest.fixture
def api_url(app) -> str:
    from reflex.config import get_config

    return get_config().api_url.rstrip("/")
