"""The practice history (`/history`) with the learner's other recordings (`components/recordings.py`), and one
practice session (`/practice/session/<id>`)."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ArrayVar, ObjectVar

from speakpro import routes, styles
from speakpro.components.forms import error_callout
from speakpro.components.guards import not_found_notice
from speakpro.components.layout import page_frame
from speakpro.components.metrics import speech_metric
from speakpro.components.moments import STRIP_SELECTOR, moment_strip
from speakpro.components.player import recording_player
from speakpro.components.recordings import recordings_section
from speakpro.components.tables import wide_table
from speakpro.pages.retakes import retakes_card
from speakpro.pages.review import sharing_card
from speakpro.state.history import (
    CoachItemRow,
    CriterionRow,
    HistoryRow,
    HistoryState,
    SegmentRow,
    SessionDetailState,
    TextPart,
)
from speakpro.state.review import SessionShareState


def _flag(on: bool | rx.Var[bool], icon: str, label: str) -> rx.Component:
    return rx.cond(
        on,
        rx.tooltip(rx.icon(icon, size=16, color=rx.color("violet", 10), aria_label=label), content=label),
        rx.text("—", color_scheme="gray", aria_label="No " + label.lower()),
    )


def _row(item: HistoryRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(item.topic, href=item.href, weight="medium")),
        rx.table.cell(item.started),
        rx.table.cell(item.duration),
        rx.table.cell(rx.badge(item.status, variant="soft", color_scheme="gray")),
        rx.table.cell(
            rx.hstack(
                _flag(item.has_audio, "audio-lines", "Recording"),
                _flag(item.has_transcript, "file-text", "Transcript"),
                spacing="3",
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.text(item.score),
                rx.cond(
                    item.retakes != "", rx.text(item.retakes, size="1", color_scheme="green", class_name="retakes")
                ),
                spacing="0",
            )
        ),
        class_name="history-row",
        data_session_id=item.id,
    )


def _pagination() -> rx.Component:
    return rx.hstack(
        rx.cond(
            HistoryState.prev_href != "",
            rx.link(
                rx.button(rx.icon("chevron-left", size=16), "Newer", variant="soft"),
                href=HistoryState.prev_href,
                id="history-prev",
            ),
            rx.button(rx.icon("chevron-left", size=16), "Newer", variant="soft", disabled=True),
        ),
        rx.text("Page ", HistoryState.page, " of ", HistoryState.pages, size="2", id="history-page"),
        rx.cond(
            HistoryState.next_href != "",
            rx.link(
                rx.button("Older", rx.icon("chevron-right", size=16), variant="soft"),
                href=HistoryState.next_href,
                id="history-next",
            ),
            rx.button("Older", rx.icon("chevron-right", size=16), variant="soft", disabled=True),
        ),
        spacing="3",
        align="center",
        justify="center",
        width="100%",
    )


def history_page() -> rx.Component:
    """The learner's practice sessions, newest first."""
    return page_frame(
        rx.vstack(
            rx.hstack(
                rx.heading("Practice history", size="7"),
                rx.spacer(),
                rx.badge(HistoryState.total, " sessions", size="3", id="history-total"),
                width="100%",
                align="center",
            ),
            rx.text(
                "Every session you recorded, newest first. Open one to read the transcript, play the "
                "recording or delete it.",
                color_scheme="gray",
            ),
            rx.cond(
                HistoryState.loaded,
                rx.cond(
                    HistoryState.total > 0,
                    rx.vstack(
                        wide_table(
                            ("Topic", "Started", "Length", "Status", "Audio / transcript", "Score"),
                            rx.table.body(rx.foreach(HistoryState.rows, _row)),
                            label="Practice sessions",
                            table_id="history-table",
                            variant="surface",
                        ),
                        _pagination(),
                        width="100%",
                        spacing="4",
                    ),
                    rx.callout(
                        "No practice sessions yet. Your sessions appear here once you practise.",
                        icon="mic",
                        id="history-empty",
                    ),
                ),
                rx.skeleton(width="100%", height="420px"),
            ),
            rx.cond(
                HistoryState.loaded,
                recordings_section(
                    HistoryState,
                    "Your other recordings",
                    "No lesson, venue, milestone or amphitheatre recordings.",
                    "other-recordings",
                ),
            ),
            spacing="4",
            style=styles.page,
            padding_y="2rem",
        )
    )


