"""The level milestone page."""

import reflex as rx

from speakpro import routes, styles
from speakpro.components.forms import error_callout
from speakpro.components.layout import page_frame
from speakpro.components.metrics import delivery_block
from speakpro.components.recorder import audio_recorder
from speakpro.components.recordings import recordings_section
from speakpro.state.milestone import MilestoneState


def _result() -> rx.Component:
    return rx.cond(
        MilestoneState.score >= 0,
        rx.vstack(
            rx.hstack(
                rx.heading(rx.cond(MilestoneState.passed, "Passed!", "Not yet"), size="5"),
                rx.spacer(),
                rx.text(MilestoneState.score, "/100", size="7", weight="bold", id="milestone-score"),
                width="100%",
            ),
            rx.text("Pass mark: ", MilestoneState.threshold, size="2", color_scheme="gray"),
            rx.unordered_list(rx.foreach(MilestoneState.feedback_notes, lambda n: rx.list_item(n, size="2"))),
            delivery_block(MilestoneState.feedback_delivery, "milestone-delivery"),
            rx.cond(
                MilestoneState.wait_left != "",
                rx.text(
                    "You can try again in ", MilestoneState.wait_left, ".", size="2", role="timer", id="milestone-wait"
                ),
            ),
            style=styles.card,
            width="100%",
            id="milestone-result",
        ),
    )


def milestone() -> rx.Component:
    """The milestone page."""
    return page_frame(
        rx.vstack(
            rx.link("← Home", href=routes.HOME, size="2"),
            rx.heading("Level milestone: ", MilestoneState.level_title, size="7"),
            rx.cond(
                MilestoneState.unlocked,
                rx.vstack(
                    rx.cond(
                        MilestoneState.passed_before,
                        rx.callout(
                            "You have passed this milestone. You can still practise it.",
                            icon="badge-check",
                            color_scheme="green",
                        ),
                    ),
                    rx.text(MilestoneState.prompt, size="3", white_space="pre-wrap"),
                    rx.text(
                        "Record yourself giving the talk, then type what you said. You pass at ",
                        MilestoneState.threshold,
                        "/100.",
                        size="2",
                        color_scheme="gray",
                    ),
                    audio_recorder(
                        on_recorded=MilestoneState.recorded,
                        purpose="milestone",
                        max_seconds=300,
                        id="milestone-recorder",
                        allowed=MilestoneState.recording_allowed,
                    ),
                    rx.cond(
                        MilestoneState.audio_key != "",
                        rx.text(
                            "Your recording is attached (",
                            MilestoneState.audio_seconds,
                            " s).",
                            size="2",
                            color_scheme="green",
                            id="milestone-audio",
                        ),
                    ),
                    error_callout(MilestoneState.error, "milestone-error"),
                    rx.form(
                        rx.vstack(
                            rx.text_area(
                                name="text",
                                rows="8",
                                required=True,
                                max_length=10000,
                                width="100%",
                                placeholder="Your two-minute talk, as you said it...",
                                id="milestone-text",
                            ),
                            rx.button(
                                rx.cond(MilestoneState.busy, rx.spinner(size="2"), rx.fragment()),
                                "Submit for scoring",
                                type="submit",
                                disabled=MilestoneState.busy,
                                id="milestone-submit",
                            ),
                            width="100%",
                        ),
                        on_submit=MilestoneState.submit,
                        reset_on_submit=False,
                        width="100%",
                    ),
                    _result(),
                    rx.cond(
                        rx.Var.create(MilestoneState.recordings).length() > 0,
                        recordings_section(MilestoneState, "Your milestone recordings", "", "milestone-recordings"),
                    ),
                    width="100%",
                    spacing="3",
                ),
                rx.callout(
                    "Finish every module of this level to unlock its milestone.",
                    icon="lock",
                    color_scheme="gray",
                    id="milestone-locked",
                ),
            ),
            spacing="4",
            style=styles.page,
            max_width="820px",
            padding_y="2rem",
        )
    )
