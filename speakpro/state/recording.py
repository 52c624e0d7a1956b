"""The take a page's recorder uploaded (lesson answers, the milestone, amphitheatre exercises).

Page states that hold a recorder mix `RecorderMixin` in before `AuthState`:
`class LessonState(RecorderMixin, AuthState)`. It adds `audio_key`, `audio_seconds` and `error`, the
`recorded` handler the recorder component calls once its upload is stored, and `recording_allowed`, which
the page's load sets from `read_recording_consent` (a piece of its `_signed_in` work; the page then shows the
recorder, or why it cannot).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import reflex as rx
from sqlmodel import Session

from speakpro.services.accounts import consent
from speakpro.services.accounts.sessions import Viewer
from speakpro.state.auth import no_work
from speakpro.state.edge import Form, Maybe, Number, Text, accepts
from speakpro.uploads import check_audio_ref

if TYPE_CHECKING:
    # Mixed in before `AuthState` (see above), whose guard its handler calls. At run time the mixin derives
    # from `rx.State` alone, so Reflex copies its vars and handlers into each page state and adds no substate.
    from speakpro.state.auth import AuthState as _PageState
else:
    _PageState = rx.State

RECORDING_MISSING = "That recording could not be found. Please record again."
MAX_RECORDING_SECONDS = 900


def read_recording_consent(session: Session, viewer: Viewer) -> bool:
    """Whether the viewer's consent allows recordings (for `RecorderMixin.recording_allowed`)."""
    return consent.recording_allowed(session=session, user_id=viewer.user_id)


class RecorderMixin(_PageState, mixin=True):
    """The uploaded take of the page (its storage key and length), once it is known to be the viewer's."""

    audio_key: str = ""
    audio_seconds: int = 0
    error: str = ""
    # Whether the learner's consent allows recordings; the upload route checks it again.
    recording_allowed: bool = True

    @rx.event
    @accepts(
        payload=Form(key=Text(), mime=Text(), size=Maybe(Number(0, 2**53)), duration_seconds=Maybe(Number(0, 2**53)))
    )
    async def recorded(self, payload: dict):
        """Keep the take the recorder uploaded, once it is known to be this learner's."""
        viewer, _ = await self._signed_in(no_work)
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
