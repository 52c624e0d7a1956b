"""One A/B exposure per learner: the first time home showed them their variant.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

Home logged an `ab_exposure` analytics event on every load, so the table grew with every visit and the
variants were compared on visits rather than on learners. An exposure is now written once per learner
(`INSERT ... ON CONFLICT DO NOTHING` on this partial unique index); later loads write nothing. The upgrade
keeps each learner's earliest exposure and drops the repeats.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_analytics_events_ab_exposure_user"


def upgrade() -> None:
    op.execute(
        """
        DELETE FROM analytics_events a
        USING analytics_events b
        WHERE a.event_type = 'ab_exposure' AND b.event_type = 'ab_exposure' AND a.user_id = b.user_id
          AND (a.created_at, a.id) > (b.created_at, b.id)
        """
    )
    op.create_index(
        INDEX,
        "analytics_events",
        ["user_id"],
        unique=True,
        postgresql_where="event_type = 'ab_exposure'",
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="analytics_events")