def _segment(segment: ObjectVar[SegmentRow]) -> rx.Component:
    mine = segment.speaker == "user"
    return rx.hstack(
        rx.badge(segment.speaker_label, color_scheme=rx.cond(mine, "violet", "gray"), variant="soft", min_width="64px"),
        rx.cond(
            segment.parts.length() > 0,
            rx.text(rx.foreach(segment.parts, _part), size="2", flex="1"),
            rx.text(segment.text, size="2", flex="1"),
        ),
        rx.cond(
            SessionDetailState.audio_url != "",
            rx.el.button(
                segment.time,
                type="button",
                title="Play from here",
                data_seek_ms=segment.start_ms,
                class_name="transcript-seek",
                style=styles.seek_button,
            ),
            rx.text(segment.time, size="1", color_scheme="gray", font_family="monospace"),
        ),
        width="100%",
        align="start",
        spacing="3",
        class_name="transcript-line",
        data_speaker=segment.speaker,
        data_start_ms=segment.start_ms,
        style=styles.followed_line,
    )


def _part(part: ObjectVar[TextPart]) -> rx.Component:
    return rx.cond(
        part.filler,
        rx.el.mark(
            part.text,
            class_name="filler",
            title="Filler word",
            style={"background_color": "#fde047", "color": "inherit", "border_radius": "3px", "padding": "0 2px"},
        ),
        rx.text.span(part.text),
    )


def _coach_item(item: ObjectVar[CoachItemRow]) -> rx.Component:
    return rx.vstack(
        rx.text(item.text, size="2"),
        rx.cond(
            item.quote != "",
            rx.text("\u201c", item.quote, "\u201d", size="1", color_scheme="gray", font_style="italic"),
        ),
        spacing="0",
        class_name="coach-item",
    )


def _criterion(row: ObjectVar[CriterionRow]) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(row.name, size="2", weight="medium"),
            rx.text(row.weight, size="1", color_scheme="gray"),
            rx.spacer(),
            rx.text(row.score, size="2", weight="bold", class_name="criterion-value"),
            width="100%",
            align="baseline",
        ),
        rx.progress(value=row.value, max=100, aria_label=row.name),
        rx.cond(row.note != "", rx.text(row.note, size="1", color_scheme="gray")),
        spacing="1",
        width="100%",
        class_name="criterion-row",
    )


def _coach_list(heading: str, rows: list, render, element_id: str) -> rx.Component:
    """A titled list of the coach's findings, left out when it has none."""
    return rx.cond(
        rx.Var.create(rows).length() > 0,
        rx.vstack(
            rx.heading(heading, size="3"),
            rx.foreach(rows, render),
            spacing="2",
            margin_top="0.75rem",
            width="100%",
            id=element_id,
        ),
    )


def _coach() -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.heading("Coach", size="4"),
            rx.badge(SessionDetailState.coach_provider, variant="soft", id="coach-provider"),
            align="center",
            spacing="2",
            margin_bottom="0.5rem",
        ),
        rx.cond(
            SessionDetailState.coach_note != "",
            rx.text(SessionDetailState.coach_note, size="1", color_scheme="gray", margin_bottom="0.5rem"),
        ),
        rx.flex(rx.foreach(SessionDetailState.coach_scores, _metric), gap="1rem", wrap="wrap", id="coach-rubric"),
        _coach_list("The scenario's rubric", SessionDetailState.criteria_scores, _criterion, "coach-criteria"),
        _coach_list("Strengths", SessionDetailState.strengths, _coach_item, "coach-strengths"),
        _coach_list("To improve", SessionDetailState.improvements, _coach_item, "coach-improvements"),
        style=styles.card,
        width="100%",
        id="session-coach",
    )


def _analysis() -> rx.Component:
    return rx.vstack(
        rx.cond(
            rx.Var.create(SessionDetailState.speech_metrics).length() > 0,
            rx.box(
                rx.heading("Speech metrics", size="4", margin_bottom="0.5rem"),
                rx.vstack(rx.foreach(SessionDetailState.speech_metrics, speech_metric), spacing="3", width="100%"),
                style=styles.card,
                width="100%",
                id="session-speech-metrics",
            ),
        ),
        rx.cond(SessionDetailState.has_coach, _coach()),
        spacing="4",
        width="100%",
    )


def _metric(pair: ArrayVar[list[str]]) -> rx.Component:
    return rx.vstack(
        rx.text(pair[0], size="1", color_scheme="gray"),
        rx.text(pair[1], size="3", weight="bold"),
        spacing="0",
        min_width="130px",
    )


def _delete_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                rx.icon("trash-2", size=16),
                "Delete session",
                color_scheme="red",
                variant="soft",
                id="delete-session",
                loading=SessionDetailState.busy,
            ),
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete this session?"),
            rx.alert_dialog.description(
                rx.cond(
                    SessionDetailState.viewer_company_slug != "",
                    "The recording and the transcript are deleted for good. Your scores stay in your company's "
                    "anonymous totals. This cannot be undone.",
                    "The recording and the transcript are deleted for good. This cannot be undone.",
                ),
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Keep it", variant="soft", color_scheme="gray", id="cancel-delete")),
                rx.alert_dialog.action(
                    rx.button(
                        "Delete", color_scheme="red", id="confirm-delete", on_click=SessionDetailState.delete_session
                    )
                ),
                spacing="3",
                justify="end",
                margin_top="1rem",
            ),
        ),
    )


