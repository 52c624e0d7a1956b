"""`GET /api/privacy/export`: "Download my data" as a zip (see `services/accounts/privacy.py` for what it holds).

The signed-in user is the holder of the HttpOnly session cookie, resolved against the database like every
guard. A plain GET link is enough: the cookie is SameSite=Lax, so another site can at most make the browser
download the person's own data to the person's own machine, and the response is never cached
(`Cache-Control: no-store`). An export reads every recording, so it is limited per user.
"""

from __future__ import annotations

import logging
import os
import tempfile

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from speakpro.db import DatabaseUnavailable, session_scope, use_context
from speakpro.models import utcnow
from speakpro.services.accounts.data_export import export_user_data
from speakpro.services.accounts.sessions import Viewer, resolve_session, viewer_context
from speakpro.services.ratelimit import RateLimiter
from speakpro.session_cookie import token_from_cookie_header

log = logging.getLogger(__name__)

EXPORT_PATH = "/api/privacy/export"
EXPORT_LIMIT = RateLimiter("privacy-export", 5, 3600)  # per user: 5 downloads an hour
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers={**PRIVATE_HEADERS, **(headers or {})})


def _resolve(token: str) -> Viewer | None:
    with session_scope() as session:
        return resolve_session(session=session, token=token)


def _write_export(viewer: Viewer) -> str:
    """The export in a temporary file (a zip of recordings can be large); returns its path."""
    handle = tempfile.NamedTemporaryFile(prefix="speakpro-export-", suffix=".zip", delete=False)  # noqa: SIM115
    user_id = viewer.user_id
    try:
        # As the viewer: Row-Level Security then guarantees the export holds nobody else's rows.
        with handle, use_context(viewer_context(viewer)), session_scope() as session:
            export_user_data(session=session, user_id=user_id, out=handle, actor_user_id=user_id)
    except BaseException:
        os.unlink(handle.name)
        raise
    return handle.name


async def export_my_data(request: Request) -> Response:
    """`GET /api/privacy/export`: the signed-in user's data as a zip attachment."""
    token = token_from_cookie_header(request.headers.get("cookie"))
    if not token:
        return _error(401, "Please sign in to download your data.")
    try:
        viewer = await run_in_threadpool(_resolve, token)
    except DatabaseUnavailable as error:
        return _error(503, error.message)
    if viewer is None:
        return _error(401, "Your session has ended. Please sign in again.")
    decision = EXPORT_LIMIT.hit(str(viewer.user_id))
    if not decision.allowed:
        wait = str(decision.retry_after_seconds)
        return _error(
            429, f"You downloaded your data several times already. Please wait {wait} seconds.", {"Retry-After": wait}
        )
    try:
        path = await run_in_threadpool(_write_export, viewer)
    except DatabaseUnavailable as error:
        return _error(503, error.message)
    log.info("data export served")
    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"speakpro-data-{utcnow():%Y-%m-%d}.zip",
        headers=PRIVATE_HEADERS,
        background=BackgroundTask(os.unlink, path),
    )


def privacy_routes() -> list[Route]:
    """The privacy routes, to add to the backend's Starlette app."""
    return [Route(EXPORT_PATH, export_my_data, methods=["GET"], name="privacy_export")]
