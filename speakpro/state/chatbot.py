"""State of the landing-page chatbot: checks and rate-limits a question, then answers it in the background."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import reflex as rx

from speakpro.db import DatabaseUnavailable, session_scope
from speakpro.integrations.openai_client import get_openai_client
from speakpro.services.accounts.sessions import resolve_session
from speakpro.services.chatbot import (
    TOP_BLOCKS,
    ChatAnswer,
    check_chat_rate,
    clean_question,
    compose_answer,
    record_chat_message,
)
from speakpro.services.knowledge import KnowledgeHit, search_knowledge
from speakpro.services.validation import ValidationError
from speakpro.settings import settings
from speakpro.state.auth import AuthState, run_db
from speakpro.state.edge import LONG, Form, Maybe, Text, accepts

log = logging.getLogger(__name__)

MAX_MESSAGES = 20  # the conversation is not stored anywhere, so the browser only needs a short tail
MAX_DRAFT_CHARS = 2000  # far above the question limit, so "too long" is still reported, but bounded
# A reply normally ends within ~70 s (three 20 s attempts); past this a worker died mid-reply, and the
# visitor must not be locked out of the chat for the rest of the session.
STALE_SENDING_SECONDS = 120
UNAVAILABLE = "The assistant is unavailable right now. Please try again in a minute."

# OpenAI calls can take tens of seconds; a pool of their own keeps them from starving the default
# executor that every `asyncio.to_thread` (database work included) shares.
_OPENAI_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="chatbot-openai")


def _find_blocks(question: str) -> list[KnowledgeHit]:
    with session_scope() as session:
        return search_knowledge(session=session, query=question, limit=TOP_BLOCKS)


def _log_message(question: str, user_agent: str, mode: str) -> None:
    with session_scope() as session:
        record_chat_message(session=session, question=question, user_agent=user_agent, mode=mode)


async def answer_in_background(question: str, user_agent: str) -> ChatAnswer:
    """Search, answer and log one cleaned question without holding a database connection during the API call.

    Args:
        question: The cleaned question.
        user_agent: The visitor's user agent.

    Returns:
        The answer (offline when the API is not configured or fails).
    """
    hits = await asyncio.to_thread(_find_blocks, question)
    client = get_openai_client()
    answer = await asyncio.get_running_loop().run_in_executor(
        _OPENAI_POOL,
        lambda: compose_answer(question=question, hits=hits, client=client, model=settings.openai_text_model),
    )
    await asyncio.to_thread(_log_message, question, user_agent, answer.mode)
    return answer


def _wait_text(seconds: int) -> str:
    if seconds <= 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


class ChatbotState(AuthState):
    """The visitor's conversation with the landing-page assistant (kept in the browser session only)."""

    messages: list[dict[str, str]] = []
    draft: str = ""
    sending: bool = False
    error: str = ""
    mode: str = "offline" if settings.offline else "openai"
    _pending: str = ""
    _sending_since: float = 0.0

    @rx.event
    @accepts(value=Text(LONG))
    def set_draft(self, value: str):
        """Keep the input's text as the visitor types."""
        self.draft = value[:MAX_DRAFT_CHARS]

    async def _signed_in_user_id(self) -> uuid.UUID | None:
        """The signed-in user asking, from the session cookie (no database work for anonymous visitors)."""
        token = self._token()
        if not token:
            return None
        viewer = await run_db(lambda s: resolve_session(session=s, token=token))
        return viewer.user_id if viewer is not None else None

    def _append(self, message: dict[str, str]) -> None:
        self.messages = [*self.messages, message][-MAX_MESSAGES:]

    @rx.event
    @accepts(form_data=Maybe(Form(question=Text(LONG))))
    async def send(self, form_data: dict[str, Any] | None = None):
        """Check the question and the visitor's rate limits, then answer it in the background.

        Args:
            form_data: The chat form's fields (`question`); the draft when called without a form.
        """
        if self.sending and time.time() - self._sending_since < STALE_SENDING_SECONDS:
            return None
        raw = (form_data or {}).get("question")
        try:
            question = clean_question(self.draft if raw is None else raw)
        except ValidationError as invalid:
            self.error = invalid.message
            return None
        # After validation, so a mistyped question costs no quota. Keyed on the signed-in user and the
        # address, never the client token (which the browser chooses). In memory, or one Redis round trip
        # per limit (sub-millisecond, 0.5 s ceiling): cheap enough for the event loop.
        try:
            user_id = await self._signed_in_user_id()
        except DatabaseUnavailable:
            self.error = UNAVAILABLE
            return None
        decision = check_chat_rate(address=self.router.session.client_ip, user_id=user_id)
        if not decision.allowed:
            self.error = (
                "You're sending messages faster than the assistant can take them. "
                f"Please try again in {_wait_text(decision.retry_after_seconds)}."
            )
            return None
        self._append({"role": "user", "text": question, "mode": "", "sources": ""})
        self.draft = ""
        self.error = ""
        self.sending = True
        self._sending_since = time.time()
        self._pending = question
        return ChatbotState.reply

    @rx.event(background=True)
    @accepts()
    async def reply(self):
        """Answer the pending question; the slow part runs outside the state lock."""
        async with self:
            question, self._pending = self._pending, ""
            user_agent = self.router.headers.user_agent
        if not question:
            async with self:
                self.sending = False
            return
        try:
            answer = await answer_in_background(question, user_agent)
        except Exception as error:  # noqa: BLE001 - the visitor gets a notice, never a traceback
            # The type only: database errors can carry the question as a query parameter.
            log.warning("chatbot reply failed: %s", type(error).__name__)
            async with self:
                self.error = UNAVAILABLE
                self.sending = False
            return
        async with self:
            self._append(
                {"role": "assistant", "text": answer.text, "mode": answer.mode, "sources": " · ".join(answer.sources)}
            )
            self.mode = answer.mode
            self.sending = False
