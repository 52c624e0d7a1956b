"""A company's own scenarios (versioned, with rubrics) and the assignments its managers set.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03

- `scenarios` / `scenario_versions`: a company's role-play scenarios; editing writes a new version. Members
  of the company read them (its learners practise them), its managers write them (Row-Level Security).
- `practice_sessions.scenario_version_id`: a session practises a library topic or one version of a
  company scenario (`topic_id` becomes nullable; exactly one of the two is set).
- `assignments` / `assignment_learners`: practice set by a manager for some learners, with a due date and a
  completion rule. Members of the company read the assignment itself; a learner reads their own
  assignment rows and marks them complete; the company's managers read and write them all.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRIVILEGED = "(SELECT speakpro_ctx_privileged())"
ME = "(SELECT speakpro_ctx_user())"
MEMBER = "(SELECT speakpro_ctx_company())"
MANAGED = "(SELECT speakpro_ctx_managed_company())"
READ = f"{PRIVILEGED} OR company_id = {MEMBER} OR company_id = {MANAGED}"
WRITE = f"{PRIVILEGED} OR company_id = {MANAGED}"


def _timestamps() -> list[sa.Column]:
    return [sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False)]


def _company_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["company_id"], ["companies.id"], name=op.f(f"fk_{table}_company_id_companies"), ondelete="CASCADE"
    )


def _creator_fk(table: str, column: str = "created_by") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete="SET NULL")


def _policies(table: str, read: str, write: str, update: str | None = None) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {table}_read ON {table} AS PERMISSIVE FOR SELECT TO PUBLIC USING ({read})")
    op.execute(f"CREATE POLICY {table}_insert ON {table} AS PERMISSIVE FOR INSERT TO PUBLIC WITH CHECK ({write})")
    op.execute(
        f"CREATE POLICY {table}_update ON {table} AS PERMISSIVE FOR UPDATE TO PUBLIC "
        f"USING ({update or write}) WITH CHECK ({update or write})"
    )
    op.execute(f"CREATE POLICY {table}_delete ON {table} AS PERMISSIVE FOR DELETE TO PUBLIC USING ({write})")


def upgrade() -> None:
    op.create_table(
        "scenarios",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("current_version >= 1", name=op.f("ck_scenarios_current_version_positive")),
        _company_fk("scenarios"),
        _creator_fk("scenarios"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenarios")),
    )
    op.create_index("ix_scenarios_company_id", "scenarios", ["company_id"])
    op.create_table(
        "scenario_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("scenario_id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=160), nullable=False),
        sa.Column("situation", sa.String(length=2000), nullable=False),
        sa.Column("partner_persona", sa.String(length=1000), nullable=False),
        sa.Column("difficulty", sa.String(length=16), nullable=False),
        sa.Column("learner_goal", sa.String(length=500), nullable=False),
        sa.Column("rubric", postgresql.JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        *_timestamps(),
        sa.CheckConstraint(
            "difficulty IN ('beginner', 'intermediate', 'advanced')", name=op.f("ck_scenario_versions_difficulty_valid")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_scenario_versions_version_positive")),
        sa.CheckConstraint("length(title) >= 3", name=op.f("ck_scenario_versions_title_length")),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["scenarios.id"],
            name=op.f("fk_scenario_versions_scenario_id_scenarios"),
            ondelete="CASCADE",
        ),
        _company_fk("scenario_versions"),
        _creator_fk("scenario_versions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenario_versions")),
        sa.UniqueConstraint("scenario_id", "version", name=op.f("uq_scenario_versions_scenario_id")),
    )
    op.create_index("ix_scenario_versions_company_id", "scenario_versions", ["company_id"])

    op.alter_column("practice_sessions", "topic_id", existing_type=sa.Uuid(), nullable=True)
    op.add_column("practice_sessions", sa.Column("scenario_version_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_practice_sessions_scenario_version_id_scenario_versions"),
        "practice_sessions",
        "scenario_versions",
        ["scenario_version_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    op.create_index("ix_practice_sessions_scenario_version_id", "practice_sessions", ["scenario_version_id"])
    op.create_check_constraint(
        op.f("ck_practice_sessions_topic_or_scenario"),
        "practice_sessions",
        "(topic_id IS NULL) <> (scenario_version_id IS NULL)",
    )

    op.create_table(
        "assignments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("scenario_id", sa.Uuid(), nullable=True),
        sa.Column("lesson_id", sa.Uuid(), nullable=True),
        sa.Column("module_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=160), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("min_attempts", sa.Integer(), nullable=False),
        sa.Column("min_score", sa.Integer(), nullable=True),
        sa.Column("xp_reward", sa.Integer(), nullable=False),
        sa.Column("coin_reward", sa.Integer(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("kind IN ('scenario', 'lesson', 'module')", name=op.f("ck_assignments_kind_valid")),
        sa.CheckConstraint(
            "(kind = 'scenario') = (scenario_id IS NOT NULL) AND (kind = 'lesson') = (lesson_id IS NOT NULL) "
            "AND (kind = 'module') = (module_id IS NOT NULL)",
            name=op.f("ck_assignments_one_target"),
        ),
        sa.CheckConstraint(
            "min_attempts IS NOT NULL AND min_attempts BETWEEN 1 AND 20", name=op.f("ck_assignments_min_attempts_range")
        ),
        sa.CheckConstraint("min_score BETWEEN 0 AND 100", name=op.f("ck_assignments_min_score_range")),
        sa.CheckConstraint("min_score IS NULL OR kind = 'scenario'", name=op.f("ck_assignments_score_for_scenarios")),
        sa.CheckConstraint(
            "xp_reward BETWEEN 0 AND 500 AND coin_reward BETWEEN 0 AND 500", name=op.f("ck_assignments_rewards_range")
        ),
        _company_fk("assignments"),
        _creator_fk("assignments"),
        sa.ForeignKeyConstraint(
            ["scenario_id"], ["scenarios.id"], name=op.f("fk_assignments_scenario_id_scenarios"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"], ["lessons.id"], name=op.f("fk_assignments_lesson_id_lessons"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["module_id"], ["modules.id"], name=op.f("fk_assignments_module_id_modules"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
    )
    op.create_index("ix_assignments_company_due", "assignments", ["company_id", "due_at"])
    op.create_index("ix_assignments_scenario_id", "assignments", ["scenario_id"])
    op.create_index("ix_assignments_lesson_id", "assignments", ["lesson_id"])
    op.create_index("ix_assignments_module_id", "assignments", ["module_id"])
    op.create_table(
        "assignment_learners",
        sa.Column("assignment_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("progress >= 0", name=op.f("ck_assignment_learners_progress_non_negative")),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_assignment_learners_assignment_id_assignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_assignment_learners_user_id_users"), ondelete="CASCADE"
        ),
        _company_fk("assignment_learners"),
        sa.PrimaryKeyConstraint("assignment_id", "user_id", name=op.f("pk_assignment_learners")),
    )
    op.create_index("ix_assignment_learners_user_id", "assignment_learners", ["user_id"])
    op.create_index("ix_assignment_learners_company_id", "assignment_learners", ["company_id"])

    for table in ("scenarios", "scenario_versions", "assignments"):
        _policies(table, READ, WRITE)
    mine = f"user_id = {ME} AND company_id = {MEMBER}"
    # A learner marks their own row complete (and is paid); only managers add or remove learners.
    _policies(
        "assignment_learners",
        f"{PRIVILEGED} OR user_id = {ME} OR company_id = {MANAGED}",
        WRITE,
        update=f"{WRITE} OR ({mine})",
    )


def downgrade() -> None:
    op.drop_table("assignment_learners")
    op.drop_table("assignments")
    op.drop_constraint(op.f("ck_practice_sessions_topic_or_scenario"), "practice_sessions", type_="check")
    op.drop_index("ix_practice_sessions_scenario_version_id", table_name="practice_sessions")
    op.drop_constraint(
        op.f("fk_practice_sessions_scenario_version_id_scenario_versions"), "practice_sessions", type_="foreignkey"
    )
    op.drop_column("practice_sessions", "scenario_version_id")
    op.execute("DELETE FROM practice_sessions WHERE topic_id IS NULL")
    op.alter_column("practice_sessions", "topic_id", existing_type=sa.Uuid(), nullable=False)
    op.drop_table("scenario_versions")
    op.drop_table("scenarios")
