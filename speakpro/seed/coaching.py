"""The demo company's coaching: one scenario of its own and an assignment on it for the demo learner, so a
manager signing in sees what they can set, and the learner sees it first on home; and one of the learner's
earlier sessions shared with the managers, scored and commented by one, so the dashboard's "Shared with you" and
score calibration have something to show."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlmodel import Session, col, select

from speakpro.models.practice import PracticeSession, Transcript
from speakpro.services.learning.assignments import create_assignment
from speakpro.services.practice.review import add_comment, score_session, set_sharing
from speakpro.services.practice.scenarios import save_scenario

SCENARIO = {
    "title": "Renewal call: the price went up",
    "situation": "Your customer's yearly contract renews next month at a 12% higher price, and their team "
    "has used only half of the seats.",
    "partner_persona": "Dana Ortiz, head of operations at the customer: friendly but busy, under pressure to "
    "cut costs, and unsure the product is worth more this year.",
    "difficulty": "intermediate",
    "learner_goal": "Keep the renewal on track and agree a dated review of seat usage.",
    "rubric": "Discovery | 3 | Asks open questions about how the team uses the seats and what it costs them\n"
    "Value | 2 | Ties the new price to a saving or a risk the customer named\n"
    "Next step | 1 | Agrees a dated next step, such as a usage review or a demo",
}


def seed_coaching(
    session: Session, *, company_id: uuid.UUID, manager_id: uuid.UUID, learner_id: uuid.UUID, today: date
) -> None:
    """The scenario, and an assignment on it due in a week (twice, any score) for one learner."""
    scenario = save_scenario(session=session, company_id=company_id, actor_id=manager_id, **SCENARIO)
    create_assignment(
        session=session,
        company_id=company_id,
        actor_id=manager_id,
        time_zone="UTC",
        kind="scenario",
        target_id=scenario.id,
        due_on=(today + timedelta(days=7)).isoformat(),
        learner_ids=[learner_id],
        min_attempts=2,
        xp_reward=50,
        coin_reward=10,
        note="Practise this before your renewal calls next week.",
        today=today,
    )


# The manager's scores of the shared session, by skill (0-100), and their comment 20 s in.
REVIEW_SCORES = {"opening": 74, "questioning": 58, "objection_handling": 63, "closing": 70}
REVIEW_COMMENT = "Good open question here; let the customer finish before you answer the price."


def seed_review(session: Session, *, company_id: uuid.UUID, manager_id: uuid.UUID, learner_id: uuid.UUID) -> None:
    """The learner's third newest session with a transcript, shared with the managers, scored and commented by
    one (the newest stay private, as a learner's sessions are by default)."""
    shared_id = session.execute(
        select(PracticeSession.id)
        .join(Transcript, col(Transcript.session_id) == PracticeSession.id)
        .where(PracticeSession.user_id == learner_id, col(PracticeSession.deleted_at).is_(None))
        .order_by(col(PracticeSession.started_at).desc())
        .offset(2)
        .limit(1)
    ).scalar_one_or_none()
    if shared_id is None:
        return
    set_sharing(session=session, user_id=learner_id, practice_session_id=shared_id, shared=True)
    score_session(
        session=session,
        reviewer_id=manager_id,
        company_id=company_id,
        practice_session_id=shared_id,
        scores=REVIEW_SCORES,
    )
    add_comment(
        session=session,
        author_id=manager_id,
        company_id=company_id,
        practice_session_id=shared_id,
        at_ms=20_000,
        body=REVIEW_COMMENT,
    )
