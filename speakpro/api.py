"""Plain HTTP routes served next to Reflex's backend: health, OpenID Connect / OAuth login, audio uploads."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from speakpro import routes
from speakpro.auth_routes import auth_routes, session_middleware
from speakpro.db import check_database
from speakpro.integrations.oauth import ProviderRegistry
from speakpro.uploads import upload_routes


async def health(_request: Request) -> JSONResponse:
    """Report whether the database answers: 200 when it does, 503 when it does not."""
    reachable, detail = await run_in_threadpool(check_database)
    body = {"status": "ok" if reachable else "degraded", "database": detail if not reachable else "reachable"}
    return JSONResponse(body, status_code=200 if reachable else 503, headers={"Cache-Control": "no-store"})


def build_api(oauth_registry: ProviderRegistry | None = None) -> Starlette:
    """The Starlette app Reflex mounts its own backend under.

    Args:
        oauth_registry: The sign-in providers to serve; those configured in settings when omitted (tests pass
            their own).
    """
    return Starlette(
        routes=[
            Route(routes.API_HEALTH, health, methods=["GET"]),
            *auth_routes(oauth_registry),
            *upload_routes(),
        ],
        middleware=[session_middleware()],
    )
