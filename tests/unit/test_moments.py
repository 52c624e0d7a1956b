"""The weakest moments of a transcript: each kind found where it is, nothing invented where it is not,
the most severe three in the order they happened, and one score for the original and the retake."""

from __future__ import annotations

from speakpro.services.analysis import moments
from speakpro.services.analysis.moments import moment_key, score_try, weakest_moments
from speakpro.services.analysis.speech_metrics import Utterance


def u(text: str, start_s: float, end_s: float) -> Utterance:
    return Utterance("user", text, int(start_s * 1000), int(end_s * 1000))


def ai(text: str, start_s: float, end_s: float) -> Utterance:
    return Utterance("ai", text, int(start_s * 1000), int(end_s * 1000))


CLEAN = "We ship twelve pallets a week from Rotterdam to Lyon and the costs keep rising every quarter."


def test_a_clean_conversation_offers_no_moment():
    segments = [
        ai("Which routes matter most to you?", 0, 3),
        u(CLEAN, 3.5, 9),
        ai("That sounds expensive for you. What have you tried?", 9.5, 12),
        u("We tried a second carrier. What would you suggest for the winter peak?", 12.5, 17),
    ]
    assert weakest_moments(segments) == []


def test_each_kind_is_found_with_what_was_measured():
    segments = [
        ai("Which routes matter most to you?", 0, 3),
        u("Um, so, uh, we ship, um, a lot to Lyon I guess, uh, every week.", 3.5, 9),  # fillers
        ai("Honestly, it sounds too expensive for us right now.", 10, 13),
        u("Our price is the best on the market and the service is very reliable.", 13.5, 18),  # objection
        ai("Tell me more about your team.", 19, 21),
        u("We have twelve drivers.", 21.5, 23),
        u("And two planners who work with the depot every morning.", 27.5, 31),  # a 4.5 s pause inside the turn
    ]
    found = {m.kind: m for m in weakest_moments(segments, limit=5)}
    assert set(found) == {"fillers", "objection", "pause"}
    assert found["fillers"].detail == "4 fillers in 15 words" and found["fillers"].at_ms == 3500
    assert found["fillers"].prompt == "Which routes matter most to you?"
    assert found["objection"].prompt.startswith("Honestly, it sounds too expensive")
    assert found["pause"].detail == "a 4.5 s silence"
    assert (
        found["pause"].original_text
        == "We have twelve drivers. And two planners who work with the depot every morning."
    )
    assert found["pause"].key == moment_key("pause", 21_500)


def test_a_monologue_of_ninety_seconds_or_more_is_one():
    long_turn = [u(CLEAN, 10 + 10 * i, 19.5 + 10 * i) for i in range(10)]  # 10 s to 109.5 s, no partner between
    found = weakest_moments([ai("Tell me about your shipping.", 0, 9), *long_turn])
    assert [m.kind for m in found] == ["monologue"]
    assert found[0].detail == "100 s without a break"


def test_only_the_three_most_severe_in_the_order_they_happened():
    segments = []
    for i, count in enumerate((2, 6, 3, 5, 4)):  # fillers per turn, 20 words each
        segments.append(ai("And then?", i * 20, i * 20 + 2))
        words = ["um"] * count + ["route"] * (20 - count)
        segments.append(u(" ".join(words), i * 20 + 3, i * 20 + 10))
    found = weakest_moments(segments)
    assert [m.at_ms for m in found] == [23_000, 63_000, 83_000]  # the turns with 6, 5 and 4 fillers


def test_the_same_transcript_always_gives_the_same_moments():
    segments = [ai("Which routes matter?", 0, 2), u("Um, uh, we, um, ship a lot, uh.", 2.5, 6)]
    assert weakest_moments(segments) == weakest_moments(list(segments))


def test_fillers_are_not_counted_in_another_language():
    french = "nous livrons les palettes pour vous et avec le transporteur euh deux fois euh par semaine"
    assert weakest_moments([u(french, 0, 6)]) == []


def test_objection_cues_and_a_question_back():
    assert moments._is_objection("We already work with another carrier.")
    assert moments._is_objection("I don’t have time for this.")
    assert not moments._is_objection("Which routes matter most to you?")
    answered = [ai("We are happy with our current supplier.", 0, 3), u("What would make you look again?", 3.5, 6)]
    assert weakest_moments(answered) == []


def test_the_original_and_the_retake_are_scored_by_one_rule():
    prompt, topic = "Honestly, it sounds too expensive for us.", "Cold Call Opener. Handle a price objection."
    original = score_try("Our price is the best on the market.", prompt=prompt, topic=topic)
    retake = score_try(
        "I understand that price matters to you. Compared with what you pay today, which part of the cost "
        "worries you most: the weekly runs or the holiday peaks?",
        prompt=prompt,
        topic=topic,
    )
    assert retake.questions == 1 and original.questions == 0
    assert retake.score > original.score
    assert score_try("Our price is the best on the market.", prompt=prompt, topic=topic) == original
