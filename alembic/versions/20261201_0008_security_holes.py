"""Security holes of issue 11: the mail outbox and spent CSV download tokens.

- `email_outbox`: messages for a user that a mail sender delivers (SpeakPro has no mail server; the rows
  wait until one is configured). A sign-up with a taken email queues a notice for the account's owner here
  instead of telling the visitor that the account exists. At most one unsent message of a kind per user.
- `used_download_tokens`: the ids of CSV download tokens already spent, so each token works once; a row can
  go once its token would have expired anyway.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("template", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "details", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_email_outbox_attempts_non_negative")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_email_outbox_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_outbox")),
    )
    op.create_index(
        "uq_email_outbox_unsent",
        "email_outbox",
        ["user_id", "template"],
        unique=True,
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.create_index(
        "ix_email_outbox_unsent_created",
        "email_outbox",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.create_table(
        "used_download_tokens",
        sa.Column("token_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_used_download_tokens_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_used_download_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_used_download_tokens")),
    )
    op.create_index(op.f("ix_used_download_tokens_company_id"), "used_download_tokens", ["company_id"], unique=False)
    op.create_index(op.f("ix_used_download_tokens_expires_at"), "used_download_tokens", ["expires_at"], unique=False)
    op.create_index(op.f("ix_used_download_tokens_user_id"), "used_download_tokens", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_used_download_tokens_user_id"), table_name="used_download_tokens")
    op.drop_index(op.f("ix_used_download_tokens_expires_at"), table_name="used_download_tokens")
    op.drop_index(op.f("ix_used_download_tokens_company_id"), table_name="used_download_tokens")
    op.drop_table("used_download_tokens")
    op.drop_index("ix_email_outbox_unsent_created", table_name="email_outbox")
    op.drop_index("uq_email_outbox_unsent", table_name="email_outbox")
    op.drop_table("email_outbox")
