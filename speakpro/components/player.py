"""The player of every recording (`assets/recording_player.jsx`): an audio element that learns the duration of
MediaRecorder's WebM files, which carry none in their header."""

from __future__ import annotations

import reflex as rx


class RecordingPlayer(rx.Component):
    """`<audio controls>` with one source; see the module docstring."""

    library = "$/public/recording_player.jsx"
    tag = "RecordingPlayer"

    src: rx.Var[str]
    mime: rx.Var[str]
    preload: rx.Var[str]


def recording_player(
    src: rx.Var[str] | str, mime: rx.Var[str] | str = "", *, preload: str = "metadata", **props
) -> rx.Component:
    """A player for one recording; `preload="none"` in long lists (the duration is learnt on play)."""
    return RecordingPlayer.create(src=src, mime=mime, preload=preload, **props)
