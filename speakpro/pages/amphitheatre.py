"""The amphitheatre hub (`/amphitheatre`) and the timeline of visits (`/amphitheatre/history`)."""

from __future__ import annotations

import reflex as rx

from speakpro import routes, styles
from speakpro.components.forms import error_callout, field_label
from speakpro.components.layout import page_frame
from speakpro.components.recorder import audio_recorder
from speakpro.components.recordings import delete_recording_button
from speakpro.services.world.amphitheatre import REFLECTION_MAX, ExerciseView
from speakpro.state.amphitheatre import AmphitheatreHistoryState, AmphitheatreState, MarkerOption, TimelineRow


def _marker(option: MarkerOption) -> rx.Component:
    return rx.el.label(
        rx.el.input(
            type="checkbox",
            name="marker_" + option.key,
            id="marker-" + option.key,
            style={"accent_color": "var(--violet-9)"},
        ),
        rx.text(option.label, as_="span", size="2"),
        display="flex",
        align_items="center",
        gap="0.4rem",
    )


def _exercise_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            audio_recorder(
                on_recorded=AmphitheatreState.recorded,
                purpose="amphitheatre",
                max_seconds=180,
                id="amphitheatre-recorder",
                allowed=AmphitheatreState.recording_allowed,
            ),
            rx.cond(
                AmphitheatreState.audio_key != "",
                rx.text(
                    "Your recording is attached (",
                    AmphitheatreState.audio_seconds,
                    " s).",
                    size="2",
                    color_scheme="green",
                    id="amphitheatre-audio",
                ),
            ),
            field_label("How did it go? What would you change next time?", "reflection"),
            rx.text_area(
                name="reflection",
                id="reflection",
                required=True,
                max_length=REFLECTION_MAX,
                rows="4",
                width="100%",
                placeholder="I rushed the opening, but the pause before the lesson landed...",
            ),
            rx.text("What did you notice about your delivery?", size="2", weight="medium"),
            rx.flex(rx.foreach(AmphitheatreState.markers, _marker), gap="0.9rem", wrap="wrap"),
            rx.button("Submit exercise", type="submit", loading=AmphitheatreState.busy, id="submit-exercise"),
            width="100%",
            spacing="3",
        ),
        on_submit=AmphitheatreState.submit,
        reset_on_submit=True,
        width="100%",
    )


def _exercise(exercise: ExerciseView) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.cond(
                exercise.done,
                rx.icon("circle-check", color=rx.color("green", 9)),
                rx.cond(exercise.current, rx.icon("circle-play", color=rx.color("violet", 9)), rx.icon("circle")),
            ),
            rx.text(exercise.order, ". ", exercise.title, weight="bold", size="3"),
            rx.spacer(),
            rx.badge("~", exercise.target_seconds, " s", variant="soft", color_scheme="gray"),
            rx.cond(
                exercise.done,
                rx.badge(exercise.points, " / ", exercise.max_points, " points", color_scheme="green"),
                rx.badge("up to ", exercise.max_points, " points", variant="outline"),
            ),
            width="100%",
            align="center",
        ),
        rx.text(exercise.prompt, size="2"),
        rx.cond(
            exercise.done,
            rx.vstack(
                rx.hstack(
                    rx.text(
                        "Score ",
                        exercise.score,
                        "/100",
                        rx.cond(exercise.has_audio, " · recorded", ""),
                        size="1",
                        color_scheme="gray",
                    ),
                    rx.cond(
                        exercise.has_audio,
                        delete_recording_button(AmphitheatreState, exercise.audio_ref, "this exercise's recording"),
                    ),
                    align="center",
                    spacing="3",
                ),
                rx.cond(
                    exercise.delivery != "",
                    rx.text("From your recording: ", exercise.delivery, size="1", class_name="exercise-delivery"),
                ),
                rx.text(exercise.reflection, size="2", font_style="italic", white_space="pre-wrap"),
                spacing="1",
            ),
        ),
        rx.cond(exercise.current, _exercise_form()),
        style=styles.card,
        width="100%",
        spacing="2",
        class_name="amphitheatre-exercise",
        id="exercise-" + exercise.key,
        data_done=rx.cond(exercise.done, "true", "false"),
    )


