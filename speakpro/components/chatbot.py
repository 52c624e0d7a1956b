"""The landing-page chat box: a card with the conversation, a one-line form and the assistant's mode."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from speakpro.state.chatbot import ChatbotState


def _message(message: ObjectVar[dict[str, str]]) -> rx.Component:
    is_user = message["role"] == "user"
    return rx.box(
        rx.text(message["text"], size="2", white_space="pre-wrap"),
        rx.cond(
            ~is_user & (message["mode"] == "offline"),
            rx.badge("Offline answer", size="1", color_scheme="amber", variant="soft", margin_top="0.4rem"),
        ),
        rx.cond(
            ~is_user & (message["sources"] != ""),
            rx.text("From the lessons: ", message["sources"], size="1", color_scheme="gray", margin_top="0.3rem"),
        ),
        align_self=rx.cond(is_user, "flex-end", "flex-start"),
        max_width="85%",
        padding="0.55rem 0.8rem",
        border_radius="12px",
        background=rx.cond(is_user, rx.color("violet", 9), rx.color("gray", 3)),
        color=rx.cond(is_user, "white", "inherit"),
        class_name="chatbot-message",
        custom_attrs={"data-role": message["role"]},
    )


def _conversation() -> rx.Component:
    # The column-reverse wrapper keeps the view scrolled to the newest message without any script.
    return rx.box(
        rx.vstack(
            rx.cond(
                rx.Var.create(ChatbotState.messages).length() == 0,
                rx.text(
                    "Ask how the lessons work, what the AI role-play is like, or how teams use SpeakPro.",
                    size="2",
                    color_scheme="gray",
                ),
            ),
            rx.foreach(ChatbotState.messages, _message),
            rx.cond(
                ChatbotState.sending,
                rx.hstack(
                    rx.spinner(size="2"),
                    rx.text("Thinking…", size="2", color_scheme="gray"),
                    align="center",
                    spacing="2",
                ),
            ),
            spacing="2",
            width="100%",
        ),
        id="chatbot-messages",
        role="log",
        aria_live="polite",
        display="flex",
        flex_direction="column-reverse",
        overflow_y="auto",
        max_height="360px",
        min_height="120px",
        width="100%",
    )


def _mode_badge() -> rx.Component:
    offline = ChatbotState.mode == "offline"
    return rx.badge(
        rx.cond(offline, "Offline mode", "AI assistant"),
        color_scheme=rx.cond(offline, "amber", "green"),
        variant="soft",
        id="chatbot-mode",
    )


def chatbot_panel() -> rx.Component:
    """The "Ask about SpeakPro" card; Enter or the Send button submits the question."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Ask about SpeakPro", size="5"),
                _mode_badge(),
                justify="between",
                align="center",
                width="100%",
            ),
            rx.cond(
                ChatbotState.mode == "offline",
                rx.text(
                    "Answers are quoted from SpeakPro's lessons while the AI assistant is offline.",
                    size="1",
                    color_scheme="gray",
                ),
            ),
            _conversation(),
            rx.cond(
                ChatbotState.error != "",
                rx.callout(
                    ChatbotState.error,
                    icon="triangle-alert",
                    color_scheme="red",
                    size="1",
                    width="100%",
                    id="chatbot-error",
                ),
            ),
            rx.form(
                rx.hstack(
                    rx.input(
                        name="question",
                        value=ChatbotState.draft,
                        on_change=ChatbotState.set_draft,
                        placeholder="Type your question…",
                        aria_label="Your question",
                        id="chatbot-input",
                        flex="1",
                        size="3",
                    ),
                    rx.button(
                        rx.icon("send", size=16),
                        "Send",
                        type="submit",
                        loading=ChatbotState.sending,
                        id="chatbot-send",
                        size="3",
                    ),
                    spacing="2",
                    width="100%",
                ),
                on_submit=ChatbotState.send,
                reset_on_submit=False,
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        size="3",
        width="100%",
        max_width="720px",
    )
