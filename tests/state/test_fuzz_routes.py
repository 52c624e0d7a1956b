"""A bounded fuzzer over every HTTP route of the backend (`speakpro.api.build_api()`).

Every route the Starlette app serves is found from the app itself and requested with hostile path parameters
(NUL bytes, invalid UTF-8, encoded surrogates, traversal, 5,000 characters), query parameters (each name any
route reads, with hostile values, repeated and huge queries), headers (malformed and huge cookies,
Authorization, Origin, Content-Length and User-Agent values) and bodies (empty, 1 MB of random bytes, JSON,
forms), by other methods too, as an anonymous client, a learner with the session cookie and a manager with a
Bearer token. A new route is fuzzed without editing this file.

Every answer is below 500, plain (JSON with an `error` message, a short text, or a redirect) and shows no
exception text; nothing is logged at ERROR by a `speakpro` logger; a refusal (4xx, or a redirect to the
login page with an error) changes no table. Afterwards each route still serves a valid request.
"""

from __future__ import annotations

import logging
import random
import re
import time
from urllib.parse import quote

import httpx
import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from speakpro import routes
from speakpro.api import build_api
from speakpro.integrations import storage as storage_module
from speakpro.integrations.oauth import ProviderRegistry
from speakpro.services.accounts import sessions
from speakpro.settings import OAuthProvider
from speakpro.urls import frontend_url
from tests.factories import make_company, make_user
from tests.fuzzing import EXCEPTION_TEXT, Checksums, ErrorLog

SEED = 20_260_402
WEBM = bytes.fromhex("1a45dfa3") + b"\x9f\x42\x86\x81\x01\x42\x82\x84webm" + b"\x00" * 200

PATH_VALUES = [
    "x",
    "%00",
    "a%00b",
    "%ff%fe",
    "%ED%A0%80",
    "%C0%AF",
    "%F0%9F%8E%A4",
    "%E2%80%AE",
    "..%2F..%2Fetc",
    "a" * 5000,
    "-1",
    "NaN",
    "%25%30%30",
    "audio%2F..%2F..%2Fsecret.wav",
]
QUERY_NAMES = ["code", "next", "error", "from", "to", "token", "purpose", "exp", "sig", "state", "page"]
QUERY_VALUES = [
    "%00",
    "%ff",
    "%ED%A0%80",
    "javascript:alert(1)",
    "//evil.example",
    "9999-12-31",
    "0001-01-01",
    "-99999999999999999999",
    "²",
    "x" * 5000,
    "%E2%80%AE",
    "",
]
RAW_QUERIES = [
    "&&&===",
    "%ZZ",
    "a=1&" * 2000,
    "from=2024-01-01&to=2023-01-01",
    "exp=1e309&sig=" + "0" * 64,
    "purpose=milestone&purpose=lesson",
]


def _headers() -> list[dict[str, str]]:
    return [
        {"cookie": "speakpro_session=" + "a" * 10_000},
        {"cookie": "speakpro_session"},
        {"cookie": "=;=;=;"},
        {"cookie": 'speakpro_session="unterminated'},
        {"cookie": "; ".join(f"c{i}=v" for i in range(500))},
        {"authorization": "Bearer"},
        {"authorization": "Bearer " + "b" * 10_000},
        {"authorization": "Basic Og=="},
        {"authorization": "bearer  spaced  token"},
        {"origin": "null"},
        {"origin": "https://evil.example"},
        {"origin": "http://[::1"},
        {"content-length": "abc"},
        {"content-length": "-1"},
        {"content-length": "²"},
        {"content-length": "99999999999999999999"},
        {"content-type": "multipart/form-data; boundary="},
        {"user-agent": "x" * 10_000},
        {"user-agent": "\u202eevil"},
        {"accept": "*/*;q=NaN"},
        {"x-forwarded-for": "not an address"},
        {"range": "bytes=99999999999-"},
    ]


def _bodies(rng: random.Random) -> list[bytes]:
    return [
        b"",
        b"junk" + rng.randbytes(1024 * 1024),
        b'{"key": "value"}',
        b"a=1&b=2",
        b"\x00" * 100,
        b"RIFF\x00\x00\x00\x00WAVE",
        "🎤".encode() * 100,
    ]


def _registry() -> ProviderRegistry:
    # A preset (no discovery) and an OpenID issuer that does not answer: both paths of the login routes.
    return ProviderRegistry(
        [
            OAuthProvider("github", "GitHub", "gh-id", "gh-secret"),
            OAuthProvider("oidc", "Acme SSO", "sso-id", "sso-secret", issuer="http://127.0.0.1:9/"),
        ]
    )


def _routes(app) -> list[Route]:
    return [route for route in app.routes if isinstance(route, Route)]


def _path(route: Route, value: str, provider: str = "github", slug: str = "x") -> str:
    """The route's path with every parameter set to `value` (or a valid one when `value` is None)."""
    path = route.path
    for name in route.param_convertors:
        valid = {"provider": provider, "slug": slug}.get(name, "x")
        path = re.sub(r"\{" + name + r"(:[a-z]+)?\}", value if value is not None else valid, path)
    return path


@pytest.fixture
def media_root(tmp_path):
    local = storage_module.LocalStorage(tmp_path / "media", base_url=lambda: "http://backend.test")
    storage_module.set_storage(local)
    yield local
    storage_module.set_storage(None)


