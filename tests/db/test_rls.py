"""Row-Level Security (migration 0009): the database itself keeps learners to their rows and managers to their
company, whatever the query says.

Each test builds its rows as the owner, then switches its own transaction to the app's role
(`SET LOCAL ROLE speakpro_app`: not superuser, not owner, NOBYPASSRLS) with a viewer's context, exactly as
the app's engine does at the start of every transaction, and runs real queries: some with their WHERE
clause removed, some the product's own service calls pointed at another person's id.
"""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from speakpro.db import APP_ROLE, SYSTEM, DbContext, enter_context
from speakpro.models import AudioRecording, TranscriptSegment, utcnow
from speakpro.models.analysis import SessionAnalytics
from speakpro.services.accounts.sessions import create_session, resolve_session, viewer_context
from speakpro.services.dashboards import dashboards
from speakpro.services.practice import history, transcripts
from tests.factories import days_ago, make_company, make_practice_session, make_transcript, make_user


def _as_app(session, context: DbContext) -> None:
    session.execute(text(f"SET LOCAL ROLE {APP_ROLE}"))
    enter_context(session, context)


def _world(session):
    """Two companies, a learner in each, a manager of the first, a solo learner; each learner with a session,
    its transcript, segments, a recording and an analytics row."""
    north, south = make_company(session), make_company(session)
    people = {
        "north_learner": make_user(session, company=north, onboarding_completed=True),
        "north_manager": make_user(session, company=north, role="manager", onboarding_completed=True),
        "south_learner": make_user(session, company=south, onboarding_completed=True),
        "solo": make_user(session, onboarding_completed=True),
    }
    sessions = {}
    for name in ("north_learner", "south_learner", "solo"):
        user = people[name]
        company_id = north.id if name == "north_learner" else south.id if name == "south_learner" else None
        practice = make_practice_session(
            session,
            user,
            company_id=company_id,
            status="ended",
            started_at=days_ago(1),
            ended_at=utcnow(),
            duration_seconds=120,
        )
        transcript = make_transcript(session, practice)
        session.add(
            TranscriptSegment(
                transcript_id=transcript.id,
                sequence=0,
                speaker="user",
                text=f"words of {name}",
                start_ms=0,
                end_ms=900,
                is_final=True,
            )
        )
        session.add(
            AudioRecording(
                session_id=practice.id,
                user_id=user.id,
                storage_key=f"audio/{user.id}/{name}.webm",
                mime_type="audio/webm",
                size_bytes=100,
                is_primary=True,
            )
        )
        session.add(
            SessionAnalytics(
                session_id=practice.id,
                user_id=user.id,
                company_id=company_id,
                overall_score=60,
                duration_seconds=120,
                session_date=date.today(),
            )
        )
        sessions[name] = practice
    session.flush()
    return north, south, people, sessions


def _ctx(session, user) -> DbContext:
    token = create_session(session=session, user_id=user.id)
    return viewer_context(resolve_session(session=session, token=token))


def test_the_app_role_is_neither_superuser_nor_owner_and_cannot_bypass(session):
    role = session.execute(
        text("SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = :name"),
        {"name": APP_ROLE},
    ).one()
    assert tuple(role) == (False, False, False, False)
    owned = session.execute(
        text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = :n"), {"n": APP_ROLE}
    ).scalar_one()
    assert owned == 0


def test_every_table_with_a_learners_or_a_companys_rows_is_forced_under_rls(session):
    tables = (
        session.execute(
            text(
                """SELECT DISTINCT c.table_name FROM information_schema.columns c
           JOIN information_schema.tables t ON t.table_name = c.table_name AND t.table_schema = c.table_schema
           WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
             AND c.column_name IN ('user_id', 'company_id', 'session_id', 'transcript_id')
             AND c.table_name NOT LIKE 'procrastinate_%'"""
            )
        )
        .scalars()
        .all()
    )
    tables = {*tables, "users", "companies"}
    flags = dict(
        session.execute(
            text("SELECT relname, relrowsecurity AND relforcerowsecurity FROM pg_class WHERE relname = ANY(:names)"),
            {"names": sorted(tables)},
        ).all()
    )
    assert len(flags) == len(tables) and all(flags.values()), {t for t, on in flags.items() if not on}


