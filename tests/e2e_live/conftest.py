"""Live practice in the browser, with an AI partner: the app online, talking to a local fake Realtime peer.

Its own pytest process (scripts/test.sh step 3): settings are read once at import, and the other browser
tests expect offline mode. So, before any SpeakPro import, this sets `OPENAI_API_KEY` (a fake key),
`OPENAI_BASE_URL` (the app's `openai` client mints client secrets at the fake) and
`OPENAI_REALTIME_CALLS_URL` (the browser's WebRTC call goes to the fake), then reuses the browser-test
fixtures of `tests/e2e/conftest.py` (its import creates the e2e database and points `DATABASE_URL` at it;
its `pytest_sessionfinish` drops it). Chromium gets a fake microphone that plays a WAV file of real speech,
made with `espeak-ng` by a fixture.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.fakes.oidc import free_port
from tests.fakes.realtime_peer import FakeRealtimePeer

# A fake credential for a fake server on 127.0.0.1: it never leaves this machine.
FAKE_OPENAI_KEY = "sk-test-not-real"  # noqa: S105
PEER = FakeRealtimePeer(time_scale=0.6)
PEER.port = free_port()
os.environ["OPENAI_API_KEY"] = FAKE_OPENAI_KEY
os.environ["OPENAI_BASE_URL"] = PEER.base_url
os.environ["OPENAI_REALTIME_CALLS_URL"] = PEER.calls_url

from tests.e2e.conftest import (  # noqa: E402, F401  (fixtures and the hook that drops the database)
    CHROMIUM_ARGS,
    _chromium,
    api_url,
    app,
    base_url,
    page,
    pytest_sessionfinish,
    seeded_database,
    warm_app,
)

SPOKEN_LINE = "Hi, I'm calling about your delivery routes for next quarter."


@pytest.fixture(scope="session")
def realtime_peer():
    """The fake Realtime endpoint (client secrets and WebRTC calls), on the port the app was configured with."""
    with PEER as peer:
        yield peer


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory):
    """A WAV file of a spoken sentence, for Chromium's fake microphone."""
    espeak = shutil.which("espeak-ng")
    if not espeak:
        if os.environ.get("CI") == "true":
            pytest.fail("espeak-ng is missing: install Debian's espeak-ng (make test does when apt is usable)")
        pytest.skip("espeak-ng is missing")
    path = tmp_path_factory.mktemp("audio") / "learner.wav"
    subprocess.run([espeak, "-w", str(path), SPOKEN_LINE], check=True, capture_output=True, timeout=60)
    assert path.stat().st_size > 1000
    return path


@pytest.fixture(scope="session")
def browser(speech_wav):
    """Chromium whose microphone plays `speech_wav` (and which may play the partner's audio unprompted)."""
    chromium = _chromium()
    if not chromium:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing: install Debian's chromium (make test does when apt is usable)")
        pytest.skip("Chromium is missing")
    from playwright.sync_api import sync_playwright

    args = [
        *CHROMIUM_ARGS,
        "--allow-loopback-in-peer-connection",
        f"--use-file-for-fake-audio-capture={speech_wav}",
        "--autoplay-policy=no-user-gesture-required",
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=args)
        yield browser
        browser.close()