def _recording() -> rx.Component:
    return rx.cond(
        SessionDetailState.has_recording,
        rx.vstack(
            rx.cond(
                SessionDetailState.audio_url != "",
                recording_player(
                    SessionDetailState.audio_url,
                    SessionDetailState.audio_mime,
                    id="session-audio",
                    follow=STRIP_SELECTOR,
                    style={"width": "100%"},
                ),
                rx.text("The recording cannot be played right now. Please reload the page.", color_scheme="gray"),
            ),
            rx.text(SessionDetailState.audio_details, size="1", color_scheme="gray", id="session-audio-details"),
            rx.cond(
                SessionDetailState.audio_url != "",
                moment_strip(SessionDetailState.moments, SessionShareState.comments),
            ),
            width="100%",
            spacing="2",
        ),
        rx.text("No recording was kept for this session.", color_scheme="gray", size="2", id="session-no-audio"),
    )


def _detail() -> rx.Component:
    return rx.vstack(
        rx.link("← Back to your history", href=routes.HISTORY, size="2"),
        rx.hstack(
            rx.vstack(
                rx.heading(SessionDetailState.topic, size="7", id="session-title"),
                rx.text(
                    SessionDetailState.started,
                    " · ",
                    SessionDetailState.duration,
                    " · ",
                    SessionDetailState.status,
                    color_scheme="gray",
                    size="2",
                ),
                spacing="1",
            ),
            rx.spacer(),
            rx.cond(
                SessionDetailState.score != "",
                rx.badge("Score ", SessionDetailState.score, size="3", color_scheme="green", id="session-score"),
            ),
            _delete_dialog(),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        error_callout(SessionDetailState.error, "session-error"),
        rx.cond(
            SessionDetailState.analysing,
            rx.callout(
                rx.cond(
                    SessionDetailState.analysis_slow,
                    "The analysis is taking longer than usual. It will appear here when you open this session again.",
                    "Analysing your session: pace, filler words, talk time and the coach's feedback appear here in "
                    "a moment.",
                ),
                icon="loader",
                color_scheme="violet",
                role="status",
                id="session-analysing",
            ),
        ),
        rx.box(
            rx.heading("Recording", size="4", margin_bottom="0.5rem"), _recording(), style=styles.card, width="100%"
        ),
        rx.cond(
            rx.Var.create(SessionDetailState.metrics).length() > 0,
            rx.box(
                rx.heading("Analysis", size="4", margin_bottom="0.5rem"),
                rx.flex(rx.foreach(SessionDetailState.metrics, _metric), gap="1rem", wrap="wrap"),
                style=styles.card,
                width="100%",
                id="session-metrics",
            ),
        ),
        rx.grid(
            rx.box(
                rx.hstack(
                    rx.heading("Transcript", size="4"),
                    rx.cond(
                        SessionDetailState.transcript_typed,
                        rx.tooltip(
                            rx.badge("Typed by you", color_scheme="gray", variant="soft", id="transcript-typed"),
                            content="You typed this transcript: it shows what you said, not how, so fillers are not "
                            "counted.",
                        ),
                    ),
                    align="center",
                    spacing="2",
                    margin_bottom="0.75rem",
                ),
                rx.cond(
                    rx.Var.create(SessionDetailState.segments).length() > 0,
                    rx.vstack(rx.foreach(SessionDetailState.segments, _segment), spacing="3", width="100%"),
                    rx.cond(
                        SessionDetailState.transcript_text != "",
                        rx.text(SessionDetailState.transcript_text, white_space="pre-wrap", size="2"),
                        rx.text(SessionDetailState.transcript_note, color_scheme="gray", size="2"),
                    ),
                ),
                style=styles.card,
                width="100%",
                id="session-transcript",
            ),
            _analysis(),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
            align="start",
        ),
        sharing_card(),
        retakes_card(),
        spacing="4",
        width="100%",
    )


def session_page() -> rx.Component:
    """One of the learner's practice sessions; anyone else's shows "not found" and nothing else."""
    return page_frame(
        rx.box(
            rx.cond(
                SessionDetailState.not_found,
                not_found_notice("Go to your history", routes.HISTORY, "session-not-found"),
                rx.cond(SessionDetailState.loaded, _detail(), rx.skeleton(width="100%", height="480px")),
            ),
            style=styles.page,
            max_width="1200px",
            padding_y="2rem",
        )
    )
