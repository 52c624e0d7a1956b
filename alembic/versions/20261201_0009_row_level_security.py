"""Least privilege and Row-Level Security.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

- The app connects as `speakpro_app` (created here when missing): LOGIN, not superuser, not the owner of
  any table, NOBYPASSRLS. It gets SELECT/INSERT/UPDATE/DELETE on the tables and the sequences; migrations
  keep running as the owner. In production the operator creates the role with a password first (README).
- Every table holding a learner's or a company's rows has RLS enabled and FORCED. The policies read three
  settings that `db.session_scope()` sets per transaction (`set_config(..., true)`) from the signed-in
  viewer: `app.user_id`, `app.company_id` (the viewer's company) and `app.role` (learner, manager, admin,
  or system for background jobs, the sign-in flows and the command line). No context: no rows.
  - a learner's own rows: `user_id` is the viewer's;
  - company rows (profiles, users, session analytics, daily totals, audit): also a manager of that company;
  - rows below a practice session (transcript, segments, analysis results, client secrets): visible when
    the session is;
  - admin and system: every row.
- Functions that must see rows before a viewer is known, or keep a rollup exact whoever caused the change,
  run with `SET app.role = 'system'` for their own duration only: session resolution
  (`speakpro_resolve_session`, new here), transcript ingestion (0006) and the daily-totals triggers (0004).
  Each of them does its own ownership checks.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "speakpro_app"

# A learner's own rows (user_id), every row for admins and the system.
OWNED = (
    "amphitheatre_exercise_records",
    "amphitheatre_sessions",
    "audio_recordings",
    "auth_handoffs",
    "auth_sessions",
    "daily_quests",
    "exercise_attempts",
    "exercise_submissions",
    "lesson_session_contexts",
    "lesson_sessions",
    "lesson_step_responses",
    "milestone_attempts",
    "oauth_identities",
    "practice_sessions",
    "reward_ledger",
    "stakes_maps",
    "user_progress",
    "user_venue_unlocks",
    "venue_entries",
    # 0007 and 0008
    "privacy_consents",
    "uploads",
    "email_outbox",
    "used_download_tokens",
)
# Events may be written before anyone signs in (user_id NULL); read back only by their user or the system.
EVENTS = ("analytics_events", "telemetry_events")
# Rows below a practice session.
BY_SESSION = ("transcripts", "analysis_results", "client_secrets")

FUNCTIONS = """
CREATE FUNCTION speakpro_ctx_user() RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;
CREATE FUNCTION speakpro_ctx_company() RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('app.company_id', true), '')::uuid $$;
CREATE FUNCTION speakpro_ctx_privileged() RETURNS boolean LANGUAGE sql STABLE
    AS $$ SELECT coalesce(current_setting('app.role', true), '') IN ('admin', 'system') $$;
-- The company a manager manages (NULL for anyone else).
CREATE FUNCTION speakpro_ctx_managed_company() RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT CASE WHEN coalesce(current_setting('app.role', true), '') = 'manager'
                      THEN nullif(current_setting('app.company_id', true), '')::uuid END $$;

-- The viewer behind a session token's keyed hash (the rules of services/sessions.resolve_session), with
-- last_seen_at kept fresh. Runs as the system: nobody is signed in yet when it is asked.
CREATE FUNCTION speakpro_resolve_session(p_token_hash text, p_now timestamptz, p_idle interval, p_touch interval)
RETURNS TABLE (user_id uuid, email text, display_name text, is_admin boolean, role text, company_id uuid,
               company_slug text, company_name text, onboarding_completed boolean, ab_variant text)
LANGUAGE plpgsql
SET app.role = 'system'
AS $fn$
DECLARE
    v_session uuid;
    v_seen timestamptz;
BEGIN
    SELECT s.id, s.last_seen_at INTO v_session, v_seen
    FROM auth_sessions s JOIN users u ON u.id = s.user_id
    WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL AND s.expires_at > p_now
      AND s.last_seen_at > p_now - p_idle AND NOT u.disabled AND u.deleted_at IS NULL;
    IF v_session IS NULL THEN
        RETURN;
    END IF;
    IF p_now - v_seen > p_touch THEN
        UPDATE auth_sessions SET last_seen_at = p_now WHERE id = v_session;
    END IF;
    RETURN QUERY
    SELECT u.id, u.email::text, u.display_name::text, u.is_admin, p.role::text, p.company_id, c.slug::text,
           c.name::text, p.onboarding_completed, p.ab_variant::text
    FROM auth_sessions s
    JOIN users u ON u.id = s.user_id
    JOIN user_profiles p ON p.user_id = u.id
    LEFT JOIN companies c ON c.id = p.company_id
    WHERE s.id = v_session;