def test_every_route_answers_hostile_requests_plainly_and_changes_nothing(session, media_root):
    rng = random.Random(SEED)
    company = make_company(session)
    learner, manager = make_user(session, company=company), make_user(session, company=company, role="manager")
    learner_token = sessions.create_session(session=session, user_id=learner.id)
    manager_token = sessions.create_session(session=session, user_id=manager.id)
    origin = frontend_url()
    viewers = {
        "anonymous": {},
        "learner": {"cookie": f"speakpro_session={learner_token}", "origin": origin},
        "manager": {"authorization": f"Bearer {manager_token}", "origin": origin},
    }
    app = build_api(_registry())
    checksums = Checksums(session)
    errors = ErrorLog()
    logging.getLogger("speakpro").addHandler(errors)
    failures: list[str] = []
    timings: list[str] = []
    sent = 0
    started = time.perf_counter()

    def send(client, method: str, url: str, headers: dict[str, str], body: bytes | None = None) -> None:
        nonlocal sent
        before, logged = checksums(), len(errors.records)
        try:
            # As bytes, so that non-ASCII values are sent too (httpx refuses non-ASCII text).
            raw = {name.encode(): value.encode() for name, value in headers.items()}
            response = client.request(method, url, headers=raw, content=body)
        except (httpx.InvalidURL, httpx.LocalProtocolError, UnicodeEncodeError, ValueError) as refused:
            # The client library refuses to send this at all (so no server would receive it).
            assert "Internal Server Error" not in str(refused)
            return
        sent += 1
        where = f"{method} {url[:90]!r} {str(headers)[:90]}"
        if response.status_code >= 500:
            failures.append(f"{where}: {response.status_code} {response.text[:200]}")
        shown = (
            response.text[:5000]
            if response.headers.get("content-type", "").startswith(("application/json", "text/"))
            else ""
        )
        shown += response.headers.get("location", "")
        if EXCEPTION_TEXT.search(shown):
            failures.append(f"{where}: shows exception text {shown[:200]!r}")
        if (
            400 <= response.status_code < 500
            and response.headers.get("content-type", "").startswith("application/json")
            and not isinstance(response.json().get("error"), str)
        ):
            failures.append(f"{where}: a refusal without a plain error message: {response.text[:200]}")
        if len(errors.records) > logged:
            failures.append(f"{where}: logged at ERROR: {errors.records[-1].getMessage()[:200]}")
        refused = response.status_code >= 400 or "error=" in response.headers.get("location", "")
        if refused and (changed := {t for t, s in checksums().items() if before.get(t) != s}):
            failures.append(f"{where}: refused with {response.status_code}, yet changed tables {sorted(changed)}")

    try:
        with TestClient(
            app, base_url="http://backend.test", follow_redirects=False, raise_server_exceptions=False
        ) as client:
            for route in _routes(app):
                route_started, route_sent = time.perf_counter(), sent
                for auth in viewers.values():
                    valid = _path(route, None, slug=company.slug)
                    for value in PATH_VALUES:  # a method the route does not serve
                        send(client, "DELETE", _path(route, value), auth)
                    for method in sorted(route.methods - {"HEAD"}):
                        for value in PATH_VALUES:
                            send(client, method, _path(route, value), auth)
                        for name in QUERY_NAMES:  # half of the values for each name, a different half each time
                            for value in rng.sample(QUERY_VALUES, len(QUERY_VALUES) // 2):
                                send(client, method, f"{valid}?{name}={quote(value, safe='%')}", auth)
                        for query in RAW_QUERIES:
                            send(client, method, f"{valid}?{query}", auth)
                        for extra in _headers():
                            send(client, method, valid + "?purpose=milestone", {**auth, **extra})
                        if method == "POST":
                            for data in _bodies(rng):
                                send(client, method, valid + "?purpose=milestone", auth, data)
                timings.append(f"{route.path} {sent - route_sent} in {time.perf_counter() - route_started:.1f} s")
            # The client still works: each route serves a valid request.
            assert client.get(routes.API_HEALTH).status_code == 200
            stored = client.post("/api/audio?purpose=milestone", content=WEBM, headers=viewers["learner"])
            assert stored.status_code == 201, stored.text
            export = client.get(routes.company_export(company.slug), headers=viewers["manager"])
            assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
            fresh = sessions.create_session(session=session, user_id=make_user(session).id)  # rate-limited per user
            assert client.get("/api/privacy/export", headers={"cookie": f"speakpro_session={fresh}"}).status_code == 200
            assert client.get("/auth/github/login").status_code in (302, 303, 307)
    finally:
        logging.getLogger("speakpro").removeHandler(errors)
    print(
        f"\n[fuzz] {len(_routes(app))} routes, {sent} requests, {time.perf_counter() - started:.1f} s:",
        *timings,
        sep="\n  ",
    )
    assert failures == [], f"{len(failures)} findings:\n" + "\n".join(failures[:60])


async def test_a_content_length_in_other_digits_is_a_400(session):
    """ "²" is a digit to `str.isdigit()` but not to `int()`. HTTP clients cannot send it, so the request goes
    to the app as an ASGI server would hand it on."""
    token = sessions.create_session(session=session, user_id=make_user(session).id)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/audio",
        "raw_path": b"/api/audio",
        "query_string": b"purpose=milestone",
        "root_path": "",
        "server": ("backend.test", 80),
        "client": ("203.0.113.5", 5000),
        "headers": [(b"authorization", f"Bearer {token}".encode()), (b"content-length", b"\xb2")],
    }
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"junk", "more_body": False}

    async def send(message):
        sent.append(message)

    await build_api()(scope, receive, send)
    assert sent[0]["status"] == 400 and b"Content-Length" in sent[1]["body"]


def test_a_nul_byte_in_a_company_slug_is_a_plain_403(session):
    """The issue's HTTP 500: the CSV export's slug went to PostgreSQL, which cannot take a NUL byte."""
    with TestClient(build_api(), raise_server_exceptions=False) as client:
        response = client.get("/api/company/a%00b/export.csv?token=x")
    assert response.status_code == 403 and "invalid" in response.json()["error"]
