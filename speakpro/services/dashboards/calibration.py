"""Score calibration: do the automatic scores agree with the company's managers?

Where a manager scored a shared session (`review.score_session`), each skill of the rubric is compared with
the automatic score the session got, grouped by who gave it (the AI coach or the local rubric: a session is
scored by one of them, the local rubric when no model answered):

- **mean difference**: the manager's score minus the automatic one, averaged (positive: the automatic scorer
  is harsher than the managers);
- **Cohen's kappa** on three bands (under 50 "needs work", 50-69 "developing", 70 and over "strong"): agreement
  beyond chance, 1 for full agreement, 0 for what chance gives; "not measurable" when chance alone already
  explains every pair (all scores in one band) or there are fewer than `MIN_PAIRS` pairs.

A session of a company scenario is also compared on each criterion of the rubric version it was practised
with: the manager's criterion score against the one the coach gave, labelled "scenario · criterion".

1 query (bounded by `MAX_REVIEWS`, the newest), whatever the number of sessions.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from speakpro.models import AnalysisResult, PracticeSession, ScenarioVersion, SessionAnalytics, SessionReview
from speakpro.models.analysis import SKILLS
from speakpro.services.analysis.criteria import scores_of
from speakpro.services.dashboards.dashboards import SKILL_LABELS

MAX_REVIEWS = 5000
MIN_PAIRS = 2
BANDS = (50, 70)  # lower edges of "developing" and "strong"


@dataclass(frozen=True)
class Agreement:
    """One skill against one automatic scorer."""

    skill: str  # a skill of `SKILLS`, or "<scenario version id>:<criterion key>"
    scorer: str  # "openai" or "local"
    label: str  # the skill's name, or "scenario · criterion"
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


def _latest_coach(column):
    return (
        select(column)
        .where(
            col(AnalysisResult.session_id) == col(SessionReview.session_id),
            col(AnalysisResult.analysis_type) == "coach",
        )
        .order_by(col(AnalysisResult.created_at).desc())
        .limit(1)
        .correlate(SessionReview)
        .scalar_subquery()
    )


def calibration(*, session: Session, company_id: uuid.UUID) -> list[Agreement]:
    """Per skill (and scenario criterion) and automatic scorer, how the company's managers' scores compare
    (1 query)."""
    rows = session.execute(
        select(
            col(SessionReview.scores),
            _latest_coach(col(AnalysisResult.provider)).label("scorer"),
            _latest_coach(col(AnalysisResult.results)["criteria"]).label("criteria"),
            col(ScenarioVersion.title).label("scenario"),
            col(ScenarioVersion.scenario_id),
            *(getattr(SessionAnalytics, f"{skill}_score") for skill in SKILLS),
        )
        .join(SessionAnalytics, col(SessionAnalytics.session_id) == col(SessionReview.session_id))
        .outerjoin(PracticeSession, col(PracticeSession.id) == col(SessionReview.session_id))
        .outerjoin(ScenarioVersion, col(ScenarioVersion.id) == col(PracticeSession.scenario_version_id))
        .where(col(SessionReview.company_id) == company_id)
        .order_by(col(SessionReview.updated_at).desc())
        .limit(MAX_REVIEWS)
    ).all()
    pairs: dict[tuple[str, str], list[tuple[int, int]]] = {}
    labels = dict(SKILL_LABELS)
    for row in rows:
        manager, scorer = row.scores or {}, row.scorer
        if scorer is None:
            continue  # no coach result on record: which scorer gave the figures is not known
        for i, skill in enumerate(SKILLS):
            automatic, given = row[5 + i], manager.get(skill)
            if isinstance(automatic, int) and isinstance(given, int):
                pairs.setdefault((skill, scorer), []).append((given, automatic))
        mine = manager.get("criteria")
        if row.scenario_id is None or not isinstance(mine, dict):
            continue
        for scored in scores_of(row.criteria):
            given = mine.get(scored.key)
            if scored.score is not None and isinstance(given, int) and not isinstance(given, bool):
                key = f"{row.scenario_id}:{scored.key}"
                labels.setdefault(key, f"{row.scenario} · {scored.name}")
                pairs.setdefault((key, scorer), []).append((given, scored.score))
    order = {skill: i for i, skill in enumerate(SKILLS)}
    return [
        Agreement(
            skill=skill,
            scorer=scorer,
            label=labels[skill],
            pairs=len(found),
            mean_difference=round(sum(m - a for m, a in found) / len(found), 1),
            kappa=cohens_kappa([(band(m), band(a)) for m, a in found]),
        )
        for (skill, scorer), found in sorted(
            pairs.items(), key=lambda item: (order.get(item[0][0], len(order)), labels[item[0][0]], item[0][1])
        )
    ]
