"""Plain HTTP routes served next to Reflex's backend: health, OpenID Connect / OAuth login, audio uploads, and
the live page's transcript websocket."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from speakpro import routes
from speakpro.auth_routes import auth_routes, session_middleware
from speakpro.db import check_database
from speakpro.integrations.oauth import ProviderRegistry
from speakpro.live_socket import live_routes
from speakpro.privacy_routes import privacy_routes
from speakpro.security_headers import SecurityHeadersMiddleware
from speakpro.services.dashboards.dashboard_access import can_view_company, redeem_download_token
from speakpro.session_cookie import session_routes
from speakpro.uploads import upload_routes


async def health(_request: Request) -> JSONResponse:
    """Report whether the database answers: 200 when it does, 503 when it does not."""
    reachable, detail = await run_in_threadpool(check_database)
    body = {"status": "ok" if reachable else "degraded", "database": detail if not reachable else "reachable"}
    return JSONResponse(body, status_code=200 if reachable else 503, headers={"Cache-Control": "no-store"})


def _export_csv(slug: str, token: str | None, bearer: str | None, date_from, date_to) -> tuple[int, str, str]:
    """(status, body, file name): the CSV for an allowed viewer (audited), 403 with a message otherwise."""
    from speakpro.db import SYSTEM, session_scope, use_context
    from speakpro.services.accounts import companies
    from speakpro.services.accounts.sessions import resolve_session
    from speakpro.services.dashboards import dashboards
    from speakpro.services.validation import ValidationError

    refused = (403, "This download link is invalid, expired or already used. Open the dashboard and try again.", "")
    try:
        dashboards.clamp_range(date_from, date_to)
    except ValidationError as error:
        return 400, error.message, ""  # a reversed range: refused before the link is spent
    # Who may download is checked below (can_view_company): the lookups themselves run as the system.
    with use_context(SYSTEM), session_scope() as session:
        company = companies.get_company_by_slug(session=session, slug=slug)
        if company is None:
            return refused
        user_id, via = None, "bearer" if bearer else "download_token"
        if bearer:
            viewer = resolve_session(session=session, token=bearer)
            user_id = viewer.user_id if viewer is not None else None
        elif token:
            user_id = redeem_download_token(session=session, token=token, company_id=company.id)
        if user_id is None or not can_view_company(session=session, user_id=user_id, company_id=company.id):
            return refused
        export = dashboards.export_company_csv(
            session=session, company=company, actor_user_id=user_id, date_from=date_from, date_to=date_to, via=via
        )
        return 200, export.body, export.filename


def _query_date(value: str | None):
    from datetime import date

    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


async def export_company_csv(request: Request) -> Response:
    """`GET /api/company/{slug}/export.csv?from=&to=&token=`: the per-learner table as a CSV attachment.

    Authenticated by `Authorization: Bearer <session token>` or, for a plain browser link, by `token=`, a
    two-minute, single-use download token bound to the user, the company and the login session that
    minted it (see `services.dashboards.dashboard_access`). Either way the user must be a manager of that very company
    or an admin, checked in the database at download time; anything else is 403 with no data. Every export
    writes an audit row; the file is named `<slug>-learners-<from>-to-<to>.csv`.
    """
    slug = request.path_params["slug"]
    scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
    bearer = bearer.strip() if scheme.lower() == "bearer" else ""
    date_from = _query_date(request.query_params.get("from"))
    date_to = _query_date(request.query_params.get("to"))
    status, body, filename = await run_in_threadpool(
        _export_csv, slug, request.query_params.get("token"), bearer or None, date_from, date_to
    )
    if status != 200:
        return JSONResponse({"error": body}, status_code=status, headers={"Cache-Control": "no-store"})
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def build_api(oauth_registry: ProviderRegistry | None = None) -> Starlette:
    """The Starlette app Reflex mounts its own backend under.

    Args:
        oauth_registry: The sign-in providers to serve; those configured in settings when omitted (tests pass
            their own).
    """
    return Starlette(
        routes=[
            Route(routes.API_HEALTH, health, methods=["GET"]),
            *session_routes(),
            *auth_routes(oauth_registry),
            *upload_routes(),
            *live_routes(),
            *privacy_routes(),
            Route(routes.API_COMPANY_EXPORT, export_company_csv, methods=["GET"], name="company_export"),
        ],
        middleware=[Middleware(SecurityHeadersMiddleware), session_middleware()],
    )
