"""The speech-metrics engine against hand-labelled transcripts (expected values worked out in comments)."""

from __future__ import annotations

import pytest

from speakpro.services.analysis.speech_metrics import (
    FILLER_RATE_HEALTHY_MAX,
    Utterance,
    _mattr,
    compute_speech_metrics,
)
from speakpro.services.text import count_fillers

U, A = "user", "ai"


def seg(speaker, text, start_ms, end_ms):
    return Utterance(speaker, text, start_ms, end_ms)


SALES_CALL = [
    seg(A, "Hello, this is Dana from Acme.", 0, 2000),
    # 21 words: hi dana um i'm sam from brightline i noticed you are hiring reps so i wanted to ask a quick
    # question. Fillers: "um" (1). Questions: 0. 7000 ms.
    seg(
        U,
        "Hi Dana, um, I'm Sam from Brightline. I noticed you are hiring reps, so I wanted to ask a quick question.",
        2500,
        9500,
    ),
    seg(A, "Sure, go ahead.", 10000, 11000),
    # 7 words, 1 question, 3000 ms.
    seg(U, "How do you onboard new reps today?", 11500, 14500),
    # 7 words (and like how long does it take), 1 question, "like" after a comma = filler. 2000 ms.
    # Gap from the previous learner segment, with no partner between: 17000 - 14500 = 2500 ms = a pause.
    seg(U, "And, like, how long does it take?", 17000, 19000),
    seg(A, "About three months. It is too expensive to speed up.", 19500, 23000),
    # 24 words: i understand basically we cut that to six weeks you know i like how your team works can we
    # book a demo next tuesday. Fillers: "basically" (1), "you know" before "." (1); "I like" is a verb.
    # 1 question. 10000 ms.
    seg(
        U,
        "I understand. Basically we cut that to six weeks, you know. I like how your team works. Can we book "
        "a demo next Tuesday?",
        23500,
        33500,
    ),
]


def test_normal_sales_call():
    m = compute_speech_metrics(SALES_CALL)
    assert m.language == "en"
    assert m.learner_words == 21 + 7 + 7 + 24 == 59
    assert m.partner_words == 6 + 3 + 10
    # learner time 7000 + 3000 + 2000 + 10000 = 22000 ms; pace = 59 / (22000 / 60000) = 160.909 -> 160.9
    assert m.learner_speaking_seconds == 22.0
    assert m.pace_wpm == 160.9
    # fillers: um, like, basically, you know = 4; rate = 400 / 59 = 6.779 -> 6.78
    assert m.fillers == {"basically": 1, "like": 1, "um": 1, "you know": 1}
    assert m.filler_count == 4
    assert m.filler_rate_per_100 == 6.78
    assert m.filler_free is False
    # all speaking time: partner 2000 + 1000 + 3500 = 6500, no overlap -> 28500; ratio 22000 / 28500 = 0.7719
    assert m.total_speaking_seconds == 28.5
    assert m.talk_time_ratio == 0.7719
    # runs of learner segments: [2] 7.0 s, [4, 5] 11500 -> 19000 = 7.5 s, [7] 10.0 s
    assert m.longest_monologue_seconds == 10.0
    assert m.questions_asked == 3
    assert (m.pause_count, m.longest_pause_seconds) == (1, 2.5)
    assert m.sentiment is not None and 0 < m.sentiment <= 1
    assert m.vocabulary_variety is not None and 0 < m.vocabulary_variety <= 1
    assessed = m.assessments()
    assert assessed["pace_wpm"] == "high"  # 160.9 > 160
    assert assessed["filler_rate_per_100"] == "high"
    assert assessed["talk_time_ratio"] == "high"
    assert assessed["longest_monologue_seconds"] == "ok"
    assert m.to_json()["fillers"]["um"] == 1


def test_no_speech():
    for segments in ([], [seg(U, "", 0, 1000), seg(A, "   ", 1000, 2000)]):
        m = compute_speech_metrics(segments)
        assert (m.learner_words, m.partner_words, m.questions_asked, m.pause_count) == (0, 0, 0, 0)
        assert m.pace_wpm is None and m.talk_time_ratio is None and m.filler_rate_per_100 is None
        assert m.sentiment is None and m.vocabulary_variety is None
        assert m.filler_count == 0 and m.longest_monologue_seconds == 0.0
        assert m.filler_free is False
    # Only the partner spoke: the learner's share is 0, everything else of the learner empty.
    m = compute_speech_metrics([seg(A, "Hello? Are you there?", 0, 3000)])
    assert m.talk_time_ratio == 0.0 and m.pace_wpm is None and m.partner_words == 4