END;
$fn$;
"""

SYSTEM_FUNCTIONS = (
    "speakpro_ingest_segments(text, uuid, uuid, timestamptz, interval, interval, interval, integer[], text[], "
    "text[], integer[], integer[], boolean[], integer)",
    "company_daily_totals_after_insert()",
    "company_daily_totals_after_update()",
    "company_daily_totals_after_delete()",
)


def _policy(table: str, name: str, using: str, *, command: str = "ALL", check: str | None = None) -> str:
    clause = f"USING ({using})" if command != "INSERT" else ""
    with_check = f" WITH CHECK ({check})" if check else ""
    return f"CREATE POLICY {name} ON {table} AS PERMISSIVE FOR {command} TO PUBLIC {clause}{with_check};"


# Each context function is wrapped in a scalar subquery, so a query evaluates it once (an InitPlan), not once
# per row it looks at.
ME = "(SELECT speakpro_ctx_user())"
PRIVILEGED = "(SELECT speakpro_ctx_privileged())"
MANAGED = "(SELECT speakpro_ctx_managed_company())"


def _sees_user(column: str) -> str:
    return f"{column} = {ME} OR {PRIVILEGED}"


def _policies() -> list[str]:
    sql = []
    for table in OWNED:
        sql.append(_policy(table, f"{table}_owner", _sees_user("user_id")))
    for table in EVENTS:
        sql.append(_policy(table, f"{table}_read", _sees_user("user_id"), command="SELECT"))
        sql.append(_policy(table, f"{table}_write", _sees_user("user_id"), command="UPDATE"))
        sql.append(_policy(table, f"{table}_delete", _sees_user("user_id"), command="DELETE"))
        sql.append(
            _policy(table, f"{table}_insert", "", command="INSERT", check=f"user_id IS NULL OR {_sees_user('user_id')}")
        )
    for table in BY_SESSION:
        sql.append(
            _policy(
                table,
                f"{table}_by_session",
                f"{PRIVILEGED} OR EXISTS (SELECT 1 FROM practice_sessions p WHERE p.id = session_id "
                f"AND p.user_id = {ME})",
            )
        )
    sql.append(
        _policy(
            "transcript_segments",
            "transcript_segments_by_transcript",
            f"{PRIVILEGED} OR EXISTS (SELECT 1 FROM transcripts t JOIN practice_sessions p "
            f"ON p.id = t.session_id WHERE t.id = transcript_id AND p.user_id = {ME})",
        )
    )
    sql.append(
        _policy("session_analytics", "session_analytics_visible", f"{_sees_user('user_id')} OR company_id = {MANAGED}")
    )
    sql.append(_policy("user_profiles", "user_profiles_visible", f"{_sees_user('user_id')} OR company_id = {MANAGED}"))
    sql.append(
        _policy(
            "users",
            "users_visible",
            f"{_sees_user('id')} OR id IN (SELECT p.user_id FROM user_profiles p WHERE p.company_id = {MANAGED})",
        )
    )
    sql.append(_policy("companies", "companies_visible", f"id = (SELECT speakpro_ctx_company()) OR {PRIVILEGED}"))
    sql.append(
        _policy("company_daily_totals", "company_daily_totals_visible", f"company_id = {MANAGED} OR {PRIVILEGED}")
    )
    sql.append(
        _policy(
            "audit_log",
            "audit_log_read",
            f"{PRIVILEGED} OR company_id = {MANAGED} OR actor_user_id = {ME}",
            command="SELECT",
        )
    )
    sql.append(
        _policy(
            "audit_log",
            "audit_log_insert",
            "",
            command="INSERT",
            check=f"{PRIVILEGED} OR actor_user_id = {ME} OR company_id = {MANAGED}",
        )
    )
    return sql


def rls_tables() -> tuple[str, ...]:
    """Every table under Row-Level Security."""
    return (
        *OWNED,
        *EVENTS,
        *BY_SESSION,
        "transcript_segments",
        "session_analytics",
        "user_profiles",
        "users",
        "companies",
        "company_daily_totals",
        "audit_log",
    )


def upgrade() -> None:
    op.execute(f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
            END IF;
        END $$;
    """)
    op.execute(f'GRANT CONNECT ON DATABASE "{op.get_bind().engine.url.database}" TO {APP_ROLE}')
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}"
    )
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {APP_ROLE}")
    op.execute(f"REVOKE ALL ON alembic_version FROM {APP_ROLE}")
    op.execute(f"GRANT SELECT ON alembic_version TO {APP_ROLE}")
    op.execute(FUNCTIONS)
    for signature in SYSTEM_FUNCTIONS:
        op.execute(f"ALTER FUNCTION {signature} SET app.role = 'system'")
    for table in rls_tables():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    for statement in _policies():
        op.execute(statement)


def downgrade() -> None:
    for table in rls_tables():
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        op.execute(f"""
            DO $$ DECLARE p record; BEGIN
                FOR p IN SELECT policyname FROM pg_policies WHERE tablename = '{table}' LOOP
                    EXECUTE format('DROP POLICY %I ON {table}', p.policyname);
                END LOOP;
            END $$;
        """)
    for signature in SYSTEM_FUNCTIONS:
        op.execute(f"ALTER FUNCTION {signature} RESET app.role")
    op.execute("DROP FUNCTION speakpro_resolve_session(text, timestamptz, interval, interval)")
    for name in (
        "speakpro_ctx_managed_company()",
        "speakpro_ctx_privileged()",
        "speakpro_ctx_company()",
        "speakpro_ctx_user()",
    ):
        op.execute(f"DROP FUNCTION {name}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM {APP_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON SCHEMA public FROM {APP_ROLE}")
    op.execute(f'REVOKE CONNECT ON DATABASE "{op.get_bind().engine.url.database}" FROM {APP_ROLE}')
