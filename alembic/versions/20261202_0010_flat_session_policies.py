"""Row-Level Security policies below a practice session that do not nest in the query plan.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

In 0009 a row below a session (transcripts, analysis results, client secrets, transcript segments) was visible
through `EXISTS (SELECT 1 FROM practice_sessions ...)` in its policy. That subquery is planned into every query
that touches the row, together with the policy of `practice_sessions` itself, so the history page's plan grew to
72 subplans: 4.5 ms of planning for 1.2 ms of execution. The same check now sits in two PL/pgSQL functions,
which the planner does not inline: each is planned once per connection and called per row. Same rule as before
(the session's owner sees it; admins and the system see everything), and their own queries are still under
Row-Level Security.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BY_SESSION = ("transcripts", "analysis_results", "client_secrets")
PRIVILEGED = "(SELECT speakpro_ctx_privileged())"
ME = "(SELECT speakpro_ctx_user())"

FUNCTIONS = """
CREATE FUNCTION speakpro_sees_session(p_session uuid) RETURNS boolean LANGUAGE plpgsql STABLE AS $fn$
BEGIN
    RETURN EXISTS (SELECT 1 FROM practice_sessions p WHERE p.id = p_session AND p.user_id = speakpro_ctx_user());
END;
$fn$;
CREATE FUNCTION speakpro_sees_transcript(p_transcript uuid) RETURNS boolean LANGUAGE plpgsql STABLE AS $fn$
BEGIN
    RETURN EXISTS (SELECT 1 FROM transcripts t JOIN practice_sessions p ON p.id = t.session_id
                   WHERE t.id = p_transcript AND p.user_id = speakpro_ctx_user());
END;
$fn$;
"""


def upgrade() -> None:
    op.execute(FUNCTIONS)
    for table in BY_SESSION:
        op.execute(f"DROP POLICY {table}_by_session ON {table}")
        op.execute(
            f"CREATE POLICY {table}_by_session ON {table} AS PERMISSIVE FOR ALL TO PUBLIC "
            f"USING ({PRIVILEGED} OR speakpro_sees_session(session_id))"
        )
    op.execute("DROP POLICY transcript_segments_by_transcript ON transcript_segments")
    op.execute(
        "CREATE POLICY transcript_segments_by_transcript ON transcript_segments AS PERMISSIVE FOR ALL "
        f"TO PUBLIC USING ({PRIVILEGED} OR speakpro_sees_transcript(transcript_id))"
    )


def downgrade() -> None:
    for table in BY_SESSION:
        op.execute(f"DROP POLICY {table}_by_session ON {table}")
        op.execute(
            f"CREATE POLICY {table}_by_session ON {table} AS PERMISSIVE FOR ALL TO PUBLIC "
            f"USING ({PRIVILEGED} OR EXISTS (SELECT 1 FROM practice_sessions p WHERE p.id = session_id "
            f"AND p.user_id = {ME}))"
        )
    op.execute("DROP POLICY transcript_segments_by_transcript ON transcript_segments")
    op.execute(
        "CREATE POLICY transcript_segments_by_transcript ON transcript_segments AS PERMISSIVE FOR ALL "
        f"TO PUBLIC USING ({PRIVILEGED} OR EXISTS (SELECT 1 FROM transcripts t JOIN practice_sessions p "
        f"ON p.id = t.session_id WHERE t.id = transcript_id AND p.user_id = {ME}))"
    )
    op.execute("DROP FUNCTION speakpro_sees_transcript(uuid)")
    op.execute("DROP FUNCTION speakpro_sees_session(uuid)")
