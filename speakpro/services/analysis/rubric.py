"""SpeakPro's local rubric: a deterministic 0-100 score of one transcript or written answer.

It needs nothing but the text (length against a target, filler words, sentence structure, rubric points
mentioned, and whether it answers this exercise at all), so every answer gets a score and concrete tips even
offline; `services.learning.feedback` adds the AI coach on top of it.

Relevance: an answer of at least `RELEVANCE_MIN_WORDS` words (shorter ones are judged by their length) is on
topic when it uses at least `ON_TOPIC_MIN_WORDS` distinct content words of the
exercise (its prompt, with the learner's own scenario when they gave one, and its rubric), past the words
that only describe the task ("talk", "seconds", "write"...). An answer that does not is capped at
`OFF_TOPIC_CAP`, below every pass mark, whatever its length: a long canned paragraph no longer passes every
exercise. The labelled answers of `tests/unit/test_rubric_relevance.py` hold it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from speakpro.services.text import count_fillers, count_sentences, words_of

WORDS_PER_MINUTE = 140  # the middle of the 130-160 wpm range Module B teaches
DEFAULT_TARGET_SECONDS = 60
WEIGHTS = {"length": 35, "fillers": 25, "structure": 15, "rubric": 25}
FILLER_RATE_ZERO_POINTS = 10.0  # fillers per 100 words at which the filler criterion scores nothing
FULL_STRUCTURE_SENTENCES = 3
ON_TOPIC_MIN_WORDS = 2
RELEVANCE_MIN_WORDS = 40
# A rubric item that forbids something ("No warm-up phrases ('So, today I'm going to...')") cannot be met by
# mentioning its words: it is not checked by keywords.
_FORBIDS = ("no ", "not ", "never ", "avoid ", "don't ", "without ")
OFF_TOPIC_CAP = 30

_STOPWORDS = frozenset(
    "about above after again also audible before being between both does doing each every from have into just "
    "more most never only other over same should than that their them then there these they this those under "
    "very what when where which while will with without would your yours".split()
)
# Words of a prompt or rubric that describe the task, not its topic: an answer about anything may use them.
_TASK_WORDS = frozenset(
    "talk talks seconds second minute minutes words word answer answers write writing deliver give pick open "
    "says said tell using uses make makes made first next last then once twice three four five each every "
    "short long least fewer less clear clearly wants want need listener listeners audience point points "
    "sentence sentences something someone thing things time times "
    "high stakes moment your audience what stake".split()
)


@dataclass(frozen=True)
class Criterion:
    """One part of the local score."""

    name: str
    points: float
    max_points: int
    note: str


@dataclass(frozen=True)
class LocalScore:
    """The local rubric score of one text, with what it measured."""

    score: int
    words: int
    target_words: int
    fillers: int
    filler_rate: float
    sentences: int
    questions: int
    rubric_covered: tuple[bool, ...]
    criteria: tuple[Criterion, ...]
    tips: tuple[str, ...]
    on_topic: bool = True
    topic_words: tuple[str, ...] = ()  # the exercise's content words the answer used

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (for the submission's scores)."""
        data = asdict(self)
        data["criteria"] = {
            c.name: {"points": round(c.points, 2), "max": c.max_points, "note": c.note} for c in self.criteria
        }
        data["rubric_covered"] = list(self.rubric_covered)
        data["tips"] = list(self.tips)
        data["topic_words"] = list(self.topic_words)
        return data


def rubric_keywords(item: str) -> list[str]:
    """The content words of a rubric item: 4+ letters, not a common function word."""
    return [w for w in words_of(item) if len(w) >= 4 and w not in _STOPWORDS and not w.isdigit()]


def topic_words_of(context: str) -> list[str]:
    """The content words of an exercise that say what it is about (its task words left out)."""
    return [w for w in dict.fromkeys(rubric_keywords(context)) if w not in _TASK_WORDS]


def matches(keyword: str, word: str) -> bool:
    """Whether an answer's word says a keyword: the same word, or the same first five letters when both
    have at least five ("hooks" says "hook...")."""
    if len(keyword) >= 5 and len(word) >= 5:
        return keyword[:5] == word[:5]
    return keyword == word


def target_words_for(kind: str, *, target_seconds: int | None = None, min_words: int | None = None) -> int:
    """The length an answer aims at: spoken seconds x 140 wpm, or a writing task's minimum words."""
    if kind == "writing":
        return max(int(min_words or 1), 1)
    seconds = int(target_seconds or DEFAULT_TARGET_SECONDS)
    return max(round(seconds * WORDS_PER_MINUTE / 60), 1)


