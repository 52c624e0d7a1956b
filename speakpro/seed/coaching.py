"""The demo company's coaching: one scenario of its own and an assignment on it for the demo learner, so a
manager signing in sees what they can set, and the learner sees it first on home."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlmodel import Session

from speakpro.services.learning.assignments import create_assignment
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
