"""The take a page's recorder uploaded (lesson answers, the milestone, amphitheatre exercises).

Page states that hold a recorder mix `RecorderMixin` in before `AuthState`:
`class LessonState(RecorderMixin, AuthState)`. It adds `audio_key`, `audio_seconds` and `error`, the
`recorded` handler the recorder component calls once its upload is stored, and `recording_allowed`, which
the page's load sets with `_load_recording_consent` (the page then shows the recorder, or why it cannot).
"""

from __future__ import annotations

import asyncio

import reflex as rx

from speakpro.services.accounts import consent
from speakpro.services.accounts.sessions import Viewer
from speakpro.state.auth import run_db
from speakpro.state.edge import Form, Maybe, Number, Text, accepts
from speakpro.uploads import check_audio_ref

RECORDING_MISSING = "That recording could not be found. Please record again."
MAX_RECORDING_SECONDS = 900


class RecorderMixin(rx.State, mixin=True):
    """The uploaded take of the page (its storage key and length), once it is known to be the viewer's."""

    audio_key: str = ""
    audio_seconds: int = 0
    error: str = ""
    # Whether the learner's consent allows recordings; the upload route checks it again.
    recording_allowed: bool = True

    async def _load_recording_consent(self, viewer: Viewer) -> None:
        self.recording_allowed = await run_db(lambda s: consent.recording_allowed(session=s, user_id=viewer.user_id))

    @rx.event
    @accepts(
        payload=Form(key=Text(), mime=Text(), size=Maybe(Number(0, 2**53)), duration_seconds=Maybe(Number(0, 2**53)))
    )
    async def recorded(self, payload: dict):
        """Keep the take the recorder uploaded, once it is known to be this learner's."""
        viewer = await self._viewer()
        if viewer is None:
            return self._login_redirect()
        take = await self._own_recording(viewer, payload)
        if take is None:
            self.error = RECORDING_MISSING
            return
        (self.audio_key, self.audio_seconds), self.error = take, ""

    async def _own_recording(self, viewer: Viewer, payload: dict) -> tuple[str, int] | None:
        """The key and length (s) of a take the recorder uploaded, when it is this viewer's and stored.

        The browser reports the key, so it is checked against its owner and the store (a file stat or an S3
        HEAD), off the event loop.
        """
        key = payload.get("key", "")
        if not await asyncio.to_thread(check_audio_ref, viewer.user_id, key, must_exist=True):
            return None
        return key, int(min(MAX_RECORDING_SECONDS, payload.get("duration_seconds") or 0))
