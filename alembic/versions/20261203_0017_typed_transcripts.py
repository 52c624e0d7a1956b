"""Typed transcripts: a solo session's transcript the learner typed is marked as typed.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03

In solo practice without speech recognition the learner types what they said. Such text shows what was said,
not how: fillers typed by hand are not the fillers spoken. `transcripts.typed` lets the analysis leave the
filler figures unmeasured and the pages label the transcript as typed. Existing transcripts stay `false`.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("transcripts", sa.Column("typed", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    op.drop_column("transcripts", "typed")
