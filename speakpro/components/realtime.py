"""The live practice client: WebRTC to the Realtime API (or solo recording), live transcript, recording upload.

The browser side is `assets/realtime.jsx` (React, no npm packages), split by responsibility under
`assets/live/`: `transcript.js` (events into segments) and `outbox.js` (the acknowledged outbox) are pure
modules with bun tests in `tests/js/`; `usePeer.js`, `useRecording.js`, `useSpeechRecognition.js` and
`useTranscriptSocket.js` are the React hooks for the WebRTC call, the microphone and its recording, the
browser's speech recognition and the transcript websocket;
`upload.js` is the one recording upload (shared with `assets/recorder.jsx`); `view.jsx` draws it. What goes
where:

- The page's state mints a short-lived client secret and puts it in `client_secret`; the component opens
  the WebRTC call itself (`POST {calls_url}?model=...` with the SDP offer and `Authorization: Bearer <secret>`)
  and reports `live`, after which the state clears the secret. The OpenAI key never reaches the browser.
- Transcript segments `{sequence, speaker, text, start_ms, end_ms, is_final}` go through an acknowledged
  outbox over the transcript websocket (`speakpro/live_socket.py`, `{transcript_url}/{session_id}` resolved
  against Reflex's backend URL, with the browser's cookies): batches of at most 20 as
  `{"batch_id", "session_id", "segments": [...]}` (every 500 ms and at once on every final), each with a new
  unique `batch_id`; the server answers each, after its commit, with
  `{"batch_id", "stored": [sequence, ...], "refused": str, "retry": bool}`.
  - `stored`: the sequences committed for that batch (every sequence of it that is durable, including
    those already stored in a form that supersedes what was sent). A sequence leaves the outbox only if
    the version sent in that batch is still its latest.
  - `refused` with `retry: true` (the database is unreachable, or the learner could not be signed in just
    then): nothing is dropped, everything is sent again later, and the learner sees the `refused` text (or,
    when it is empty, "Saving paused: we can't reach the server. Your words are kept and will be sent
    again.") until an answer with stored sequences arrives.
  - `refused` with `retry: false` (the session is no longer active, a malformed segment): the learner sees
    the `refused` text (plain, user-facing) and that batch's versions are given up.
  Unacknowledged segments are sent again 3 s after they were sent (doubling while unanswered, up to 12 s),
  at once when the browser comes back online or the transcript socket reconnects (it reconnects by itself,
  backing off up to 5 s; while it is down with words waiting, "Saving paused" shows), and after a reload:
  the outbox is mirrored to sessionStorage under `speakpro.outbox.<session_id>` (memory only where that is
  unavailable or full) and restored on mount, when numbering resumes at
  `max(sequence_start, highest restored sequence + 1)`. The root element's `data-pending` is the number of
  unacknowledged segments and `data-socket` the transcript socket's state (`connecting`, `open`, `closed`).
- The microphone is recorded for the whole session; when it ends (End, the time cap, a failed connection)
  open utterances are closed and sent, and the component waits until the outbox is empty ("Saving the last
  words…"; after 15 s it says the last words are not saved yet and offers `practice-end-anyway`, "End
  without them", while it keeps trying). Then the recording is POSTed to `/api/audio?purpose=practice`
  (like `recorder.py`, over HTTP with the browser's cookies, never the websocket) and reported as
  `on_recorded({"key", "mime", "size", "duration_seconds"})`.
- Status changes arrive as `on_status({"status", "reason", "elapsed_seconds"})` with status `connecting`,
  `live`, `reconnecting` (reason `network dropped` or `secret expired`: mint a new secret), `ending`
  (sent when the wait for the last acknowledgements starts), then `ended` or `failed` (reason `microphone
  denied`, `microphone unavailable`, `network dropped`, `secret expired`, `webrtc unavailable`); `ended` may
  carry `time limit`. `ended`/`failed` always come after the last segments and the recording.

    realtime_client(mode=State.mode, session_id=State.session_id,
                    client_secret=State.client_secret, calls_url=State.calls_url, model=State.model,
                    muted=State.muted, end_token=State.end_token,
                    on_recorded=State.recorded, on_status=State.status)

Ids rendered: `live-transcript` (lines with class `transcript-line`, `data-speaker` user|ai and `data-final`),
`practice-timer`, `partner-audio`, `realtime-message`, `transcript-notice` (saving paused),
`transcript-refused` (permanent refusals), `practice-end-anyway`, and in solo mode `solo-transcript` (the
typed text) and `solo-recognition`. The root carries `data-phase`, `data-mode` and `data-pending`.
"""

from __future__ import annotations

import reflex as rx

from speakpro import routes

MODES = ("realtime", "solo")
MAX_SECONDS = 15 * 60


