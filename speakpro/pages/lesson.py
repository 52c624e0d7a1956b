"""A guided lesson: reading, a speaking or writing exercise with feedback, and a reflection."""

import reflex as rx

from speakpro import routes, styles
from speakpro.components.forms import error_callout
from speakpro.components.layout import page_frame
from speakpro.components.metrics import delivery_block
from speakpro.components.recorder import audio_recorder
from speakpro.components.recordings import recordings_section
from speakpro.state.lesson import LessonState


def _feedback() -> rx.Component:
    return rx.cond(
        LessonState.feedback_score >= 0,
        rx.vstack(
            rx.hstack(
                rx.heading("Feedback", size="4"),
                rx.badge(LessonState.feedback_label, color_scheme="gray"),
                rx.spacer(),
                rx.text(
                    LessonState.feedback_score,
                    "/100",
                    size="6",
                    weight="bold",
                    id="feedback-score",
                    color=rx.cond(LessonState.feedback_passed, rx.color("green", 10), rx.color("amber", 10)),
                ),
                width="100%",
                align="center",
            ),
            rx.unordered_list(rx.foreach(LessonState.feedback_notes, lambda note: rx.list_item(note, size="2"))),
            delivery_block(LessonState.feedback_delivery, "feedback-delivery"),
            style=styles.card,
            width="100%",
            id="feedback",
        ),
    )


def _text_answer(placeholder: str, label: str) -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text_area(
                name="text",
                placeholder=placeholder,
                required=True,
                rows="6",
                width="100%",
                max_length=10000,
                id="answer-text",
            ),
            rx.button(
                rx.cond(LessonState.busy, rx.spinner(size="2"), rx.fragment()),
                label,
                type="submit",
                disabled=LessonState.busy,
                id="answer-submit",
            ),
            width="100%",
        ),
        on_submit=LessonState.answer,
        # The text stays after a failed attempt (the learner improves it rather than starting again); the
        # next step is a new form (its key), so it starts empty.
        reset_on_submit=False,
        key=LessonState.step_index,
        width="100%",
    )


def _continue(label: str) -> rx.Component:
    return rx.button(
        rx.cond(LessonState.busy, rx.spinner(size="2"), rx.fragment()),
        label,
        on_click=LessonState.answer({}),
        disabled=LessonState.busy,
        size="3",
        id="answer-continue",
    )


def _stakes_form() -> rx.Component:
    """Asked once per module, before its first exercise: the learner's own high-stakes moment."""
    return rx.cond(
        (LessonState.stakes_scenario == "")
        & ((LessonState.step_kind == "speaking") | (LessonState.step_kind == "writing")),
        rx.vstack(
            rx.heading("Make it yours", size="4"),
            rx.text(
                "Which real, high-stakes moment do you want to practise for? The exercises of this module will use it.",
                size="2",
                color_scheme="gray",
            ),
            error_callout(LessonState.stakes_error, "stakes-error"),
            rx.form(
                rx.vstack(
                    rx.input(
                        name="scenario",
                        placeholder="e.g. Pitching our budget to the board",
                        required=True,
                        max_length=500,
                        width="100%",
                        id="stakes-scenario",
                    ),
                    rx.hstack(
                        rx.input(name="audience", placeholder="Who will listen?", max_length=200, width="100%"),
                        rx.input(name="stakes", placeholder="What is at stake?", max_length=500, width="100%"),
                        width="100%",
                    ),
                    rx.button("Use this scenario", type="submit", variant="soft", id="stakes-save"),
                    width="100%",
                ),
                on_submit=LessonState.choose_stakes,
                width="100%",
            ),
            style=styles.card,
            width="100%",
            id="stakes-card",
        ),
        rx.cond(
            LessonState.stakes_scenario != "",
            rx.text("Your scenario: ", rx.text.em(LessonState.stakes_scenario), size="2", color_scheme="gray"),
        ),
    )


