"""Where recordings live: one `Storage` interface, local files or an S3-compatible bucket.

`get_storage()` picks the backend from settings: `S3Storage` when `S3_BUCKET` is set, else `LocalStorage`
under `MEDIA_DIR`. Keys are relative, slash-separated names such as `audio/<user_id>/<uuid>.webm`; every
key is checked against one strict pattern before it touches a path or a bucket, so `..`, absolute paths,
backslashes and hidden names are impossible.

Playback URLs are short-lived: S3 presigns a GET; local files are served by the backend route
`/api/media/<key>?exp=<unix>&sig=<hmac>` (see `speakpro/uploads.py`), signed with a key derived from
`SECRET_KEY` for this one purpose.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import quote, urlencode

from speakpro.settings import settings

MEDIA_ROUTE_PREFIX = "/api/media/"
DEFAULT_URL_SECONDS = 300
MAX_URL_SECONDS = 7 * 24 * 3600  # S3's own ceiling for presigned URLs
MAX_KEY_LENGTH = 500  # = AudioRecording.storage_key

# Segments start with a letter or digit (no `.`/`..`, no hidden files) and use a small safe alphabet.
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}(?:/[A-Za-z0-9][A-Za-z0-9._-]{0,127}){0,7}")
_CONTENT_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}")
_EXTENSION = re.compile(r"[a-z0-9]{1,8}")
_FALLBACK_CONTENT_TYPE = "application/octet-stream"


class StorageError(Exception):
    """A storage operation failed (bad key, missing object, the bucket did not answer)."""


class NotFound(StorageError):
    """No object under that key."""


def is_valid_key(key: object) -> bool:
    """Whether `key` is a well-formed storage key (relative, no traversal, safe characters)."""
    return isinstance(key, str) and len(key) <= MAX_KEY_LENGTH and _KEY.fullmatch(key) is not None


def check_key(key: object) -> str:
    """Return `key` if it is well formed.

    Raises:
        StorageError: When it is not (the message never echoes the key).
    """
    if not is_valid_key(key):
        raise StorageError("invalid storage key")
    return key  # type: ignore[return-value]


def new_audio_key(user_id: uuid.UUID | str, extension: str) -> str:
    """A fresh key for one of a user's recordings: `audio/<user_id>/<random uuid>.<extension>`."""
    if not _EXTENSION.fullmatch(extension):
        raise StorageError("invalid file extension")
    return f"audio/{uuid.UUID(str(user_id))}/{uuid.uuid4().hex}.{extension}"


