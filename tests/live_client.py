"""A live-practice client that behaves like the browser's live page: Reflex's real websocket for the page, and
the transcript websocket (`speakpro/live_socket.py`) for the segments.

It speaks Socket.IO (Engine.IO v4) over a websocket itself (`wsproto`, already a runtime dependency), as
Reflex's frontend does (`reflex_base/.templates/web/utils/state.js`):

- `GET /_event/?EIO=4&transport=websocket&token=<per-tab uuid>` upgraded to a websocket, with the HttpOnly
  session cookie in the handshake's `Cookie` header (`speakpro_session=<token>`) and Reflex's version as the
  websocket subprotocol, like the browser;
- the server's `0{...}` open packet (ping interval and timeout), then `40/_event,{"event": <hydrate>}`: the
  namespace CONNECT whose auth carries the boot event `hydrate_and_load` with the live page's router data
  (`EventNamespace.on_connect` processes it as the connection's first event, which runs the page's on_load,
  `PracticeLiveState.load`);
- events as `42/_event,["event", {"name", "payload", "router_data"}]`; the server's `42/_event,["event",
  {"delta", "events", "final"}]` updates; pings `2` answered with `3`; `new_token` adopted.

Next to it, the transcript socket, as `assets/live/useTranscriptSocket.js` opens it: `GET /api/live/<session
id>` upgraded to a plain websocket with the same cookie and Origin, one JSON batch per message out, one JSON
answer per batch back; reconnected like the page's socket, everything unacknowledged sent again each time.

On top of it, the live page's transcript outbox (`assets/live/outbox.js`): the latest version of every
unacknowledged segment with a revision number; batches of at most 20 with a fresh batch id each, sent every
`batch_interval` s; an answer drops a sequence only when the revision sent in that batch is still the latest; a
transient refusal (`retry: true`) keeps everything; a permanent one drops that batch's versions and is recorded
(the tests expect none). Whatever waited `resend_after` s for its answer is sent again (the delay doubling with
each resend round, up to `max_resend_after`, back to the start once something is stored, as the browser's outbox
does), and everything unacknowledged is sent again after every reconnect of the transcript socket. A dropped socket
is reconnected with backoff (0.2 s, 0.4 s, ... up to 2 s), the page's socket re-hydrating on the live page's route,
as the browser does.

`end()` is the End button: wait (bounded) until the outbox is empty, send `PracticeLiveState.end`, wait for
the end token to move, send `status({"status": "ended"})` and wait until the state says "ended".

Measurements: `latencies` (seconds from sending a batch to the first answer that stored it),
`answer_latencies` (to any answer), counts of batches, resends, answers by kind, reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)

log = logging.getLogger(__name__)

NAMESPACE = "/_event"
EVENT_PATH = "/_event/"
ROOT_STATE = "reflex___state____state"
LIVE_STATE = (
    "reflex___state____state.speakpro___state___auth____auth_state"
    ".speakpro___state___practice_live____practice_live_state"
)
SESSION_COOKIE = "speakpro_session"
TRANSCRIPT_PATH = "/api/live/"
MAX_BATCH = 20
SPEAKERS = ("user", "ai")


def reflex_version() -> str:
    """Reflex's version (the websocket subprotocol the browser offers)."""
    try:
        from importlib.metadata import version

        return version("reflex")
    except Exception:  # noqa: BLE001
        return ""


def check_state_name() -> str:
    """The live state's full name as the app defines it (imports the app's state module)."""
    from speakpro.state.practice_live import PracticeLiveState

    return PracticeLiveState.get_full_name()


class SocketClosed(Exception):
    """The websocket is gone (closed, reset, or the server stopped answering pings)."""


