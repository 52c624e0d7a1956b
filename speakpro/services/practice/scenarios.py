"""A company's own role-play scenarios, and the scene a practice session is played and scored against.

- **Scenarios** (`save_scenario`, `archive_scenario`, `company_scenarios`): a manager writes the title, the
  situation, the partner's persona and difficulty, the learner's goal and a rubric (named criteria with
  weights and what good looks like). Saving an edit writes a new version; a session keeps the version it
  was practised with, so its scores keep their meaning. The company's learners see its live scenarios
  beside the seeded topic library. Created, edited and archived scenarios are audited.
- **Scenes** (`scene_of`): what the realtime partner, the coach, the local rubric and the retakes read of a
  session: a library topic (no rubric of its own) or the scenario version it was started on.

A rubric is written one criterion per line, `Name | weight | what good looks like` (weight 1-10, 1 when
left out), 1 to `MAX_CRITERIA` criteria with distinct names.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from speakpro.models import Scenario, ScenarioVersion, Topic, utcnow
from speakpro.models.practice import DIFFICULTIES
from speakpro.services.analysis.criteria import RubricCriterion, criteria_of
from speakpro.services.telemetry import audit
from speakpro.services.validation import ValidationError, clean_answer_text, clean_choice, clean_text, id_or_none

MAX_CRITERIA = 8
MAX_WEIGHT = 10
NOT_FOUND = "That scenario was not found."
RUBRIC_HELP = "Write one criterion per line: Name | weight 1-10 | what good looks like."


@dataclass(frozen=True)
class ScenarioView:
    """A scenario at its current version."""

    id: str
    version_id: str
    version: int
    title: str
    situation: str
    partner_persona: str
    difficulty: str
    learner_goal: str
    rubric: tuple[RubricCriterion, ...]
    archived: bool
    updated_at: datetime

    @property
    def rubric_text(self) -> str:
        """The rubric as the form writes it."""
        return "\n".join(f"{c.name} | {c.weight} | {c.good}" for c in self.rubric)


@dataclass(frozen=True)
class Scene:
    """What a session is played and scored against."""

    title: str
    partner_role: str
    situation: str
    difficulty: str
    learner_goal: str = ""
    rubric: tuple[RubricCriterion, ...] = ()
    scenario_version_id: str | None = None
    version: int | None = None

    @property
    def brief(self) -> str:
        """The scene in a few words, for the coach and the relevance checks."""
        return " ".join(filter(None, (self.title, self.situation, self.learner_goal)))


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40] or "criterion"


def parse_rubric(raw: object) -> tuple[RubricCriterion, ...]:
    """The rubric text of the form as criteria (see the module docstring), or ValidationError."""
    text = clean_answer_text("rubric", raw if raw is not None else "", label="The rubric", max_chars=4000, min_chars=0)
    criteria: list[RubricCriterion] = []
    for number, line in enumerate((ln for ln in text.split("\n") if ln.strip()), start=1):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 2:
            parts = [parts[0], "1", parts[1]]
        if len(parts) != 3 or not parts[0] or not parts[2]:
            raise ValidationError("rubric", f"Line {number} of the rubric: {RUBRIC_HELP}")
        name = clean_text("rubric", parts[0], label=f"Criterion {number}'s name", max_length=60, min_length=2)
        good = clean_text("rubric", parts[2], label=f"What good looks like for “{name}”", max_length=300)
        if not parts[1].isdigit() or not 1 <= int(parts[1]) <= MAX_WEIGHT:
            raise ValidationError("rubric", f"The weight of “{name}” must be a whole number from 1 to {MAX_WEIGHT}.")
        key = _key(name)
        if any(c.key == key for c in criteria):
            raise ValidationError("rubric", f"Two criteria are called “{name}”: give each its own name.")
        criteria.append(RubricCriterion(key, name, int(parts[1]), good))
    if not criteria:
        raise ValidationError("rubric", f"Give the rubric at least one criterion. {RUBRIC_HELP}")
    if len(criteria) > MAX_CRITERIA:
        raise ValidationError("rubric", f"A rubric has at most {MAX_CRITERIA} criteria; this one has {len(criteria)}.")
    return tuple(criteria)


def _fields(
    *,
    title: object,
    situation: object,
    partner_persona: object,
    difficulty: object,
    learner_goal: object,
    rubric: object,
) -> dict[str, Any]:
    return {
        "title": clean_text("title", str(title or ""), label="The title", max_length=160, min_length=3),
        "situation": clean_answer_text(
            "situation", situation or "", label="The situation", max_chars=2000, min_chars=20
        ),
        "partner_persona": clean_answer_text(
            "partner_persona", partner_persona or "", label="The partner's persona", max_chars=1000, min_chars=10
        ),
        "difficulty": clean_choice("difficulty", str(difficulty or ""), label="A difficulty", choices=DIFFICULTIES),
        "learner_goal": clean_text("learner_goal", str(learner_goal or ""), label="The learner's goal", max_length=500),
        "rubric": [c.to_json() for c in parse_rubric(rubric)],
    }


def _current(session: Session, company_id: uuid.UUID):
    return (
        select(Scenario, ScenarioVersion)
        .join(
            ScenarioVersion,
            (col(ScenarioVersion.scenario_id) == col(Scenario.id))
            & (col(ScenarioVersion.version) == col(Scenario.current_version)),
        )
        .where(col(Scenario.company_id) == company_id)
    )


def _view(scenario: Scenario, version: ScenarioVersion) -> ScenarioView:
    return ScenarioView(
        id=str(scenario.id),
        version_id=str(version.id),
        version=version.version,
        title=version.title,
        situation=version.situation,
        partner_persona=version.partner_persona,
        difficulty=version.difficulty,
        learner_goal=version.learner_goal,
        rubric=criteria_of(version.rubric),
        archived=scenario.archived_at is not None,
        updated_at=scenario.updated_at,
    )


def company_scenarios(*, session: Session, company_id: uuid.UUID, include_archived: bool = False) -> list[ScenarioView]:
    """The company's scenarios at their current version, by title (1 query)."""
    query = _current(session, company_id)
    if not include_archived:
        query = query.where(col(Scenario.archived_at).is_(None))
    rows = session.execute(query.order_by(func.lower(col(ScenarioVersion.title)))).all()
    return [_view(s, v) for s, v in rows]


