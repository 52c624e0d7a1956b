"""The audio upload route and local media playback: who may upload, what is accepted, and signed links."""

from __future__ import annotations

import dataclasses
import time
import uuid
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient

from speakpro import routes, uploads
from speakpro.api import build_api
from speakpro.integrations import storage as storage_module
from speakpro.integrations.storage import LocalStorage, StorageError, new_audio_key
from speakpro.services.accounts.sessions import create_session
from speakpro.services.ratelimit import MemoryBackend, RateLimiter
from speakpro.settings import settings
from tests.factories import make_user

WEBM = bytes.fromhex("1a45dfa3") + b"\x9f\x42\x86\x81\x01\x42\x82\x84webm" + b"\x00" * 200
CAP = settings.max_upload_bytes


@pytest.fixture
def media_root(tmp_path):
    """A fresh local storage for each test, with playback URLs on a fixed backend URL."""
    local = LocalStorage(tmp_path / "media", base_url=lambda: "http://backend.test")
    storage_module.set_storage(local)
    yield local
    storage_module.set_storage(None)


@pytest.fixture
def client(session, media_root):
    with TestClient(build_api(), base_url="http://backend.test") as client:
        yield client


def _learner(session):
    user = make_user(session)
    return user, create_session(session=session, user_id=user.id)


def _post(client, token=None, data=WEBM, purpose="milestone", headers=None):
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.post(f"{routes.API_AUDIO}?purpose={purpose}", content=data, headers=headers)


def test_no_token_is_401(client):
    response = _post(client)
    assert response.status_code == 401
    assert response.json()["error"] and response.headers["www-authenticate"] == "Bearer"


def test_a_bad_or_revoked_token_is_401(session, client):
    from speakpro.services.accounts.sessions import revoke_session

    assert _post(client, token="not-a-real-token").status_code == 401
    assert _post(client, headers={"Authorization": "Basic dXNlcjpwYXNz"}).status_code == 401
    _user, token = _learner(session)
    revoke_session(session=session, token=token)
    assert _post(client, token=token).status_code == 401


def test_a_good_webm_is_stored_under_the_users_prefix(session, client, media_root):
    user, token = _learner(session)
    response = _post(client, token=token, headers={"Content-Type": "text/plain"})  # the header is ignored
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["mime"] == "audio/webm" and body["size"] == len(WEBM)
    assert body["key"].startswith(f"audio/{user.id}/") and body["key"].endswith(".webm")
    assert media_root.get(body["key"]) == WEBM
    assert media_root.content_type(body["key"]) == "audio/webm"
    assert uploads.check_audio_ref(user.id, body["key"], must_exist=True)
    # Every upload gets its own key.
    assert _post(client, token=token).json()["key"] != body["key"]


def test_an_upload_without_recording_consent_is_403_and_nothing_is_stored(session, client, media_root):
    from speakpro.services.accounts.consent import RECORDING_OFF

    for consent in (None, False):
        user = make_user(session, recording_consent=consent)
        token = create_session(session=session, user_id=user.id)
        response = _post(client, token=token)
        assert response.status_code == 403 and response.json()["error"] == RECORDING_OFF
        assert not (media_root.root / "audio" / str(user.id)).exists()


def test_an_unknown_purpose_is_400(session, client):
    _user, token = _learner(session)
    for purpose in ("", "avatar", "../etc"):
        response = _post(client, token=token, purpose=purpose)
        assert response.status_code == 400 and "purpose" in response.json()["error"]


def test_an_empty_body_is_400(session, client):
    _user, token = _learner(session)
    response = _post(client, token=token, data=b"")
    assert response.status_code == 400 and "empty" in response.json()["error"]


@pytest.mark.parametrize(
    "data",
    [b"just some text", b"<html><script>alert(1)</script></html>", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64],
)
def test_wrong_magic_bytes_are_415_and_nothing_is_stored(session, client, media_root, data):
    _user, token = _learner(session)
    response = _post(client, token=token, data=data, headers={"Content-Type": "audio/webm"})
    assert response.status_code == 415 and "audio" in response.json()["error"]
    assert not (media_root.root / "audio").exists()


def test_too_big_with_content_length_is_413_before_reading(session, client, media_root, monkeypatch):
    _user, token = _learner(session)
    monkeypatch.setattr(uploads, "settings", dataclasses.replace(settings, max_upload_bytes=1024))
    response = _post(client, token=token, data=WEBM + b"\x00" * 2000)
    assert response.status_code == 413 and "larger than" in response.json()["error"]
    assert not (media_root.root / "audio").exists()


def test_too_big_without_content_length_is_413_while_streaming(session, client, media_root, monkeypatch):
    _user, token = _learner(session)
    monkeypatch.setattr(uploads, "settings", dataclasses.replace(settings, max_upload_bytes=1024))

    def chunks():  # a generator body goes out chunked, with no Content-Length
        for _ in range(1000):
            yield WEBM[:512].ljust(512, b"\x00")

    response = _post(client, token=token, data=chunks())
    assert response.status_code == 413
    assert "content-length" not in response.request.headers
    assert not (media_root.root / "audio").exists()


def test_an_upload_just_under_the_cap_is_accepted_when_chunked(session, client, monkeypatch):
    _user, token = _learner(session)
    monkeypatch.setattr(uploads, "settings", dataclasses.replace(settings, max_upload_bytes=1024))
    body = WEBM.ljust(1024, b"\x00")
    response = _post(client, token=token, data=iter([body[:300], body[300:]]))
    assert response.status_code == 201 and response.json()["size"] == 1024


