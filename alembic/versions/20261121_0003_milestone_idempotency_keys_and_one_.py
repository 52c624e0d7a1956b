"""milestone idempotency keys and one active venue visit

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 23:39:58.713140+00:00

- `milestone_attempts.idempotency_key` (nullable: attempts stored before 0003 kept their key in
  `rubric_scores`), UNIQUE per learner. Keys already stored are copied over when they fit (<= 64
  characters) and are used by one attempt of the learner only; the downgrade copies every key back into
  `rubric_scores`, where 0002's code looks for it.
- A partial UNIQUE index: one active visit per learner and venue. Older duplicate active visits, which
  the services' lock should never have let in, are marked abandoned first so the index can be built.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "milestone_attempts", sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
    )
    op.execute("""
        UPDATE milestone_attempts AS m
        SET idempotency_key = m.rubric_scores ->> 'idempotency_key'
        WHERE length(m.rubric_scores ->> 'idempotency_key') <= 64
          AND NOT EXISTS (
              SELECT 1 FROM milestone_attempts AS other
              WHERE other.user_id = m.user_id AND other.id <> m.id
                AND other.rubric_scores ->> 'idempotency_key' = m.rubric_scores ->> 'idempotency_key')
    """)
    op.create_unique_constraint(
        op.f("uq_milestone_attempts_user_id_idempotency_key"), "milestone_attempts", ["user_id", "idempotency_key"]
    )

    op.execute("""
        UPDATE venue_entries AS e
        SET status = 'abandoned', finished_at = greatest(e.started_at, now())
        WHERE e.status = 'active'
          AND EXISTS (
              SELECT 1 FROM venue_entries AS newer
              WHERE newer.user_id = e.user_id AND newer.venue_id = e.venue_id AND newer.status = 'active'
                AND (newer.started_at, newer.id) > (e.started_at, e.id))
    """)
    op.create_index(
        "uq_venue_entries_one_active_visit",
        "venue_entries",
        ["user_id", "venue_id"],
        unique=True,
        postgresql_where=sa.text("status = 'active'"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_venue_entries_one_active_visit", table_name="venue_entries", postgresql_where=sa.text("status = 'active'")
    )
    op.drop_constraint(op.f("uq_milestone_attempts_user_id_idempotency_key"), "milestone_attempts", type_="unique")
    op.execute("""
        UPDATE milestone_attempts
        SET rubric_scores = rubric_scores || jsonb_build_object('idempotency_key', idempotency_key)
        WHERE idempotency_key IS NOT NULL
    """)
    op.drop_column("milestone_attempts", "idempotency_key")
