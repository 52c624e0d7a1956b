"""What a company's managers set for their learners: role-play scenarios with their rubrics, and assignments.

A scenario's content lives in versions: editing it writes a new version and moves `current_version`, so a
session keeps the version (situation, persona, rubric) it was practised and scored with.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from sqlalchemy import CheckConstraint, Index, PrimaryKeyConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from speakpro.models.base import between, fk, jsonb, now_column, one_of, timestamp, uuid_pk
from speakpro.models.practice import DIFFICULTIES

ASSIGNMENT_KINDS = ("scenario", "lesson", "module")


class Scenario(SQLModel, table=True):
    """A company's own role-play scenario; its content is in `ScenarioVersion`."""

    __tablename__: ClassVar[str] = "scenarios"
    __table_args__ = (CheckConstraint("current_version >= 1", name="current_version_positive"),)

    id: uuid.UUID = uuid_pk()
    company_id: uuid.UUID = fk("companies.id")
    created_by: uuid.UUID | None = fk("users.id", ondelete="SET NULL", nullable=True, index=False)
    current_version: int = 1
    archived_at: datetime | None = timestamp()
    created_at: datetime = now_column()
    updated_at: datetime = now_column()


class ScenarioVersion(SQLModel, table=True):
    """One version of a scenario: the scene, the partner, the learner's goal and the rubric it is scored on.

    `rubric` is a list of criteria `{"key", "name", "weight", "good"}` (`services.practice.scenarios`
    validates it): weights are positive integers, `good` says what a strong answer does.
    """

    __tablename__: ClassVar[str] = "scenario_versions"
    __table_args__ = (
        UniqueConstraint("scenario_id", "version", name="uq_scenario_versions_scenario_id"),
        one_of("difficulty", DIFFICULTIES),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("length(title) >= 3", name="title_length"),
    )

    id: uuid.UUID = uuid_pk()
    scenario_id: uuid.UUID = fk("scenarios.id", index=False)
    company_id: uuid.UUID = fk("companies.id")
    version: int
    title: str = Field(max_length=160)
    situation: str = Field(max_length=2000)
    partner_persona: str = Field(max_length=1000)
    difficulty: str = Field(max_length=16)
    learner_goal: str = Field(max_length=500)
    rubric: list = jsonb(list)
    created_by: uuid.UUID | None = fk("users.id", ondelete="SET NULL", nullable=True, index=False)
    created_at: datetime = now_column()


class Assignment(SQLModel, table=True):
    """Practice a manager set for some of their company's learners, due by a date, paid once per learner.

    Exactly one of `scenario_id`, `lesson_id`, `module_id` is set, matching `kind`. Completion
    (`services.learning.assignments`): `min_attempts` practice sessions or completed lessons since the
    assignment was made (scored at least `min_score` for a scenario, when set); a module when it is completed.
    """

    __tablename__: ClassVar[str] = "assignments"
    __table_args__ = (
        one_of("kind", ASSIGNMENT_KINDS),
        CheckConstraint(
            "(kind = 'scenario') = (scenario_id IS NOT NULL) AND (kind = 'lesson') = (lesson_id IS NOT NULL) "
            "AND (kind = 'module') = (module_id IS NOT NULL)",
            name="one_target",
        ),
        between("min_attempts", 1, 20, nullable=False),
        between("min_score", 0, 100),
        CheckConstraint("min_score IS NULL OR kind = 'scenario'", name="score_for_scenarios"),
        CheckConstraint("xp_reward BETWEEN 0 AND 500 AND coin_reward BETWEEN 0 AND 500", name="rewards_range"),
        Index("ix_assignments_company_due", "company_id", "due_at"),
    )

    id: uuid.UUID = uuid_pk()
    company_id: uuid.UUID = fk("companies.id", index=False)
    created_by: uuid.UUID | None = fk("users.id", ondelete="SET NULL", nullable=True, index=False)
    kind: str = Field(max_length=16)
    scenario_id: uuid.UUID | None = fk("scenarios.id", nullable=True)
    lesson_id: uuid.UUID | None = fk("lessons.id", nullable=True)
    module_id: uuid.UUID | None = fk("modules.id", nullable=True)
    title: str = Field(max_length=160)
    note: str = Field(default="", max_length=500)
    due_at: datetime = timestamp(nullable=False)
    min_attempts: int = 1
    min_score: int | None = None
    xp_reward: int = 0
    coin_reward: int = 0
    archived_at: datetime | None = timestamp()
    created_at: datetime = now_column()


class AssignmentLearner(SQLModel, table=True):
    """One learner given one assignment: `progress` is how far they are (attempts counted by the rule, kept
    up to date in the learner's own requests, so their managers read it without reading their sessions);
    `completed_at` is set once, when the rule is first met, and the reward is paid then."""

    __tablename__: ClassVar[str] = "assignment_learners"
    __table_args__ = (
        PrimaryKeyConstraint("assignment_id", "user_id"),
        Index("ix_assignment_learners_user_id", "user_id"),
        CheckConstraint("progress >= 0", name="progress_non_negative"),
    )

    assignment_id: uuid.UUID = Field(foreign_key="assignments.id", ondelete="CASCADE")
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    company_id: uuid.UUID = fk("companies.id")
    progress: int = 0
    completed_at: datetime | None = timestamp()
    created_at: datetime = now_column()