def test_the_read_stops_at_cap_plus_one():
    class Stream:
        def __init__(self):
            self.pulled = 0

        async def stream(self):
            for _ in range(100):
                self.pulled += 1
                yield b"x" * 100

    import asyncio

    fake = Stream()
    with pytest.raises(uploads._TooLarge):
        asyncio.run(uploads._read_capped(fake, 250))
    assert fake.pulled == 3  # 300 bytes pulled, never the other 9,700


def test_uploads_are_rate_limited_per_user(session, client, monkeypatch):
    monkeypatch.setattr(uploads, "UPLOAD_LIMIT", RateLimiter("test-audio", 2, 600, backend=MemoryBackend()))
    _first, token = _learner(session)
    _second, other = _learner(session)
    assert [_post(client, token=token).status_code for _ in range(2)] == [201, 201]
    refused = _post(client, token=token)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "Too many" in refused.json()["error"]
    assert _post(client, token=other).status_code == 201  # another learner has their own allowance


def test_a_signed_link_plays_the_recording(session, client, media_root):
    _user, token = _learner(session)
    key = _post(client, token=token).json()["key"]
    url = media_root.open_url(key)
    assert url.startswith(f"http://backend.test/api/media/{key}?exp=")
    response = client.get(url)
    assert response.status_code == 200 and response.content == WEBM
    assert response.headers["content-type"] == "audio/webm"
    ranged = client.get(url, headers={"Range": "bytes=0-3"})
    assert ranged.status_code == 206 and ranged.content == WEBM[:4]


def test_forged_expired_or_swapped_links_are_403(session, client, media_root):
    _user, token = _learner(session)
    key = _post(client, token=token).json()["key"]
    other_key = _post(client, token=token).json()["key"]
    url = urlsplit(media_root.open_url(key))
    good = dict(p.split("=") for p in url.query.split("&"))
    path = f"/api/media/{key}"

    assert client.get(path).status_code == 403  # no signature at all
    assert client.get(f"{path}?exp={good['exp']}&sig={'0' * 64}").status_code == 403  # forged
    assert client.get(f"{path}?exp={int(good['exp']) + 3600}&sig={good['sig']}").status_code == 403  # extended
    assert client.get(f"/api/media/{other_key}?exp={good['exp']}&sig={good['sig']}").status_code == 403  # swapped

    past = int(time.time()) - 10
    expired = LocalStorage(media_root.root, base_url=lambda: "http://backend.test", clock=lambda: past - 300)
    stale = urlsplit(expired.open_url(key, expires_seconds=300))
    response = client.get(f"{stale.path}?{stale.query}")
    assert response.status_code == 403 and "expired" in response.json()["error"]

    # A validly signed link to a key that has no file, or to a hidden sidecar, gives nothing away.
    ghost = new_audio_key(uuid.uuid4(), "webm")
    assert client.get(urlsplit(media_root.open_url(ghost)).geturl()).status_code == 403
    for hostile in (f"audio/{key.split('/')[1]}/../../secret_key", ".secret", "audio/%2e%2e/x"):
        assert client.get(f"/api/media/{hostile}?exp={good['exp']}&sig={good['sig']}").status_code == 403


def test_a_key_signed_by_another_secret_is_refused(session, client, media_root):
    _user, token = _learner(session)
    key = _post(client, token=token).json()["key"]
    other = LocalStorage(media_root.root, secret_key="x" * 40, base_url=lambda: "http://backend.test")
    assert client.get(other.open_url(key)).status_code == 403


def test_check_audio_ref_refuses_another_users_key(session, client):
    owner, token = _learner(session)
    intruder = make_user(session)
    key = _post(client, token=token).json()["key"]
    assert uploads.check_audio_ref(owner.id, key)
    assert uploads.check_audio_ref(str(owner.id), key)
    assert not uploads.check_audio_ref(intruder.id, key)
    assert not uploads.check_audio_ref(intruder.id, key.replace(str(owner.id), str(intruder.id)), must_exist=True)
    for bad in (
        "",
        "audio",
        f"audio/{owner.id}",
        f"audio/{owner.id}/../x.webm",
        f"/audio/{owner.id}/a.webm",
        f"audio/{owner.id}/{'a' * 32}.exe",
        f"audio/{owner.id}/nothex{'0' * 26}.webm",
        f"audio/{owner.id}/sub/{uuid.uuid4().hex}.webm",
        f"video/{owner.id}/{uuid.uuid4().hex}.webm",
    ):
        assert not uploads.check_audio_ref(owner.id, bad), bad
    assert not uploads.check_audio_ref("not-a-uuid", key)


def test_local_storage_refuses_traversal(tmp_path):
    local = LocalStorage(tmp_path / "media", base_url=lambda: "http://x")
    for key in ("../x", "a/../../x", "/etc/passwd", "a//b", ".hidden", "a/.b", "a\\b", "", "a/b/", "ü"):
        with pytest.raises(StorageError):
            local.put(key, b"data", "audio/webm")
    local.put("audio/a/b.webm", b"data", "audio/webm; codecs=opus")
    assert local.exists("audio/a/b.webm") and local.content_type("audio/a/b.webm") == "audio/webm"
    local.delete("audio/a/b.webm")
    local.delete("audio/a/b.webm")  # deleting twice is fine
    assert not local.exists("audio/a/b.webm")
    assert list((tmp_path / "media" / "audio" / "a").iterdir()) == []
