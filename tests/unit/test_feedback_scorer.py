"""The local rubric scorer: scores computed by hand from the documented formula."""

from __future__ import annotations

import pytest

from speakpro.services.analysis.rubric import rubric_keywords, score_locally, target_words_for
from speakpro.services.learning.feedback import parse_ai_feedback
from speakpro.services.text import count_fillers, count_sentences


def test_a_short_hook_scores_27():
    text = "Um, picture this. Our team loses a day every week. What if we fixed that?"
    result = score_locally(text, kind="speaking", rubric=["Each hook is tied to the topic"], target_seconds=60)
    # W = 15, T = 140, 1 filler (6.67 per 100 words), 3 sentences, rubric 0 of 1:
    # 35*15/140 = 3.75; 25*(10-6.667)/10 = 8.33; 15; 0  ->  27.08 -> 27
    assert (result.words, result.target_words, result.fillers, result.sentences, result.questions) == (15, 140, 1, 3, 1)
    assert result.filler_rate == pytest.approx(6.67)
    assert result.rubric_covered == (False,)
    assert result.score == 27
    points = {c.name: round(c.points, 2) for c in result.criteria}
    assert points == {"length": 3.75, "fillers": 8.33, "structure": 15.0, "rubric": 0.0}
    assert result.tips == (
        "Say more: aim for about 140 words (~60 seconds); you used 15.",
        "Cover this rubric point: “Each hook is tied to the topic”.",
        "Replace filler words (“um” x1) with a one-second silent pause.",
    )


def test_a_written_message_scores_78():
    text = "Weekly check-ins will cut our rework in half, which benefits every listener."
    result = score_locally(
        text, kind="writing", min_words=6, rubric=["States a benefit to the listener", "15 words or fewer"]
    )
    # W = 13 >= T = 6 -> 35; no fillers -> 25; 1 sentence -> 5; rubric 1 of 2 -> 12.5  ->  77.5 -> 78
    assert (result.words, result.target_words, result.sentences) == (13, 6, 1)
    assert result.rubric_covered == (True, False)
    assert result.score == 78
    assert result.tips[0] == "Cover this rubric point: “15 words or fewer”."
    assert result.tips[1].startswith("Use at least three short sentences")


def test_a_complete_answer_scores_100_with_one_tip():
    text = "Picture this. Our clinic lost a day each week to missed calls. Should we fix it? Yes, today."
    result = score_locally(text, kind="speaking", target_seconds=6)
    # T = round(6*140/60) = 14 <= W = 18 -> 35; 25; 4 sentences -> 15; no rubric -> 25
    assert (result.words, result.target_words, result.score) == (18, 14, 100)
    assert len(result.tips) == 1 and result.tips[0].startswith("Every criterion is met")


def test_filler_phrases_count_and_drive_the_filler_points_to_zero():
    text = "You know, I mean, like, basically it works."
    result = score_locally(text, kind="speaking", target_seconds=60)
    # W = 8, 4 fillers (50 per 100 words) -> 0; 35*8/140 = 2; 1 sentence -> 5; no rubric -> 25  ->  32
    assert result.fillers == 4
    assert result.score == 32
    assert count_fillers(text) == {"like": 1, "basically": 1, "you know": 1, "i mean": 1}


def test_elongated_fillers_are_recognised():
    assert count_fillers("Ummm, uhh... errr, ahh, well.") == {"um": 1, "uh": 1, "er": 1, "ah": 1}


def test_lessons_count_fillers_as_the_session_analysis_does():
    # "like" as a verb and "I mean it" are words, not fillers, in a lesson answer as in a practice session.
    text = "I like this plan and I mean it. Like, um, we should start."
    result = score_locally(text, kind="speaking", target_seconds=60)
    assert count_fillers(text) == {"like": 1, "um": 1}
    assert result.fillers == 2


def test_empty_text_scores_zero():
    assert score_locally("", kind="speaking").score == 0
    assert score_locally("...?!", kind="speaking").score == 0


def test_sentences_and_questions():
    assert count_sentences("no punctuation at all") == (1, 0)
    assert count_sentences("What? Really?! Yes.") == (3, 2)
    assert count_sentences("... ! ?") == (0, 0)


def test_rubric_keywords_and_prefix_matching():
    assert rubric_keywords("Each hook is tied to the topic, not generic") == ["hook", "tied", "topic", "generic"]
    assert rubric_keywords("15 words or fewer") == ["words", "fewer"]
    # "hooks" shares its first five letters with nothing in "hook" (4 letters): exact match needed
    assert score_locally("A hook.", rubric=["hook"]).rubric_covered == (True,)
    assert score_locally("Hooks galore.", rubric=["hook"]).rubric_covered == (False,)
    assert score_locally("Benefits.", rubric=["benefit"]).rubric_covered == (True,)


def test_a_question_tip_when_the_rubric_asks_for_questions():
    result = score_locally(
        "We should start now. It is cheap. It is fast.", rubric=["Ask open questions"], target_seconds=3
    )
    assert any("question" in tip for tip in result.tips)


def test_target_words():
    assert target_words_for("speaking", target_seconds=60) == 140
    assert target_words_for("speaking") == 140
    assert target_words_for("speaking", target_seconds=90) == 210
    assert target_words_for("writing", min_words=30) == 30
    assert target_words_for("writing") == 1


@pytest.mark.parametrize(
    "raw, expected",
    [
        (
            '{"score": 81, "strengths": ["Clear"], "improvements": ["Pause more"]}',
            {"score": 81, "strengths": ["Clear"], "improvements": ["Pause more"]},
        ),
        ('{"score": 80.6, "strengths": [], "improvements": []}', {"score": 81, "strengths": [], "improvements": []}),
        ("not json", None),
        ("[1, 2]", None),
        ('{"score": 101, "strengths": [], "improvements": []}', None),
        ('{"score": true, "strengths": [], "improvements": []}', None),
        ('{"score": 50, "strengths": "good", "improvements": []}', None),
        ('{"score": 50, "strengths": [1], "improvements": []}', None),
        ('{"score": 50}', None),
    ],
)
def test_parse_ai_feedback(raw, expected):
    assert parse_ai_feedback(raw) == expected