def test_no_context_no_rows(session):
    _world(session)
    _as_app(session, DbContext())
    for table in (
        "users",
        "user_profiles",
        "companies",
        "practice_sessions",
        "transcripts",
        "transcript_segments",
        "audio_recordings",
        "session_analytics",
        "auth_sessions",
        "reward_ledger",
    ):
        assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0, table


def test_a_learner_sees_only_their_own_rows_even_without_a_where_clause(session):
    north, _south, people, sessions = _world(session)
    me = people["north_learner"]
    context = _ctx(session, me)
    _as_app(session, context)
    for table in ("practice_sessions", "audio_recordings", "session_analytics", "user_profiles"):
        owners = set(session.execute(text(f"SELECT user_id FROM {table}")).scalars())
        assert owners == {me.id}, table
    assert set(session.execute(text("SELECT id FROM users")).scalars()) == {me.id}
    assert set(session.execute(text("SELECT id FROM companies")).scalars()) == {north.id}
    texts = set(session.execute(text("SELECT text FROM transcript_segments")).scalars())
    assert texts == {"words of north_learner"}
    # The product's own reads pointed at someone else: nothing comes back.
    other = people["south_learner"]
    assert history.list_history(session=session, user_id=other.id, page=1).total == 0
    with pytest.raises(Exception):  # noqa: B017 - "not found", whichever way the service says it
        transcripts.transcript_tail(session=session, user_id=other.id, practice_session_id=sessions["south_learner"].id)


def test_a_learner_cannot_write_a_row_for_someone_else(session):
    _north, _south, people, sessions = _world(session)
    _as_app(session, _ctx(session, people["north_learner"]))
    with pytest.raises(ProgrammingError, match="row-level security"):
        session.execute(
            text(
                "INSERT INTO audio_recordings (id, session_id, user_id, storage_key, mime_type, "
                "size_bytes, is_primary, quality_status, created_at) VALUES (:id, :s, :u, 'k', "
                "'audio/webm', 1, false, 'ok', now())"
            ),
            {"id": uuid.uuid4(), "s": sessions["south_learner"].id, "u": people["south_learner"].id},
        )


def test_a_manager_sees_their_company_only(session):
    north, south, people, _sessions = _world(session)
    manager = people["north_manager"]
    _as_app(session, _ctx(session, manager))
    analytics_companies = set(session.execute(text("SELECT company_id FROM session_analytics")).scalars())
    assert analytics_companies == {north.id}
    members = set(session.execute(text("SELECT id FROM users")).scalars())
    assert members == {people["north_learner"].id, manager.id}
    # A manager reads aggregates, not their learners' transcripts or recordings.
    assert session.execute(text("SELECT count(*) FROM transcript_segments")).scalar_one() == 0
    assert session.execute(text("SELECT count(*) FROM audio_recordings")).scalar_one() == 0
    # The dashboard service asked for the other company (its access check skipped): zeros, no names.
    board = dashboards.company_dashboard(session=session, company_id=south.id, date_from=None, date_to=None)
    assert board.learners == [] and board.sessions == 0 and board.active_learners == 0


def test_admins_and_the_system_see_every_row(session):
    _world(session)
    admin = make_user(session, onboarding_completed=True)
    admin.is_admin = True
    session.flush()
    expected = session.execute(text("SELECT count(*) FROM practice_sessions")).scalar_one()
    _as_app(session, _ctx(session, admin))
    assert session.execute(text("SELECT count(*) FROM practice_sessions")).scalar_one() == expected
    enter_context(session, SYSTEM)
    assert session.execute(text("SELECT count(*) FROM transcript_segments")).scalar_one() >= 3


def test_session_resolution_and_ingestion_work_before_any_context(session):
    _north, _south, people, _sessions = _world(session)
    me = people["solo"]
    token = create_session(session=session, user_id=me.id)
    live = make_practice_session(session, me, status="active")
    session.flush()
    _as_app(session, DbContext())
    viewer = resolve_session(session=session, token=token)
    assert viewer is not None and viewer.user_id == me.id
    segment = {"sequence": 0, "speaker": "user", "text": "hello", "start_ms": 0, "end_ms": 400, "is_final": True}
    result = transcripts.ingest_segments(
        session=session, user_id=me.id, practice_session_id=live.id, segments=[segment]
    )
    assert result.inserted == 1
