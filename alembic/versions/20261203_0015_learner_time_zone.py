"""Each learner's time zone: their day (streak, daily quests) starts at their own midnight.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

Until now a learner's day was the UTC date, so a learner in Sydney who practised at 09:00 and again the next
morning could see both land on one day, and quests rolled over in the middle of a Californian afternoon.
`user_profiles.time_zone` holds an IANA name ("Europe/Paris"), 'UTC' for every existing learner; the
session resolver returns it with the rest of the viewer, so a signed-in request knows the learner's day
without another query.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RESOLVER = """
CREATE FUNCTION speakpro_resolve_session(p_token_hash text, p_now timestamptz, p_idle interval, p_touch interval)
RETURNS TABLE (user_id uuid, email text, display_name text, is_admin boolean, role text, company_id uuid,
               company_slug text, company_name text, onboarding_completed boolean, ab_variant text{extra})
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
           c.name::text, p.onboarding_completed, p.ab_variant::text{extra_column}
    FROM auth_sessions s
    JOIN users u ON u.id = s.user_id
    JOIN user_profiles p ON p.user_id = u.id
    LEFT JOIN companies c ON c.id = p.company_id
    WHERE s.id = v_session;
END;
$fn$;
"""
_DROP = "DROP FUNCTION speakpro_resolve_session(text, timestamptz, interval, interval)"


def upgrade() -> None:
    op.add_column("user_profiles", sa.Column("time_zone", sa.String(length=64), nullable=False, server_default="UTC"))
    # Its result type changes, so it is dropped and made again (CREATE OR REPLACE cannot change it).
    op.execute(_DROP)
    op.execute(_RESOLVER.format(extra=", time_zone text", extra_column=", p.time_zone::text"))


def downgrade() -> None:
    op.execute(_DROP)
    op.execute(_RESOLVER.format(extra="", extra_column=""))
    op.drop_column("user_profiles", "time_zone")
