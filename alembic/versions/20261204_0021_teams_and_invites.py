"""Teams inside a company, invitations by email, and disabled memberships.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04

- `teams`: named groups of a company's learners. Members of the company read them, its managers write them.
- `user_profiles.team_id`: the learner's team; `user_profiles.company_disabled_at`: a manager disabled the
  learner's membership. The session resolver then gives the viewer no company, so Row-Level Security hides
  the company's scenarios, assignments and sharing from them as it does from anyone outside it.
- `company_invites`: pending invitations of email addresses (pasted or from a CSV). The company's managers
  read and write them; the person with that address reads and deletes theirs, and `speakpro_my_invites()`
  lists them with the inviting company's name.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRIVILEGED = "(SELECT speakpro_ctx_privileged())"
MEMBER = "(SELECT speakpro_ctx_company())"
MANAGED = "(SELECT speakpro_ctx_managed_company())"
MY_EMAIL = "(SELECT u.email FROM users u WHERE u.id = (SELECT speakpro_ctx_user()))"

_RESOLVER = """
CREATE OR REPLACE FUNCTION speakpro_resolve_session(p_token_hash text, p_now timestamptz, p_idle interval,
                                                    p_touch interval)
RETURNS TABLE (user_id uuid, email text, display_name text, is_admin boolean, role text, company_id uuid,
               company_slug text, company_name text, onboarding_completed boolean, ab_variant text, time_zone text)
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
    SELECT u.id, u.email::text, u.display_name::text, u.is_admin, p.role::text, c.id, c.slug::text,
           c.name::text, p.onboarding_completed, p.ab_variant::text, p.time_zone::text
    FROM auth_sessions s
    JOIN users u ON u.id = s.user_id
    JOIN user_profiles p ON p.user_id = u.id
    LEFT JOIN companies c ON c.id = p.company_id AND {membership}
    WHERE s.id = v_session;
END;
$fn$;
"""

# The invitations waiting for the signed-in person's address, with the inviting company's name (which Row-Level
# Security hides from someone outside it): runs as the system, for the context's user only.
_MY_INVITES = """
CREATE FUNCTION speakpro_my_invites() RETURNS TABLE (id uuid, company_name text, team_name text)
LANGUAGE sql STABLE
SET app.role = 'system'
AS $fn$
    SELECT i.id, c.name::text, t.name::text
    FROM company_invites i
    JOIN users u ON u.email = i.email AND u.id = speakpro_ctx_user()
    JOIN companies c ON c.id = i.company_id AND c.is_active
    LEFT JOIN teams t ON t.id = i.team_id
    ORDER BY i.created_at, i.id
$fn$;
"""


def _policies(table: str, read: str, write: str, delete: str | None = None) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {table}_read ON {table} AS PERMISSIVE FOR SELECT TO PUBLIC USING ({read})")
    op.execute(f"CREATE POLICY {table}_insert ON {table} AS PERMISSIVE FOR INSERT TO PUBLIC WITH CHECK ({write})")
    op.execute(
        f"CREATE POLICY {table}_update ON {table} AS PERMISSIVE FOR UPDATE TO PUBLIC USING ({write}) WITH CHECK ({write})"
    )
    op.execute(f"CREATE POLICY {table}_delete ON {table} AS PERMISSIVE FOR DELETE TO PUBLIC USING ({delete or write})")


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("length(name) >= 2", name=op.f("ck_teams_name_length")),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_teams_company_id_companies"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_teams_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
    )
    op.create_index("uq_teams_company_name", "teams", ["company_id", sa.text("lower(name)")], unique=True)

    op.add_column("user_profiles", sa.Column("team_id", sa.Uuid(), nullable=True))
    op.add_column("user_profiles", sa.Column("company_disabled_at", sa.DateTime(timezone=True), nullable=True))
    op.create_foreign_key(
        op.f("fk_user_profiles_team_id_teams"), "user_profiles", "teams", ["team_id"], ["id"], ondelete="SET NULL"
    )
    op.create_index(op.f("ix_user_profiles_team_id"), "user_profiles", ["team_id"])
    op.create_check_constraint(
        op.f("ck_user_profiles_team_needs_company"), "user_profiles", "team_id IS NULL OR company_id IS NOT NULL"
    )
    op.create_check_constraint(
        op.f("ck_user_profiles_only_learners_disabled"),
        "user_profiles",
        "company_disabled_at IS NULL OR role = 'learner'",
    )

    op.create_table(
        "company_invites",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("invited_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_company_invites_email_lower")),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_company_invites_company_id_companies"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_company_invites_team_id_teams"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"], ["users.id"], name=op.f("fk_company_invites_invited_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_invites")),
        sa.UniqueConstraint("company_id", "email", name=op.f("uq_company_invites_company_id")),
    )
    op.create_index(op.f("ix_company_invites_email"), "company_invites", ["email"])

    _policies(
        "teams",
        f"{PRIVILEGED} OR company_id = {MEMBER} OR company_id = {MANAGED}",
        f"{PRIVILEGED} OR company_id = {MANAGED}",
    )
    manage = f"{PRIVILEGED} OR company_id = {MANAGED}"
    _policies("company_invites", f"{manage} OR email = {MY_EMAIL}", manage, delete=f"{manage} OR email = {MY_EMAIL}")
    op.execute(_RESOLVER.format(membership="p.company_disabled_at IS NULL"))
    op.execute(_MY_INVITES)


def downgrade() -> None:
    op.execute("DROP FUNCTION speakpro_my_invites()")
    op.execute(_RESOLVER.format(membership="true"))
    op.drop_table("company_invites")
    op.drop_constraint(op.f("ck_user_profiles_only_learners_disabled"), "user_profiles", type_="check")
    op.drop_constraint(op.f("ck_user_profiles_team_needs_company"), "user_profiles", type_="check")
    op.drop_index(op.f("ix_user_profiles_team_id"), table_name="user_profiles")
    op.drop_constraint(op.f("fk_user_profiles_team_id_teams"), "user_profiles", type_="foreignkey")
    op.drop_column("user_profiles", "company_disabled_at")
    op.drop_column("user_profiles", "team_id")
    op.drop_table("teams")