def amphitheatre_page() -> rx.Component:
    """The hub: the current visit, its three exercises in order, points when it is finished."""
    return page_frame(
        rx.vstack(
            rx.hstack(
                rx.heading("The amphitheatre", size="7"),
                rx.spacer(),
                rx.link("Past visits →", href=routes.AMPHITHEATRE_HISTORY, size="2", id="amphitheatre-history-link"),
                width="100%",
                align="center",
            ),
            rx.text(
                "Rehearse in front of a crowd: three short exercises, recorded, each followed by a reflection. "
                "Finishing a visit pays its points as XP, plus coins.",
                color_scheme="gray",
            ),
            rx.cond(
                AmphitheatreState.loaded,
                rx.vstack(
                    rx.hstack(
                        rx.heading("Visit ", AmphitheatreState.visit_number, size="5", id="visit-number"),
                        rx.badge(
                            AmphitheatreState.status,
                            id="visit-status",
                            color_scheme=rx.cond(AmphitheatreState.status == "finished", "green", "violet"),
                        ),
                        rx.badge(AmphitheatreState.points, " points", variant="soft", id="visit-points"),
                        align="center",
                    ),
                    error_callout(AmphitheatreState.error, "amphitheatre-error"),
                    rx.foreach(AmphitheatreState.exercises, _exercise),
                    rx.cond(
                        AmphitheatreState.status == "finished",
                        rx.callout(
                            rx.hstack(
                                rx.text(
                                    "Visit complete! ",
                                    rx.cond(
                                        AmphitheatreState.rewards != "",
                                        AmphitheatreState.rewards,
                                        rx.Var.create(AmphitheatreState.points).to_string() + " points",
                                    ),
                                    ".",
                                ),
                                rx.button(
                                    "Start the next visit",
                                    on_click=AmphitheatreState.next_visit,
                                    size="1",
                                    id="next-visit",
                                ),
                                align="center",
                                wrap="wrap",
                            ),
                            icon="party-popper",
                            color_scheme="green",
                            id="visit-finished",
                            width="100%",
                        ),
                    ),
                    width="100%",
                    spacing="3",
                ),
                rx.skeleton(width="100%", height="420px"),
            ),
            spacing="4",
            style=styles.page,
            max_width="860px",
            padding_y="2rem",
        )
    )


def _timeline_item(visit: TimelineRow) -> rx.Component:
    return rx.hstack(
        rx.center(
            rx.text(visit.visit_number, weight="bold", color="white"),
            width="36px",
            height="36px",
            border_radius="9999px",
            flex_shrink="0",
            background=rx.cond(visit.finished, rx.color("green", 9), rx.color("violet", 9)),
        ),
        rx.vstack(
            rx.hstack(
                rx.text("Visit ", visit.visit_number, weight="bold"),
                rx.badge(
                    rx.cond(visit.finished, "finished", "in progress"),
                    color_scheme=rx.cond(visit.finished, "green", "violet"),
                    variant="soft",
                ),
                rx.badge(visit.points, " points", variant="outline"),
                align="center",
            ),
            rx.text(
                "Started ",
                visit.started,
                rx.cond(visit.finished, " · finished " + visit.finished_at, ""),
                size="1",
                color_scheme="gray",
            ),
            rx.text(visit.progress, " · ", visit.recordings, " recorded", size="2"),
            spacing="1",
        ),
        style=styles.card,
        width="100%",
        spacing="3",
        class_name="timeline-item",
    )


def amphitheatre_history_page() -> rx.Component:
    """The learner's visits, newest first."""
    return page_frame(
        rx.vstack(
            rx.link("← Back to the amphitheatre", href=routes.AMPHITHEATRE, size="2"),
            rx.heading("Your amphitheatre visits", size="7"),
            rx.cond(
                AmphitheatreHistoryState.loaded,
                rx.cond(
                    rx.Var.create(AmphitheatreHistoryState.visits).length() > 0,
                    rx.vstack(
                        rx.foreach(AmphitheatreHistoryState.visits, _timeline_item),
                        width="100%",
                        spacing="3",
                        id="amphitheatre-timeline",
                    ),
                    rx.callout(
                        "No visits yet. Step on stage in the amphitheatre to start one.",
                        icon="drama",
                        id="amphitheatre-timeline-empty",
                    ),
                ),
                rx.skeleton(width="100%", height="300px"),
            ),
            spacing="4",
            style=styles.page,
            max_width="860px",
            padding_y="2rem",
        )
    )
