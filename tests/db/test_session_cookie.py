"""The HttpOnly login session cookie: set by `/auth/session`, cleared by `/auth/signed-out`, read from the
request by the upload route (with an Origin check), and never by page scripts."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from speakpro import routes
from speakpro.api import build_api
from speakpro.integrations import storage as storage_module
from speakpro.integrations.storage import LocalStorage
from speakpro.services.accounts.sessions import create_handoff, create_session, resolve_session
from speakpro.session_cookie import SESSION_COOKIE, session_start_path, signed_out_path, token_from_cookie_header
from speakpro.urls import frontend_url, safe_next
from tests.factories import make_user

WEBM = bytes.fromhex("1a45dfa3") + b"\x9f\x42\x86\x81\x01\x42\x82\x84webm" + b"\x00" * 200


@pytest.fixture
def client(session, tmp_path):
    storage_module.set_storage(LocalStorage(tmp_path / "media", base_url=lambda: "http://backend.test"))
    with TestClient(build_api(), base_url="http://backend.test", follow_redirects=False) as client:
        yield client
    storage_module.set_storage(None)


def _set_cookie(response) -> str:
    return next(v for v in response.headers.get_list("set-cookie") if v.startswith(f"{SESSION_COOKIE}="))


def test_a_handoff_code_becomes_an_httponly_cookie_once(session, client):
    user = make_user(session)
    code = create_handoff(session=session, user_id=user.id)
    session.flush()
    response = client.get(session_start_path(code, "/practice"))
    assert response.status_code == 303 and response.headers["location"] == f"{frontend_url()}/practice"
    cookie = _set_cookie(response)
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=lax", "path=/"} <= attributes and "max-age=2592000" in attributes
    token = cookie.split(";", 1)[0].split("=", 1)[1]
    assert resolve_session(session=session, token=token).user_id == user.id
    assert response.headers["cache-control"] == "no-store"
    # The same code again: refused, no cookie, sent to the login page with a plain message.
    again = client.get(session_start_path(code))
    assert again.status_code == 303 and "set-cookie" not in again.headers
    assert "expired or was already used" in parse_qs(urlsplit(again.headers["location"]).query)["error"][0]


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\\evil.example",
        "https://evil.example",
        "/ok\x00",
        "/" + "a" * 400,
        "/\u2028x",
    ],
)
def test_only_same_site_paths_are_followed(session, client, target):
    assert safe_next(target) == "/home"
    user = make_user(session)
    code = create_handoff(session=session, user_id=user.id)
    session.flush()
    response = client.get(session_start_path(code, target))
    assert response.headers["location"] == f"{frontend_url()}/home"


def test_signed_out_clears_the_cookie(client):
    response = client.get(signed_out_path("/login"))
    assert response.status_code == 303 and response.headers["location"] == f"{frontend_url()}/login"
    cookie = _set_cookie(response).lower()
    assert 'speakpro_session=""' in cookie or "speakpro_session=;" in cookie
    assert "max-age=0" in cookie and "httponly" in cookie


def test_the_cookie_header_parser():
    assert token_from_cookie_header(f"a=1; {SESSION_COOKIE}=tok-en_1; b=2") == "tok-en_1"
    assert token_from_cookie_header("a=1") == "" and token_from_cookie_header(None) == ""
    assert token_from_cookie_header(f"{SESSION_COOKIE}={'x' * 300}") == ""


def test_uploads_take_the_cookie_only_from_our_own_pages(session, client):
    user = make_user(session)
    token = create_session(session=session, user_id=user.id)
    session.flush()
    path = f"{routes.API_AUDIO}?purpose=milestone"
    cookie = {"cookie": f"{SESSION_COOKIE}={token}"}
    ours = client.post(path, content=WEBM, headers={**cookie, "origin": frontend_url()})
    assert ours.status_code == 201 and ours.json()["key"].startswith(f"audio/{user.id}/")
    for origin in ("https://evil.example", "null", ""):
        refused = client.post(path, content=WEBM, headers={**cookie, "origin": origin})
        assert refused.status_code == 403 and "SpeakPro page" in refused.json()["error"], origin
