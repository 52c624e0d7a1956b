"""Audio uploads and local media playback over plain HTTP on the Reflex backend.

`POST /api/audio?purpose=<one of routes.AUDIO_PURPOSES>` takes the raw recording as the request body (audio goes
over HTTP, never the websocket). The caller proves who they are with the HttpOnly session cookie (from
pages of SpeakPro's own origins only) or, for API clients, `Authorization: Bearer <session token>`; the
token is resolved against the database like every page guard does. The body is capped at `MAX_UPLOAD_MB`
(by Content-Length up front and again while it streams), identified by its magic bytes (never by file name
or Content-Type header), stored under a fresh key `audio/<user_id>/<uuid>.<ext>` and answered with
`{"key", "mime", "size"}`.

`GET /api/media/{key}?exp=&sig=` serves local files only, for URLs minted by `LocalStorage.open_url`.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from speakpro import routes
from speakpro.db import session_scope, use_context
from speakpro.integrations.storage import (
    MEDIA_ROUTE_PREFIX,
    LocalStorage,
    StorageError,
    get_storage,
    is_valid_key,
    new_audio_key,
)
from speakpro.services.accounts.consent import RECORDING_OFF, recording_allowed
from speakpro.services.accounts.sessions import Viewer, resolve_session, viewer_context
from speakpro.services.ratelimit import RateLimiter
from speakpro.session_cookie import token_from_cookie_header
from speakpro.settings import settings
from speakpro.urls import backend_url, frontend_url

log = logging.getLogger(__name__)

MEDIA_PATH = MEDIA_ROUTE_PREFIX + "{key:path}"
UPLOAD_LIMIT = RateLimiter("audio-upload", 30, 600)  # per user: 30 recordings in any 10 minutes
PRIVATE_HEADERS = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class AudioFormat:
    """What the magic bytes say a recording is."""

    mime: str
    extension: str


WEBM = AudioFormat("audio/webm", "webm")
MATROSKA = AudioFormat("audio/x-matroska", "mka")
OGG = AudioFormat("audio/ogg", "ogg")
WAV = AudioFormat("audio/wav", "wav")
MP4 = AudioFormat("audio/mp4", "m4a")
MPEG = AudioFormat("audio/mpeg", "mp3")
AAC = AudioFormat("audio/aac", "aac")
EXTENSIONS = {fmt.extension for fmt in (WEBM, MATROSKA, OGG, WAV, MP4, MPEG, AAC)}


def detect_audio(data: bytes) -> AudioFormat | None:
    """Identify an audio container by its first bytes.

    Args:
        data: The start of the file (at least the first 64 bytes when there are that many).

    Returns:
        The format, or None for anything that is not one of the accepted kinds (including empty data).
    """
    head = bytes(data[:64])
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # EBML: the DocType element near the start says whether it is WebM or plain Matroska.
        return WEBM if b"webm" in head else MATROSKA
    if head.startswith(b"OggS"):
        return OGG
    if len(head) >= 12 and head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return WAV
    if len(head) >= 8 and head[4:8] == b"ftyp":
        return MP4
    if head.startswith(b"ID3"):
        return MPEG
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        # An 11-bit frame sync. Layer bits 00 are reserved in MPEG audio but mark an ADTS AAC stream.
        return AAC if head[1] & 0x06 == 0 else MPEG
    return None


def check_audio_ref(user_id: uuid.UUID | str, key: str, *, must_exist: bool = False) -> bool:
    """Whether `key` names one of this user's recordings (and, when asked, whether it is stored).

    Keys are minted as `audio/<user_id>/<hex uuid>.<ext>`, so a service handed a key by the browser can
    refuse one that belongs to someone else, or that was never made by the upload route.
    """
    if not is_valid_key(key):
        return False
    try:
        owner = str(uuid.UUID(str(user_id)))
    except ValueError:
        return False
    parts = key.split("/")
    if len(parts) != 3 or parts[0] != "audio" or parts[1] != owner:
        return False
    stem, dot, extension = parts[2].partition(".")
    if not dot or extension not in EXTENSIONS or len(stem) != 32:
        return False
    try:
        uuid.UUID(hex=stem)
    except ValueError:
        return False
    if must_exist:
        try:
            return get_storage().exists(key)
        except StorageError:
            return False
    return True


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers={**PRIVATE_HEADERS, **(headers or {})})


def _bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _request_token(request: Request) -> tuple[str | None, str]:
    """(token, problem): the Bearer token of an API client, or the session cookie of a page of ours.

    A cookie rides along with any cross-site request, so it counts only when the request comes from
    SpeakPro's own frontend or backend origin (the browser sets `Origin` on every cross-origin POST and
    page scripts cannot forge it).
    """
    bearer = _bearer_token(request)
    if bearer is not None:
        return bearer, ""
    token = token_from_cookie_header(request.headers.get("cookie"))
    if not token:
        return None, ""
    origin = (request.headers.get("origin") or "").lower()
    if origin not in {_origin(frontend_url()), _origin(backend_url())}:
        return None, "This upload did not come from a SpeakPro page."
    return token, ""


def _resolve(token: str) -> Viewer | None:
    with session_scope() as session:
        return resolve_session(session=session, token=token)


def _consent_refusal(viewer: Viewer) -> str | None:
    """Why this user may not upload a recording (their consent does not allow recordings), or None."""

    with use_context(viewer_context(viewer)), session_scope() as session:
        return None if recording_allowed(session=session, user_id=viewer.user_id) else RECORDING_OFF


def _record_upload(viewer: Viewer, key: str) -> None:
    from speakpro.services.accounts.retention import record_upload  # here: retention imports this module

    with use_context(viewer_context(viewer)), session_scope() as session:
        record_upload(session=session, user_id=viewer.user_id, key=key)


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


class _TooLarge(Exception):
    pass


async def _read_capped(request: Request, cap: int) -> bytes:
    """The body, refusing as soon as it passes `cap` bytes (at most cap+1 bytes are kept)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk[: cap + 1 - len(body)]
        if len(body) > cap:
            raise _TooLarge
    return bytes(body)


