"""A local fake of the OpenAI HTTP API (`POST /v1/responses`), served by uvicorn on 127.0.0.1.

Point a real `openai.OpenAI` client at `server.base_url` with `server.api_key`. Each test decides what the
next requests get (`reply_with`, `fail_with`, `respond_slowly`, or a queue of outcomes via `script`) and
reads `server.requests` afterwards: path, headers and JSON body of everything the client sent.

    with FakeOpenAIServer() as server:
        server.fail_with(429)
        ...
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

# A test-only credential for a server that lives for one test on 127.0.0.1.
FAKE_API_KEY = "sk-test-fake-openai-key-not-a-real-one"  # noqa: S105
DEFAULT_REPLY = "SpeakPro coaches you to replace filler words with short pauses; Module B covers this."

_ERRORS = {
    401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
    429: ("Rate limit reached for requests. Please try again shortly.", "requests", "rate_limit_exceeded"),
    500: ("The server had an error while processing your request.", "server_error", None),
    503: ("The engine is currently overloaded, please try again later.", "server_error", None),
}


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Outcome:
    """What the fake answers to one request: a reply, an HTTP error, or a reply after a delay."""

    status: int = 200
    text: str = DEFAULT_REPLY
    delay_seconds: float = 0.0


@dataclass
class FakeOpenAIServer:
    """The fake server; start it with `with` (or `start()` / `stop()`)."""

    api_key: str = FAKE_API_KEY
    requests: list[RecordedRequest] = field(default_factory=list)
    default: Outcome = field(default_factory=Outcome)
    queued: deque[Outcome] = field(default_factory=deque)
    port: int = 0
    _stopping: bool = False

    @property
    def base_url(self) -> str:
        """The API root to give the client, e.g. `http://127.0.0.1:43123/v1`."""
        return f"http://127.0.0.1:{self.port}/v1"

    def reply_with(self, text: str) -> None:
        """Answer every following request normally, with `text`."""
        self.default = Outcome(text=text)

    def fail_with(self, status: int) -> None:
        """Answer every following request with an OpenAI-style error (401, 429, 500 or 503)."""
        self.default = Outcome(status=status)

    def respond_slowly(self, seconds: float, text: str = DEFAULT_REPLY) -> None:
        """Answer every following request only after `seconds` (to trip the client's timeout)."""
        self.default = Outcome(text=text, delay_seconds=seconds)

    def script(self, *outcomes: Outcome) -> None:
        """Answer the next requests with `outcomes` in order, then with the default again."""
        self.queued.extend(outcomes)

    async def _responses(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.requests.append(RecordedRequest(request.method, request.url.path, dict(request.headers), body))
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401)
        outcome = self.queued.popleft() if self.queued else self.default
        # Sleep in short steps so that stopping the server does not wait for (or cancel) slow answers.
        deadline = time.monotonic() + outcome.delay_seconds
        while time.monotonic() < deadline and not self._stopping:
            await asyncio.sleep(0.02)
        if outcome.status != 200:
            return _error(outcome.status)
        return JSONResponse(_response_json(body, outcome.text), headers={"x-request-id": f"req_{secrets.token_hex(8)}"})

    def start(self) -> FakeOpenAIServer:
        """Serve on a free port in a background thread; returns once the server accepts connections."""
        app = Starlette(routes=[Route("/v1/responses", self._responses, methods=["POST"])])
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
                raise RuntimeError("the fake OpenAI server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving (slow requests still pending are cut off after a second)."""
        self._stopping = True
        self._server.should_exit = True
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _error(status: int) -> JSONResponse:
    message, kind, code = _ERRORS.get(status, ("Unexpected error.", "server_error", None))
    # The real API sends Retry-After on 429s; a few milliseconds keeps the client's retries quick here.
    headers = {"retry-after-ms": "10"} if status in (429, 500, 503) else {}
    return JSONResponse(
        {"error": {"message": message, "type": kind, "param": None, "code": code}}, status_code=status, headers=headers
    )


def _response_json(request: dict[str, Any], text: str) -> dict[str, Any]:
    """A completed Responses API object, shaped like the real one."""
    input_tokens = max(1, len(str(request.get("instructions", "")) + str(request.get("input", ""))) // 4)
    output_tokens = max(1, len(text) // 4)
    return {
        "id": f"resp_{secrets.token_hex(16)}",
        "object": "response",
        "created_at": int(time.time()),
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "instructions": request.get("instructions"),
        "max_output_tokens": request.get("max_output_tokens"),
        "model": request.get("model", "gpt-4.1-mini"),
        "output": [
            {
                "type": "message",
                "id": f"msg_{secrets.token_hex(16)}",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        ],
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "store": request.get("store", True),
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input_tokens + output_tokens,
        },
        "user": None,
        "metadata": {},
    }