def test_one_word():
    # 1 word in 500 ms: pace 1 / (500 / 60000) = 120.0. No partner spoke (a solo session): the talk-time
    # ratio is not applicable, not 100%.
    m = compute_speech_metrics([seg(U, "Hello.", 0, 500)])
    assert (m.learner_words, m.pace_wpm, m.talk_time_ratio, m.longest_monologue_seconds) == (1, 120.0, None, 0.5)
    assert (m.filler_count, m.filler_rate_per_100, m.vocabulary_variety, m.questions_asked) == (0, 0.0, 1.0, 0)
    assert m.filler_free is True
    # A zero-length segment: no speaking time, so no pace and no ratio (never a division by zero).
    m = compute_speech_metrics([seg(U, "Hello.", 700, 700)])
    assert (m.learner_words, m.pace_wpm, m.talk_time_ratio) == (1, None, None)


def test_overlapping_speakers_counted_once():
    segments = [
        seg(A, "Tell me about your current setup please.", 0, 4000),
        # 7 words in 5000 ms -> 84.0 wpm; overlaps the partner 3000-4000 and 7000-8000.
        seg(U, "We use spreadsheets for everything right now.", 3000, 8000),
        seg(A, "Okay.", 7000, 9000),
    ]
    m = compute_speech_metrics(segments)
    # union of [0,4000] [3000,8000] [7000,9000] = [0,9000] = 9 s (a plain sum would say 11 s)
    assert m.total_speaking_seconds == 9.0
    assert m.talk_time_ratio == round(5000 / 9000, 4) == 0.5556
    assert m.pace_wpm == 84.0
    assert m.longest_monologue_seconds == 5.0


def test_non_english_text():
    # Portuguese (guessed from muito, para, você, não): 16 words counted by Unicode \w, one question;
    # "um" (= "a") is not an English filler here: fillers and sentiment are not measured.
    segments = [
        seg(U, "Olá, eu tenho um produto muito bom para você. Não é caro, é um preço justo?", 0, 6000),
        seg(A, "Quanto custa?", 6500, 7500),
    ]
    m = compute_speech_metrics(segments)
    assert m.language == "pt"
    assert m.learner_words == 16
    assert m.pace_wpm == 160.0  # 16 / (6000 / 60000)
    assert (m.filler_count, m.filler_rate_per_100, m.sentiment) == (None, None, None)
    assert m.filler_free is False
    assert m.questions_asked == 1
    # Cyrillic words are words too; the caller's language wins over the guess.
    m = compute_speech_metrics([seg(U, "Привет, как дела у вас?", 0, 2000)], language="ru")
    assert (m.learner_words, m.questions_asked, m.filler_count, m.language) == (5, 1, None, "ru")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I like your product.", {}),  # verb after a pronoun
        ("Tools like Slack help.", {}),  # preposition after a noun
        ("I would like a demo.", {}),  # after a modal
        ("It looks like a fit.", {}),  # "looks like"
        ("It was, like, really fast.", {"like": 1}),  # commas around it
        ("Like, honestly, no.", {"like": 1}),  # starts the sentence, followed by a comma
        ("She was like wow.", {"like": 1}),  # discourse after "was"
        ("Do you know the price?", {}),
        ("You know, we ship fast.", {"you know": 1}),
        ("That is what I mean.", {}),
        ("I mean, it works.", {"i mean": 1}),
        ("Ummm hmm, uhh, errm, aah.", {"um": 1, "hmm": 1, "uh": 1, "er": 1, "ah": 1}),
        ("Basically it works.", {"basically": 1}),
    ],
)
def test_filler_rule(text, expected):
    assert count_fillers(text) == expected


def test_filler_like_vs_verb_in_a_session():
    # 20 words; "like" fillers: "was, like," (1) and "Like," at the start (1); "I like your", "Tools like
    # Slack" and "would like" are not -> 2 fillers, rate 10.0.
    text = "I like your product. It was, like, really fast. Tools like Slack help. Like, honestly, I would like a demo."
    m = compute_speech_metrics([seg(U, text, 0, 10000)])
    assert m.learner_words == 20
    assert m.fillers == {"like": 2}
    assert m.filler_rate_per_100 == 10.0
    assert m.filler_rate_per_100 > FILLER_RATE_HEALTHY_MAX


