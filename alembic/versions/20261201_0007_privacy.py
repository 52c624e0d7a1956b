"""privacy: consent records, uploads made, storage deletions to do, a company's recording retention

- `privacy_consents`: one row per consent a user gives (privacy notice version, whether recordings are
  allowed, when); appended, so the newest row holds and the older ones are its history.
- `uploads`: every recording the upload route stored (key, owner, when), so one that nothing ever referenced
  can be found and deleted after 24 hours (the storage interface cannot list objects).
- `storage_deletions`: objects whose last reference is gone and that are still to be deleted from storage;
  written in the same transaction as the reference goes, removed once the object is gone, retried by a
  periodic job. No foreign key: it outlives an erased account until its objects are deleted.
- `companies.recording_retention_days`: NULL keeps recordings, else 1 to 3650 days.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "privacy_consents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("notice_version", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("recording", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_privacy_consents_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_consents")),
    )
    op.create_index("ix_privacy_consents_user_created", "privacy_consents", ["user_id", "created_at"], unique=False)
    op.create_table(
        "uploads",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_uploads_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_uploads")),
    )
    op.create_index(op.f("ix_uploads_user_id"), "uploads", ["user_id"], unique=False)
    op.create_table(
        "storage_deletions",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_storage_deletions_attempts_non_negative")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_storage_deletions")),
    )
    op.add_column("companies", sa.Column("recording_retention_days", sa.Integer(), nullable=True))
    op.create_check_constraint(
        op.f("ck_companies_recording_retention_days_range"),
        "companies",
        "recording_retention_days IS NULL OR recording_retention_days BETWEEN 1 AND 3650",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_companies_recording_retention_days_range"), "companies", type_="check")
    op.drop_column("companies", "recording_retention_days")
    op.drop_table("storage_deletions")
    op.drop_index(op.f("ix_uploads_user_id"), table_name="uploads")
    op.drop_table("uploads")
    op.drop_index("ix_privacy_consents_user_created", table_name="privacy_consents")
    op.drop_table("privacy_consents")