class RealtimeClient(rx.Component):
    """The `RealtimeClient` React component of `assets/realtime.jsx`."""

    library = "$/public/realtime.jsx"
    tag = "RealtimeClient"

    # "realtime" (WebRTC to the AI partner) or "solo" (record, speech recognition or typed transcript).
    mode: rx.Var[str]
    # A short-lived Realtime client secret; a new value while reconnecting opens a new connection.
    client_secret: rx.Var[str]
    # The WebRTC SDP endpoint (settings.openai_realtime_calls_url) and the model sent as `?model=`.
    calls_url: rx.Var[str]
    model: rx.Var[str]
    # Where recordings go: a path resolved against Reflex's backend URL, or an absolute URL.
    upload_url: rx.Var[str]
    # The transcript websocket's path (the session id is appended), resolved against Reflex's backend URL.
    transcript_url: rx.Var[str]
    # The hard stop and the target band shown on the timer bar, in seconds.
    max_seconds: rx.Var[int]
    target_min_seconds: rx.Var[int]
    target_max_seconds: rx.Var[int]
    # Mutes the microphone track (the partner and the recording then hear silence).
    muted: rx.Var[bool]
    # Increment to end the session (the component saves the transcript and the recording first).
    end_token: rx.Var[int]
    # The first sequence number to use (the next one after what the database already holds).
    sequence_start: rx.Var[int]
    # Seconds of the session that had passed when the page opened (timer and segment times count from the
    # session's start).
    elapsed_offset_seconds: rx.Var[int]
    # Lines already stored (a bounded tail), shown above the new ones after a reload.
    initial_segments: rx.Var[list[dict]]
    # How the partner is labelled in the live transcript.
    partner_name: rx.Var[str]
    # The practice session's id: the transcript socket's, sent with every batch, and part of the outbox's
    # sessionStorage key.
    session_id: rx.Var[str]
    on_recorded: rx.EventHandler[rx.event.passthrough_event_spec(dict)]
    on_status: rx.EventHandler[rx.event.passthrough_event_spec(dict)]


def realtime_client(
    *,
    mode: rx.Var | str,
    on_recorded: rx.event.EventType[()] | rx.event.EventType[dict],
    on_status: rx.event.EventType[()] | rx.event.EventType[dict],
    client_secret: rx.Var | str = "",
    calls_url: rx.Var | str = "",
    model: rx.Var | str = "",
    muted: rx.Var | bool = False,
    end_token: rx.Var | int = 0,
    sequence_start: rx.Var | int = 0,
    elapsed_offset_seconds: rx.Var | int = 0,
    initial_segments: rx.Var | list[dict] | None = None,
    partner_name: rx.Var | str = "Partner",
    session_id: rx.Var | str = "",
    upload_url: rx.Var | str = routes.API_AUDIO,
    transcript_url: rx.Var | str = routes.API_LIVE,
    max_seconds: int = MAX_SECONDS,
    target_seconds: tuple[int, int] = (120, 300),
    id: str = "realtime-client",
    **props,
) -> rx.Component:
    """The live practice client (see the module docstring for the events it sends).

    Args:
        mode: "realtime" or "solo" (a state var, or one of those strings).
        on_recorded: Called with `{"key", "mime", "size", "duration_seconds"}` once the recording is stored.
        on_status: Called with `{"status", "reason", "elapsed_seconds"}` on every status change.
        client_secret: The short-lived Realtime client secret (realtime mode).
        calls_url: The Realtime WebRTC calls URL.
        model: The Realtime model, sent as `?model=`.
        muted: Whether the microphone is muted.
        end_token: Increment to end the session.
        sequence_start: The first transcript sequence number to use.
        elapsed_offset_seconds: Seconds since the session started when the page opened.
        initial_segments: Stored tail lines ({sequence, speaker, text, is_final}) to show first.
        partner_name: The partner's label in the transcript.
        session_id: The practice session's id (the transcript socket's; keys the outbox in sessionStorage).
        upload_url: Where to POST the recording.
        transcript_url: The transcript websocket's path, the session id appended.
        max_seconds: The hard stop (1 to 900 seconds).
        target_seconds: The target band (low, high) drawn on the timer bar.
        id: The root element's id.
        **props: Other props of the root element.

    Returns:
        The component.

    Raises:
        ValueError: For an unknown literal mode, an out-of-range `max_seconds` or a bad target band.
    """
    if isinstance(mode, str) and mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    if not 1 <= max_seconds <= MAX_SECONDS:
        raise ValueError(f"max_seconds must be between 1 and {MAX_SECONDS}")
    low, high = target_seconds
    if not 0 <= low <= high <= max_seconds:
        raise ValueError("target_seconds must be (low, high) with 0 <= low <= high <= max_seconds")
    return RealtimeClient.create(
        mode=mode,
        client_secret=client_secret,
        calls_url=calls_url,
        model=model,
        upload_url=upload_url,
        transcript_url=transcript_url,
        max_seconds=max_seconds,
        target_min_seconds=low,
        target_max_seconds=high,
        muted=muted,
        end_token=end_token,
        sequence_start=sequence_start,
        elapsed_offset_seconds=elapsed_offset_seconds,
        initial_segments=initial_segments if initial_segments is not None else [],
        partner_name=partner_name,
        session_id=session_id,
        on_recorded=on_recorded,
        on_status=on_status,
        id=id,
        **props,
    )
