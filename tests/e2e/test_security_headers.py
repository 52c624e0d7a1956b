"""Security headers and origins, seen from the browser and from a foreign site.

Every other browser test also runs under the pages' Content-Security-Policy: the `page` fixture fails a test
whose page reported a violation in the console.
"""

from __future__ import annotations

import asyncio
import re
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import login
from tests.live_client import EngineSocket, SocketClosed

FOREIGN = "http://evil.example"


def _headers(url: str, origin: str | None = None) -> dict[str, str]:
    request = urllib.request.Request(url, headers={"Accept": "text/html", **({"Origin": origin} if origin else {})})
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - the local test servers
        return {name.lower(): value for name, value in response.headers.items()}


def test_pages_carry_a_policy_that_hashes_their_own_inline_scripts(warm_app, base_url):
    headers = _headers(base_url + "/login")
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    script_src = re.search(r"script-src ([^;]+)", csp).group(1).split()
    assert "'unsafe-inline'" not in script_src
    assert any(source.startswith("'sha256-") for source in script_src), script_src
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "microphone=(self)" in headers["permissions-policy"]
    assert "strict-transport-security" not in headers  # http here; HSTS is sent when APP_URL is https


def test_backend_responses_carry_headers_and_refuse_foreign_origins(warm_app, api_url, base_url):
    own = _headers(api_url + "/_health", origin=base_url)
    assert own["access-control-allow-origin"] == base_url
    assert own["content-security-policy"].startswith("default-src 'none'")
    assert own["x-content-type-options"] == "nosniff"
    foreign = _headers(api_url + "/_health", origin=FOREIGN)
    assert "access-control-allow-origin" not in foreign


def test_the_websocket_refuses_a_foreign_origin(warm_app, api_url, base_url):
    async def connect(origin: str):
        socket, _sid = await EngineSocket.open(api_url, token="csp-check", cookie="", auth={}, origin=origin)
        socket.abort()

    def attempt(origin: str):
        # Playwright's sync API keeps an event loop on this thread: connect from a thread of our own.
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, connect(origin)).result(timeout=60)

    attempt(base_url)  # the app's own origin is accepted
    with pytest.raises(SocketClosed, match="refused"):
        attempt(FOREIGN)


def test_a_signed_in_journey_runs_under_the_policy_and_an_injected_script_does_not(page, base_url):
    login(page, base_url, "learner@example.com")
    expect(page).to_have_url(re.compile(r"/home$"))
    for path, heading in (("/progress", "Your progress"), ("/history", "Practice history"), ("/map", "The city")):
        page.goto(base_url + path)
        expect(page.get_by_role("heading", name=heading).first).to_be_visible()
    page.csp_violation_expected = True  # the refusal below is the point of this test
    with pytest.raises(Exception, match="Content Security Policy"):
        page.add_script_tag(content="window.__speakproInjected = true")
    assert page.evaluate("window.__speakproInjected") is None
    assert any("Content Security Policy" in text for text in page.csp_violations)