def score_locally(
    text: str,
    *,
    kind: str = "speaking",
    rubric: Sequence[str] = (),
    target_seconds: int | None = None,
    min_words: int | None = None,
    prompt: str = "",
) -> LocalScore:
    """Score a transcript or written answer with SpeakPro's deterministic rubric (0-100).

    With W the number of words, T the target words (speaking: target_seconds x 140 / 60, default 60 s;
    writing: min_words), f the filler count (`count_fillers`: the session analysis rules),
    r = 100 f / W the fillers per 100 words, S the sentences (runs ending in . ! ? or the end of the text),
    and c / n the rubric items covered (an item is covered when one of its content words, 4+ letters, appears
    in the answer; an item that forbids something, "No ...", is not counted; words of 5+ letters match on
    their first five letters, so "hooks" matches "hook..."):

        length    = 35 x min(W, T) / T
        fillers   = 25 x max(0, 10 - r) / 10
        structure = 15 x min(S, 3) / 3
        rubric    = 25 x c / n            (25 when the rubric has no content words)
        score     = floor(length + fillers + structure + rubric + 0.5), at most 100
                    (at most OFF_TOPIC_CAP when the answer is off topic: see the module docstring)

    Questions asked are counted and reported (a tip when the rubric or prompt asks for questions) but do
    not change the score. Tips: one per criterion that lost at least half a point, the biggest loss first,
    at most three; a single "keep going" tip when nothing was lost.

    Args:
        text: The answer.
        kind: "speaking" or "writing" (others are scored like speaking).
        rubric: The step's rubric items.
        target_seconds: The speaking target.
        min_words: The writing minimum.
        prompt: The exercise prompt (with the learner's scenario): what relevance is judged against, with
            the rubric, and whether questions were asked for.

    Returns:
        The score with its criteria and tips.
    """
    words = words_of(text)
    total = len(words)
    target = target_words_for(kind, target_seconds=target_seconds, min_words=min_words)
    fillers_by_kind = count_fillers(text)
    fillers = sum(fillers_by_kind.values())
    rate = 100.0 * fillers / total if total else 0.0
    sentences, questions = count_sentences(text)
    items = [(item, [] if item.lower().startswith(_FORBIDS) else rubric_keywords(item)) for item in rubric]
    counted = [(item, keys) for item, keys in items if keys]
    covered = tuple(any(matches(k, w) for k in keys for w in words) for _, keys in counted)

    length = WEIGHTS["length"] * min(total, target) / target
    filler_points = WEIGHTS["fillers"] * max(0.0, FILLER_RATE_ZERO_POINTS - rate) / FILLER_RATE_ZERO_POINTS
    if not total:
        filler_points = 0.0
    structure = WEIGHTS["structure"] * min(sentences, FULL_STRUCTURE_SENTENCES) / FULL_STRUCTURE_SENTENCES
    rubric_points = WEIGHTS["rubric"] * (sum(covered) / len(covered) if covered else 1.0)
    score = min(100, int(length + filler_points + structure + rubric_points + 0.5)) if total else 0
    context = topic_words_of(" ".join([prompt, *rubric]))
    used = tuple(k for k in context if any(matches(k, w) for w in words))
    # A short answer, or an exercise with too few content words to judge, is never off topic.
    judged = total >= RELEVANCE_MIN_WORDS and len(context) >= ON_TOPIC_MIN_WORDS * 2
    on_topic = not judged or len(used) >= ON_TOPIC_MIN_WORDS
    if not on_topic:
        score = min(score, OFF_TOPIC_CAP)

    seconds = target_seconds or DEFAULT_TARGET_SECONDS
    unit = "words" if kind == "writing" else f"words (about {seconds} seconds)"
    criteria = (
        Criterion("length", length, WEIGHTS["length"], f"{total} of {target} target {unit}"),
        Criterion("fillers", filler_points, WEIGHTS["fillers"], f"{fillers} filler words ({rate:.1f} per 100 words)"),
        Criterion("structure", structure, WEIGHTS["structure"], f"{sentences} sentences, {questions} questions"),
        Criterion(
            "rubric",
            rubric_points,
            WEIGHTS["rubric"],
            f"{sum(covered)} of {len(covered)} rubric points mentioned" if covered else "no rubric keywords",
        ),
    )
    uncovered = [item for (item, _), hit in zip(counted, covered, strict=True) if not hit]
    tips = _tips(
        criteria,
        kind=kind,
        words=total,
        target=target,
        fillers_by_kind=fillers_by_kind,
        target_seconds=target_seconds,
        uncovered=uncovered,
    )
    if not on_topic and total:
        first = prompt.strip().split("\n")[0]
        tips.insert(0, f"Answer this exercise, not another one: {first}" if first else "Answer this exercise.")
    asks_questions = any("question" in s.lower() for s in (*rubric, prompt))
    if asks_questions and questions == 0 and len(tips) < 3:
        tips.append("Ask your listener at least one open question, and end it with a question mark.")
    if not tips:
        tips = ["Every criterion is met: record it once more and focus on sounding natural, not scripted."]
    return LocalScore(
        score=score,
        words=total,
        target_words=target,
        fillers=fillers,
        filler_rate=round(rate, 2),
        sentences=sentences,
        questions=questions,
        rubric_covered=covered,
        criteria=criteria,
        tips=tuple(tips[:3]),
        on_topic=on_topic,
        topic_words=used,
    )


def _tips(criteria, *, kind, words, target, fillers_by_kind, target_seconds, uncovered) -> list[str]:
    lost = sorted(((c.max_points - c.points, i, c) for i, c in enumerate(criteria)), key=lambda t: (-t[0], t[1]))
    tips = []
    for missing, _, criterion in lost:
        if missing < 0.5:
            continue
        if criterion.name == "length":
            tips.append(
                f"Write at least {target} words; you wrote {words}."
                if kind == "writing"
                else f"Say more: aim for about {target} words (~{target_seconds or DEFAULT_TARGET_SECONDS} "
                f"seconds); you used {words}."
            )
        elif criterion.name == "fillers":
            worst = ", ".join(f"“{k}” x{v}" for k, v in sorted(fillers_by_kind.items(), key=lambda kv: -kv[1])[:3])
            tips.append(f"Replace filler words ({worst}) with a one-second silent pause.")
        elif criterion.name == "structure":
            tips.append("Use at least three short sentences: make your point, support it, then restate it.")
        elif criterion.name == "rubric" and uncovered:
            tips.append(f"Cover this rubric point: “{uncovered[0]}”.")
    return tips[:3]
