"""The fake OpenAI server plus `POST /v1/realtime/client_secrets` (Realtime client secrets).

`FakeRealtimeServer` is a `FakeOpenAIServer` (same `/v1/responses`, same `reply_with` / `fail_with` /
`script` outcomes, same `requests` log) that also mints client secrets shaped like the real API's:
`{"value": "ek_test_...", "expires_at": <unix>, "session": {...}}`, where the session echoes the pinned
configuration the client sent. Every value it hands out is kept in `minted`, so a test can search the
database and the logs for it.

    with FakeRealtimeServer() as server:
        client = make_openai_client(api_key=server.api_key, base_url=server.base_url, max_retries=0)
        ...
        request = server.client_secret_requests[-1]
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.openai_server import FakeOpenAIServer, RecordedRequest, _error

CLIENT_SECRETS_PATH = "/v1/realtime/client_secrets"
DEFAULT_TTL_SECONDS = 600  # the API's default when expires_after is not given


@dataclass
class FakeRealtimeServer(FakeOpenAIServer):
    """The fake OpenAI server with Realtime client secrets; start it with `with`."""

    minted: list[str] = field(default_factory=list)

    @property
    def client_secret_requests(self) -> list[RecordedRequest]:
        """The client-secret requests received, oldest first."""
        return [r for r in self.requests if r.path == CLIENT_SECRETS_PATH]

    async def _client_secrets(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.requests.append(RecordedRequest(request.method, request.url.path, dict(request.headers), body))
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401)
        outcome = self.queued.popleft() if self.queued else self.default
        deadline = time.monotonic() + outcome.delay_seconds
        while time.monotonic() < deadline and not self._stopping:
            await asyncio.sleep(0.02)
        if outcome.status != 200:
            return _error(outcome.status)
        value = f"ek_test_{secrets.token_hex(16)}"
        self.minted.append(value)
        now = int(time.time())
        seconds = int((body.get("expires_after") or {}).get("seconds", DEFAULT_TTL_SECONDS))
        return JSONResponse(
            {"value": value, "expires_at": now + seconds, "session": _session_json(body.get("session") or {}, now)},
            headers={"x-request-id": f"req_{secrets.token_hex(8)}"},
        )

    def start(self) -> FakeRealtimeServer:
        """Serve both endpoints on a free port in a background thread; returns once it accepts connections."""
        app = Starlette(
            routes=[
                Route("/v1/responses", self._responses, methods=["POST"]),
                Route(CLIENT_SECRETS_PATH, self._client_secrets, methods=["POST"]),
            ]
        )
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake OpenAI Realtime server did not start")
            time.sleep(0.01)
        return self

    def __enter__(self) -> FakeRealtimeServer:
        return self.start()


def _session_json(requested: dict[str, Any], now: int) -> dict[str, Any]:
    """The effective session the real API returns: the requested configuration with its defaults filled in."""
    audio = requested.get("audio") or {}
    return {
        "id": f"sess_{secrets.token_hex(12)}",
        "object": "realtime.session",
        "type": requested.get("type", "realtime"),
        "model": requested.get("model", "gpt-realtime"),
        "instructions": requested.get("instructions", ""),
        "output_modalities": requested.get("output_modalities", ["audio"]),
        "expires_at": now + 3600,
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "transcription": (audio.get("input") or {}).get("transcription"),
                "turn_detection": (audio.get("input") or {}).get("turn_detection"),
                "noise_reduction": None,
            },
            "output": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "voice": (audio.get("output") or {}).get("voice", "alloy"),
                "speed": 1.0,
            },
        },
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": None,
        "prompt": None,
        "include": None,
    }
