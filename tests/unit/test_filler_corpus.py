"""SpeakPro's filler rules on the hand-labelled set of `tests/unit/filler_corpus.py`."""

from __future__ import annotations

from speakpro.services.text import count_fillers, filler_parts
from tests.unit.filler_corpus import CASES, precision_recall

GOAL = 0.97


def test_the_labelled_set_is_large_and_says_why_for_every_label():
    assert len(CASES) >= 150
    assert len({text for text, _, _ in CASES}) == len(CASES), "a sentence is labelled twice"
    assert all(reason.strip() for _, _, reason in CASES)
    assert sum(sum(expected.values()) for _, expected, _ in CASES) >= 80
    assert sum(1 for _, expected, _ in CASES if not expected) >= 80  # as many chances to be wrong the other way


def test_the_rules_reach_the_goal_on_the_labelled_set():
    precision, recall, wrong = precision_recall(count_fillers)
    assert precision >= GOAL and recall >= GOAL, (precision, recall, wrong)


def test_the_highlighted_parts_are_the_counted_fillers():
    for text, _, _ in CASES:
        parts = filler_parts(text)
        assert "".join(p["text"] for p in parts) == text
        assert sum(1 for p in parts if p["filler"]) == sum(count_fillers(text).values()), text
