"""The local rubric reads the answer: labelled answers to module A and B's own exercises (on topic and strong,
on topic and weak, off topic, and one exercise's answer reused for another) against the pass mark."""

from __future__ import annotations

import pytest

from speakpro.seed.content import MODULES
from speakpro.services.analysis.rubric import OFF_TOPIC_CAP, score_locally
from speakpro.services.learning.lessons import PASS_MARK


def _step(title: str) -> dict:
    return next(s for m in MODULES for lesson in m["lessons"] for s in lesson["steps"] if s.get("title") == title)


def _score(title: str, text: str, prompt_extra: str = ""):
    step = _step(title)
    return score_locally(
        text,
        kind=step["kind"],
        rubric=step.get("rubric") or (),
        target_seconds=step.get("target_seconds"),
        min_words=step.get("min_words"),
        prompt=(step.get("prompt") or "") + prompt_extra,
    )


HOOKS = "Three hooks, one topic"
MESSAGE = "Write it in 15 words"
PROVE = "Say it, prove it, say it again"
SIGNPOST = "A signposted 90 seconds"
BASELINE = "Measure your baseline"
FILLER_FREE = "Filler-free answers"

# A paragraph a learner might paste into every exercise (it passed every exercise of module A before).
CANNED = (
    "Our platform helps sales teams close deals faster by automating follow-ups. Clients report a twenty "
    "percent increase in conversion within three months. Setup takes one afternoon and the support team "
    "answers in minutes. Pricing is per seat with no long contract. Would a short demo next Tuesday suit you? "
    "Our platform helps sales teams close deals faster by automating follow-ups and keeping every rep on track."
)

STRONG = {
    HOOKS: (
        "Here is a surprising fact: our school throws away four hundred kilos of food every week. Picture this "
        "moment: a lunch hall at two o'clock, bins full of untouched sandwiches while students leave hungry. "
        "So here is the question I want answered: what if our canteen cooked to order instead of guessing? "
        "That change would cut waste, save money and feed more students. I want our school to try a "
        "pre-order system for one month and measure the waste, the cost and how many students eat lunch. "
        "If the numbers improve, we keep it; if not, we have learned something cheap and fast. Each of these "
        "three hooks is tied to the same topic, food waste at our school, and none of them needs a warm-up. "
        "The fact shocks, the picture makes it real, and the question makes the listener want the answer."
    ),
    MESSAGE: "Pre-ordering lunch cuts our canteen's food waste in half and saves you money.",
    PROVE: (
        "My message is simple: short daily stand-ups save our team time. Last spring we replaced our weekly "
        "two-hour meeting with a ten-minute stand-up each morning. Within a month, blocked tasks were "
        "spotted two days earlier, and the team got back almost six hours a week. One example proves it: "
        "a bug that used to wait for the Friday meeting was fixed on Tuesday because someone mentioned it "
        "at the stand-up. So, to say it again in other words: a few minutes of talking every morning gives "
        "us back hours of work every week."
    ),
    SIGNPOST: (
        "I will explain how to onboard a new colleague in three steps: prepare, welcome, and follow up. "
        "Step one is to prepare. Before the first day, set up their laptop, accounts and a short reading "
        "list, and book lunch with the team. That's step one. Next, step two: welcome them. On day one, "
        "walk them around, introduce them to the people they will work with most, and give them one small "
        "task they can finish by the evening. That's step two. Finally, step three: follow up. At the end "
        "of the first week, sit down for twenty minutes and ask what is clear, what is confusing and what "
        "they need. So, in one sentence: prepare before they arrive, welcome them on day one, and follow "
        "up after a week."
    ),
    BASELINE: (
        "Last weekend I spent Saturday morning at the farmers market with my sister. We bought tomatoes, "
        "fresh bread and far too much cheese. In the afternoon we cooked a big lunch for our parents, which "
        "took three hours because my sister insists on making pasta by hand. On Sunday I went for a long "
        "bike ride along the river, about forty kilometres, and stopped for coffee in a small village. In "
        "the evening I watched a film and went to bed early, which felt like the best part of the weekend. "
        "Looking back, I spent most of it outside and away from my phone, and I came back to work on Monday "
        "rested. Next weekend I want to repeat the bike ride, maybe a little further, to the lake."
    ),
    FILLER_FREE: (
        "One skill I want to improve this year is public speaking. I often present our results to the "
        "leadership team, and I notice that I rush and fill every gap with sounds. I want to improve because "
        "clear delivery makes people trust the numbers. My plan is to record one short talk each week, count "
        "my pauses and practise slowing down at the important figures. By December I want to present for "
        "ten minutes with calm, deliberate pauses instead of rushing. Last week I tried it once: I paused "
        "after each figure, and two colleagues said it was the clearest update of the quarter. That is why "
        "this skill matters to me this year: it turns the work we already do into decisions people make."
    ),
}