def test_vocabulary_variety():
    assert _mattr([]) is None
    assert _mattr(["the", "cat", "the", "dog"]) == 0.75  # fewer than 50 words: type-token ratio 3/4
    assert _mattr([f"w{i}" for i in range(50)] + ["w0"]) == 1.0  # both 50-word windows are all distinct
    assert _mattr(["a"] * 60) == pytest.approx(1 / 50)  # 11 windows of one type each


def test_local_coach_rubric_by_hand():
    from decimal import Decimal

    from speakpro.services.ai import cost_of
    from speakpro.services.analysis.coach import local_rubric, quote_in

    segments = [
        # 11 words (8-14: +15); hooks greeting "hi", intro "i'm", purpose "calling"/"because"/"help": 3 x 15 -> 40
        # opening = 30 + 15 + 40 = 85
        seg(U, "Hi, I'm Sam. I'm calling because we help teams sell more.", 0, 4000),
        seg(A, "That is too expensive.", 4500, 6000),
        # 7 words, 1 question, open ("what"), after a partner turn; acknowledgement "i understand"
        seg(U, "I understand. What budget did you plan?", 6500, 9500),
    ]
    m = compute_speech_metrics(segments)
    # talk ratio 7000 / 8500 = 0.8235: 0.2735 above 0.55 -> 30 x (1 - 0.2735 / 0.35) = 6.56
    # questioning = 10 x 1 + 5 x 1 + 6.56 = 21.56 -> 22
    # objection = 30 + 20 x 1 + 10 (question after a partner turn) = 60
    # closing = 20 + 0 next-step phrases + 20 (a question in the last turns) = 40
    # delivery = 100 - 25 (talk ratio out of band; pace 18 / (7000 / 60000) = 154.3 is fine) = 75
    # overall = 0.8 x (85 + 22 + 60 + 40) / 4 + 0.2 x 75 = 41.4 + 15 = 56.4 -> 56
    scores, overall, details = local_rubric(segments, m)
    assert scores == {"opening": 85, "questioning": 22, "objection_handling": 60, "closing": 40}
    assert overall == 56 and details["delivery"] == 75
    assert quote_in("\u201cI\u2019m  calling because\u201d", "Hi, I'm calling because we help.")
    assert not quote_in("we are the cheapest", "Hi, I'm calling because we help.")
    assert not quote_in("a", "a b c")  # too short to be a quote
    # 1000 input and 500 output tokens of gpt-4.1-mini: (1000 x 0.40 + 500 x 1.60) / 1e6 = 0.0012
    assert cost_of("gpt-4.1-mini-2025-04-14", 1000, 500) == (Decimal("0.001200"), True)
    assert cost_of("some-other-model", 1000, 500) == (Decimal("0"), False)


@pytest.mark.parametrize(
    ("learner_lines", "advice", "quoted"),
    [
        # Questioning is the weakest skill and the learner asked a closed question: that question is quoted as
        # the one to open up, never as a missing question.
        (
            ["Hi, I'm Sam from Brightline, calling about onboarding.", "Next Tuesday at ten, then. Is that okay?"],
            "Turn closed questions",
            "Is that okay?",
        ),
        # No question at all: the advice says so and quotes a statement (the longest), not a question.
        (
            ["Hi, I'm Sam from Brightline, calling about onboarding.", "We cut onboarding to six weeks."],
            "you asked none",
            "Hi, I'm Sam from Brightline, calling about onboarding.",
        ),
    ],
)
def test_the_coachs_advice_agrees_with_its_quote(learner_lines, advice, quoted):
    from speakpro.services.analysis.coach import local_coach

    segments = [seg(A, "Hello, this is Dana. How can I help?", 0, 2000)]
    for i, line in enumerate(learner_lines):
        segments += [seg(U, line, 2500 + i * 6000, 7000 + i * 6000), seg(A, "I see.", 7200 + i * 6000, 8000 + i * 6000)]
    coaching = local_coach(segments, compute_speech_metrics(segments))
    assert min(coaching.scores, key=lambda skill: coaching.scores[skill]) == "questioning", coaching.scores
    first = coaching.improvements[0]
    assert advice in first.text and first.quote == quoted
