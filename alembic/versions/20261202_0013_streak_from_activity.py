"""The day streak is read from the activity itself: the stored copy on the profile goes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

`user_profiles.streak_days` and `last_active_date` were written only by the demo seed, so home showed a
streak of 0 to every real learner while `/progress` computed another. `services/learning/streak.py` now
counts the days from practice sessions, lesson steps, exercise submissions, milestone attempts and
amphitheatre exercises, for both pages.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint(op.f("ck_user_profiles_streak_days_non_negative"), "user_profiles", type_="check")
    op.drop_column("user_profiles", "streak_days")
    op.drop_column("user_profiles", "last_active_date")


def downgrade() -> None:
    op.add_column("user_profiles", sa.Column("last_active_date", sa.Date(), nullable=True))
    op.add_column("user_profiles", sa.Column("streak_days", sa.Integer(), nullable=False, server_default="0"))
    op.create_check_constraint(op.f("ck_user_profiles_streak_days_non_negative"), "user_profiles", "streak_days >= 0")