def _step() -> rx.Component:
    # rx.match is typed `Component | Var`; with component cases it returns a Component.
    return rx.match(  # pyright: ignore[reportReturnType]
        LessonState.step_kind,
        (
            "reading",
            rx.vstack(
                rx.heading(LessonState.knowledge_title, size="5"),
                rx.text(LessonState.knowledge_summary, weight="medium"),
                rx.text(LessonState.knowledge_body, white_space="pre-wrap"),
                _continue("I've read it"),
                spacing="3",
            ),
        ),
        (
            "speaking",
            rx.vstack(
                rx.text(LessonState.step_prompt, size="3"),
                rx.text(
                    "Aim for about ", LessonState.target_seconds, " seconds out loud.", size="2", color_scheme="gray"
                ),
                rx.unordered_list(rx.foreach(LessonState.step_rubric, lambda r: rx.list_item(r, size="2"))),
                rx.text("Record yourself saying it, then type what you said.", size="2"),
                audio_recorder(
                    on_recorded=LessonState.recorded,
                    purpose="lesson",
                    max_seconds=300,
                    id="lesson-recorder",
                    allowed=LessonState.recording_allowed,
                ),
                rx.cond(LessonState.audio_key != "", rx.text("Recording attached.", size="1", color_scheme="green")),
                _text_answer("What you said...", "Get feedback"),
                spacing="3",
                width="100%",
            ),
        ),
        (
            "writing",
            rx.vstack(
                rx.text(LessonState.step_prompt, size="3"),
                rx.text("At least ", LessonState.min_words, " words.", size="2", color_scheme="gray"),
                rx.unordered_list(rx.foreach(LessonState.step_rubric, lambda r: rx.list_item(r, size="2"))),
                _text_answer("Your answer...", "Get feedback"),
                spacing="3",
                width="100%",
            ),
        ),
        (
            "feedback",
            rx.vstack(
                rx.text("Read your feedback above. What will you do differently next time?", size="3"),
                _continue("Continue"),
                spacing="3",
            ),
        ),
        (
            "reflection",
            rx.vstack(
                rx.text(LessonState.step_prompt, size="3"),
                _text_answer("Your reflection...", "Finish the lesson"),
                spacing="3",
                width="100%",
            ),
        ),
        rx.fragment(),
    )


def _done() -> rx.Component:
    return rx.vstack(
        rx.icon("party-popper", size=40, color=rx.color("violet", 9)),
        rx.heading("Lesson complete", size="6", id="lesson-complete"),
        rx.cond(LessonState.xp_awarded > 0, rx.text("+", LessonState.xp_awarded, " XP", size="4", weight="bold")),
        rx.cond(
            LessonState.module_completed,
            rx.callout(
                "Module complete! You earned its coins and tickets and unlocked new venues on the map.",
                icon="map",
                color_scheme="green",
                id="module-complete",
            ),
        ),
        rx.hstack(
            rx.cond(
                LessonState.next_lesson_id != "",
                rx.link(
                    rx.button(rx.icon("arrow-right"), "Next lesson", id="next-lesson"),
                    href="/lesson/" + LessonState.next_lesson_id,
                ),
            ),
            rx.link(
                rx.button("Back home", variant=rx.cond(LessonState.next_lesson_id != "", "soft", "solid")),
                href=routes.HOME,
            ),
            rx.link(rx.button("Open the map", variant="soft"), href=routes.MAP),
            wrap="wrap",
        ),
        align="center",
        spacing="3",
        style=styles.card,
        width="100%",
    )


def lesson() -> rx.Component:
    """The lesson page."""
    return page_frame(
        rx.cond(
            LessonState.not_found != "",
            rx.center(
                rx.vstack(error_callout(LessonState.not_found), rx.link("Back home", href=routes.HOME)),
                padding_y="4rem",
            ),
            rx.vstack(
                rx.link("← Home", href=routes.HOME, size="2"),
                rx.text("Module ", LessonState.module_code, size="2", color_scheme="gray"),
                rx.heading(LessonState.lesson_title, size="7", id="lesson-title"),
                rx.cond(
                    LessonState.run_state == "completed",
                    _done(),
                    rx.vstack(
                        rx.hstack(
                            rx.text(
                                "Step ",
                                LessonState.step_index + 1,
                                " of ",
                                LessonState.step_count,
                                size="2",
                                white_space="nowrap",
                                id="lesson-step",
                            ),
                            rx.progress(
                                value=LessonState.step_index,
                                # Radix refuses max=0, which the bar has for a moment before the lesson loads.
                                max=rx.cond(LessonState.step_count > 0, LessonState.step_count, 1),
                                width="100%",
                                aria_label="Lesson progress",
                            ),
                            width="100%",
                            align="center",
                        ),
                        _feedback(),
                        error_callout(LessonState.error, "lesson-error"),
                        _stakes_form(),
                        rx.cond(
                            LessonState.wait_left != "",
                            rx.callout(
                                "Take a breath: you can try this step again in " + LessonState.wait_left + ".",
                                icon="timer",
                                color_scheme="amber",
                                role="timer",
                                id="lesson-wait",
                            ),
                        ),
                        rx.vstack(
                            rx.heading(LessonState.step_title, size="4"),
                            _step(),
                            style=styles.card,
                            width="100%",
                            spacing="3",
                            id="lesson-step-card",
                            data_kind=LessonState.step_kind,
                        ),
                        width="100%",
                        spacing="4",
                    ),
                ),
                rx.cond(
                    rx.Var.create(LessonState.recordings).length() > 0,
                    recordings_section(LessonState, "Your recordings in this lesson", "", "lesson-recordings"),
                ),
                spacing="3",
                style=styles.page,
                max_width="820px",
                padding_y="2rem",
            ),
        )
    )
