"""A microphone recorder that uploads its take over HTTP and hands the stored key to a state handler.

The browser side is `assets/recorder.jsx` (React, MediaRecorder, no npm packages). Audio never goes over
the websocket: on stop the component POSTs the blob to the backend's `/api/audio` route with the session
token as a Bearer header, and only the small result reaches the state handler:

    @rx.event
    async def recorded(self, payload: dict):
        # payload == {"key": "audio/<user_id>/<uuid>.webm", "mime": "audio/webm",
        #             "size": 48213, "duration_seconds": 42.3}
        ...  # the key comes from the browser: check it with speakpro.uploads.check_audio_ref

    audio_recorder(on_recorded=MyState.recorded, purpose="milestone")

Backend URL: by default the component resolves `/api/audio` against Reflex's own backend URL from the
frontend's `env.json` (`getBackendURL(env.UPLOAD)`), which `reflex run`, `reflex export` and AppHarness
(random ports) all write for the backend that actually runs, and which applies Reflex's same-host rules.
Pass an absolute `upload_url` only to send recordings somewhere else.
"""

from __future__ import annotations

import reflex as rx

from speakpro import routes


class AudioRecorder(rx.Component):
    """The `AudioRecorder` React component of `assets/recorder.jsx`."""

    library = "$/public/recorder.jsx"
    tag = "AudioRecorder"

    # A path is resolved against the backend's URL; an absolute http(s) URL is used as is.
    upload_url: rx.Var[str]
    # Sent as `?purpose=` (one of `routes.AUDIO_PURPOSES`; it names the upload in the log).
    purpose: rx.Var[str]
    # The recording stops (and uploads) by itself after this many seconds.
    max_seconds: rx.Var[int]
    # Fired once the upload succeeded, with {key, mime, size, duration_seconds}.
    on_recorded: rx.EventHandler[rx.event.passthrough_event_spec(dict)]


def recording_off_notice(
    id: str = "recording-off", then: str = " to record yourself; you can still answer in writing."
) -> rx.Component:
    """Why there is no recorder: the learner's consent does not allow recordings (and how to change it)."""
    return rx.callout(
        rx.fragment(
            "Recording is off for your account. ",
            rx.link("Allow recordings on your account page", href=routes.ACCOUNT, id=f"{id}-link"),
            then,
        ),
        icon="mic-off",
        color_scheme="amber",
        width="100%",
        id=id,
    )


def audio_recorder(
    on_recorded: rx.event.EventType[()] | rx.event.EventType[dict] | None = None,
    upload_url: rx.Var | str = routes.API_AUDIO,
    purpose: str = "practice",
    max_seconds: int = 300,
    id: str = "recorder",
    allowed: rx.Var[bool] | bool | None = None,
    **props,
) -> rx.Component:
    """A record/stop button with a timer and a level meter that uploads the take when it stops.

    Args:
        on_recorded: The state event handler called with one dict argument
            `{"key", "mime", "size", "duration_seconds"}` after the upload was stored.
        upload_url: Where to POST the audio; a path (default `/api/audio`) is resolved against Reflex's
            backend URL in the browser, an absolute URL (or a state var holding one) is used as is.
        purpose: One of `routes.AUDIO_PURPOSES`: `milestone`, `lesson`, `practice`, `venue` or `amphitheatre`.
        max_seconds: Stops and uploads by itself after this long (1 to 900).
        id: The root element's id. The buttons and status line always have the ids `recorder-start`,
            `recorder-stop` and `recorder-status`, so keep one recorder per page.
        allowed: A state var saying whether the learner's consent allows recordings; when it is false the
            page shows `recording_off_notice()` instead of the recorder.
        **props: Other props of the root element (style, class_name...).

    Returns:
        The component.

    Raises:
        ValueError: For an unknown purpose or an out-of-range `max_seconds`.
    """
    if purpose not in routes.AUDIO_PURPOSES:
        raise ValueError(f"purpose must be one of {', '.join(routes.AUDIO_PURPOSES)}")
    if not 1 <= max_seconds <= 900:
        raise ValueError("max_seconds must be between 1 and 900")
    if on_recorded is not None:
        props["on_recorded"] = on_recorded
    recorder = AudioRecorder.create(upload_url=upload_url, purpose=purpose, max_seconds=max_seconds, id=id, **props)
    return recorder if allowed is None else rx.cond(allowed, recorder, recording_off_notice(f"{id}-off"))
