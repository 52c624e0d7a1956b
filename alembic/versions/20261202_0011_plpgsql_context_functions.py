"""The tenant context functions in PL/pgSQL, so the planner stops re-parsing them in every plan.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

0009 wrote `speakpro_ctx_user()`, `speakpro_ctx_company()`, `speakpro_ctx_privileged()` and
`speakpro_ctx_managed_company()` in SQL. The planner inlines a SQL function, which means parsing and analysing
its body text again at every mention, in every plan: a history page's plan mentions them a dozen times through
the policies of the tables it reaches. A PL/pgSQL function is not inlined; each policy still calls it once per
query (an InitPlan, `(SELECT speakpro_ctx_user())`). Same results, same signatures, so the policies stay.
Measured with `bench/rls_cost.py` on a learner's history page at 200,000 sessions: RLS cost +24 % -> +16 %.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLPGSQL = """
CREATE OR REPLACE FUNCTION speakpro_ctx_user() RETURNS uuid LANGUAGE plpgsql STABLE
    AS $$ BEGIN RETURN nullif(current_setting('app.user_id', true), '')::uuid; END $$;
CREATE OR REPLACE FUNCTION speakpro_ctx_company() RETURNS uuid LANGUAGE plpgsql STABLE
    AS $$ BEGIN RETURN nullif(current_setting('app.company_id', true), '')::uuid; END $$;
CREATE OR REPLACE FUNCTION speakpro_ctx_privileged() RETURNS boolean LANGUAGE plpgsql STABLE
    AS $$ BEGIN RETURN coalesce(current_setting('app.role', true), '') IN ('admin', 'system'); END $$;
CREATE OR REPLACE FUNCTION speakpro_ctx_managed_company() RETURNS uuid LANGUAGE plpgsql STABLE
    AS $$ BEGIN
        RETURN CASE WHEN coalesce(current_setting('app.role', true), '') = 'manager'
                    THEN nullif(current_setting('app.company_id', true), '')::uuid END;
    END $$;
"""

SQL = """
CREATE OR REPLACE FUNCTION speakpro_ctx_user() RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;
CREATE OR REPLACE FUNCTION speakpro_ctx_company() RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('app.company_id', true), '')::uuid $$;
CREATE OR REPLACE FUNCTION speakpro_ctx_privileged() RETURNS boolean LANGUAGE sql STABLE
    AS $$ SELECT coalesce(current_setting('app.role', true), '') IN ('admin', 'system') $$;
CREATE OR REPLACE FUNCTION speakpro_ctx_managed_company() RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT CASE WHEN coalesce(current_setting('app.role', true), '') = 'manager'
                      THEN nullif(current_setting('app.company_id', true), '')::uuid END $$;
"""


def upgrade() -> None:
    op.execute(PLPGSQL)


def downgrade() -> None:
    op.execute(SQL)
