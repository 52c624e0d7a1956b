"""Browser tests: a seeded test database, the real app under Reflex's AppHarness, and Chromium via Playwright.

The database is created before any SpeakPro module is imported, so the app under test reads its
`DATABASE_URL` like a real deployment does.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests import pg
from tests.fakes import oidc

# A sign-in is a full page load through the backend (the HttpOnly session cookie): give assertions that
# wait for a page a little more room than Playwright's 5 s default on this 2-core machine.
expect.set_options(timeout=15_000)

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

# The OpenID login test's provider (tests/fakes/oidc): settings read OIDC_* at import, so they are set before
# any SpeakPro import; the provider only starts on this port when a test asks for `oidc_provider`.
OIDC_PORT = oidc.free_port()
os.environ["OIDC_ISSUER"] = f"http://127.0.0.1:{OIDC_PORT}"
os.environ["OIDC_CLIENT_ID"] = oidc.CLIENT_ID
os.environ["OIDC_CLIENT_SECRET"] = oidc.CLIENT_SECRET
os.environ["OIDC_NAME"] = oidc.LABEL

# The app's allowed origins (CORS, the websocket) and its pages' Content-Security-Policy name the public URLs
# of both servers, read from settings at import: pick the ports now and run the harness's servers on them.
FRONTEND_PORT, BACKEND_PORT = oidc.free_port(), oidc.free_port()
os.environ["APP_URL"] = f"http://localhost:{FRONTEND_PORT}"
os.environ["API_URL"] = f"http://localhost:{BACKEND_PORT}"

_server, _origin = pg.server_url()
E2E_DATABASE_URL = pg.create_database(_server, prefix="speakpro_e2e")
os.environ["DATABASE_URL"] = E2E_DATABASE_URL

from speakpro.db import SYSTEM, set_context  # noqa: E402  (after DATABASE_URL: settings read it at import)

# The tests' own setup (seed, factories) runs on this thread as the system; the app under test runs on the
# harness's threads, whose context starts empty, so it is held to its viewers by Row-Level Security.
set_context(SYSTEM)
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


class _LocalhostSocket:
    """A listening socket whose name says localhost instead of 127.0.0.1."""

    def __init__(self, sock):
        self._sock = sock

    def getsockname(self):
        host, port = self._sock.getsockname()[:2]
        return ("localhost" if host == "127.0.0.1" else host, port)

    def __getattr__(self, name):
        return getattr(self._sock, name)


@pytest.fixture(scope="session")
def app(seeded_database):
    """SpeakPro running under AppHarness (backend in-process, frontend dev server)."""
    from reflex.testing import AppHarness

    class SameSiteHarness(AppHarness):
        """The harness publishes its backend as 127.0.0.1 while pages open on localhost: two sites, so the
        browser would keep the SameSite=Lax session cookie off the websocket. Publish it as localhost, as
        `make run` and a deployment (one site) do, on the ports that APP_URL and API_URL name."""

        def _poll_for_servers(self, timeout=None):
            return _LocalhostSocket(super()._poll_for_servers(timeout))

        def _start_backend(self, port: int = 0):
            super()._start_backend(port=BACKEND_PORT)

        def _start_frontend(self):
            # The harness starts the dev server with PORT=0 (any port): give it the one APP_URL names.
            import reflex.utils.processes as processes

            start = processes.new_process

            def on_app_port(args, **kwargs):
                kwargs["env"] = {**kwargs.get("env", {}), "PORT": str(FRONTEND_PORT)}
                return start(args, **kwargs)

            processes.new_process = on_app_port
            try:
                super()._start_frontend()
            finally:
                processes.new_process = start

    with SameSiteHarness.create(root=PROJECT_ROOT, app_name="speakpro") as harness:
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


@pytest.fixture(scope="session")
def warm_app(browser, app):
    """Open the landing and login pages once, unhurried: the dev server compiles each module on its first
    request, which on a loaded 2-core machine can take longer than a test's own waits."""
    context = browser.new_context()
    page = context.new_page()
    for path in ("/", "/login"):
        page.goto(app.frontend_url.rstrip("/") + path, timeout=180_000, wait_until="networkidle")
    context.close()
    return app


@pytest.fixture
def page(browser, warm_app):
    """A fresh browser context (no cookies, no storage) on the running app.

    Every browser test runs under the pages' Content-Security-Policy: one that the browser reports breaking
    (a refused script, style, connection or media load) fails the test that caused it.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.csp_violations = violations
    yield page
    context.close()
    unexpected = [text for text in violations if not getattr(page, "csp_violation_expected", False)]
    if unexpected:
        pytest.fail("the page broke its Content-Security-Policy:\n" + "\n".join(unexpected[:5]))


@pytest.fixture
def base_url(app) -> str:
    return app.frontend_url.rstrip("/")


@pytest.fixture
def api_url(app) -> str:
    from reflex.config import get_config

    return get_config().api_url.rstrip("/")


@pytest.fixture(scope="session")
def oidc_provider(app):
    """The test OpenID provider on OIDC_PORT, started once the app runs (its callback URL needs the app's port)."""
    from speakpro.auth_routes import callback_url
    from speakpro.settings import settings

    redirect_uris = sorted({callback_url("oidc"), f"{settings.api_url}/auth/oidc/callback"})
    try:
        provider = oidc.running_provider(OIDC_PORT, redirect_uris)
        running = provider.__enter__()
    except oidc.ProviderUnavailable as error:
        if os.environ.get("CI") == "true":
            pytest.fail(str(error))
        pytest.skip(str(error))
    yield running
    provider.__exit__(None, None, None)
