"""The chatbot state validates and rate-limits questions, answers in the background and logs only breadcrumbs."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from reflex.istate.data import HeaderData, RouterData, SessionData
from sqlalchemy import select

from speakpro.components.chatbot import chatbot_panel
from speakpro.integrations import openai_client
from speakpro.models import AnalyticsEvent, KnowledgeBlock
from speakpro.services import chatbot
from speakpro.services.ratelimit import MemoryBackend, RateLimiter
from speakpro.state import chatbot as chatbot_state
from speakpro.state.chatbot import MAX_MESSAGES, UNAVAILABLE, ChatbotState
from tests.factories import make_module
from tests.fakes.openai_server import FakeOpenAIServer

UA = "Mozilla/5.0 (X11; Linux x86_64) SpeakProStateTest/1.0"


@pytest.fixture(autouse=True)
def fresh_limits(monkeypatch) -> None:
    """The production limits (10 a minute, 60 an hour), counted from zero for each test."""
    backend = MemoryBackend()
    monkeypatch.setattr(chatbot, "CHAT_LIMITS", (RateLimiter("chatbot:minute", 10, 60, backend=backend),
                                                  RateLimiter("chatbot:hour", 60, 3600, backend=backend)))


@pytest.fixture
def block(session) -> KnowledgeBlock:
    module = make_module(session, code="B")
    row = KnowledgeBlock(module_id=module.id, key=f"ST-B2-{module.id.hex[:8]}", title="Pauses and Filler Words",
                         summary="Replace fillers with short, silent pauses.",
                         body="Saying um and uh buys time; a silent pause does the same and sounds confident.")
    session.add(row)
    session.flush()
    return row


@pytest.fixture
def fake_openai(monkeypatch) -> Iterator[FakeOpenAIServer]:
    """A configured OpenAI (key and base URL) that is the local fake server."""
    with FakeOpenAIServer() as server:
        configured = replace(openai_client.settings, openai_api_key=server.api_key, openai_base_url=server.base_url)
        monkeypatch.setattr(openai_client, "settings", configured)
        yield server
    openai_client._shared_client.cache_clear()


def _state(token: str = "tab-1") -> ChatbotState:
    state = ChatbotState()
    state.router = RouterData(session=SessionData(client_token=token, client_ip="203.0.113.9"),
                              headers=HeaderData(user_agent=UA))
    return state


def _events(session) -> list[AnalyticsEvent]:
    statement = select(AnalyticsEvent).where(AnalyticsEvent.event_type == "chatbot_message")
    return list(session.execute(statement).scalars())


def _run_reply(state: ChatbotState) -> None:
    # Reflex refuses direct calls of background handlers; run its body on the plain state, where
    # `async with self` is a no-op, as the app would after `send` chains it.
    asyncio.run(ChatbotState.reply.fn(state))


def _ask(state: ChatbotState, question: str) -> None:
    state.set_draft(question)
    follow_up = state.send({"question": question})
    assert follow_up is not None and follow_up.fn is ChatbotState.reply.fn, state.error
    _run_reply(state)


def test_offline_question_is_answered_from_the_lessons_and_logged_without_text(session, block):
    state = _state()
    state.set_draft("How do I stop saying um?")
    follow_up = state.send({"question": "How do I stop saying um?"})

    assert follow_up.fn is ChatbotState.reply.fn  # the background reply is chained
    assert state.sending and state.draft == "" and state.error == ""
    assert state.messages == [{"role": "user", "text": "How do I stop saying um?", "mode": "", "sources": ""}]

    _run_reply(state)

    assert not state.sending
    assert state.mode == "offline"
    reply = state.messages[-1]
    assert reply["role"] == "assistant" and reply["mode"] == "offline"
    assert reply["text"].startswith("Offline mode") and "Pauses and Filler Words" in reply["text"]
    assert reply["sources"] == "Pauses and Filler Words (Module B)"
    [event] = _events(session)
    assert event.event_data == {"length": len("How do I stop saying um?"), "user_agent": UA, "mode": "offline"}


def test_openai_answer_reaches_the_conversation(session, block, fake_openai):
    fake_openai.reply_with("Pause instead of saying um; Module B trains it.")
    state = _state()
    _ask(state, "How do I stop saying um?")

    assert state.messages[-1]["text"] == "Pause instead of saying um; Module B trains it."
    assert state.messages[-1]["mode"] == "openai" and state.mode == "openai"
    [request] = fake_openai.requests
    assert request.headers["authorization"] == f"Bearer {fake_openai.api_key}"
    assert block.body in request.body["instructions"]
    assert [e.event_data["mode"] for e in _events(session)] == ["openai"]


def test_api_failure_shows_the_offline_fallback_not_an_error(session, block, fake_openai):
    fake_openai.fail_with(503)
    state = _state()
    _ask(state, "How do I stop saying um?")

    assert state.error == ""
    assert state.messages[-1]["mode"] == "offline" and state.mode == "offline"
    assert "unavailable right now" in state.messages[-1]["text"]


@pytest.mark.parametrize(
    ("question", "message"),
    [("", "Type a question first."), ("\x00\x1b\x7f", "Type a question first."),
     ("z" * 600, "Your question is 600 characters long; please keep it to 500 or fewer.")],
)
def test_bad_input_shows_a_message_and_changes_nothing(session, block, question, message):
    state = _state()
    state.set_draft(question)
    assert state.send({"question": question}) is None
    assert state.error == message
    assert state.messages == [] and not state.sending
    assert state.draft == question  # kept, so the visitor can fix it
    assert _events(session) == []


def test_the_eleventh_message_within_a_minute_is_refused_with_the_wait(session, block):
    state = _state(token="busy-tab")
    for number in range(10):
        _ask(state, f"filler words question {number}")
    assert len(_events(session)) == 10

    state.set_draft("one more about filler words")
    assert state.send({"question": "one more about filler words"}) is None

    assert state.error.startswith("You're sending messages faster than the assistant can take them.")
    wait = re.search(r"try again in (\d+) seconds?\.$", state.error)
    assert wait and 50 <= int(wait.group(1)) <= 60
    assert state.messages[-1]["role"] == "assistant"  # the refused question was not added
    assert not state.sending
    assert len(_events(session)) == 10

    other_tab = _state(token="another-tab")  # limits are per client
    _ask(other_tab, "filler words")
    assert len(_events(session)) == 11


def test_the_conversation_keeps_a_bounded_tail(session, block, monkeypatch):
    monkeypatch.setattr(chatbot, "CHAT_LIMITS", ())
    state = _state()
    for number in range(12):
        _ask(state, f"question {number} about pauses")
    assert len(state.messages) == MAX_MESSAGES
    assert state.messages[0]["text"] == "question 2 about pauses"
    assert state.messages[-1]["role"] == "assistant"


def test_a_second_send_while_answering_is_ignored(session, block):
    state = _state()
    state.send({"question": "filler words"})
    assert state.send({"question": "another one"}) is None
    assert [m["text"] for m in state.messages] == ["filler words"]


def test_a_database_outage_shows_a_notice_not_a_traceback(session, block, monkeypatch):
    def broken(question: str):
        raise RuntimeError("connection refused (question text must not be logged)")

    monkeypatch.setattr(chatbot_state, "_find_blocks", broken)
    state = _state()
    state.send({"question": "filler words"})
    _run_reply(state)
    assert state.error == UNAVAILABLE
    assert not state.sending
    assert _events(session) == []


def test_the_panel_has_the_stable_ids():
    rendered = str(chatbot_panel())
    for element_id in ("chatbot-input", "chatbot-send", "chatbot-messages", "chatbot-mode"):
        assert f'id:"{element_id}"' in rendered
    assert "Ask about SpeakPro" in rendered