class WebSocketConnection:
    """One client websocket over asyncio streams (wsproto): the handshake, text messages, close."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, ws: WSConnection):
        self.reader, self.writer, self.ws = reader, writer, ws
        self.last_seen = time.monotonic()
        self._text: list[str] = []
        self._pending: list[str] = []
        self.closed = False

    @classmethod
    async def connect(
        cls, base_url: str, target: str, *, headers: list[tuple[bytes, bytes]], subprotocols=(), timeout: float
    ):
        """Open the TCP connection and complete the websocket handshake for `target` (path and query)."""
        parts = urlsplit(base_url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        ws = WSConnection(ConnectionType.CLIENT)
        sock = cls(reader, writer, ws)
        try:
            writer.write(
                ws.send(
                    Request(
                        host=f"{host}:{port}", target=target, extra_headers=headers, subprotocols=list(subprotocols)
                    )
                )
            )
            await writer.drain()
            deadline = time.monotonic() + timeout
            while True:
                data = await asyncio.wait_for(reader.read(65536), max(0.1, deadline - time.monotonic()))
                if not data:
                    raise SocketClosed("closed during the handshake")
                ws.receive_data(data)
                accepted = False
                for event in ws.events():
                    if isinstance(event, AcceptConnection):
                        accepted = True
                    elif isinstance(event, (RejectConnection, RejectData)):
                        raise SocketClosed(f"handshake refused: {getattr(event, 'status_code', '')}")
                    elif isinstance(event, TextMessage):
                        sock._collect(event)
                if accepted:
                    return sock
        except BaseException:
            sock.abort()
            raise

    def _collect(self, event: TextMessage) -> None:
        self._text.append(event.data)
        if event.message_finished:
            self._pending.append("".join(self._text))
            self._text = []

    async def _next_text(self) -> str:
        while not self._pending:
            data = await self.reader.read(65536)
            if not data:
                self.closed = True
                raise SocketClosed("connection closed")
            self.last_seen = time.monotonic()
            self.ws.receive_data(data)
            for event in self.ws.events():
                if isinstance(event, TextMessage):
                    self._collect(event)
                elif isinstance(event, BytesMessage):
                    continue
                elif isinstance(event, Ping):
                    self.writer.write(self.ws.send(event.response()))
                elif isinstance(event, CloseConnection):
                    self.closed = True
                    with contextlib.suppress(Exception):
                        self.writer.write(self.ws.send(event.response()))
                    raise SocketClosed(f"closed by the server ({event.code})")
        return self._pending.pop(0)

    async def receive(self, timeout: float | None = None) -> str:
        """The next text message; raises SocketClosed when the connection is gone (or silent for `timeout`)."""
        try:
            return await asyncio.wait_for(self._next_text(), timeout)
        except TimeoutError:
            self.abort()
            raise SocketClosed("the server stopped answering") from None
        except (ConnectionError, OSError) as error:
            self.abort()
            raise SocketClosed(str(error)) from error

    async def send_text(self, text: str) -> None:
        if self.closed:
            raise SocketClosed("closed")
        try:
            self.writer.write(self.ws.send(TextMessage(data=text)))
            await self.writer.drain()
        except (ConnectionError, OSError, RuntimeError) as error:
            self.abort()
            raise SocketClosed(str(error)) from error

    def abort(self) -> None:
        self.closed = True
        with contextlib.suppress(Exception):
            self.writer.transport.abort()


class EngineSocket(WebSocketConnection):
    """One Engine.IO v4 websocket connection with the Socket.IO namespace `/_event` connected."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, ws: WSConnection):
        super().__init__(reader, writer, ws)
        self.ping_interval = 25.0
        self.ping_timeout = 20.0

    @classmethod
    async def open(
        cls, base_url: str, *, token: str, cookie: str, auth: dict, origin: str, timeout: float = 10.0
    ) -> tuple[EngineSocket, str]:
        """Connect, upgrade, read the open packet, connect the namespace with `auth`. Returns (socket, sid)."""
        target = f"{EVENT_PATH}?{urlencode({'token': token, 'EIO': '4', 'transport': 'websocket'})}"
        headers = [(b"cookie", cookie.encode()), (b"origin", origin.encode()), (b"user-agent", b"speakpro-live-client")]
        version = reflex_version()
        sock = await cls.connect(
            base_url, target, headers=headers, subprotocols=[version] if version else [], timeout=timeout
        )
        try:
            deadline = time.monotonic() + timeout
            # The open packet.
            opened = await asyncio.wait_for(sock._next_text(), max(0.1, deadline - time.monotonic()))
            if not opened.startswith("0"):
                raise SocketClosed(f"unexpected first packet {opened[:40]!r}")
            info = json.loads(opened[1:])
            sock.ping_interval = info.get("pingInterval", 25000) / 1000
            sock.ping_timeout = info.get("pingTimeout", 20000) / 1000
            await sock.send_text(f"40{NAMESPACE},{json.dumps(auth, separators=(',', ':'))}")
            while True:
                packet = await asyncio.wait_for(sock._next_text(), max(0.1, deadline - time.monotonic()))
                if packet == "2":
                    await sock.send_text("3")
                    continue
                if packet.startswith(f"40{NAMESPACE},"):
                    sid = json.loads(packet[len(NAMESPACE) + 3 :]).get("sid", "")
                    return sock, sid
                if packet.startswith(f"44{NAMESPACE},"):
                    raise SocketClosed(f"namespace connect refused: {packet[:200]}")
                # Anything else before the connect answer (an early event): keep it for the reader.
                sock._pending.append(packet)
        except BaseException:
            sock.abort()
            raise

    async def receive(self, timeout: float | None = None) -> str:
        """The next Engine.IO packet (text); raises SocketClosed when the connection is gone or silent."""
        return await super().receive(self.ping_interval + self.ping_timeout + 1 if timeout is None else timeout)

    async def emit_event(self, event: dict) -> None:
        await self.send_text(f"42{NAMESPACE},{json.dumps(['event', event], separators=(',', ':'))}")


