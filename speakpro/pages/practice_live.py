"""Live practice: pick a role-play topic (`/practice`), then talk it through (`/practice/live/<id>`)."""

from __future__ import annotations

import reflex as rx

from speakpro import routes, styles
from speakpro.components.forms import error_callout
from speakpro.components.guards import not_found_notice
from speakpro.components.layout import page_frame
from speakpro.components.realtime import realtime_client
from speakpro.components.recorder import recording_off_notice
from speakpro.state.practice_live import TARGET_SECONDS, PracticeLiveState, PracticeState, TopicRow


def _solo_banner(element_id: str) -> rx.Component:
    return rx.callout(
        "Solo mode: no AI partner is configured. You still practise out loud: your microphone is recorded, "
        "and your browser's speech recognition (or what you type) becomes the transcript.",
        icon="mic-off",
        color_scheme="amber",
        width="100%",
        id=element_id,
    )


def _topic(topic: TopicRow, start=PracticeState.start) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(topic.title, size="4"),
            rx.spacer(),
            rx.badge(topic.difficulty, color_scheme=topic.color, variant="soft", class_name="difficulty"),
            width="100%",
            align="center",
        ),
        rx.text(topic.category, size="1", color_scheme="gray", text_transform="capitalize"),
        rx.text(topic.hint, size="2", flex="1"),
        rx.button(
            rx.cond(PracticeState.starting == topic.id, rx.spinner(size="2"), rx.icon("mic", size=16)),
            "Start",
            on_click=start(topic.id),
            disabled=PracticeState.starting != "",
            id="start-" + topic.slug,
            width="100%",
        ),
        style=styles.card,
        spacing="2",
        class_name="topic-card",
        data_slug=topic.slug,
    )


def _scenario(topic: TopicRow) -> rx.Component:
    return rx.box(
        _topic(topic, PracticeState.start_scenario),
        border_radius="var(--radius-4)",
        outline=rx.cond(PracticeState.picked == topic.id, "2px solid var(--violet-9)", "none"),
        class_name="scenario-card",
    )


def practice_page() -> rx.Component:
    """The topic picker."""
    return page_frame(
        rx.vstack(
            rx.heading("Live practice", size="7"),
            rx.text(
                "Pick a scenario and talk it through out loud. Aim for two to five minutes; a session stops "
                "at fifteen. Every session is recorded, transcribed and kept in your history.",
                color_scheme="gray",
            ),
            rx.cond(PracticeState.solo_mode, _solo_banner("solo-banner")),
            error_callout(PracticeState.error, "practice-error"),
            rx.cond(
                PracticeState.loaded,
                rx.cond(
                    PracticeState.recording_allowed,
                    rx.vstack(
                        rx.cond(
                            rx.Var.create(PracticeState.scenarios).length() > 0,
                            rx.vstack(
                                rx.heading("Your company's scenarios", size="4"),
                                rx.grid(
                                    rx.foreach(PracticeState.scenarios, _scenario),
                                    columns=rx.breakpoints(initial="1", sm="2", md="3"),
                                    spacing="4",
                                    width="100%",
                                    id="company-scenarios",
                                ),
                                rx.heading("SpeakPro's topics", size="4"),
                                spacing="3",
                                width="100%",
                            ),
                        ),
                        rx.grid(
                            rx.foreach(PracticeState.topics, lambda topic: _topic(topic)),
                            columns=rx.breakpoints(initial="1", sm="2", md="3"),
                            spacing="4",
                            width="100%",
                            id="topics",
                        ),
                        spacing="4",
                        width="100%",
                    ),
                    recording_off_notice(
                        "practice-recording-off", " to practise: every session is recorded, transcribed and analysed."
                    ),
                ),
                rx.skeleton(width="100%", height="360px"),
            ),
            rx.link("See your practice history →", href=routes.HISTORY, size="2"),
            spacing="4",
            style=styles.page,
            padding_y="2rem",
        )
    )


