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
from speakpro.services.accounts import sessions
from speakpro.services.ratelimit import MemoryBackend, RateLimiter
from speakpro.session_cookie import SESSION_COOKIE
from speakpro.state import chatbot as chatbot_state
from speakpro.state import edge
from speakpro.state.chatbot import MAX_MESSAGES, UNAVAILABLE, ChatbotState
from tests.factories import make_module, make_user
from tests.fakes.openai_server import FakeOpenAIServer

UA = "Mozilla/5.0 (X11; Linux x86_64) SpeakProStateTest/1.0"


@pytest.fixture(autouse=True)
def fresh_limits(monkeypatch) -> None:
    """The production limits (per visitor 10 a minute and 60 an hour; per address 30 and 300), counted from
    zero for each test."""
    backend = MemoryBackend()
    fresh = tuple(
        RateLimiter(limiter.name, limiter.limit, limiter.window_seconds, backend=backend)
        for limiter in chatbot.CHAT_LIMITS
    )
    fresh_address = tuple(
        RateLimiter(limiter.name, limiter.limit, limiter.window_seconds, backend=backend)
        for limiter in chatbot.CHAT_ADDRESS_LIMITS
    )
    monkeypatch.setattr(chatbot, "CHAT_LIMITS", fresh)
    monkeypatch.setattr(chatbot, "CHAT_ADDRESS_LIMITS", fresh_address)


def test_the_limits_are_the_documented_ones():
    assert [(limiter.limit, limiter.window_seconds) for limiter in chatbot.CHAT_LIMITS] == [(10, 60), (60, 3600)]
    assert [(limiter.limit, limiter.window_seconds) for limiter in chatbot.CHAT_ADDRESS_LIMITS] == [
        (30, 60),
        (300, 3600),
    ]


@pytest.fixture
def block(session) -> KnowledgeBlock:
    module = make_module(session, code="B")
    row = KnowledgeBlock(
        module_id=module.id,
        key=f"ST-B2-{module.id.hex[:8]}",
        title="Pauses and Filler Words",
        summary="Replace fillers with short, silent pauses.",
        body="Saying um and uh buys time; a silent pause does the same and sounds confident.",
    )
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


def _state(token: str = "tab-1", *, address: str = "203.0.113.9", cookie: str = "") -> ChatbotState:
    state = ChatbotState()
    state.router = RouterData(
        session=SessionData(client_token=token, client_ip=address), headers=HeaderData(user_agent=UA, cookie=cookie)
    )
    return state


def _send(state: ChatbotState, question: str):
    return asyncio.run(state.send({"question": question}))


def _events(session) -> list[AnalyticsEvent]:
    statement = select(AnalyticsEvent).where(AnalyticsEvent.event_type == "chatbot_message")
    return list(session.execute(statement).scalars())


def _run_reply(state: ChatbotState) -> None:
    # Reflex refuses direct calls of background handlers; run its body on the plain state, where
    # `async with self` is a no-op, as the app would after `send` chains it.
    asyncio.run(ChatbotState.reply.fn(state))


def _ask(state: ChatbotState, question: str) -> None:
    state.set_draft(question)
    follow_up = _send(state, question)
    assert follow_up is not None and follow_up.fn is ChatbotState.reply.fn, state.error
    _run_reply(state)


def test_offline_question_is_answered_from_the_lessons_and_logged_without_text(session, block):
    state = _state()
    state.set_draft("How do I stop saying um?")
    follow_up = _send(state, "How do I stop saying um?")

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
    [
        ("", "Type a question first."),
        ("\x1b\x7f", "Type a question first."),
        ("z" * 600, "Your question is 600 characters long; please keep it to 500 or fewer."),
    ],
)
def test_bad_input_shows_a_message_and_changes_nothing(session, block, question, message):
    state = _state()
    state.set_draft(question)
    assert _send(state, question) is None
    assert state.error == message
    assert state.messages == [] and not state.sending
    assert state.draft == question  # kept, so the visitor can fix it
    assert _events(session) == []


def test_a_nul_byte_is_refused_at_the_edge_and_changes_nothing(session, block):
    state = _state()
    state.set_draft("what about um")
    refusal = _send(state, "um\x00")
    assert edge.REFUSED_TOAST_ID in str(refusal) and edge.BAD_CHARACTERS in str(refusal)
    assert state.error == "" and state.messages == [] and not state.sending and state.draft == "what about um"
    assert _events(session) == []