@runtime_checkable
class Storage(Protocol):
    """A flat key/value store of binary objects with short-lived playback URLs."""

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key` (replacing any object there) with its MIME type."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes stored under `key`; raises `NotFound` when there are none."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object under `key`; a missing object is not an error."""
        ...

    def exists(self, key: str) -> bool:
        """Whether an object is stored under `key`."""
        ...

    def open_url(self, key: str, expires_seconds: int = DEFAULT_URL_SECONDS) -> str:
        """An absolute URL the browser can GET the object from, valid for about `expires_seconds`."""
        ...


def _check_content_type(content_type: str) -> str:
    content_type = (content_type or "").split(";", 1)[0].strip().lower()
    return content_type if _CONTENT_TYPE.fullmatch(content_type) else _FALLBACK_CONTENT_TYPE


def _check_expiry(expires_seconds: int) -> int:
    if not isinstance(expires_seconds, int) or not 1 <= expires_seconds <= MAX_URL_SECONDS:
        raise StorageError(f"a playback URL lives between 1 and {MAX_URL_SECONDS} seconds")
    return expires_seconds


def _default_base_url() -> str:
    # Imported here, not at module level: the storage layer must not pull in the web routes on import.
    # backend_url() follows Reflex's live config, so under AppHarness (random ports) URLs point at the
    # backend that actually runs.
    from speakpro.urls import backend_url

    return backend_url()


class LocalStorage:
    """Objects as files under one root folder; the content type is kept in a hidden sidecar file.

    Hidden names (leading dot) can never be keys, so the sidecars are unreachable through the API.
    """

    def __init__(self, root: Path | str, *, secret_key: str | None = None, base_url=None, clock=time.time):
        """Serve objects from files under `root`.

        Args:
            root: The folder that holds every object (created on first write).
            secret_key: Signs playback URLs; `settings.secret_key` when omitted.
            base_url: A callable returning the backend's public URL; Reflex's live `api_url` when omitted.
            clock: Unix seconds (tests pass a fixed clock).
        """
        self.root = Path(root).resolve()
        self._signing_key = hmac.new(
            (secret_key or settings.secret_key).encode(), b"speakpro.media-url", hashlib.sha256
        ).digest()
        self._base_url = base_url or _default_base_url
        self._clock = clock

    def path_for(self, key: str) -> Path:
        """The file of a key; guaranteed to be inside the root.

        Raises:
            StorageError: For a malformed key.
        """
        path = (self.root / check_key(key)).resolve()
        # The key pattern already rules traversal out; this keeps it true even through a symlinked root.
        if not path.is_relative_to(self.root) or path == self.root:
            raise StorageError("invalid storage key")
        return path

    @staticmethod
    def _sidecar(path: Path) -> Path:
        return path.with_name(f".{path.name}.content-type")

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """See `Storage.put`. Writes atomically: a reader never sees half a file."""
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._write_atomic(self._sidecar(path), _check_content_type(content_type).encode())
        self._write_atomic(path, bytes(data))

    @staticmethod
    def _write_atomic(path: Path, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        """See `Storage.get`."""
        path = self.path_for(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise NotFound("no object under that key") from None

    def content_type(self, key: str) -> str:
        """The MIME type the object was stored with."""
        try:
            return _check_content_type(self._sidecar(self.path_for(key)).read_text())
        except OSError:
            return _FALLBACK_CONTENT_TYPE

    def delete(self, key: str) -> None:
        """See `Storage.delete`."""
        path = self.path_for(key)
        path.unlink(missing_ok=True)
        self._sidecar(path).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        """See `Storage.exists`."""
        return self.path_for(key).is_file()

    def sign(self, key: str, expires_at: int) -> str:
        """The signature of a playback URL for `key` valid until `expires_at` (unix seconds)."""
        message = f"{check_key(key)}\n{int(expires_at)}".encode()
        return hmac.new(self._signing_key, message, hashlib.sha256).hexdigest()

    def verify(self, key: str, exp: str | None, sig: str | None) -> bool:
        """Whether `exp`/`sig` from a playback URL are genuine and not expired."""
        if not is_valid_key(key) or not exp or not sig or not exp.isdigit() or len(exp) > 12 or len(sig) > 128:
            return False
        expires_at = int(exp)
        if expires_at < self._clock() or expires_at > self._clock() + MAX_URL_SECONDS:
            return False
        return hmac.compare_digest(self.sign(key, expires_at), sig)

    def open_url(self, key: str, expires_seconds: int = DEFAULT_URL_SECONDS) -> str:
        """See `Storage.open_url`: a signed URL of the backend's `/api/media/` route."""
        expires_at = int(self._clock()) + _check_expiry(expires_seconds)
        query = urlencode({"exp": expires_at, "sig": self.sign(key, expires_at)})
        return f"{self._base_url().rstrip('/')}{MEDIA_ROUTE_PREFIX}{quote(key)}?{query}"


class S3Storage:
    """Objects in an S3-compatible bucket through boto3; playback through presigned GET URLs."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        prefix: str = "",
    ):
        """Connect to one bucket (no request is made until the first operation).

        Args:
            bucket: The bucket name.
            endpoint_url: An S3-compatible endpoint (MinIO, a test server); AWS when omitted.
            region: The bucket's region.
            access_key_id: With `secret_access_key`, explicit credentials; boto3's default chain
                (environment, profile, instance role) when omitted.
            secret_access_key: See `access_key_id`.
            prefix: Prepended to every key (e.g. `speakpro/`), so one bucket can serve several apps.
        """
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix
        credentials = (
            {"aws_access_key_id": access_key_id, "aws_secret_access_key": secret_access_key}
            if access_key_id and secret_access_key
            else {}
        )
        self._client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(
                signature_version="s3v4",
                # Custom endpoints rarely have wildcard DNS for virtual-hosted buckets.
                s3={"addressing_style": "path" if endpoint_url else "auto"},
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
            ),
            **credentials,
        )

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """See `Storage.put`."""
        self._call(
            self._client.put_object,
            Bucket=self.bucket,
            Key=self._key(key),
            Body=bytes(data),
            ContentType=_check_content_type(content_type),
        )

    def get(self, key: str) -> bytes:
        """See `Storage.get`."""
        response = self._call(self._client.get_object, Bucket=self.bucket, Key=self._key(key))
        return response["Body"].read()

    def delete(self, key: str) -> None:
        """See `Storage.delete`."""
        self._call(self._client.delete_object, Bucket=self.bucket, Key=self._key(key))

    def exists(self, key: str) -> bool:
        """See `Storage.exists`."""
        try:
            self._call(self._client.head_object, Bucket=self.bucket, Key=self._key(key))
        except NotFound:
            return False
        return True

    def open_url(self, key: str, expires_seconds: int = DEFAULT_URL_SECONDS) -> str:
        """See `Storage.open_url`: a presigned GET (signing is local; no request is made)."""
        return self._client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": self._key(key)},
            ExpiresIn=_check_expiry(expires_seconds),
        )

    @staticmethod
    def _call(operation, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return operation(**kwargs)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in ("404", "NoSuchKey", "NotFound"):
                raise NotFound("no object under that key") from None
            raise StorageError(f"S3 refused the request ({code or 'unknown error'})") from error
        except BotoCoreError as error:
            raise StorageError(f"S3 did not answer ({type(error).__name__})") from error


_storage: Storage | None = None
_storage_lock = threading.Lock()


def get_storage() -> Storage:
    """The process-wide storage: S3 when `S3_BUCKET` is set, else local files under `MEDIA_DIR`."""
    global _storage
    with _storage_lock:
        if _storage is None:
            if settings.s3_bucket:
                _storage = S3Storage(
                    settings.s3_bucket,
                    endpoint_url=settings.s3_endpoint_url,
                    region=settings.s3_region,
                    access_key_id=settings.s3_access_key_id,
                    secret_access_key=settings.s3_secret_access_key,
                )
            else:
                _storage = LocalStorage(settings.media_dir)
        return _storage


def set_storage(storage: Storage | None) -> None:
    """Replace the process-wide storage (tests); `None` goes back to the one settings describe."""
    global _storage
    with _storage_lock:
        _storage = storage
