"""The rules a quest shows are the rules the code applies: the thresholds appear in the titles learners read."""

from __future__ import annotations

from speakpro.seed.content import QUEST_TYPES
from speakpro.services.analysis.analysis import FILLER_QUEST, FILLER_QUEST_MIN_WORDS
from speakpro.services.practice.practice import QUEST_TYPE as PRACTICE_QUEST
from speakpro.services.practice.practice import REWARD_MIN_SECONDS

TITLES = {quest["type"]: quest["title"] for quest in QUEST_TYPES}


def test_the_practice_quest_names_its_minimum_length():
    assert f"{REWARD_MIN_SECONDS} seconds or more" in TITLES[PRACTICE_QUEST]


def test_the_filler_quest_names_its_minimum_words():
    assert f"{FILLER_QUEST_MIN_WORDS} words or more" in TITLES[FILLER_QUEST]
