"""The S3 storage path against moto's S3 server over real HTTP: put, presigned playback, delete."""

from __future__ import annotations

import dataclasses
import socket

import httpx
import pytest

from speakpro.integrations import storage as storage_module
from speakpro.integrations.storage import NotFound, S3Storage, StorageError, new_audio_key
from speakpro.settings import settings

BUCKET = "speakpro-test-recordings"
OGG = b"OggS\x00\x02" + bytes(range(256)) * 4
CREDENTIALS = {"access_key_id": "testing", "secret_access_key": "testing"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 in server mode on a free local port, with one bucket."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        import boto3

        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.stop()


@pytest.fixture
def s3(s3_endpoint):
    return S3Storage(BUCKET, endpoint_url=s3_endpoint, region="us-east-1", **CREDENTIALS)


def test_put_presigned_get_and_delete(s3):
    key = new_audio_key("5f0c7a0e-3b7e-4a57-9a7e-0d2b9c1f1e11", "ogg")
    assert not s3.exists(key)
    s3.put(key, OGG, "audio/ogg")
    assert s3.exists(key)
    assert s3.get(key) == OGG

    url = s3.open_url(key, expires_seconds=300)
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=300" in url
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.content == OGG
    assert response.headers["content-type"] == "audio/ogg"

    s3.delete(key)
    assert not s3.exists(key)
    assert httpx.get(s3.open_url(key)).status_code == 404
    s3.delete(key)  # deleting a missing object is not an error
    with pytest.raises(NotFound):
        s3.get(key)


def test_bad_keys_and_expiries_never_reach_the_bucket(s3):
    for key in ("../x", "/abs", "a/../b", ""):
        with pytest.raises(StorageError):
            s3.put(key, b"x", "audio/ogg")
    with pytest.raises(StorageError):
        s3.open_url("audio/x.ogg", expires_seconds=0)


def test_an_unreachable_bucket_is_a_storage_error():
    dead = S3Storage("nope", endpoint_url=f"http://127.0.0.1:{_free_port()}", **CREDENTIALS)
    with pytest.raises(StorageError):
        dead.put("audio/x.ogg", OGG, "audio/ogg")


def test_get_storage_picks_s3_when_a_bucket_is_set(monkeypatch, s3_endpoint):
    monkeypatch.setattr(
        storage_module,
        "settings",
        dataclasses.replace(
            settings,
            s3_bucket=BUCKET,
            s3_endpoint_url=s3_endpoint,
            s3_access_key_id="testing",
            s3_secret_access_key="testing",
        ),
    )
    storage_module.set_storage(None)
    try:
        chosen = storage_module.get_storage()
        assert isinstance(chosen, S3Storage) and chosen.bucket == BUCKET
        assert storage_module.get_storage() is chosen
    finally:
        storage_module.set_storage(None)


def test_uploads_go_to_the_bucket_and_media_route_stays_closed(session, s3):
    from starlette.testclient import TestClient

    from speakpro.api import build_api
    from speakpro.services.accounts.sessions import create_session
    from speakpro.uploads import check_audio_ref
    from tests.factories import make_user

    user = make_user(session)
    token = create_session(session=session, user_id=user.id)
    storage_module.set_storage(s3)
    try:
        client = TestClient(build_api())
        response = client.post("/api/audio?purpose=practice", content=OGG, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 201, response.text
        key = response.json()["key"]
        assert response.json()["mime"] == "audio/ogg" and check_audio_ref(user.id, key, must_exist=True)
        assert httpx.get(s3.open_url(key)).content == OGG
        # Signed local-media links mean nothing when recordings live in S3.
        assert client.get(f"/api/media/{key}?exp=9999999999&sig=00").status_code == 403
        s3.delete(key)
    finally:
        storage_module.set_storage(None)
