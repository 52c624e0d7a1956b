"""A local stand-in for the OpenAI Realtime API over WebRTC: a real peer (aiortc) behind a small HTTP server.

It answers what the browser and the app send to OpenAI:

- `POST /v1/realtime/client_secrets` (the app's `openai` client, `OPENAI_BASE_URL` pointed here) returns
  `{"value": "ek_fake_...", "expires_at": now + 90, "session": {...}}` and remembers the secret.
- `POST /v1/realtime/calls?model=...` (the browser, `Authorization: Bearer <client secret>`, body = SDP offer,
  `Content-Type: application/sdp`) creates an `RTCPeerConnection`, answers with `201` and the SDP answer
  (`application/sdp`), sends a quiet tone as the partner's audio and swallows the learner's audio. When the
  browser's `oai-events` data channel opens it plays a scripted conversation: for each learner turn
  `input_audio_buffer.speech_started` / `speech_stopped` with audio timings, a few
  `conversation.item.input_audio_transcription.delta` and a `.completed`; for each partner turn
  `response.created`, `response.output_audio_transcript.delta`s, `.done` and `response.done`, with
  realistic pauses (scaled by `time_scale`). An unknown or expired secret gets a 401 like the real API
  (`expire_secrets`, `reject_next_calls`); `drop_connections` closes every peer connection as a network
  drop would.

Everything it received is kept for the test to check: `calls` (Authorization header, query, SDP offer and
answer, events sent, messages and audio frames received) and `secrets` (the mint requests).

    with FakeRealtimePeer(time_scale=0.5) as peer:
        ...  # OPENAI_BASE_URL=peer.base_url, OPENAI_REALTIME_CALLS_URL=peer.calls_url
        peer.wait_for(lambda: peer.calls and peer.calls[0].script_done, timeout=30)

The server listens on 127.0.0.1, and so does the WebRTC media: aiortc gathers only the loopback address
(`_loopback_only`), the browser's offer is cut down to its loopback candidates (Chromium offers them with
`--allow-loopback-in-peer-connection`), so every ICE check and every RTP packet goes to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import fractions
import json
import math
import re as _re
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import aioice.ice as _aioice_ice
import uvicorn
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def _loopback_only(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    """aiortc's host addresses, limited to loopback: the test's media never goes to another address."""
    return ["127.0.0.1"] if use_ipv4 else []


_aioice_ice.get_host_addresses = _loopback_only

_CANDIDATE = _re.compile(r"^a=candidate:\S+ \d+ \S+ \d+ (\S+) ", _re.MULTILINE)


def _loopback_candidates(sdp: str) -> str:
    """The offer with only its 127.0.0.1 candidates, so no connectivity check targets another address."""
    lines = []
    for line in sdp.splitlines():
        match = _CANDIDATE.match(line)
        if match and match.group(1) != "127.0.0.1":
            continue
        lines.append(line)
    return "\r\n".join(lines) + "\r\n"


SAMPLE_RATE = 48_000
FRAME_SAMPLES = 960  # 20 ms
SECRET_SECONDS = 90


@dataclass(frozen=True)
class Turn:
    """One utterance of the scripted conversation."""

    speaker: str  # "user" or "ai"
    text: str
    pause_before_ms: int = 600


DEFAULT_SCRIPT: tuple[Turn, ...] = (
    Turn("user", "Hi, um, I'm calling about your delivery routes for next quarter.", 700),
    Turn("ai", "Thanks for calling Blue Harbor Logistics. Which routes are you thinking about?"),
    Turn("user", "Mostly Rotterdam to Lyon. We ship, uh, twice a week and the costs keep going up."),
    Turn("ai", "I see. How many pallets do you usually send on each run?"),
    Turn("user", "Around twelve, sometimes fifteen before the holidays."),
    Turn("ai", "Then one consolidated weekly run could save you about a fifth. Shall I send you a quote?"),
)


@dataclass
class RecordedCall:
    """One `POST /v1/realtime/calls` and what happened on that connection."""

    authorization: str
    content_type: str
    query: dict[str, str]
    offer_sdp: str
    answer_sdp: str = ""
    status: int = 201
    channel_label: str = ""
    events_sent: list[dict[str, Any]] = field(default_factory=list)
    messages_received: list[str] = field(default_factory=list)
    audio_frames_received: int = 0
    script_done: bool = False


@dataclass
class MintedSecret:
    """One `POST /v1/realtime/client_secrets`."""

    authorization: str
    body: dict[str, Any]
    value: str
    expires_at: int


class ToneTrack(MediaStreamTrack):
    """The partner's voice: a quiet 220 Hz tone in 20 ms frames, paced in real time."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._samples = 0
        self._started: float | None = None

    async def recv(self) -> AudioFrame:
        if self._started is None:
            self._started = time.monotonic()
        wait = self._started + self._samples / SAMPLE_RATE - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        pcm = bytearray()
        for n in range(self._samples, self._samples + FRAME_SAMPLES):
            value = int(1200 * math.sin(2 * math.pi * 220 * n / SAMPLE_RATE))
            pcm += value.to_bytes(2, "little", signed=True)
        frame = AudioFrame(format="s16", layout="mono", samples=FRAME_SAMPLES)
        frame.planes[0].update(bytes(pcm))
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._samples
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        self._samples += FRAME_SAMPLES
        return frame


