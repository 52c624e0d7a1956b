"""The stakes map: each learner's own high-stakes scenario per module, woven into speaking and writing prompts."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from speakpro.models import Module, StakesMap, utcnow
from speakpro.services.learning.lesson_answers import SCORED_KINDS
from speakpro.services.validation import ValidationError, clean_text


def exercise_prompt(step: dict[str, Any], stakes: StakesMap | None) -> str:
    """The step's prompt, personalised with the learner's own high-stakes scenario for speaking and writing."""
    prompt = str(step.get("prompt") or "")
    if stakes is None or step.get("kind") not in SCORED_KINDS:
        return prompt
    extra = f"Make it about your own high-stakes moment: {stakes.scenario}"
    details = [
        f"your audience: {stakes.audience}" if stakes.audience else "",
        f"what is at stake: {stakes.stakes}" if stakes.stakes else "",
    ]
    details = [d for d in details if d]
    if details:
        extra += f" ({'; '.join(details)})"
    return f"{prompt}\n\n{extra.rstrip('.')}."


def get_stakes(*, session: Session, user_id: uuid.UUID, module_id: uuid.UUID) -> StakesMap | None:
    """The learner's stakes for a module, if chosen."""
    return session.execute(
        select(StakesMap).where(col(StakesMap.user_id) == user_id, col(StakesMap.module_id) == module_id)
    ).scalar_one_or_none()


def get_or_choose_stakes(
    *, session: Session, user_id: uuid.UUID, module_id: uuid.UUID, scenario: str, audience: str = "", stakes: str = ""
) -> StakesMap:
    """Store the learner's high-stakes scenario for a module the first time; later choices keep the first.

    Args:
        session: The caller's session.
        user_id: The learner.
        module_id: The module.
        scenario: The situation, e.g. "Pitching our budget to the board" (1-500 characters).
        audience: Who listens (up to 200 characters).
        stakes: What depends on it (up to 500 characters).

    Returns:
        The stored choice (the first one made).

    Raises:
        ValidationError: On bad text or an unknown module; nothing is stored.
    """
    scenario = clean_text("scenario", scenario, label="Your scenario", max_length=500)
    audience = clean_text("audience", audience, label="Your audience", max_length=200, required=False)
    stakes = clean_text("stakes", stakes, label="What is at stake", max_length=500, required=False)
    if session.execute(select(col(Module.id)).where(col(Module.id) == module_id)).first() is None:
        raise ValidationError("module", "This module does not exist.")
    session.execute(
        insert(StakesMap)
        .values(
            id=uuid.uuid4(),
            user_id=user_id,
            module_id=module_id,
            scenario=scenario,
            audience=audience,
            stakes=stakes,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["user_id", "module_id"])
    )
    return session.execute(
        select(StakesMap)
        .where(col(StakesMap.user_id) == user_id, col(StakesMap.module_id) == module_id)
        .execution_options(populate_existing=True)
    ).scalar_one()