def _header() -> rx.Component:
    return rx.vstack(
        rx.link("← All topics", href=routes.PRACTICE, size="2"),
        rx.hstack(
            rx.heading(PracticeLiveState.topic_title, size="7", id="practice-topic"),
            rx.badge(PracticeLiveState.difficulty, color_scheme=PracticeLiveState.difficulty_color, variant="soft"),
            rx.cond(
                PracticeLiveState.mode == "solo",
                rx.badge("Solo mode", color_scheme="amber", variant="solid", id="solo-badge"),
            ),
            align="center",
            wrap="wrap",
        ),
        rx.cond(
            PracticeLiveState.mode == "solo",
            _solo_banner("solo-live-banner"),
            rx.text(rx.text.strong("Your partner: "), PracticeLiveState.partner_role, size="3", id="practice-partner"),
        ),
        rx.cond(
            PracticeLiveState.learner_goal != "",
            rx.fragment(
                rx.text(
                    rx.text.strong("The situation: "), PracticeLiveState.prompt_hint, size="2", color_scheme="gray"
                ),
                rx.text(rx.text.strong("Your goal: "), PracticeLiveState.learner_goal, size="2", id="practice-goal"),
            ),
            rx.text(rx.text.strong("Your goal: "), PracticeLiveState.prompt_hint, size="2", color_scheme="gray"),
        ),
        rx.cond(
            PracticeLiveState.criteria != "",
            rx.text(rx.text.strong("Scored on: "), PracticeLiveState.criteria, size="2", id="practice-criteria"),
        ),
        spacing="2",
        width="100%",
    )


def _controls() -> rx.Component:
    stopped = PracticeLiveState.ending | (PracticeLiveState.live_status == "failed")
    return rx.hstack(
        rx.hstack(
            rx.cond(
                PracticeLiveState.live_status == "live",
                rx.box(width="10px", height="10px", border_radius="50%", background=rx.color("red", 9)),
            ),
            rx.text(
                PracticeLiveState.status_text,
                id="practice-status",
                data_status=PracticeLiveState.live_status,
                weight="medium",
                role="status",
                aria_live="polite",
            ),
            align="center",
            spacing="2",
        ),
        rx.spacer(),
        rx.button(
            rx.cond(PracticeLiveState.muted, rx.icon("mic-off", size=16), rx.icon("mic", size=16)),
            rx.cond(PracticeLiveState.muted, "Unmute", "Mute"),
            on_click=PracticeLiveState.toggle_mute,
            variant=rx.cond(PracticeLiveState.muted, "solid", "soft"),
            color_scheme=rx.cond(PracticeLiveState.muted, "amber", "gray"),
            disabled=stopped,
            id="practice-mute",
            aria_pressed=PracticeLiveState.muted,
        ),
        rx.button(
            rx.cond(PracticeLiveState.ending, rx.spinner(size="2"), rx.icon("square", size=16)),
            "End session",
            on_click=PracticeLiveState.end,
            color_scheme="red",
            disabled=PracticeLiveState.ending,
            id="practice-end",
        ),
        width="100%",
        align="center",
        wrap="wrap",
        spacing="3",
    )


def _failed() -> rx.Component:
    return rx.cond(
        PracticeLiveState.live_status == "failed",
        rx.hstack(
            rx.link(
                rx.button("See what was saved", variant="soft"),
                href="/practice/session/" + PracticeLiveState.session_id,
                id="practice-saved-link",
            ),
            rx.link(rx.button("Start again"), href=routes.PRACTICE),
            spacing="3",
        ),
    )


def _live() -> rx.Component:
    return rx.vstack(
        _header(),
        rx.vstack(
            _controls(),
            error_callout(PracticeLiveState.error, "practice-error"),
            _failed(),
            realtime_client(
                mode=PracticeLiveState.mode,
                session_id=PracticeLiveState.session_id,
                client_secret=PracticeLiveState.client_secret,
                calls_url=PracticeLiveState.calls_url,
                model=PracticeLiveState.model,
                muted=PracticeLiveState.muted,
                end_token=PracticeLiveState.end_token,
                sequence_start=PracticeLiveState.next_sequence,
                initial_segments=PracticeLiveState.tail,
                elapsed_offset_seconds=PracticeLiveState.elapsed_offset,
                partner_name="Partner",
                target_seconds=TARGET_SECONDS,
                on_recorded=PracticeLiveState.recorded,
                on_status=PracticeLiveState.status,
            ),
            style=styles.card,
            width="100%",
            spacing="4",
        ),
        spacing="4",
        width="100%",
    )


def practice_live_page() -> rx.Component:
    """One live practice session."""
    return page_frame(
        rx.box(
            rx.cond(
                PracticeLiveState.not_found,
                not_found_notice("Choose a topic", routes.PRACTICE, "practice-not-found"),
                rx.cond(PracticeLiveState.loaded, _live(), rx.skeleton(width="100%", height="480px")),
            ),
            style=styles.page,
            max_width="900px",
            padding_y="2rem",
        )
    )
