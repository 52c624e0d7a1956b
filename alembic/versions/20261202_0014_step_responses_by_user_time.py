"""Lesson step answers by learner and time, for the day streak.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

The streak (`services/learning/streak.py`) reads each activity table by (user, time since); every other
table it reads has a (user_id, created_at) or (user_id, started_at) index, `lesson_step_responses` only
one on user_id, so a learner with many answers had theirs all read on every home load.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_lesson_step_responses_user_created"


def upgrade() -> None:
    op.create_index(INDEX, "lesson_step_responses", ["user_id", "created_at"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="lesson_step_responses")
