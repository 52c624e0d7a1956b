"""Consented review: a learner shares a practice session with their company's managers, who comment on it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03

- `practice_sessions.privacy` takes a second value, `managers` (the learner's choice per session, revocable;
  `private` stays the default, as seed 002 requires).
- A manager sees a shared session of their own company, and what lies below it (transcript, segments,
  analysis results, recordings), through read-only policies: `speakpro_manager_sees_session`, a PL/pgSQL
  function like 0010's (planned once per connection, not inlined into every query).
- `ix_practice_sessions_shared`: a company's shared sessions, newest first, for the dashboard's list.
- `session_comments`: a manager's note pinned to a moment (`at_ms`) of a shared session. The session's
  owner reads them; its company's managers read and write them while it is shared; an author deletes their
  own. They go with the session (cascade).
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRIVILEGED = "(SELECT speakpro_ctx_privileged())"
ME = "(SELECT speakpro_ctx_user())"
MANAGED = "(SELECT speakpro_ctx_managed_company())"
SHARED = f"privacy = 'managers' AND deleted_at IS NULL AND company_id = {MANAGED}"
BELOW_SESSION = ("transcripts", "analysis_results", "audio_recordings")

FUNCTIONS = """
CREATE FUNCTION speakpro_manager_sees_session(p_session uuid) RETURNS boolean LANGUAGE plpgsql STABLE AS $fn$
BEGIN
    RETURN speakpro_ctx_managed_company() IS NOT NULL AND EXISTS (
        SELECT 1 FROM practice_sessions p
        WHERE p.id = p_session AND p.privacy = 'managers' AND p.deleted_at IS NULL
          AND p.company_id = speakpro_ctx_managed_company());
END;
$fn$;
CREATE FUNCTION speakpro_manager_sees_transcript(p_transcript uuid) RETURNS boolean LANGUAGE plpgsql STABLE AS $fn$
BEGIN
    RETURN speakpro_ctx_managed_company() IS NOT NULL AND EXISTS (
        SELECT 1 FROM transcripts t JOIN practice_sessions p ON p.id = t.session_id
        WHERE t.id = p_transcript AND p.privacy = 'managers' AND p.deleted_at IS NULL
          AND p.company_id = speakpro_ctx_managed_company());
END;
$fn$;
"""


def upgrade() -> None:
    op.drop_constraint(op.f("ck_practice_sessions_privacy_valid"), "practice_sessions", type_="check")
    op.create_check_constraint(
        op.f("ck_practice_sessions_privacy_valid"), "practice_sessions", "privacy IN ('private', 'managers')"
    )
    op.create_index(
        "ix_practice_sessions_shared",
        "practice_sessions",
        ["company_id", "started_at"],
        postgresql_where=sa.text("privacy = 'managers' AND deleted_at IS NULL"),
    )
    op.execute(FUNCTIONS)
    op.execute(
        f"CREATE POLICY practice_sessions_shared ON practice_sessions AS PERMISSIVE FOR SELECT TO PUBLIC "
        f"USING ({SHARED})"
    )
    for table in BELOW_SESSION:
        op.execute(
            f"CREATE POLICY {table}_shared ON {table} AS PERMISSIVE FOR SELECT TO PUBLIC "
            f"USING (speakpro_manager_sees_session(session_id))"
        )
    op.execute(
        "CREATE POLICY transcript_segments_shared ON transcript_segments AS PERMISSIVE FOR SELECT TO PUBLIC "
        "USING (speakpro_manager_sees_transcript(transcript_id))"
    )
    op.create_table(
        "session_comments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("author_user_id", sa.Uuid(), nullable=True),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("at_ms", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("at_ms >= 0", name=op.f("ck_session_comments_at_ms_non_negative")),
        sa.CheckConstraint("length(body) BETWEEN 1 AND 1000", name=op.f("ck_session_comments_body_length")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["practice_sessions.id"],
            name=op.f("fk_session_comments_session_id_practice_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_user_id"], ["users.id"], name=op.f("fk_session_comments_author_user_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_session_comments_company_id_companies"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_comments")),
    )
    op.create_index("ix_session_comments_session_at", "session_comments", ["session_id", "at_ms"])
    op.create_index("ix_session_comments_author_user_id", "session_comments", ["author_user_id"])
    op.execute("ALTER TABLE session_comments ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE session_comments FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY session_comments_read ON session_comments AS PERMISSIVE FOR SELECT TO PUBLIC USING ("
        f"{PRIVILEGED} OR speakpro_sees_session(session_id) OR "
        f"(company_id = {MANAGED} AND speakpro_manager_sees_session(session_id)))"
    )
    op.execute(
        "CREATE POLICY session_comments_write ON session_comments AS PERMISSIVE FOR INSERT TO PUBLIC WITH CHECK ("
        f"{PRIVILEGED} OR (author_user_id = {ME} AND company_id = {MANAGED} "
        "AND speakpro_manager_sees_session(session_id)))"
    )
    op.execute(
        "CREATE POLICY session_comments_delete ON session_comments AS PERMISSIVE FOR DELETE TO PUBLIC USING ("
        f"{PRIVILEGED} OR author_user_id = {ME} OR speakpro_sees_session(session_id))"
    )


def downgrade() -> None:
    op.drop_table("session_comments")
    op.execute("DROP POLICY transcript_segments_shared ON transcript_segments")
    for table in BELOW_SESSION:
        op.execute(f"DROP POLICY {table}_shared ON {table}")
    op.execute("DROP POLICY practice_sessions_shared ON practice_sessions")
    op.execute("DROP FUNCTION speakpro_manager_sees_transcript(uuid)")
    op.execute("DROP FUNCTION speakpro_manager_sees_session(uuid)")
    op.drop_index("ix_practice_sessions_shared", table_name="practice_sessions")
    op.execute("UPDATE practice_sessions SET privacy = 'private' WHERE privacy <> 'private'")
    op.drop_constraint(op.f("ck_practice_sessions_privacy_valid"), "practice_sessions", type_="check")
    op.create_check_constraint(
        op.f("ck_practice_sessions_privacy_valid"), "practice_sessions", "privacy IN ('private')"
    )
