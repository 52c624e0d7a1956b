"""The learner's own recordings on a page (lesson, milestone, amphitheatre): a list with a player and a delete
button each, for a state that mixes in `OwnRecordingsMixin` (`speakpro/state/history.py`)."""

from __future__ import annotations

import reflex as rx

from speakpro import styles
from speakpro.components.forms import error_callout
from speakpro.components.player import recording_player
from speakpro.state.history import RecordingRow


def delete_recording_button(state, key: str | rx.Var[str], label: str | rx.Var = "this recording") -> rx.Component:
    """A delete button for one of the learner's recordings, with a confirmation; `state` mixes in
    `OwnRecordingsMixin`."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                rx.icon("trash-2", size=14),
                "Delete",
                size="1",
                color_scheme="red",
                variant="soft",
                loading=state.recording_deleting == key,
                class_name="delete-recording",
                aria_label="Delete the recording",
            ),
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete this recording?"),
            rx.alert_dialog.description(
                rx.text("The audio of ", label, " is deleted for good. What you wrote and your scores stay."),
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Keep it", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        "Delete",
                        color_scheme="red",
                        class_name="confirm-delete-recording",
                        on_click=state.delete_recording(key),
                    )
                ),
                spacing="3",
                justify="end",
                margin_top="1rem",
            ),
        ),
    )


def _recording_row(state, row: RecordingRow) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.hstack(
                rx.badge(row.kind_label, variant="soft"),
                rx.text(row.title, weight="medium", size="2"),
                align="center",
                wrap="wrap",
            ),
            rx.text(row.created, size="1", color_scheme="gray"),
            spacing="1",
            flex="1",
        ),
        rx.cond(row.url != "", recording_player(row.url, preload="none", style={"max_width": "260px"})),
        delete_recording_button(state, row.key, row.title),
        width="100%",
        align="center",
        wrap="wrap",
        class_name="recording-row",
        data_kind=row.kind,
    )


def recordings_section(state, heading: str, empty: str, element_id: str) -> rx.Component:
    """The learner's recordings listed by `state` (an `OwnRecordingsMixin` state), each with play and delete."""
    return rx.vstack(
        rx.heading(heading, size="4"),
        error_callout(state.recordings_error, element_id + "-error"),
        rx.cond(
            state.recordings.length() > 0,
            rx.vstack(rx.foreach(state.recordings, lambda row: _recording_row(state, row)), spacing="3", width="100%"),
            rx.text(empty, size="2", color_scheme="gray"),
        ),
        style=styles.card,
        width="100%",
        spacing="3",
        id=element_id,
    )