def get_scenario(
    *, session: Session, company_id: uuid.UUID, scenario_id: object, live_only: bool = False
) -> ScenarioView:
    """One of the company's scenarios at its current version; "not found" for anyone else's (or archived,
    with `live_only`)."""
    scenario_uuid = id_or_none(scenario_id)
    if scenario_uuid is None:
        raise ValidationError("scenario", NOT_FOUND)
    query = _current(session, company_id).where(col(Scenario.id) == scenario_uuid)
    if live_only:
        query = query.where(col(Scenario.archived_at).is_(None))
    row = session.execute(query).first()
    if row is None:
        raise ValidationError("scenario", NOT_FOUND)
    return _view(row[0], row[1])


def save_scenario(
    *,
    session: Session,
    company_id: uuid.UUID,
    actor_id: uuid.UUID,
    scenario_id: object = None,
    title: object,
    situation: object,
    partner_persona: object,
    difficulty: object,
    learner_goal: object,
    rubric: object,
) -> ScenarioView:
    """Create a scenario (version 1), or save an edit of one as its next version; audited.

    Saving what the current version already says writes nothing. The caller has checked that the actor
    manages the company.

    Raises:
        ValidationError: For a field that does not pass (named, with what to fix), or an unknown scenario.
    """
    fields = _fields(
        title=title,
        situation=situation,
        partner_persona=partner_persona,
        difficulty=difficulty,
        learner_goal=learner_goal,
        rubric=rubric,
    )
    if scenario_id in (None, ""):
        scenario = Scenario(company_id=company_id, created_by=actor_id)
        session.add(scenario)
        session.flush()
        action = "scenario.created"
    else:
        scenario_uuid = id_or_none(scenario_id)
        scenario = (
            session.execute(
                select(Scenario)
                .where(col(Scenario.id) == scenario_uuid, col(Scenario.company_id) == company_id)
                .with_for_update()
            ).scalar_one_or_none()
            if scenario_uuid
            else None
        )
        if scenario is None:
            raise ValidationError("scenario", NOT_FOUND)
        current = session.execute(
            select(ScenarioVersion).where(
                col(ScenarioVersion.scenario_id) == scenario.id,
                col(ScenarioVersion.version) == scenario.current_version,
            )
        ).scalar_one()
        if all(getattr(current, name) == value for name, value in fields.items()):
            return _view(scenario, current)
        scenario.current_version += 1
        scenario.updated_at = utcnow()
        action = "scenario.edited"
    version = ScenarioVersion(
        scenario_id=scenario.id,
        company_id=company_id,
        version=scenario.current_version,
        created_by=actor_id,
        **fields,
    )
    session.add(version)
    session.flush()
    audit(
        session=session,
        action=action,
        target_type="scenario",
        target_id=scenario.id,
        actor_user_id=actor_id,
        company_id=company_id,
        details={"version": version.version},
    )
    return _view(scenario, version)


def archive_scenario(
    *, session: Session, company_id: uuid.UUID, actor_id: uuid.UUID, scenario_id: object, archived: bool = True
) -> None:
    """Take a scenario off the learners' list (its sessions and scores stay), or put it back; audited."""
    scenario_uuid = id_or_none(scenario_id)
    done = (
        session.execute(
            update(Scenario)
            .where(col(Scenario.id) == scenario_uuid, col(Scenario.company_id) == company_id)
            .values(archived_at=utcnow() if archived else None, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount  # pyright: ignore[reportAttributeAccessIssue]  # CursorResult of an UPDATE
        if scenario_uuid
        else 0
    )
    if not done:
        raise ValidationError("scenario", NOT_FOUND)
    audit(
        session=session,
        action="scenario.archived" if archived else "scenario.restored",
        target_type="scenario",
        target_id=scenario_uuid,
        actor_user_id=actor_id,
        company_id=company_id,
    )


class SessionRef(Protocol):
    """What `scene_of` reads of a session (a `PracticeSession`, or a row with these columns)."""

    topic_id: uuid.UUID | None
    scenario_version_id: uuid.UUID | None
    title: str


def scene_of(session: Session, practice: SessionRef) -> Scene:
    """The scene of a session: its scenario version, or its library topic (1 query)."""
    if practice.scenario_version_id is not None:
        version = session.get(ScenarioVersion, practice.scenario_version_id)
        if version is not None:
            return Scene(
                title=version.title,
                partner_role=version.partner_persona,
                situation=version.situation,
                difficulty=version.difficulty,
                learner_goal=version.learner_goal,
                rubric=criteria_of(version.rubric),
                scenario_version_id=str(version.id),
                version=version.version,
            )
    topic = session.get(Topic, practice.topic_id) if practice.topic_id is not None else None
    if topic is None:
        return Scene(title=practice.title, partner_role="", situation="", difficulty="")
    return topic_scene(topic)


def topic_scene(topic: Topic) -> Scene:
    """The scene of a library topic: its partner role and hint, no rubric of its own."""
    return Scene(
        title=topic.title, partner_role=topic.partner_role, situation=topic.prompt_hint, difficulty=topic.difficulty
    )
