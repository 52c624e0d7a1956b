"""The retakes card of a practice session's page: its weakest moments as drills, each with its prompt, what
the learner said, a box for the retake and the side by side of both scores."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ArrayVar, ObjectVar

from speakpro import styles
from speakpro.components.tables import wide_table
from speakpro.state.retakes import MomentRow, RetakeState


def _compare_row(row: ArrayVar[list[str]]) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row[0]),
        rx.table.cell(row[1]),
        rx.table.cell(row[2]),
    )


def _moment(m: ObjectVar[MomentRow]) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.badge(m.title, color_scheme="amber", variant="soft"),
            rx.text("at ", m.at, " · ", m.detail, size="1", color_scheme="gray"),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        rx.cond(
            m.prompt != "",
            rx.hstack(
                rx.text(rx.text.strong("Your partner said: "), m.prompt, size="2", flex="1"),
                rx.button(
                    rx.icon("volume-2", size=14),
                    "Hear it",
                    size="1",
                    variant="soft",
                    type="button",
                    on_click=RetakeState.hear(m.prompt),
                    aria_label="Hear your partner's line",
                ),
                width="100%",
                align="center",
                spacing="2",
                margin_top="0.5rem",
            ),
        ),
        rx.text(rx.text.strong("You said: "), m.original_text, size="2", margin_top="0.35rem"),
        rx.text(m.goal, size="2", color_scheme="violet", margin_top="0.35rem"),
        rx.form(
            rx.el.input(type="hidden", name="moment", value=m.key),
            rx.el.label(
                "Your retake (say it out loud, then type what you said)",
                html_for=f"retake-{m.key}",
                style={"font_size": "var(--font-size-2)", "font_weight": "500"},
            ),
            rx.text_area(
                name="answer",
                id=f"retake-{m.key}",
                default_value=m.answer_text,
                rows="3",
                width="100%",
                placeholder="Say it again, better, then type it here.",
            ),
            rx.button(
                rx.cond(RetakeState.scoring == m.key, rx.spinner(size="1"), rx.icon("repeat", size=14)),
                rx.cond(RetakeState.scoring == m.key, "Scoring…", "Score my retake"),
                type="submit",
                disabled=RetakeState.scoring != "",
                class_name="retake-submit",
                margin_top="0.5rem",
            ),
            on_submit=RetakeState.submit,
            reset_on_submit=False,
            margin_top="0.5rem",
            width="100%",
        ),
        rx.cond(
            m.has_answer,
            rx.box(
                wide_table(
                    ("", "Original", "Retake"),
                    rx.table.body(rx.foreach(m.compare, _compare_row)),
                    label="Original and retake",
                    size="1",
                    variant="surface",
                ),
                rx.text(
                    m.verdict,
                    " (",
                    m.attempts,
                    rx.cond(m.attempts == 1, " try)", " tries)"),
                    size="2",
                    weight="medium",
                    color_scheme=rx.cond(m.improved, "green", "gray"),
                    margin_top="0.35rem",
                    class_name="retake-verdict",
                ),
                margin_top="0.75rem",
                overflow_x="auto",
                class_name="retake-result",
            ),
        ),
        class_name="retake-moment",
        data_kind=m.kind,
        data_key=m.key,
        width="100%",
        padding_y="0.75rem",
        border_top="1px solid var(--gray-a4)",
    )


def retakes_card() -> rx.Component:
    """The card, shown when the session offers at least one moment."""
    return rx.cond(
        rx.Var.create(RetakeState.moments).length() > 0,
        rx.box(
            rx.heading("Retake your weakest moments", size="4"),
            rx.text(
                "The moments of this session that most need another go. Each retake is scored by the same rules as "
                "what you said then; the first one that beats it earns XP.",
                size="2",
                color_scheme="gray",
                margin_bottom="0.25rem",
            ),
            rx.foreach(RetakeState.moments, _moment),
            style=styles.card,
            width="100%",
            id="session-retakes",
        ),
    )
