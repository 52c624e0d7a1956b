"""The strip of moments above a replayed transcript: the session's weak moments and the managers' comments,
each a button that plays the recording from there (the player follows `STRIP_SELECTOR` too)."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from speakpro.state.history import MomentChip
from speakpro.state.review import CommentRow

STRIP_ID = "moment-strip"
# What a session's player follows: its transcript lines and the strip (`recording_player(follow=...)`).
STRIP_SELECTOR = f".transcript-line, .review-line, #{STRIP_ID}"
_BARE = {"background": "none", "border": "none", "padding": 0, "cursor": "pointer"}
KIND_COLORS = {"fillers": "amber", "monologue": "orange", "pause": "blue", "objection": "red"}


def _chip(moment: ObjectVar[MomentChip]) -> rx.Component:
    return rx.el.button(
        rx.badge(
            moment.time,
            " · ",
            moment.label,
            color_scheme=rx.match(moment.kind, *KIND_COLORS.items(), "gray"),  # pyright: ignore[reportArgumentType]
            variant="soft",
            size="2",
        ),
        type="button",
        title=moment.detail,
        aria_label=moment.label.to(str) + " at " + moment.time.to(str) + ": " + moment.detail.to(str),
        data_seek_ms=moment.at_ms,
        class_name="moment-chip",
        style=_BARE,
    )


def _comment_chip(comment: ObjectVar[CommentRow]) -> rx.Component:
    return rx.el.button(
        rx.badge(rx.icon("message-square", size=12), comment.at, color_scheme="violet", variant="outline", size="2"),
        type="button",
        title=comment.body,
        aria_label="Comment at " + comment.at.to(str) + ": " + comment.body.to(str),
        data_seek_ms=comment.at_ms,
        class_name="moment-chip comment-chip",
        style=_BARE,
    )


def moment_strip(moments: list[MomentChip], comments: list[CommentRow]) -> rx.Component:
    """The strip, left out when there is nothing on it."""
    return rx.cond(
        (rx.Var.create(moments).length() > 0) | (rx.Var.create(comments).length() > 0),
        rx.vstack(
            rx.text("Jump to a moment", size="1", color_scheme="gray", weight="medium"),
            rx.flex(
                rx.foreach(moments, _chip),
                rx.foreach(comments, _comment_chip),
                gap="0.5rem",
                wrap="wrap",
            ),
            spacing="1",
            width="100%",
            id=STRIP_ID,
        ),
    )