@dataclass
class _Entry:
    segment: dict
    revision: int
    sent_revision: int = 0
    sent_at: float = 0.0


@dataclass
class LiveStats:
    batches_sent: int = 0
    resent_batches: int = 0
    segments_sent: int = 0
    answers: int = 0
    stored_answers: int = 0
    retry_answers: int = 0
    refusals: list[str] = field(default_factory=list)
    retry_texts: set[str] = field(default_factory=set)
    reconnects: int = 0
    connects: int = 0
    connect_failures: int = 0
    transcript_connects: int = 0
    transcript_reconnects: int = 0
    new_tokens: int = 0


class LiveClient:
    """One learner's live page (see the module docstring)."""

    def __init__(
        self,
        base_url: str | Callable[[], str],
        *,
        session_id: str,
        session_token: str,
        batch_interval: float = 0.5,
        resend_after: float = 2.0,
        max_resend_after: float = 12.0,
        max_batch: int = MAX_BATCH,
        origin: str = "http://localhost:3000",
        name: str = "learner",
    ):
        self._base_url = base_url
        self.session_id = session_id
        self.cookie = f"{SESSION_COOKIE}={session_token}"
        self.tab_token = str(uuid.uuid4())
        self.batch_interval = batch_interval
        self.resend_after = resend_after
        self.max_resend_after = max_resend_after
        self.misses = 0  # resend rounds since something was last stored: the resend delay doubles with each
        self.max_batch = max_batch
        self.origin = origin
        self.name = name
        self.path = f"/practice/live/{session_id}"
        # sequence -> _Entry; batch id -> (sequence -> revision sent, time sent)
        self.entries: dict[int, _Entry] = {}
        self.batches: dict[str, tuple[dict[int, int], float]] = {}
        self.revision = 0
        self.stats = LiveStats()
        self.latencies: list[float] = []
        self.answer_latencies: list[float] = []
        self.acknowledged: dict[int, dict] = {}  # sequence -> the version last acknowledged as stored
        self.state: dict = {}  # the live state's vars as last seen (names without the _rx_state_ suffix)
        self.server_events: list[dict] = []
        self.redirects: list[str] = []
        self.connected = asyncio.Event()  # the page's socket
        self.transcript_connected = asyncio.Event()
        self._changed = asyncio.Event()
        self._socket: EngineSocket | None = None
        self._transcript: WebSocketConnection | None = None
        self._tasks: list[asyncio.Task] = []
        self._closing = False
        self._force_send = False
        self._send_lock = asyncio.Lock()
        self.errors: list[str] = []

    # --- the outbox ---------------------------------------------------------------------------------

    def put(self, segment: dict) -> bool:
        """Keep the latest version of a segment until acknowledged (a final is never replaced by a partial)."""
        segment = {k: segment[k] for k in ("sequence", "speaker", "text", "start_ms", "end_ms", "is_final")}
        known = self.entries.get(segment["sequence"])
        if known is not None and (known.segment == segment or (known.segment["is_final"] and not segment["is_final"])):
            return False
        if known is None and self.acknowledged.get(segment["sequence"], {}).get("is_final"):
            return False  # already stored final: the browser's transcript would not emit it again
        self.revision += 1
        self.entries[segment["sequence"]] = _Entry(segment, self.revision)
        return True

    def pending(self) -> int:
        return len(self.entries)

    def in_flight(self, within: float, *, finals: bool = False) -> int:
        """Batches sent in the last `within` seconds and not answered yet (with `finals`: only those carrying
        a final that is still the latest version of its sequence)."""
        now = time.monotonic()
        count = 0
        for sent, sent_at in self.batches.values():
            if now - sent_at >= within:
                continue
            if finals and not any(
                (entry := self.entries.get(sequence)) is not None
                and entry.revision == revision
                and entry.segment["is_final"]
                for sequence, revision in sent.items()
            ):
                continue
            count += 1
        return count

    def resend_delay(self) -> float:
        return min(self.max_resend_after, self.resend_after * 2**self.misses)

    def _take(self, force: bool) -> list[dict]:
        now = time.monotonic()
        delay = self.resend_delay()
        due = [e for e in self.entries.values() if e.sent_revision != e.revision or force or now - e.sent_at >= delay]
        resends = sum(1 for e in due if e.sent_revision == e.revision)
        if force:
            self.misses = 0
        elif resends:
            self.misses = min(self.misses + 1, 16)
        due.sort(key=lambda e: e.segment["sequence"])
        out = []
        for start in range(0, len(due), self.max_batch):
            chunk = due[start : start + self.max_batch]
            batch_id = str(uuid.uuid4())
            sent = {}
            for entry in chunk:
                entry.sent_revision, entry.sent_at = entry.revision, now
                sent[entry.segment["sequence"]] = entry.revision
            self.batches[batch_id] = (sent, now)
            out.append(
                {"batch_id": batch_id, "session_id": self.session_id, "segments": [dict(e.segment) for e in chunk]}
            )
        if resends:
            self.stats.resent_batches += 1
        while len(self.batches) > 256:
            self.batches.pop(next(iter(self.batches)))
        return out

    def _ack(self, answers: list) -> None:
        now = time.monotonic()
        for answer in answers if isinstance(answers, list) else []:
            if not isinstance(answer, dict) or not isinstance(answer.get("batch_id"), str):
                continue
            record = self.batches.pop(answer["batch_id"], None)
            if record is None:
                continue
            sent, sent_at = record
            self.stats.answers += 1
            self.answer_latencies.append(now - sent_at)
            stored = [s for s in answer.get("stored") or [] if isinstance(s, int)]
            refused = str(answer.get("refused") or "").strip()
            if stored:
                self.stats.stored_answers += 1
                self.misses = 0
                self.latencies.append(now - sent_at)
                for sequence in stored:
                    entry = self.entries.get(sequence)
                    if sequence in sent and entry is not None and entry.revision == sent[sequence]:
                        self.acknowledged[sequence] = entry.segment
                        del self.entries[sequence]
            if refused and answer.get("retry") is True:
                self.stats.retry_answers += 1
                self.stats.retry_texts.add(refused)
            elif refused:
                self.stats.refusals.append(refused)
                for sequence, revision in sent.items():
                    entry = self.entries.get(sequence)
                    if entry is not None and entry.revision == revision:
                        del self.entries[sequence]
        self._changed.set()

    # --- the connection -----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self._base_url() if callable(self._base_url) else self._base_url

    def _router_data(self) -> dict:
        return {"pathname": self.path, "asPath": self.path, "query": {"session_ref": self.session_id}}

    def _event(self, handler: str, payload: dict, state: str = LIVE_STATE) -> dict:
        return {"name": f"{state}.{handler}", "payload": payload, "router_data": self._router_data()}

    async def start(self) -> LiveClient:
        self._tasks = [
            asyncio.create_task(self._run(), name=f"{self.name}-socket"),
            asyncio.create_task(self._run_transcript(), name=f"{self.name}-transcript"),
            asyncio.create_task(self._sender(), name=f"{self.name}-sender"),
        ]
        return self

    async def wait_connected(self, timeout: float = 30.0) -> None:
        """Until both sockets are open."""
        await asyncio.wait_for(asyncio.gather(self.connected.wait(), self.transcript_connected.wait()), timeout)

    async def wait_loaded(self, timeout: float = 30.0) -> None:
        """Until the page's on_load has shown this session (the state's session_id is ours)."""
        deadline = time.monotonic() + timeout
        while self.state.get("session_id") != self.session_id:
            await self._wait_change(deadline, "the live page to load")

    async def _wait_change(self, deadline: float, what: str) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"{self.name}: timed out waiting for {what}")
        self._changed.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._changed.wait(), min(remaining, 0.5))

    async def _keep_connected(self, what: str, connect, serve, up, down) -> None:
        """Connect, serve until the socket drops, reconnect with backoff (0.2 s, 0.4 s, ... up to 2 s)."""
        attempt = 0
        while not self._closing:
            try:
                sock = await connect()
            except (TimeoutError, SocketClosed, OSError, ValueError) as error:
                self.stats.connect_failures += 1
                attempt = min(attempt + 1, 10)
                log.debug("%s: %s connect failed (%s)", self.name, what, error)
                await asyncio.sleep(min(2.0, 0.2 * attempt) * (0.8 + 0.4 * random.random()))
                continue
            attempt = 0
            up(sock)
            try:
                await serve(sock)
            except SocketClosed as error:
                log.debug("%s: %s dropped (%s)", self.name, what, error)
            finally:
                down()
                sock.abort()
                self._changed.set()
            if not self._closing:
                await asyncio.sleep(0.2 * (0.8 + 0.4 * random.random()))

    async def _run(self) -> None:
        async def connect() -> EngineSocket:
            auth = {"event": self._event("hydrate_and_load", {}, state=ROOT_STATE)}
            sock, _sid = await EngineSocket.open(
                self.base_url, token=self.tab_token, cookie=self.cookie, auth=auth, origin=self.origin
            )
            return sock

        def up(sock: EngineSocket) -> None:
            self.stats.connects += 1
            if self.stats.connects > 1:
                self.stats.reconnects += 1
            self._socket = sock
            self.connected.set()

        def down() -> None:
            self._socket = None
            self.connected.clear()

        await self._keep_connected("page socket", connect, self._read, up, down)

    async def _run_transcript(self) -> None:
        target = TRANSCRIPT_PATH + self.session_id
        headers = [
            (b"cookie", self.cookie.encode()),
            (b"origin", self.origin.encode()),
            (b"user-agent", b"speakpro-live-client"),
        ]

        def up(sock: WebSocketConnection) -> None:
            self.stats.transcript_connects += 1
            if self.stats.transcript_connects > 1:
                self.stats.transcript_reconnects += 1
            self._transcript = sock
            self._force_send = True  # everything unacknowledged goes again on a new connection
            self.transcript_connected.set()

        def down() -> None:
            self._transcript = None
            self.transcript_connected.clear()

        async def serve(sock: WebSocketConnection) -> None:
            while True:
                try:
                    answer = json.loads(await sock.receive())
                except ValueError:
                    continue
                self._ack([answer])

        await self._keep_connected(
            "transcript socket",
            lambda: WebSocketConnection.connect(self.base_url, target, headers=headers, timeout=10.0),
            serve,
            up,
            down,
        )

    async def _read(self, sock: EngineSocket) -> None:
        while True:
            packet = await sock.receive()
            if packet == "2":
                await sock.send_text("3")
                continue
            if packet.startswith("1"):
                raise SocketClosed("engine.io close")
            if packet.startswith(f"41{NAMESPACE}"):
                raise SocketClosed("namespace disconnected by the server")
            if not packet.startswith(f"42{NAMESPACE},"):
                continue
            try:
                name, *args = json.loads(packet[len(NAMESPACE) + 3 :])
            except (ValueError, TypeError):
                continue
            if name == "event" and args and isinstance(args[0], dict):
                self._update(args[0])
            elif name == "new_token" and args:
                self.tab_token = str(args[0])
                self.stats.new_tokens += 1

    def _update(self, update: dict) -> None:
        delta = update.get("delta") or {}
        live = delta.get(LIVE_STATE)
        if isinstance(live, dict):
            for key, value in live.items():
                self.state[key.removesuffix("_rx_state_")] = value
        for event in update.get("events") or []:
            if isinstance(event, dict):
                self.server_events.append(event)
                if event.get("name") == "_redirect":
                    self.redirects.append(str((event.get("payload") or {}).get("path", "")))
        self._changed.set()

    async def emit(self, handler: str, payload: dict) -> bool:
        """Send one event of the live state now (False when not connected)."""
        sock = self._socket
        if sock is None:
            return False
        try:
            await sock.emit_event(self._event(handler, payload))
            return True
        except SocketClosed:
            return False

    async def send_raw_batch(self, segments: list[dict]) -> str | None:
        """A batch sent outside the outbox (a duplicate delivery, as a retrying network would make)."""
        sock = self._transcript
        if sock is None:
            return None
        batch_id = str(uuid.uuid4())
        try:
            batch = {"batch_id": batch_id, "session_id": self.session_id, "segments": segments}
            await sock.send_text(json.dumps(batch))
        except SocketClosed:
            return None
        return batch_id

    async def flush(self, force: bool = False) -> None:
        async with self._send_lock:
            sock = self._transcript
            if sock is None:
                return
            force = force or self._force_send
            self._force_send = False
            for batch in self._take(force):
                try:
                    await sock.send_text(json.dumps(batch, separators=(",", ":")))
                except SocketClosed:
                    # Not sent after all: due again on the next connection (forced then).
                    self._force_send = True
                    return
                self.stats.batches_sent += 1
                self.stats.segments_sent += len(batch["segments"])

    async def _sender(self) -> None:
        while not self._closing:
            await asyncio.sleep(self.batch_interval)
            try:
                await self.flush()
            except Exception as error:  # noqa: BLE001 - the sender must keep going
                self.errors.append(repr(error))

    # --- the end ------------------------------------------------------------------------------------

    async def wait_empty(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.entries:
            if time.monotonic() >= deadline:
                return False
            await self._wait_change(deadline, "the outbox to empty")
        return True

    async def end(self, timeout: float = 30.0) -> dict:
        """End the session like the End button; returns what happened (bounded by `timeout`)."""
        deadline = time.monotonic() + timeout
        emptied = await self.wait_empty(max(0.1, deadline - time.monotonic()) * 0.6)
        ended = False
        while time.monotonic() < deadline and not ended:
            if not self.connected.is_set():
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self.connected.wait(), max(0.1, deadline - time.monotonic()))
                continue
            token_before = self.state.get("end_token")
            if not await self.emit("end", {}):
                continue
            moved = time.monotonic() + min(10.0, max(0.1, deadline - time.monotonic()))
            while (
                self.state.get("end_token") == token_before
                and not self.state.get("ending")
                and time.monotonic() < moved
                and self.connected.is_set()
            ):
                await self._wait_change(moved, "the end token")
            # The browser finishes once the end token moved: last words (already sent), then "ended".
            await self.flush(force=bool(self.entries))
            if not await self.emit("status", {"payload": {"status": "ended", "reason": ""}}):
                continue
            settle = time.monotonic() + min(10.0, max(0.1, deadline - time.monotonic()))
            while time.monotonic() < settle and self.connected.is_set():
                if self.state.get("live_status") == "ended" or any("/practice/session/" in r for r in self.redirects):
                    ended = True
                    break
                await self._wait_change(settle, "the session to end")
        return {
            "emptied": emptied,
            "ended": ended,
            "pending": len(self.entries),
            "live_status": self.state.get("live_status"),
            "error": self.state.get("error", ""),
        }

    async def report_status(self, status: str, reason: str = "") -> bool:
        return await self.emit("status", {"payload": {"status": status, "reason": reason}})

    async def close(self) -> None:
        self._closing = True
        for task in self._tasks:
            task.cancel()
        for sock in (self._socket, self._transcript):
            if sock is not None:
                sock.abort()
        await asyncio.gather(*self._tasks, return_exceptions=True)
