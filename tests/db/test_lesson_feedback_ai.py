"""AI feedback on lesson exercises, against the local fake OpenAI server: grounded, stored, and falling
back to the local score (labelled) on 429, 500, timeouts and malformed JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from speakpro.integrations.openai_client import make_openai_client
from speakpro.models import ExerciseSubmission, MilestoneAttempt
from speakpro.services.analysis.rubric import score_locally
from speakpro.services.learning.feedback import find_grounding
from speakpro.services.learning.lessons import answer_step, start_or_resume_lesson
from speakpro.services.learning.milestones import submit_milestone
from tests.factories import make_level, make_module, make_user
from tests.factories_learning import GOOD_SPEECH, finish_lesson, make_block, make_lesson, make_path
from tests.fakes.openai_server import FakeOpenAIServer, Outcome

PAUSE_BODY = "A one-second silent pause replaces filler words and sounds confident to every listener."
AI_JSON = {"score": 88, "strengths": ["Clear message up front."], "improvements": ["Pause before the number."]}
STEP = {
    "kind": "speaking",
    "title": "Say it",
    "prompt": "Pitch one change to your team and pause between ideas.",
    "target_seconds": 20,
    "rubric": ["Message stated clearly", "Deliberate pauses"],
}


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def lesson(session):
    level = make_level(session)
    module = make_module(session, level=level, code="A", order=1)
    other = make_module(session, level=level, code="B", order=2)
    make_block(session, module, title="Pauses beat fillers", summary="Pause instead of um.", body=PAUSE_BODY)
    make_block(session, module, title="Price talk", summary="Anchor on value.", body="Quote outcomes, not costs.")
    # A block of another module that matches the answer well must not ground this module's feedback.
    make_block(
        session,
        other,
        title="Clinic reminders pitch",
        summary="Reminder texts for a clinic.",
        body="Missed appointments at a clinic: reminder text the day before, empty slots, missed visits.",
    )
    return make_lesson(session, module, steps=[STEP])


def _answer(session, lesson, client):
    user = make_user(session)
    view = start_or_resume_lesson(session=session, user_id=user.id, lesson_id=lesson.id)
    result = answer_step(
        session=session,
        user_id=user.id,
        lesson_session_id=view.lesson_session_id,
        step_index=0,
        answer={"transcript": GOOD_SPEECH},
        duration_ms=5000,
        feedback_client=client,
    )
    submission = session.execute(
        select(ExerciseSubmission).where(ExerciseSubmission.lesson_session_id == view.lesson_session_id)
    ).scalar_one()
    return result, submission


def _local_score() -> int:
    return score_locally(GOOD_SPEECH, rubric=STEP["rubric"], target_seconds=20, prompt=STEP["prompt"]).score


def _client(server: FakeOpenAIServer, **options):
    return make_openai_client(
        api_key=server.api_key, base_url=server.base_url, **{"timeout": 5.0, "max_retries": 0, **options}
    )


def test_the_ai_answer_is_grounded_and_stored(session, lesson, fake_openai):
    fake_openai.reply_with(json.dumps(AI_JSON))

    result, submission = _answer(session, lesson, _client(fake_openai))

    assert result.score == 88 and result.passed and result.completed
    assert result.feedback["provider"] == "openai" and not result.feedback["fallback"]
    assert result.feedback["improvements"] == ["Pause before the number."]
    scores = submission.scores
    assert scores["provider"] == "openai" and scores["score"] == 88
    assert scores["ai"]["provider"] == "openai" and scores["ai"]["model"]
    assert scores["ai"]["raw"] == json.dumps(AI_JSON)
    assert scores["ai"]["parsed"] == AI_JSON
    assert scores["local"]["score"] == _local_score()

    (request,) = fake_openai.requests
    body = request.body
    assert request.path == "/v1/responses"
    assert PAUSE_BODY in body["instructions"]  # grounded in the module's block
    assert "Clinic reminders pitch" not in body["instructions"]  # never another module's
    assert STEP["prompt"] in body["instructions"] and "Deliberate pauses" in body["instructions"]
    assert GOOD_SPEECH in body["input"]
    assert body["text"]["format"]["type"] == "json_schema"
    assert body["store"] is False
    assert len(scores["grounding"]) <= 3


@pytest.mark.parametrize(
    "setup, reason",
    [
        (lambda s: s.fail_with(429), "rate_limited"),
        (lambda s: s.fail_with(500), "server_error"),
        (lambda s: s.fail_with(503), "server_error"),
        (lambda s: s.respond_slowly(3.0, json.dumps(AI_JSON)), "timeout"),
        (lambda s: s.reply_with("Great job! 9/10"), "malformed"),
        (lambda s: s.reply_with('{"score": 150, "strengths": [], "improvements": []}'), "malformed"),
        (lambda s: s.reply_with('```json\n{"score": 80}\n```'), "malformed"),
    ],
)
def test_failures_fall_back_to_the_local_score_and_say_so(session, lesson, fake_openai, setup, reason):
    setup(fake_openai)

    result, submission = _answer(session, lesson, _client(fake_openai, timeout=0.5))

    local = _local_score()
    assert result.score == local
    assert result.feedback["provider"] == "local" and result.feedback["fallback"]
    assert result.feedback["fallback_reason"] == reason
    assert "local rubric" in result.feedback["label"]
    assert submission.scores["fallback_reason"] == reason
    assert submission.scores["ai"]["error"] == reason and submission.scores["ai"]["provider"] == "openai"
    if reason == "malformed":
        assert submission.scores["ai"]["raw"]  # what the model said is kept


def test_a_retry_after_a_429_succeeds_when_the_client_retries(session, lesson, fake_openai):
    fake_openai.script(Outcome(status=429))
    fake_openai.reply_with(json.dumps(AI_JSON))

    result, _ = _answer(session, lesson, _client(fake_openai, max_retries=1))

    assert result.feedback["provider"] == "openai" and result.score == 88
    assert len(fake_openai.requests) == 2


def test_without_a_client_the_feedback_is_local_and_labelled(session, lesson):
    result, submission = _answer(session, lesson, None)
    assert result.feedback["provider"] == "local" and not result.feedback["fallback"]
    assert "not configured" in result.feedback["label"]
    assert submission.scores["ai"] is None


def test_grounding_ranks_the_modules_matching_blocks_and_falls_back_to_its_first_blocks(session, lesson):
    hits = find_grounding(session=session, module_ids=[lesson.module_id], text="silent pause instead of filler")
    assert [h.title for h in hits][0] == "Pauses beat fillers"
    assert all(h.title != "Clinic reminders pitch" for h in hits)
    fallback = find_grounding(session=session, module_ids=[lesson.module_id], text="zzzz qqqq")
    assert {h.title for h in fallback} == {"Pauses beat fillers", "Price talk"}
    assert find_grounding(session=session, module_ids=[lesson.module_id], text="' or -- \" & | !") != []
    assert find_grounding(session=session, module_ids=[], text="pause") == []


def test_the_milestone_uses_the_ai_score_when_configured(session, fake_openai):
    user = make_user(session)
    level, modules, lessons = make_path(session, modules=1, lessons=1)
    make_block(session, modules[0], title="Closing", summary="Ask for a next step.", body="Name a date.")
    finish_lesson(session, user.id, lessons[modules[0].id][0])
    level.milestone_threshold = 90
    session.add(level)
    session.flush()
    fake_openai.reply_with(json.dumps({**AI_JSON, "score": 93}))

    result = submit_milestone(
        session=session,
        user_id=user.id,
        level_id=level.id,
        transcript=GOOD_SPEECH,
        idempotency_key="ai-milestone-1",
        feedback_client=_client(fake_openai),
    )

    assert result.passed and result.score == 93 and result.feedback["provider"] == "openai"
    assert "Name a date." in fake_openai.requests[0].body["instructions"]
    attempt = session.get(MilestoneAttempt, result.attempt_id)
    assert attempt.rubric_scores["feedback"]["ai"]["parsed"]["score"] == 93
