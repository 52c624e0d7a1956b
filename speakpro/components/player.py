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
    # A CSS selector of transcript lines (`data-start-ms`): the one being heard is marked `data-playing`, and
    # an element with `data-seek-ms` inside one plays from there.
    follow: rx.Var[str]


def recording_player(
    src: rx.Var[str] | str, mime: rx.Var[str] | str = "", *, preload: str = "metadata", follow: str = "", **props
) -> rx.Component:
    """A player for one recording; `preload="none"` in long lists (the duration is learnt on play); `follow`
    ties it to a transcript's lines (see `RecordingPlayer.follow`)."""
    if follow:
        props["follow"] = follow
    return RecordingPlayer.create(src=src, mime=mime, preload=preload, **props)
