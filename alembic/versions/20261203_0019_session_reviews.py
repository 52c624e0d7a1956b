"""A manager's scores of a shared session, on the rubric the automatic scores use (for calibration).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03

One row per (session, manager): a score of 0-100 per skill of the rubric (`opening`, `questioning`,
`objection_handling`, `closing`). The session's owner reads them; its company's managers read them while it
is shared and write their own (Row-Level Security, with 0018's `speakpro_manager_sees_session`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRIVILEGED = "(SELECT speakpro_ctx_privileged())"
ME = "(SELECT speakpro_ctx_user())"
MANAGED = "(SELECT speakpro_ctx_managed_company())"
MINE = f"reviewer_user_id = {ME} AND company_id = {MANAGED} AND speakpro_manager_sees_session(session_id)"


def upgrade() -> None:
    op.create_table(
        "session_reviews",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("reviewer_user_id", sa.Uuid(), nullable=True),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("scores", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["practice_sessions.id"],
            name=op.f("fk_session_reviews_session_id_practice_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_user_id"],
            ["users.id"],
            name=op.f("fk_session_reviews_reviewer_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_session_reviews_company_id_companies"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_reviews")),
        sa.UniqueConstraint("session_id", "reviewer_user_id", name=op.f("uq_session_reviews_session_id")),
    )
    op.create_index("ix_session_reviews_company_id", "session_reviews", ["company_id"])
    op.create_index("ix_session_reviews_reviewer_user_id", "session_reviews", ["reviewer_user_id"])
    op.execute("ALTER TABLE session_reviews ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE session_reviews FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY session_reviews_read ON session_reviews AS PERMISSIVE FOR SELECT TO PUBLIC USING ("
        f"{PRIVILEGED} OR speakpro_sees_session(session_id) OR "
        f"(company_id = {MANAGED} AND speakpro_manager_sees_session(session_id)))"
    )
    op.execute(
        "CREATE POLICY session_reviews_insert ON session_reviews AS PERMISSIVE FOR INSERT TO PUBLIC "
        f"WITH CHECK ({PRIVILEGED} OR ({MINE}))"
    )
    op.execute(
        "CREATE POLICY session_reviews_update ON session_reviews AS PERMISSIVE FOR UPDATE TO PUBLIC "
        f"USING ({PRIVILEGED} OR ({MINE})) WITH CHECK ({PRIVILEGED} OR ({MINE}))"
    )
    op.execute(
        "CREATE POLICY session_reviews_delete ON session_reviews AS PERMISSIVE FOR DELETE TO PUBLIC USING ("
        f"{PRIVILEGED} OR speakpro_sees_session(session_id))"
    )


def downgrade() -> None:
    op.drop_table("session_reviews")
