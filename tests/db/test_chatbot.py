"""The landing chatbot answers from OpenAI grounded in knowledge blocks, falls back offline, and logs no text."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlmodel import Session

from speakpro.integrations.openai_client import make_openai_client
from speakpro.models import AnalyticsEvent, KnowledgeBlock
from speakpro.services import chatbot
from speakpro.services.chatbot import SPEAKPRO_DESCRIPTION, answer_question
from speakpro.services.knowledge import search_knowledge
from speakpro.services.validation import ValidationError
from tests.factories import make_level, make_module
from tests.fakes.openai_server import FakeOpenAIServer, Outcome

UA = "Mozilla/5.0 (X11; Linux x86_64) SpeakProTest/1.0"
QUESTION = "How do I stop saying um and uh when I present?"


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def blocks(session: Session) -> dict[str, KnowledgeBlock]:
    """Three blocks in three modules of one level; keys are unique per test run."""
    level = make_level(session)
    modules = {code: make_module(session, level=level, code=code, order=i) for i, code in enumerate("ABD", 1)}
    rows = {
        "hook": KnowledgeBlock(
            module_id=modules["A"].id,
            key=f"T-A1-{level.number}",
            title="Hook in the First 15 Seconds",
            summary="Skip the warm-up and open with something relevant that creates curiosity.",
            body="Audiences decide quickly whether to listen. Open with a question, a story or a surprising fact.",
        ),
        "fillers": KnowledgeBlock(
            module_id=modules["B"].id,
            key=f"T-B2-{level.number}",
            title="Pauses and Filler Words",
            summary="Fillers are normal but distracting in bulk; replace them with short, silent pauses.",
            body="Saying um and uh buys time to plan the next words. A one-second silent pause does the same job "
            "and sounds confident. Count your fillers in a recording, then practise pausing at transitions.",
        ),
        "price": KnowledgeBlock(
            module_id=modules["D"].id,
            key=f"T-D2-{level.number}",
            title="Handling Price Objections",
            summary="Anchor the conversation on value before defending the price.",
            body="When a buyer says the price is too high, ask what they are comparing it with and restate the "
            "outcome they told you matters.",
        ),
    }
    session.add_all(rows.values())
    session.flush()
    return rows


def _client(server: FakeOpenAIServer, **options):
    return make_openai_client(api_key=server.api_key, base_url=server.base_url, **options)


def _events(session: Session) -> list[AnalyticsEvent]:
    statement = select(AnalyticsEvent).where(AnalyticsEvent.event_type == "chatbot_message")
    return list(session.execute(statement).scalars())


def test_openai_answer_is_grounded_in_the_best_blocks_and_logs_no_text(session, blocks, fake_openai):
    fake_openai.reply_with("Replace each um with a short pause. Module B practises exactly that.")

    answer = answer_question(
        session=session, question=QUESTION, user_agent=UA, client=_client(fake_openai), model="gpt-test-model"
    )

    assert answer.mode == "openai" and not answer.fallback
    assert answer.text == "Replace each um with a short pause. Module B practises exactly that."
    assert answer.sources[0] == "Pauses and Filler Words (Module B)"

    [request] = fake_openai.requests
    assert request.path == "/v1/responses"
    assert request.headers["authorization"] == f"Bearer {fake_openai.api_key}"
    assert request.body["model"] == "gpt-test-model"
    assert request.body["input"] == QUESTION
    assert request.body["store"] is False
    instructions = request.body["instructions"]
    fillers = blocks["fillers"]
    assert fillers.title in instructions and fillers.summary in instructions and fillers.body in instructions
    assert SPEAKPRO_DESCRIPTION in instructions
    assert instructions.index(fillers.title) < instructions.index(blocks["price"].title)  # best block first
    assert blocks["hook"].title not in instructions  # no word of the question in it

    [event] = _events(session)
    assert event.event_data == {"length": len(QUESTION), "user_agent": UA, "mode": "openai"}
    stored = json.dumps(event.event_data)
    assert "um and uh" not in stored and "Replace each um" not in stored


def test_the_user_agent_is_cut_to_200_characters(session, blocks):
    answer_question(session=session, question="filler words", user_agent="A" * 1000)
    [event] = _events(session)
    assert event.event_data["user_agent"] == "A" * 200


@pytest.mark.parametrize("status", [429, 500])
def test_api_errors_fall_back_to_a_labelled_offline_answer_after_retries(session, blocks, fake_openai, status):
    fake_openai.fail_with(status)

    answer = answer_question(session=session, question=QUESTION, user_agent=UA, client=_client(fake_openai))

    assert len(fake_openai.requests) == 3  # the first attempt and the client's two retries
    assert answer.mode == "offline" and answer.fallback
    assert "AI assistant is unavailable right now" in answer.text
    assert "Pauses and Filler Words" in answer.text and "Module B covers this" in answer.text
    assert [e.event_data["mode"] for e in _events(session)] == ["offline"]


def test_a_timeout_falls_back_to_a_labelled_offline_answer(session, blocks, fake_openai):
    fake_openai.respond_slowly(5)

    answer = answer_question(
        session=session, question=QUESTION, user_agent=UA, client=_client(fake_openai, timeout=0.3, max_retries=1)
    )

    assert len(fake_openai.requests) == 2
    assert answer.mode == "offline" and answer.fallback
    assert "unavailable right now" in answer.text and blocks["fillers"].summary in answer.text
    assert [e.event_data["mode"] for e in _events(session)] == ["offline"]


def test_a_wrong_key_falls_back_and_never_reaches_the_logs(session, blocks, fake_openai, caplog):
    caplog.set_level("DEBUG")
    client = make_openai_client(api_key="sk-wrong-key-for-this-test", base_url=fake_openai.base_url)

    answer = answer_question(session=session, question=QUESTION, user_agent=UA, client=client)

    assert answer.mode == "offline" and answer.fallback
    assert "AuthenticationError" in caplog.text
    assert "sk-wrong-key-for-this-test" not in caplog.text


def test_a_retry_that_succeeds_gives_the_openai_answer(session, blocks, fake_openai):
    fake_openai.script(Outcome(status=500))
    answer = answer_question(session=session, question=QUESTION, user_agent=UA, client=_client(fake_openai))
    assert answer.mode == "openai"
    assert len(fake_openai.requests) == 2


def test_offline_mode_quotes_the_block_found_by_full_text_search(session, blocks):
    # The test settings carry no OPENAI_API_KEY, so the configured client is None.
    answer = answer_question(session=session, question="The client says the price is too high", user_agent=UA)

    price = blocks["price"]
    assert answer.mode == "offline" and not answer.fallback
    assert answer.text.startswith("Offline mode")
    assert f"“{price.title}”: {price.summary}" in answer.text
    assert "Module D covers this" in answer.text
    assert answer.sources[0] == "Handling Price Objections (Module D)"
    assert [e.event_data for e in _events(session)] == [
        {"length": len("The client says the price is too high"), "user_agent": UA, "mode": "offline"}
    ]


def test_offline_mode_says_so_when_nothing_matches(session, blocks):
    answer = answer_question(session=session, question="Quantum chromodynamics?", user_agent=UA)
    assert answer.mode == "offline" and answer.sources == ()
    assert "Offline mode" in answer.text and "couldn't find that" in answer.text


def test_search_ranks_blocks_and_ignores_query_syntax(session, blocks):
    hits = search_knowledge(session=session, limit=3, query="filler words, pauses & um | price!")
    assert [h.title for h in hits] == ["Pauses and Filler Words", "Handling Price Objections"]
    assert hits[0].rank > hits[1].rank
    assert search_knowledge(session=session, limit=3, query="what is the of and") == []  # stop words only
    assert search_knowledge(session=session, limit=3, query="':* !(& <-> \\") == []
    assert len(search_knowledge(session=session, query="open price filler", limit=2)) == 2


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "Type a question first."),
        ("   \t\n ", "Type a question first."),
        ("\x00\x07\x1b\u202e", "Type a question first."),
        ("x" * 600, "Your question is 600 characters long; please keep it to 500 or fewer."),
    ],
)
def test_bad_questions_are_refused_and_log_nothing(session, blocks, fake_openai, question, message):
    with pytest.raises(ValidationError) as refused:
        answer_question(session=session, question=question, user_agent=UA, client=_client(fake_openai))
    assert refused.value.message == message
    assert _events(session) == []
    assert fake_openai.requests == []


def test_control_characters_are_stripped_before_anything_else(session, blocks, fake_openai):
    answer_question(
        session=session,
        question="How do I\x00 stop\x1b saying\u202e um?\r\n",
        user_agent=UA,
        client=_client(fake_openai),
    )
    assert fake_openai.requests[0].body["input"] == "How do I stop saying um?"
    assert _events(session)[0].event_data["length"] == len("How do I stop saying um?")


def test_exactly_500_characters_is_accepted():
    assert len(chatbot.clean_question("y" * 500)) == 500
