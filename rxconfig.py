"""Reflex configuration, read from SpeakPro's settings (no logic here).

SpeakPro owns its database engine and Alembic migrations (`speakpro/db.py`, `alembic/`), so Reflex's
own `db_url` stays unset: it would make `reflex run` autogenerate a second schema diff at each start.
`REDIS_URL` is translated, so Reflex's state manager goes to Redis when one is configured.
"""

import sys

import reflex as rx

from speakpro.security_headers import SecurityHeadersPlugin, allowed_origins
from speakpro.settings import settings
from speakpro.styles import THEME

config = rx.Config(
    app_name="speakpro",
    # A backend started on its own (`reflex run --backend-only`) must not name a frontend port: Reflex refuses.
    frontend_port=None if "--backend-only" in sys.argv else settings.frontend_port,
    backend_port=settings.backend_port,
    api_url=settings.api_url,
    deploy_url=settings.app_url,
    redis_url=settings.redis_url,
    # Credentialed calls and the websocket only from the app's own pages (Reflex's default is any origin).
    cors_allowed_origins=allowed_origins(),
    # Behind nginx (README), the client's address for throttles is the one the proxy saw.
    trusted_proxy_hops=settings.trusted_proxy_hops,
    # One backend keeps UI state in memory (the disk manager writes every event's state to a file and scans
    # them all); several share it in Redis. Handlers never need it to survive a restart: they find their
    # data again from the route and the session cookie.
    state_manager_mode="redis" if settings.redis_url else "memory",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[rx.plugins.SitemapPlugin(), rx.plugins.RadixThemesPlugin(theme=THEME), SecurityHeadersPlugin()],
)
