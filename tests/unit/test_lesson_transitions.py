"""The lesson run's transition table, and the answer checks that need no database."""

from __future__ import annotations

import itertools

import pytest

from speakpro.models.lessons import LESSON_STATES
from speakpro.services.learning.lesson_answers import check_answer, check_duration
from speakpro.services.learning.lessons import EVENTS, NEW, TRANSITIONS, IllegalTransition, next_state
from speakpro.services.learning.stakes import exercise_prompt
from speakpro.services.validation import ValidationError

LEGAL = {
    (NEW, "start"): "in_progress",
    ("in_progress", "answer"): "in_progress",
    ("in_progress", "complete"): "completed",
    ("in_progress", "abandon"): "abandoned",
}
ALL_PAIRS = list(itertools.product((NEW, *LESSON_STATES), EVENTS))


def test_the_table_is_exactly_the_legal_transitions():
    assert TRANSITIONS == LEGAL
    assert set(TRANSITIONS.values()) <= set(LESSON_STATES)


@pytest.mark.parametrize("state, event", [pair for pair in ALL_PAIRS if pair in LEGAL])
def test_legal_transitions(state, event):
    assert next_state(state, event) == LEGAL[(state, event)]


@pytest.mark.parametrize("state, event", [pair for pair in ALL_PAIRS if pair not in LEGAL])
def test_every_illegal_transition_is_rejected(state, event):
    with pytest.raises(IllegalTransition) as caught:
        next_state(state, event)
    assert caught.value.field == "lesson"
    assert caught.value.message  # something the learner can read
    assert (caught.value.state, caught.value.event) == (state, event)


def test_finished_runs_have_no_way_out():
    for state in ("completed", "abandoned"):
        for event in EVENTS:
            with pytest.raises(IllegalTransition):
                next_state(state, event)


def test_unknown_states_and_events_are_rejected():
    with pytest.raises(IllegalTransition):
        next_state("paused", "answer")
    with pytest.raises(IllegalTransition):
        next_state("in_progress", "skip")


def test_illegal_transitions_are_validation_errors_with_clear_messages():
    with pytest.raises(ValidationError, match="already complete"):
        next_state("completed", "answer")
    with pytest.raises(ValidationError, match="was stopped"):
        next_state("abandoned", "answer")


SPEAKING = {"kind": "speaking", "prompt": "Pitch it."}
WRITING = {"kind": "writing", "prompt": "Write it.", "min_words": 3}


@pytest.mark.parametrize(
    "step, answer, cleaned",
    [
        ({"kind": "reading"}, {"acknowledged": True}, {"acknowledged": True}),
        ({"kind": "feedback"}, {"acknowledged": True}, {"acknowledged": True}),
        (SPEAKING, {"transcript": "  Hello there.\r\n"}, {"transcript": "Hello there."}),
        (
            SPEAKING,
            {"transcript": "Hi.", "audio_ref": "media/u1/rec.webm"},
            {"transcript": "Hi.", "audio_ref": "media/u1/rec.webm"},
        ),
        (WRITING, {"text": "one two three"}, {"text": "one two three"}),
        ({"kind": "reflection"}, {"text": "Slow down."}, {"text": "Slow down."}),
    ],
)
def test_accepted_answers_are_cleaned(step, answer, cleaned):
    assert check_answer(step, answer) == cleaned


@pytest.mark.parametrize(
    "step, answer, message",
    [
        ({"kind": "reading"}, {}, "Send your answer"),
        ({"kind": "reading"}, None, "Send your answer"),
        ({"kind": "reading"}, "yes", "not in a form"),
        ({"kind": "reading"}, {"acknowledged": "true"}, "Confirm"),
        ({"kind": "reading"}, {"acknowledged": False}, "Confirm"),
        (SPEAKING, {"transcript": "   "}, "is empty"),
        (SPEAKING, {"transcript": 42}, "must be text"),
        (SPEAKING, {"transcript": ["a"]}, "must be text"),
        (SPEAKING, {"transcript": "x" * 10_001}, "limit is 10,000"),
        (SPEAKING, {"transcript": "nul\x00byte"}, "not allowed"),
        (SPEAKING, {"transcript": "Hi", "audio_ref": "../../etc/passwd"}, "recording reference"),
        (SPEAKING, {"transcript": "Hi", "audio_ref": 5}, "recording reference"),
        (SPEAKING, {"transcript": "Hi", "score": 100}, "fields this step does not take: score"),
        (SPEAKING, {"transcript": "x" * 1_000_001}, "over 1 MB"),
        (SPEAKING, {"transcript": {1, 2}}, "not in a form"),
        (SPEAKING, {"transcript": float("nan")}, "not in a form"),
        (WRITING, {"text": "two words"}, "at least 3 words; you wrote 2"),
        ({"kind": "reflection"}, {"text": "y" * 2_001}, "limit is 2,000"),
    ],
)
def test_refused_answers(step, answer, message):
    with pytest.raises(ValidationError, match=message):
        check_answer(step, answer)


@pytest.mark.parametrize("value", [-1, 3_600_001, "10", 1.5, True, None])
def test_durations_out_of_range_are_refused(value):
    with pytest.raises(ValidationError):
        check_duration(value)


def test_durations_in_range():
    assert check_duration(0) == 0
    assert check_duration(3_600_000) == 3_600_000


class _Stakes:
    scenario = "Pitching our budget to the board"
    audience = "the board"
    stakes = "next year's hiring"


def test_prompts_are_personalised_for_exercises_only():
    assert exercise_prompt(SPEAKING, None) == "Pitch it."
    personal = exercise_prompt(SPEAKING, _Stakes())
    assert personal.startswith("Pitch it.\n\n")
    assert "Pitching our budget to the board" in personal and "the board" in personal
    assert "next year's hiring" in personal
    assert exercise_prompt({"kind": "reflection", "prompt": "Why?"}, _Stakes()) == "Why?"