def _pieces(text: str, words_per_piece: int = 2) -> list[str]:
    """Split text into deltas the way a streaming transcriber does (leading spaces kept)."""
    words = text.split(" ")
    chunks = [" ".join(words[i : i + words_per_piece]) for i in range(0, len(words), words_per_piece)]
    return [chunk if index == 0 else " " + chunk for index, chunk in enumerate(chunks)]


def _event_id() -> str:
    return f"event_{secrets.token_hex(8)}"


class FakeRealtimePeer:
    """The fake Realtime endpoint; start it with `with` (or `start()` / `stop()`)."""

    def __init__(self, script: tuple[Turn, ...] = DEFAULT_SCRIPT, time_scale: float = 1.0) -> None:
        self.script = script
        self.time_scale = time_scale
        self.calls: list[RecordedCall] = []
        self.secrets: list[MintedSecret] = []
        self.port = 0
        self._valid: dict[str, float] = {}
        self._reject_calls = 0
        self._peers: set[RTCPeerConnection] = set()
        self._tasks: set[asyncio.Task] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    # ---- addresses ------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The API root for the app's `openai` client (`OPENAI_BASE_URL`)."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def calls_url(self) -> str:
        """The WebRTC SDP endpoint for the browser (`OPENAI_REALTIME_CALLS_URL`)."""
        return f"{self.base_url}/realtime/calls"

    # ---- test helpers ---------------------------------------------------------------------------------

    def reject_next_calls(self, count: int = 1) -> None:
        """Answer the next `count` calls with 401, as the API does for an expired client secret."""
        with self._lock:
            self._reject_calls = count

    def expire_secrets(self) -> None:
        """Make every secret minted so far invalid (the next call with one gets a 401)."""
        with self._lock:
            self._valid.clear()

    def drop_connections(self) -> None:
        """Close every open peer connection, as if the network dropped."""
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(self._close_peers(), self._loop).result(timeout=10)

    def wait_for(self, predicate, timeout: float = 30.0, interval: float = 0.1) -> None:
        """Wait until `predicate()` is true; AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("the fake Realtime peer did not see what the test waited for")
            time.sleep(interval)

    # ---- HTTP -----------------------------------------------------------------------------------------

    async def _client_secrets(self, request: Request) -> Response:
        authorization = request.headers.get("authorization", "")
        try:
            body = await request.json()
        except ValueError:
            body = {}
        if not authorization.startswith("Bearer sk-"):
            return _error(401, "Incorrect API key provided.", "invalid_api_key")
        value = f"ek_fake_{secrets.token_hex(16)}"
        expires_at = int(time.time()) + SECRET_SECONDS
        with self._lock:
            self._valid[value] = expires_at
            self.secrets.append(MintedSecret(authorization, body, value, expires_at))
        session = dict(body.get("session") or {})
        session.setdefault("type", "realtime")
        session.update({"id": f"sess_{secrets.token_hex(8)}", "object": "realtime.session", "expires_at": expires_at})
        return JSONResponse({"value": value, "expires_at": expires_at, "session": session})

    async def _calls(self, request: Request) -> Response:
        authorization = request.headers.get("authorization", "")
        offer = (await request.body()).decode("utf-8", "replace")
        call = RecordedCall(
            authorization=authorization,
            content_type=request.headers.get("content-type", ""),
            query=dict(request.query_params),
            offer_sdp=offer,
        )
        self.calls.append(call)
        token = authorization.removeprefix("Bearer ").strip()
        with self._lock:
            expires = self._valid.get(token)
            rejected, self._reject_calls = self._reject_calls > 0, max(0, self._reject_calls - 1)
        if rejected or expires is None or expires < time.time():
            call.status = 401
            return _error(401, "The client secret is invalid or has expired.", "invalid_api_key")
        if call.content_type.split(";")[0].strip() != "application/sdp" or "m=audio" not in offer:
            call.status = 400
            return _error(400, "Expected an SDP offer with an audio section.", "invalid_offer")

        pc = RTCPeerConnection()
        self._peers.add(pc)

        @pc.on("track")
        def on_track(track):
            if track.kind == "audio":
                self._spawn(self._swallow(call, track))

        @pc.on("datachannel")
        def on_datachannel(channel):
            call.channel_label = channel.label
            channel.on("message", lambda message: call.messages_received.append(str(message)[:2000]))
            if channel.label == "oai-events":
                self._spawn(self._play(call, channel))

        @pc.on("connectionstatechange")
        async def on_state():
            if pc.connectionState in ("failed", "closed"):
                self._peers.discard(pc)
                await pc.close()

        await pc.setRemoteDescription(RTCSessionDescription(sdp=_loopback_candidates(offer), type="offer"))
        pc.addTrack(ToneTrack())
        await pc.setLocalDescription(await pc.createAnswer())
        call.answer_sdp = pc.localDescription.sdp
        call_id = f"rtc_{secrets.token_hex(8)}"
        return Response(
            call.answer_sdp,
            status_code=201,
            media_type="application/sdp",
            headers={"Location": f"/v1/realtime/calls/{call_id}"},
        )

    # ---- media and events -----------------------------------------------------------------------------

    def _spawn(self, coroutine) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _swallow(self, call: RecordedCall, track) -> None:
        try:
            while True:
                await track.recv()
                call.audio_frames_received += 1
        except MediaStreamError:
            return

    async def _play(self, call: RecordedCall, channel) -> None:
        """The scripted conversation, with audio timings counted from the moment the channel opened."""
        opened = time.monotonic()
        scale = self.time_scale

        def clock_ms() -> int:
            return int((time.monotonic() - opened) * 1000)

        async def pause(ms: float) -> None:
            await asyncio.sleep(ms * scale / 1000)

        def send(event: dict[str, Any]) -> bool:
            if channel.readyState != "open":
                return False
            event = {"event_id": _event_id(), **event}
            channel.send(json.dumps(event))
            call.events_sent.append(event)
            return True

        send({"type": "session.created", "session": {"id": f"sess_{secrets.token_hex(8)}", "type": "realtime"}})
        previous_item = None
        for number, turn in enumerate(self.script):
            await pause(turn.pause_before_ms)
            if channel.readyState != "open":
                return
            if turn.speaker == "user":
                item_id = f"item_user_{number}_{secrets.token_hex(4)}"
                send({"type": "input_audio_buffer.speech_started", "audio_start_ms": clock_ms(), "item_id": item_id})
                # About 180 ms a word out loud, then the silence that ends the turn.
                await pause(180 * len(turn.text.split()) + 500)
                send(
                    {
                        "type": "input_audio_buffer.speech_stopped",
                        "audio_end_ms": clock_ms() - int(500 * scale),
                        "item_id": item_id,
                    }
                )
                send({"type": "input_audio_buffer.committed", "item_id": item_id, "previous_item_id": previous_item})
                send(
                    {
                        "type": "conversation.item.added",
                        "previous_item_id": previous_item,
                        "item": {
                            "id": item_id,
                            "type": "message",
                            "role": "user",
                            "status": "completed",
                            "content": [{"type": "input_audio", "transcript": None}],
                        },
                    }
                )
                for piece in _pieces(turn.text, 2):
                    await pause(90)
                    send(
                        {
                            "type": "conversation.item.input_audio_transcription.delta",
                            "item_id": item_id,
                            "content_index": 0,
                            "delta": piece,
                        }
                    )
                await pause(120)
                send(
                    {
                        "type": "conversation.item.input_audio_transcription.completed",
                        "item_id": item_id,
                        "content_index": 0,
                        "transcript": turn.text,
                        "usage": {"type": "duration", "seconds": round(len(turn.text.split()) * 0.18, 1)},
                    }
                )
            else:
                response_id = f"resp_{secrets.token_hex(6)}"
                item_id = f"item_ai_{number}_{secrets.token_hex(4)}"
                send(
                    {
                        "type": "response.created",
                        "response": {
                            "id": response_id,
                            "object": "realtime.response",
                            "status": "in_progress",
                            "output": [],
                        },
                    }
                )
                send(
                    {
                        "type": "response.output_item.added",
                        "response_id": response_id,
                        "output_index": 0,
                        "item": {
                            "id": item_id,
                            "type": "message",
                            "role": "assistant",
                            "status": "in_progress",
                            "content": [],
                        },
                    }
                )
                for piece in _pieces(turn.text, 3):
                    await pause(160)
                    send(
                        {
                            "type": "response.output_audio_transcript.delta",
                            "response_id": response_id,
                            "item_id": item_id,
                            "output_index": 0,
                            "content_index": 0,
                            "delta": piece,
                        }
                    )
                send(
                    {
                        "type": "response.output_audio_transcript.done",
                        "response_id": response_id,
                        "item_id": item_id,
                        "output_index": 0,
                        "content_index": 0,
                        "transcript": turn.text,
                    }
                )
                send(
                    {
                        "type": "response.done",
                        "response": {"id": response_id, "object": "realtime.response", "status": "completed"},
                    }
                )
            previous_item = item_id
        call.script_done = True

    async def _close_peers(self) -> None:
        peers = list(self._peers)
        self._peers.clear()
        for pc in peers:
            await pc.close()

    # ---- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> FakeRealtimePeer:
        """Serve on a free 127.0.0.1 port in a background thread; returns once it accepts connections."""
        # The browser calls /v1/realtime/calls cross-origin, as it does the real API (which allows it).
        cors = Middleware(
            CORSMiddleware,
            allow_origins=["*"],
            allow_methods=["POST"],
            allow_headers=["authorization", "content-type"],
            expose_headers=["location"],
        )
        app = Starlette(
            routes=[
                Route("/v1/realtime/client_secrets", self._client_secrets, methods=["POST"]),
                Route("/v1/realtime/calls", self._calls, methods=["POST"]),
            ],
            middleware=[cors],
        )
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                loop.run_until_complete(self._server.serve(sockets=[sock]))
                loop.run_until_complete(self._close_peers())
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="fake-realtime-peer", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake Realtime peer did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Close the peer connections and stop serving."""
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> FakeRealtimePeer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _error(status: int, message: str, code: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}},
        status_code=status,
    )
