"""The public URLs of the two servers, and the one check of a "go here next" path from the browser."""

from __future__ import annotations

import unicodedata

from speakpro import routes
from speakpro.settings import settings

MAX_NEXT = 300


def _reflex_url(attribute: str) -> str | None:
    # Why Reflex's config rather than `settings`: rxconfig.py sets api_url/deploy_url from settings, so in a
    # deployment they are the same public URLs (and, unlike the request's Host header, cannot be spoofed or
    # broken by a proxy). AppHarness, though, binds random ports and rewrites config.api_url/deploy_url in
    # place after start-up; reading the config per request follows it, so redirects point at the servers
    # that actually run.
    try:
        from reflex.config import get_config

        value = getattr(get_config(), attribute, None)
    except Exception:  # noqa: BLE001 - no Reflex config (e.g. a bare Starlette test app): use settings
        return None
    return str(value).rstrip("/") if value else None


def backend_url() -> str:
    """The public URL of this backend, as the browser and the sign-in providers see it."""
    return _reflex_url("api_url") or settings.api_url


def frontend_url() -> str:
    """The public URL of the frontend."""
    return _reflex_url("deploy_url") or settings.app_url


def safe_next(target: str | None) -> str:
    """A same-site path to go to after login; anything else falls back to home.

    Browsers drop tabs and newlines inside URLs and treat a backslash as a slash, so `/\\t/evil.example`
    would become `//evil.example`: any control or separator character, a backslash, a protocol-relative
    start or an over-long value falls back to home.
    """
    if not target or len(target) > MAX_NEXT or not target.startswith("/") or "\\" in target:
        return routes.HOME
    if any(unicodedata.category(ch)[0] in "CZ" for ch in target):
        return routes.HOME
    if target.startswith("//"):
        return routes.HOME
    return target
