"""Consented review: the sharing card of a learner's session page, and a manager's review page."""

import reflex as rx
from reflex.vars import ObjectVar

from speakpro import styles
from speakpro.components.guards import forbidden_notice
from speakpro.components.layout import page_frame
from speakpro.components.moments import STRIP_SELECTOR, moment_strip
from speakpro.components.player import recording_player
from speakpro.services.dashboards.dashboards import SKILL_LABELS
from speakpro.services.practice.review import MAX_COMMENT_CHARS
from speakpro.state.history import SegmentRow
from speakpro.state.review import CommentRow, CriterionInput, ReviewState, SessionShareState


def _comment(comment: ObjectVar[CommentRow]) -> rx.Component:
    return rx.hstack(
        rx.badge(comment.at, variant="soft", font_family="monospace"),
        rx.vstack(
            rx.text(comment.body, size="2", white_space="pre-wrap"),
            rx.text(comment.author, size="1", color_scheme="gray"),
            spacing="1",
            flex="1",
        ),
        align="start",
        width="100%",
        class_name="session-comment",
        data_at_ms=comment.at_ms,
    )


def sharing_card() -> rx.Component:
    """On the learner's session page: share with the company's managers (off by default), and their comments."""
    return rx.cond(
        SessionShareState.loaded,
        rx.vstack(
            rx.heading("Review by your managers", size="4"),
            rx.cond(
                SessionShareState.can_share,
                rx.el.label(
                    rx.switch(
                        checked=SessionShareState.shared,
                        on_change=SessionShareState.set_shared,
                        id="share-with-managers",
                    ),
                    rx.text(
                        "Share this session with my company's managers: they can read the transcript, play the "
                        "recording and leave comments. Turn it off at any time.",
                        size="2",
                    ),
                    style={"display": "flex", "gap": "0.75rem", "align_items": "start"},
                ),
                rx.text(
                    "You are not in a company, so this session stays with you alone.",
                    size="2",
                    color_scheme="gray",
                    id="share-no-company",
                ),
            ),
            rx.cond(
                rx.Var.create(SessionShareState.comments).length() > 0,
                rx.vstack(
                    rx.text("Comments", weight="bold", size="2"),
                    rx.foreach(SessionShareState.comments, _comment),
                    width="100%",
                    spacing="3",
                    id="session-comments",
                ),
            ),
            style=styles.card,
            width="100%",
            spacing="3",
            id="session-sharing",
        ),
    )


def _line(segment: ObjectVar[SegmentRow]) -> rx.Component:
    return rx.hstack(
        rx.el.button(
            segment.time,
            type="button",
            on_click=ReviewState.pick_moment(segment.start_ms),
            title="Play from here and comment on this moment",
            data_seek_ms=segment.start_ms,
            class_name="review-moment",
            style=styles.seek_button,
        ),
        rx.badge(
            segment.speaker_label, variant="soft", color_scheme=rx.cond(segment.speaker == "user", "violet", "gray")
        ),
        rx.text(segment.text, size="2", flex="1"),
        align="start",
        width="100%",
        class_name="review-line",
        data_start_ms=segment.start_ms,
        style=styles.followed_line,
    )


def _score_form() -> rx.Component:
    def score_input(name, element_id, label, value) -> rx.Component:
        return rx.vstack(
            rx.el.label(label, html_for=element_id, style={"font_size": "var(--font-size-1)"}),
            rx.input(
                type="number",
                name=name,
                id=element_id,
                min=0,
                max=100,
                required=True,
                default_value=value,
                key=value,
                width="6rem",
            ),
            spacing="1",
        )

    def criterion_input(criterion: CriterionInput) -> rx.Component:
        return rx.box(
            score_input(criterion.field, "score-" + criterion.key, criterion.name, criterion.value),
            title=criterion.good,
            class_name="criterion-score",
        )

    return rx.vstack(
        rx.heading("Your scores", size="4"),
        rx.text(
            "Score this session on the rubric the automatic scores use (0-100 each), and on each criterion of "
            "its scenario when it practised one. The dashboard compares managers' scores with them.",
            size="2",
            color_scheme="gray",
        ),
        rx.form(
            rx.flex(
                *[
                    score_input(skill, f"score-{skill}", label, ReviewState.my_scores[skill])
                    for skill, label in SKILL_LABELS.items()
                ],
                rx.foreach(ReviewState.criteria, criterion_input),
                rx.button("Save scores", type="submit", id="save-scores"),
                gap="0.75rem",
                wrap="wrap",
                align="end",
            ),
            on_submit=ReviewState.save_scores,
        ),
        rx.cond(ReviewState.score_error != "", rx.text(ReviewState.score_error, color_scheme="red", size="2")),
        style=styles.card,
        width="100%",
        spacing="3",
        id="review-scores",
    )