async def upload_audio(request: Request) -> Response:
    """`POST /api/audio`: store one recording of the signed-in user."""
    token, problem = _request_token(request)
    if problem:
        return _error(403, problem)
    if token is None:
        return _error(401, "Please sign in to upload a recording.", {"WWW-Authenticate": "Bearer"})
    viewer = await run_in_threadpool(_resolve, token)
    if viewer is None:
        return _error(401, "Your session has ended. Please sign in again.", {"WWW-Authenticate": "Bearer"})

    refusal = await run_in_threadpool(_consent_refusal, viewer)
    if refusal:
        return _error(403, refusal)

    purpose = request.query_params.get("purpose", "")
    if purpose not in routes.AUDIO_PURPOSES:
        return _error(400, f"Unknown recording purpose: use one of {', '.join(routes.AUDIO_PURPOSES)}.")

    cap = settings.max_upload_bytes
    too_big = f"The recording is larger than {_mb(cap)}. Please record a shorter take."
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()):  # isdigit() alone also takes "²"
            return _error(400, "Invalid Content-Length.")
        if int(declared) > cap:
            return _error(413, too_big)
        if int(declared) == 0:
            return _error(400, "The recording is empty.")

    decision = UPLOAD_LIMIT.hit(str(viewer.user_id))
    if not decision.allowed:
        return _error(
            429,
            f"Too many recordings uploaded. Please wait {decision.retry_after_seconds} seconds.",
            {"Retry-After": str(decision.retry_after_seconds)},
        )

    try:
        data = await _read_capped(request, cap)
    except _TooLarge:
        return _error(413, too_big)
    except ClientDisconnect:
        return _error(400, "The upload was interrupted.")
    if not data:
        return _error(400, "The recording is empty.")
    audio = detect_audio(data)
    if audio is None:
        return _error(415, "This is not a supported audio recording (WebM, Ogg, WAV, MP4/M4A or MP3).")

    key = new_audio_key(viewer.user_id, audio.extension)
    try:
        await run_in_threadpool(get_storage().put, key, data, audio.mime)
    except (StorageError, OSError) as error:
        log.error("audio upload could not be stored: %s", type(error).__name__)
        return _error(503, "The recording could not be saved right now. Please try again.")
    log.info("audio stored: purpose=%s mime=%s size=%d", purpose, audio.mime, len(data))
    # Recorded after the object is stored: an account erased meanwhile makes this fail, and the object goes.
    try:
        await run_in_threadpool(_record_upload, viewer, key)
    except Exception:  # noqa: BLE001 - account erased meanwhile (foreign key), or the database did not answer
        try:
            await run_in_threadpool(get_storage().delete, key)
        except (StorageError, OSError):
            log.warning("an unrecorded upload could not be removed; the retention sweep cannot see it")
        return _error(503, "The recording could not be saved right now. Please try again.")
    return JSONResponse({"key": key, "mime": audio.mime, "size": len(data)}, status_code=201, headers=PRIVATE_HEADERS)


async def media(request: Request) -> Response:
    """`GET /api/media/{key}`: a locally stored object, for a valid signed and unexpired URL only."""
    storage = get_storage()
    key = request.path_params["key"]
    forbidden = _error(403, "This link is invalid or has expired.")
    if not isinstance(storage, LocalStorage):
        return forbidden
    if not storage.verify(key, request.query_params.get("exp"), request.query_params.get("sig")):
        return forbidden
    try:
        path = storage.path_for(key)
        if not path.is_file():
            return forbidden
        content_type = storage.content_type(key)
    except StorageError:
        return forbidden
    return FileResponse(
        path,
        media_type=content_type,
        headers={"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


def upload_routes() -> list[Route]:
    """The upload and media routes, to add to the backend's Starlette app."""
    return [
        Route(routes.API_AUDIO, upload_audio, methods=["POST"], name="audio_upload"),
        Route(MEDIA_PATH, media, methods=["GET", "HEAD"], name="media"),
    ]
