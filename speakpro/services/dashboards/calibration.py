"""Score calibration: do the automatic scores agree with the company's managers?

Where a manager scored a shared session (`review.score_session`), each skill of the rubric is compared with
the automatic score the session got, grouped by who gave it (the AI coach or the local rubric: a session is
scored by one of them, the local rubric when no model answered):

- **mean difference**: the manager's score minus the automatic one, averaged (positive: the automatic scorer
  is harsher than the managers);
- **Cohen's kappa** on three bands (under 50 "needs work", 50-69 "developing", 70 and over "strong"): agreement
  beyond chance, 1 for full agreement, 0 for what chance gives; "not measurable" when chance alone already
  explains every pair (all scores in one band) or there are fewer than `MIN_PAIRS` pairs.

1 query (bounded by `MAX_REVIEWS`, the newest), whatever the number of sessions.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from speakpro.models import AnalysisResult, SessionAnalytics, SessionReview
from speakpro.models.analysis import SKILLS

MAX_REVIEWS = 5000
MIN_PAIRS = 2
BANDS = (50, 70)  # lower edges of "developing" and "strong"


@dataclass(frozen=True)
class Agreement:
    """One skill against one automatic scorer."""

    skill: str
    scorer: str  # "openai" or "local"
    pairs: int
    mean_difference: float | None  # manager minus automatic, in points
    kappa: float | None


def band(score: int) -> int:
    """0 needs work, 1 developing, 2 strong."""
    return sum(score >= edge for edge in BANDS)


def cohens_kappa(pairs: list[tuple[int, int]]) -> float | None:
    """Cohen's kappa of two raters' bands (None below `MIN_PAIRS` or when chance agreement is total)."""
    if len(pairs) < MIN_PAIRS:
        return None
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[k] * second[k] for k in set(first) | set(second)) / (n * n)
    if expected >= 1:
        return None
    return round((observed - expected) / (1 - expected), 2)


def calibration(*, session: Session, company_id: uuid.UUID) -> list[Agreement]:
    """Per skill and automatic scorer, how the company's managers' scores compare (1 query)."""
    coach = (
        select(col(AnalysisResult.provider))
        .where(
            col(AnalysisResult.session_id) == col(SessionReview.session_id),
            col(AnalysisResult.analysis_type) == "coach",
        )
        .order_by(col(AnalysisResult.created_at).desc())
        .limit(1)
        .correlate(SessionReview)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            col(SessionReview.scores),
            coach.label("scorer"),
            *(getattr(SessionAnalytics, f"{skill}_score") for skill in SKILLS),
        )
        .join(SessionAnalytics, col(SessionAnalytics.session_id) == col(SessionReview.session_id))
        .where(col(SessionReview.company_id) == company_id)
        .order_by(col(SessionReview.updated_at).desc())
        .limit(MAX_REVIEWS)
    ).all()
    pairs: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for row in rows:
        manager, scorer = row[0] or {}, row[1]
        if scorer is None:
            continue  # no coach result on record: which scorer gave the figures is not known
        for i, skill in enumerate(SKILLS):
            automatic, given = row[2 + i], manager.get(skill)
            if isinstance(automatic, int) and isinstance(given, int):
                pairs.setdefault((skill, scorer), []).append((given, automatic))
    return [
        Agreement(
            skill=skill,
            scorer=scorer,
            pairs=len(found),
            mean_difference=round(sum(m - a for m, a in found) / len(found), 1),
            kappa=cohens_kappa([(band(m), band(a)) for m, a in found]),
        )
        for (skill, scorer), found in sorted(pairs.items(), key=lambda item: (SKILLS.index(item[0][0]), item[0][1]))
    ]