def test_the_eleventh_message_within_a_minute_is_refused_with_the_wait(session, block):
    state = _state(token="busy-tab")
    for number in range(10):
        _ask(state, f"filler words question {number}")
    assert len(_events(session)) == 10

    state.set_draft("one more about filler words")
    assert _send(state, "one more about filler words") is None

    assert state.error.startswith("You're sending messages faster than the assistant can take them.")
    wait = re.search(r"try again in (\d+) seconds?\.$", state.error)
    assert wait and 50 <= int(wait.group(1)) <= 60
    assert state.messages[-1]["role"] == "assistant"  # the refused question was not added
    assert not state.sending
    assert len(_events(session)) == 10

    other_tab = _state(token="another-tab")  # a new client token from the same address is the same visitor
    assert _send(other_tab, "filler words") is None and other_tab.error.startswith("You're sending")
    other_address = _state(token="another-tab", address="198.51.100.7")
    _ask(other_address, "filler words")
    assert len(_events(session)) == 11


def _cookie(session, user) -> str:
    return f"{SESSION_COOKIE}={sessions.create_session(session=session, user_id=user.id)}"


def _attempts(states: list[ChatbotState], count: int) -> int:
    """Send `count` questions round-robin from `states`; how many were let through."""
    passed = 0
    for number in range(count):
        state = states[number % len(states)]
        state.sending = False  # the reply itself is not what is measured here
        if _send(state, f"filler words question {number}") is not None:
            passed += 1
    return passed


def test_rotating_client_tokens_from_one_address_gains_nothing(session, block):
    tabs = [_state(token=f"bot-tab-{number}") for number in range(33)]  # a new token for every message
    assert _attempts(tabs, 33) == 10  # the anonymous visitor's limit, keyed on the address
    assert _send(_state(token="yet-another"), "filler words") is None


def test_signed_in_users_behind_one_address_are_held_to_the_address_ceiling(session, block):
    users = [make_user(session) for _ in range(4)]
    tabs = [_state(token=f"office-{n}", cookie=_cookie(session, user)) for n, user in enumerate(users)]
    assert _attempts(tabs, 48) == 30  # 10 each for three users; the fourth finds the address's 30 a minute used up
    assert _send(_state(token="anonymous-colleague"), "filler words") is None


def test_a_signed_in_user_is_limited_across_tabs_and_addresses(session, block):
    user = make_user(session)
    tabs = [
        _state(token=f"tab-{n}", address=f"198.51.100.{n}", cookie=_cookie(session, user)) for n in range(1, 4)
    ]  # three logins, three addresses
    assert _attempts(tabs, 15) == 10
    # A stale or forged cookie is just an anonymous visitor from that address.
    assert (
        _send(_state(token="forged", address="198.51.100.9", cookie=f"{SESSION_COOKIE}=forged"), "filler words")
        is not None
    )


def test_the_conversation_keeps_a_bounded_tail(session, block, monkeypatch):
    monkeypatch.setattr(chatbot, "CHAT_LIMITS", ())
    monkeypatch.setattr(chatbot, "CHAT_ADDRESS_LIMITS", ())
    state = _state()
    for number in range(12):
        _ask(state, f"question {number} about pauses")
    assert len(state.messages) == MAX_MESSAGES
    assert state.messages[0]["text"] == "question 2 about pauses"
    assert state.messages[-1]["role"] == "assistant"


def test_a_second_send_while_answering_is_ignored(session, block):
    state = _state()
    _send(state, "filler words")
    assert _send(state, "another one") is None
    assert [m["text"] for m in state.messages] == ["filler words"]


def test_a_database_outage_shows_a_notice_not_a_traceback(session, block, monkeypatch):
    def broken(question: str):
        raise RuntimeError("connection refused (question text must not be logged)")

    monkeypatch.setattr(chatbot_state, "_find_blocks", broken)
    state = _state()
    _send(state, "filler words")
    _run_reply(state)
    assert state.error == UNAVAILABLE
    assert not state.sending
    assert _events(session) == []


def test_the_panel_has_the_stable_ids():
    rendered = str(chatbot_panel())
    for element_id in ("chatbot-input", "chatbot-send", "chatbot-messages", "chatbot-mode"):
        assert f'id:"{element_id}"' in rendered
    assert "Ask about SpeakPro" in rendered
