"""The live page's transcript channel: a websocket of its own, `/api/live/{session_id}`, next to Reflex's.

Transcript batches are the one stream of SpeakPro that is both frequent (two a second per learner) and must
never lose a word, so they skip Reflex's event machinery (state load, delta, state save for every batch) and
go over this plain websocket instead: a batch in, one committed database round trip
(`services.practice.transcripts.ingest_batch`: the session token checked by its hash, the session's owner and
status, the neighbour clamp and the upsert in one statement), an answer out.

The protocol (one JSON text message each way, in order, per connection):

- the browser sends `{"batch_id": "<at most 64 chars>", "session_id": "<uuid>", "segments": [...]}` (the
  segments as `services.practice.segments.validate_segments` takes them);
- the server answers every batch with a usable batch id, after its commit:
  `{"batch_id", "stored": [sequence, ...], "refused": "" or a plain sentence, "retry": bool}`. `stored`
  lists what the database holds now; `retry: true` means "keep it and send it again" (the database is
  unreachable, the cookie no longer signs anyone in, or an unexpected error, logged with an id the
  learner is shown to quote, never its text); a refusal without `retry` is final for that batch.
- the live meter (`services.analysis.live_meter`) rides along: an answer carries `"meter": {...}` when the
  figures changed and the last reading went out at least a second ago; a change that had to wait goes out
  on its own as `{"meter": {...}}` (no batch id) once the second is over. The meter of a connection starts
  from the session's stored tail (one read, as the learner, at its first stored batch), so a reload or
  another backend shows the same figures.

Who is asking comes from the HttpOnly session cookie of the handshake, resolved again for every batch, so a
revoked session stops at its next batch; the handshake is refused unless it comes from one of SpeakPro's
own origins (`security_headers.allowed_origins`, as for Reflex's websocket). The session is the route's:
nothing depends on in-memory state, so a restarted backend or another one behind the load balancer carries
on where the last stopped. A message that is not a batch is logged and ignored (there is no batch id to
answer), never an error the connection dies of.
"""

from __future__ import annotations

import asyncio
import json
import logging

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from speakpro import routes
from speakpro.db import DatabaseUnavailable, run_db_call
from speakpro.errors import new_error_id
from speakpro.security_headers import allowed_origins
from speakpro.services.analysis.live_meter import LiveMeter
from speakpro.services.practice import transcripts
from speakpro.services.validation import ValidationError, storable
from speakpro.session_cookie import token_from_cookie_header

log = logging.getLogger(__name__)

LIVE_PATH = routes.API_LIVE + "/{session_id}"
MAX_MESSAGE_CHARS = 256 * 1024  # 20 segments of at most 5,000 characters each, with room for JSON escapes
MAX_BATCH = 50  # the browser sends at most 20; anything bigger is not from it
MAX_BATCH_ID = 64
PAUSED = "Saving paused: we can't reach our database. Your words are kept in this tab and sent again."
OTHER_SESSION = "This transcript belongs to another practice session."
TOO_LARGE = "Part of the transcript was not saved: the update was too large."
UNEXPECTED = (
    "Saving paused: something went wrong on our side. Your words are kept in this tab and sent again; "
    "if this stays, quote error {error_id}."
)


def _answer(batch_id: str, *, stored: tuple[int, ...] = (), refused: str = "", retry: bool = False) -> dict:
    return {"batch_id": batch_id, "stored": list(stored), "refused": refused, "retry": retry}


def _batch(message: str) -> dict | None:
    """The batch a message carries, or None when it is not one (logged: nothing can be answered)."""
    if len(message) > MAX_MESSAGE_CHARS:
        log.warning("transcript message of %d characters: ignored", len(message))
        return None
    try:
        batch = json.loads(message)
    except ValueError:
        log.warning("transcript message that is not JSON: ignored")
        return None
    batch_id = batch.get("batch_id") if isinstance(batch, dict) else None
    if not isinstance(batch_id, str) or not 0 < len(batch_id) <= MAX_BATCH_ID or not storable(batch_id):
        log.warning("transcript batch without a usable batch id: ignored")
        return None
    return batch