def review_page() -> rx.Component:
    """A shared session, for the learner's company's managers: replay it, comment on a moment."""
    return page_frame(
        rx.cond(
            ReviewState.forbidden,
            forbidden_notice("This session is not shared with you, or no longer."),
            rx.cond(
                ReviewState.loaded,
                rx.vstack(
                    rx.link("← Back to the dashboard", href=ReviewState.dashboard_href, id="review-back"),
                    rx.heading(ReviewState.learner, " · ", ReviewState.topic, size="6", id="review-title"),
                    rx.text(
                        ReviewState.started,
                        " · ",
                        ReviewState.duration,
                        rx.cond(ReviewState.score != "", " · score " + ReviewState.score, ""),
                        color_scheme="gray",
                        size="2",
                    ),
                    rx.text(
                        "Shared with you by the learner. Click a line's time to play from there and comment on "
                        "that moment.",
                        size="2",
                        color_scheme="gray",
                    ),
                    rx.cond(
                        ReviewState.audio_url != "",
                        rx.vstack(
                            recording_player(
                                ReviewState.audio_url,
                                ReviewState.audio_mime,
                                id="review-audio",
                                follow=STRIP_SELECTOR,
                                style={"width": "100%"},
                            ),
                            moment_strip(ReviewState.moments, ReviewState.comments),
                            spacing="2",
                            width="100%",
                        ),
                        rx.text("No recording was kept for this session.", size="2", color_scheme="gray"),
                    ),
                    _score_form(),
                    rx.grid(
                        rx.vstack(
                            rx.heading("Transcript", size="4"),
                            rx.foreach(ReviewState.segments, _line),
                            style=styles.card,
                            width="100%",
                            spacing="3",
                            id="review-transcript",
                        ),
                        rx.vstack(
                            rx.heading("Comments", size="4"),
                            rx.form(
                                rx.vstack(
                                    rx.el.label(
                                        "Comment at ",
                                        rx.el.span(ReviewState.comment_at, id="comment-at"),
                                        html_for="comment-body",
                                        style={"font_size": "var(--font-size-2)", "font_weight": "500"},
                                    ),
                                    rx.text_area(
                                        name="body",
                                        id="comment-body",
                                        required=True,
                                        max_length=MAX_COMMENT_CHARS,
                                        rows="3",
                                        width="100%",
                                        placeholder="What worked here, and what to try next time",
                                    ),
                                    rx.button("Add comment", type="submit", loading=ReviewState.busy, id="add-comment"),
                                    width="100%",
                                ),
                                on_submit=ReviewState.add_comment,
                                width="100%",
                            ),
                            rx.cond(
                                ReviewState.error != "",
                                rx.text(ReviewState.error, color_scheme="red", size="2", id="comment-error"),
                            ),
                            rx.foreach(ReviewState.comments, _comment),
                            style=styles.card,
                            width="100%",
                            spacing="3",
                            id="review-comments",
                        ),
                        columns=rx.breakpoints(initial="1", md="2"),
                        spacing="4",
                        width="100%",
                        align="start",
                    ),
                    spacing="4",
                    style=styles.page,
                    max_width="1200px",
                    padding_y="2rem",
                ),
                rx.skeleton(width="100%", height="480px"),
            ),
        )
    )
