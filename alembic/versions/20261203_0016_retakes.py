"""Retakes: a learner's second try at the weakest moments of a practice session.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03

One row per moment of a session (`moment_key`: its kind and where it starts), with the original's text
and score as they were scored and the latest try's. A learner's own rows, under Row-Level Security like
every table of theirs (the policy of 0009's `OWNED` tables).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retakes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("moment_key", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at_ms", sa.Integer(), nullable=False),
        sa.Column("prompt", sa.String(), nullable=False),
        sa.Column("original_text", sa.String(), nullable=False),
        sa.Column("original_score", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("answer_text", sa.String(), nullable=False),
        sa.Column("answer_score", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("attempts >= 1", name="attempts_positive"),
        sa.CheckConstraint("kind IN ('fillers', 'monologue', 'pause', 'objection')", name="kind_valid"),
        sa.ForeignKeyConstraint(["session_id"], ["practice_sessions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "moment_key", name="uq_retakes_session_moment"),
    )
    op.create_index("ix_retakes_session_id", "retakes", ["session_id"])
    op.create_index("ix_retakes_user_id", "retakes", ["user_id"])
    op.execute("ALTER TABLE retakes ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE retakes FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY retakes_owner ON retakes AS PERMISSIVE FOR ALL TO PUBLIC "
        "USING (user_id = (SELECT speakpro_ctx_user()) OR (SELECT speakpro_ctx_privileged()))"
    )


def downgrade() -> None:
    op.drop_table("retakes")