async def _measure(meter: LiveMeter, *, token: str, session_ref: str, outcome: transcripts.BatchOutcome) -> None:
    """Feed a stored batch to the meter, loading the session's stored tail first when it has not yet."""
    if not meter.loaded:
        try:
            meter.load(await run_db_call(transcripts.live_tail, token=token, practice_session_id=session_ref))
        except DatabaseUnavailable:
            return  # the next batch tries again; a meter without the earlier words would be wrong
    meter.add(outcome.segments)


async def answer_batch(*, token: str, session_ref: str, batch: dict, meter: LiveMeter | None = None) -> dict:
    """Store one batch (committed) and say what the database holds: see the module docstring."""
    batch_id = batch["batch_id"]
    claimed, segments = batch.get("session_id", ""), batch.get("segments")
    if claimed and claimed != session_ref:
        return _answer(batch_id, refused=OTHER_SESSION)
    if isinstance(segments, list) and len(segments) > MAX_BATCH:
        return _answer(batch_id, refused=TOO_LARGE)
    try:
        outcome = await run_db_call(
            transcripts.ingest_batch, token=token, practice_session_id=session_ref, segments=segments
        )
    except ValidationError as error:
        return _answer(batch_id, refused=f"Part of the transcript was not saved: {error.message}")
    except DatabaseUnavailable:
        log.warning("transcript batch %s not stored: database unavailable", batch_id)
        return _answer(batch_id, refused=PAUSED, retry=True)
    except Exception:  # noqa: BLE001 - the words stay in the browser; the learner gets an id to quote
        error_id = new_error_id()
        log.exception("transcript batch %s not stored: unexpected error %s", batch_id, error_id)
        return _answer(batch_id, refused=UNEXPECTED.format(error_id=error_id), retry=True)
    if outcome.outcome == "ok":
        answer = _answer(batch_id, stored=outcome.sequences)
        if meter is not None:
            await _measure(meter, token=token, session_ref=session_ref, outcome=outcome)
            reading = meter.reading() if meter.loaded else None
            if reading is not None:
                answer["meter"] = reading.to_json()
        return answer
    # Signed out: kept in the browser until the learner signs in again. Otherwise final for this batch.
    return _answer(batch_id, refused=outcome.message, retry=outcome.outcome == "signed_out")


async def live_transcript(websocket: WebSocket) -> None:
    """`/api/live/{session_id}`: the transcript channel of one live page (see the module docstring)."""
    if websocket.headers.get("origin") not in allowed_origins():
        log.warning("transcript socket from a foreign origin refused")
        await websocket.close(code=1008)  # before accepting: the handshake is answered 403
        return
    token = token_from_cookie_header(websocket.headers.get("cookie"))
    session_ref = websocket.path_params["session_id"][:64]
    await websocket.accept()
    meter, sending = LiveMeter(), asyncio.Lock()
    later: asyncio.Task | None = None

    async def send(payload: dict) -> None:
        async with sending:
            if websocket.client_state == WebSocketState.CONNECTED:
                await websocket.send_text(json.dumps(payload, separators=(",", ":")))

    async def send_meter_later() -> None:
        await asyncio.sleep(meter.due_in())
        reading = meter.reading()
        try:
            if reading is not None:
                await send({"meter": reading.to_json()})
        except (WebSocketDisconnect, RuntimeError, OSError):
            log.debug("live meter not sent: the page went away")

    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            batch = _batch(text) if isinstance(text, str) else None
            if batch is None:
                continue
            answer = await answer_batch(token=token, session_ref=session_ref, batch=batch, meter=meter)
            if websocket.client_state != WebSocketState.CONNECTED:
                return  # stored, but the page went away: its next connection is told by the resend
            await send(answer)
            if meter.changed and meter.loaded and (later is None or later.done()):
                later = asyncio.create_task(send_meter_later())
    except WebSocketDisconnect:
        return
    finally:
        if later is not None:
            later.cancel()


def live_routes() -> list[WebSocketRoute]:
    """The transcript channel's route."""
    return [WebSocketRoute(LIVE_PATH, live_transcript)]
