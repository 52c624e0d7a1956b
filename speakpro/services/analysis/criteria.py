"""A company scenario's rubric: its criteria, and how the local rubric scores a session on them.

A criterion has a name, a weight and what good looks like (`good`). The AI coach scores each 0-100 with the
criterion in its instructions (`coach.py`). Offline, the LOCAL score of a criterion is what it can measure:
how much of what good looks like the learner's own words cover. With K the content words of the criterion's
name and `good` (4+ letters, not a common function word or a word that only describes the task:
`rubric.topic_words_of`) and k those the learner used (words of 5+ letters match on their first five letters,
as in the lesson rubric):

    score = round(100 x min(1, k / min(K, FULL_COVERAGE_WORDS)))

so naming `FULL_COVERAGE_WORDS` of its ideas meets a criterion in full. A criterion with no content words
cannot be measured this way: its score is None ("not measured"), and it does not count in the weighted mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from speakpro.services.analysis.rubric import matches, topic_words_of
from speakpro.services.text import words_of

FULL_COVERAGE_WORDS = 4


@dataclass(frozen=True)
class RubricCriterion:
    """One criterion of a scenario's rubric."""

    key: str
    name: str
    weight: int
    good: str

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "weight": self.weight, "good": self.good}


@dataclass(frozen=True)
class CriterionScore:
    """A session's score on one criterion (None: not measured), with what it is based on."""

    key: str
    name: str
    weight: int
    score: int | None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "weight": self.weight, "score": self.score, "note": self.note}


def criteria_of(raw: object) -> tuple[RubricCriterion, ...]:
    """The criteria stored as JSON (a scenario version's `rubric`); anything malformed is left out."""
    if not isinstance(raw, list):
        return ()
    out = []
    for item in raw:
        if isinstance(item, dict) and isinstance(item.get("key"), str) and isinstance(item.get("name"), str):
            weight = item.get("weight")
            if not isinstance(weight, int) or isinstance(weight, bool) or weight <= 0:
                weight = 1
            out.append(RubricCriterion(item["key"], item["name"], weight, str(item.get("good") or "")))
    return tuple(out)


def scores_of(raw: object) -> tuple[CriterionScore, ...]:
    """Criterion scores stored as JSON (a coach result's `criteria`)."""
    if not isinstance(raw, list):
        return ()
    out = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            continue
        score, weight = item.get("score"), item.get("weight")
        out.append(
            CriterionScore(
                key=item["key"],
                name=str(item.get("name") or item["key"]),
                weight=weight if isinstance(weight, int) and not isinstance(weight, bool) else 1,
                score=score if isinstance(score, int) and not isinstance(score, bool) else None,
                note=str(item.get("note") or ""),
            )
        )
    return tuple(out)


def score_criteria_locally(learner_text: str, criteria: Sequence[RubricCriterion]) -> tuple[CriterionScore, ...]:
    """Each criterion scored by how much of what good looks like the learner's words cover (module docstring)."""
    words = words_of(learner_text)
    out = []
    for criterion in criteria:
        ideas = topic_words_of(f"{criterion.name} {criterion.good}")
        if not ideas:
            out.append(
                CriterionScore(criterion.key, criterion.name, criterion.weight, None, "no key words to look for")
            )
            continue
        used = [k for k in ideas if any(matches(k, w) for w in words)]
        needed = min(len(ideas), FULL_COVERAGE_WORDS)
        score = round(100 * min(1.0, len(used) / needed))
        note = f"mentioned {', '.join(used[:4])}" if used else f"none of: {', '.join(ideas[:4])}"
        out.append(CriterionScore(criterion.key, criterion.name, criterion.weight, score, note))
    return tuple(out)


def weighted_mean(scores: Sequence[CriterionScore]) -> float | None:
    """The weighted mean of the measured criteria (None when none was measured)."""
    measured = [(s.score, s.weight) for s in scores if s.score is not None]
    total = sum(w for _, w in measured)
    return sum(score * w for score, w in measured) / total if total else None