WEAK = {
    HOOKS: "Hello. So today I'm going to talk about a change. It is about school. Thanks.",
    PROVE: "Stand-ups are good. They save time.",
    SIGNPOST: "You prepare, then welcome them, then follow up.",
    BASELINE: "Um, last weekend I, uh, stayed home. It was, like, fine.",
    FILLER_FREE: "Um, I want to improve, uh, speaking, you know, because, um, it's useful.",
}

# The message exercises take any message the learner chooses (a sales pitch is a fair one), so they have no
# off-topic answer by vocabulary; a short answer is judged by its length.
OFF_TOPIC = {
    HOOKS: CANNED,
    SIGNPOST: CANNED,
    BASELINE: CANNED,
    FILLER_FREE: CANNED,
}

# One exercise's answer reused for another: off topic there (the service also refuses an answer the learner
# already gave elsewhere, `tests/db/test_lessons.py`).
REUSED = [(BASELINE, STRONG[SIGNPOST]), (SIGNPOST, STRONG[BASELINE]), (HOOKS, STRONG[BASELINE])]


@pytest.mark.parametrize("title", list(STRONG))
def test_a_strong_answer_on_topic_passes(title):
    result = _score(title, STRONG[title])
    assert result.on_topic, (title, result.topic_words)
    assert result.score >= PASS_MARK + 10, (title, result.score, result.criteria)


@pytest.mark.parametrize("title", list(WEAK))
def test_a_weak_answer_on_topic_scores_below_the_strong_one(title):
    weak, strong = _score(title, WEAK[title]), _score(title, STRONG[title])
    assert weak.score < strong.score - 15, (title, weak.score, strong.score)
    assert weak.score < PASS_MARK or title == FILLER_FREE, (title, weak.score)


@pytest.mark.parametrize("title", list(OFF_TOPIC))
def test_an_off_topic_answer_fails_however_long_it_is(title):
    result = _score(title, OFF_TOPIC[title])
    assert not result.on_topic, (title, result.topic_words)
    assert result.score <= OFF_TOPIC_CAP < PASS_MARK
    assert result.tips[0].startswith("Answer this exercise")


@pytest.mark.parametrize(("title", "text"), REUSED)
def test_another_exercises_answer_fails_here(title, text):
    result = _score(title, text)
    assert not result.on_topic and result.score < PASS_MARK, (title, result.topic_words, result.score)


def test_the_learners_own_scenario_counts_as_the_topic():
    scenario = "\n\nMake it about your own high-stakes moment: pitching the canteen pre-order plan to the head teacher."
    text = (
        "Every week our canteen bins untouched sandwiches. I want the head teacher to approve a pre-order "
        "trial: students choose lunch the day before, the kitchen cooks what was ordered, and after a month "
        "we compare the bins, the cost and the number of students who eat. If the bins are lighter, the trial stays."
    )
    assert _score(BASELINE, text, scenario).on_topic
    assert not _score(BASELINE, text).on_topic
