"""company daily totals rollup and one active practice session per learner

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 02:10:00+00:00

- `company_daily_totals`: sessions, scored sessions, score sum and seconds of `session_analytics` per
  (company, UTC day). Three AFTER ... FOR EACH STATEMENT triggers with transition tables keep it exact: an
  insert adds its rows grouped by (company, day), a delete subtracts them, an update subtracts the old rows
  and adds the new (so a company or date change moves them). Subtractions only touch existing totals (the
  rows they subtract were added when inserted), so deleting a company (whose totals cascade away while its
  analytics rows have company_id set to NULL) never re-creates a total for it. Grouping per statement
  keeps a bulk insert to one upsert per (company, day). Existing rows are summed in once.
- A partial UNIQUE index: one active, undeleted practice session per learner (`start_practice` serialises
  starts with an advisory lock; this is the database's guarantee). Older duplicates, which that lock should
  never have let in, are failed first ("duplicate") so the index can be built.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ADD = """
    INSERT INTO company_daily_totals AS t (company_id, day, sessions, scored_sessions, score_sum, seconds)
    SELECT company_id, session_date, count(*), count(overall_score), coalesce(sum(overall_score), 0),
           coalesce(sum(duration_seconds), 0)
    FROM {rows} WHERE company_id IS NOT NULL
    GROUP BY company_id, session_date
    ORDER BY company_id, session_date
    ON CONFLICT (company_id, day) DO UPDATE SET
        sessions = t.sessions + EXCLUDED.sessions,
        scored_sessions = t.scored_sessions + EXCLUDED.scored_sessions,
        score_sum = t.score_sum + EXCLUDED.score_sum,
        seconds = t.seconds + EXCLUDED.seconds;
"""
_SUBTRACT = """
    UPDATE company_daily_totals AS t SET
        sessions = t.sessions - d.sessions,
        scored_sessions = t.scored_sessions - d.scored_sessions,
        score_sum = t.score_sum - d.score_sum,
        seconds = t.seconds - d.seconds
    FROM (SELECT company_id, session_date AS day, count(*) AS sessions, count(overall_score) AS scored_sessions,
                 coalesce(sum(overall_score), 0) AS score_sum, coalesce(sum(duration_seconds), 0) AS seconds
          FROM old_rows WHERE company_id IS NOT NULL GROUP BY company_id, session_date) AS d
    WHERE t.company_id = d.company_id AND t.day = d.day;
"""


def upgrade() -> None:
    op.create_table(
        "company_daily_totals",
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sessions", sa.BigInteger(), nullable=False),
        sa.Column("scored_sessions", sa.BigInteger(), nullable=False),
        sa.Column("score_sum", sa.BigInteger(), nullable=False),
        sa.Column("seconds", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_company_daily_totals_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("company_id", "day", name=op.f("pk_company_daily_totals")),
    )
    op.execute(f"""
        CREATE FUNCTION company_daily_totals_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {_ADD.format(rows="new_rows")} RETURN NULL; END $$;
        CREATE FUNCTION company_daily_totals_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {_SUBTRACT} {_ADD.format(rows="new_rows")} RETURN NULL; END $$;
        CREATE FUNCTION company_daily_totals_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {_SUBTRACT} RETURN NULL; END $$;
        CREATE TRIGGER session_analytics_totals_insert AFTER INSERT ON session_analytics
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION company_daily_totals_after_insert();
        CREATE TRIGGER session_analytics_totals_update AFTER UPDATE ON session_analytics
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION company_daily_totals_after_update();
        CREATE TRIGGER session_analytics_totals_delete AFTER DELETE ON session_analytics
            REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION company_daily_totals_after_delete();
    """)
    op.execute(_ADD.format(rows="session_analytics"))

    op.execute("""
        UPDATE practice_sessions AS p
        SET status = 'failed', failure_reason = 'duplicate', ended_at = greatest(p.started_at, now()),
            updated_at = now()
        WHERE p.status = 'active' AND p.deleted_at IS NULL
          AND EXISTS (
              SELECT 1 FROM practice_sessions AS newer
              WHERE newer.user_id = p.user_id AND newer.status = 'active' AND newer.deleted_at IS NULL
                AND (newer.started_at, newer.id) > (p.started_at, p.id))
    """)
    op.create_index(
        "uq_practice_sessions_one_active",
        "practice_sessions",
        ["user_id"],
        unique=True,
        postgresql_where=sa.text("status = 'active' AND deleted_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_practice_sessions_one_active",
        table_name="practice_sessions",
        postgresql_where=sa.text("status = 'active' AND deleted_at IS NULL"),
    )
    op.execute("""
        DROP TRIGGER session_analytics_totals_insert ON session_analytics;
        DROP TRIGGER session_analytics_totals_update ON session_analytics;
        DROP TRIGGER session_analytics_totals_delete ON session_analytics;
        DROP FUNCTION company_daily_totals_after_insert();
        DROP FUNCTION company_daily_totals_after_update();
        DROP FUNCTION company_daily_totals_after_delete();
    """)
    op.drop_table("company_daily_totals")
