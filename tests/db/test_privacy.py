"""Privacy on the real database and real storage (local files and moto's S3 server): "download my data",
"delete my account", consent records and learners deleting their own recordings.

The export and the erasure are checked against the database catalogue, not a list kept by hand: every table
with a `user_id` column, and every text, JSON and UUID column of every table.
"""

from __future__ import annotations

import io
import json
import socket
import uuid
import zipfile
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from starlette.applications import Starlette
from starlette.testclient import TestClient

from speakpro.__main__ import main
from speakpro.integrations.storage import LocalStorage, S3Storage, new_audio_key, set_storage
from speakpro.models import (
    AmphitheatreExerciseRecord,
    AudioRecording,
    AuditLog,
    AuthSession,
    ClientSecret,
    DailyQuest,
    ExerciseAttempt,
    ExerciseSubmission,
    LessonSessionContext,
    MilestoneAttempt,
    OAuthIdentity,
    PracticeSession,
    PrivacyConsent,
    SessionAnalytics,
    StorageDeletion,
    TranscriptSegment,
    User,
    UserProfile,
    UserVenueUnlock,
    VenueEntry,
    utcnow,
)
from speakpro.privacy_routes import EXPORT_PATH, privacy_routes
from speakpro.services.accounts import accounts, onboarding, retention, sessions
from speakpro.services.accounts.consent import (
    PRIVACY_NOTICE_VERSION,
    current_consent,
    record_consent,
    recording_allowed,
)
from speakpro.services.accounts.data_export import export_user_data, user_rows, user_tables
from speakpro.services.accounts.erasure import ERASED_NAME, ErasureReport, check_erasure_confirmation, erase_user
from speakpro.services.accounts.own_recordings import RECORDING_NOT_FOUND, delete_recording, list_recordings
from speakpro.services.accounts.recording_refs import recording_keys
from speakpro.services.accounts.storage_deletions import retry_storage_deletions
from speakpro.services.analysis import analysis
from speakpro.services.dashboards import dashboards
from speakpro.services.dashboards.admin_overview import admin_overview
from speakpro.services.learning import economy, lessons, stakes
from speakpro.services.telemetry import record_telemetry
from speakpro.services.validation import ValidationError
from speakpro.services.world import amphitheatre
from speakpro.session_cookie import SESSION_COOKIE
from speakpro.state import edge
from speakpro.state.account import AccountState
from tests.factories import make_company, make_level, make_practice_session, make_topic, make_transcript
from tests.factories_learning import GOOD_SPEECH, make_path
from tests.factories_world import make_world_venue
from tests.signin import at_url, run, sign_in, token_of

PASSWORD = "a sturdy passphrase"
OGG = b"OggS\x00\x02" + bytes(range(256)) * 8
PERSONA = {
    "job_role": "Account executive",
    "audience": "Prospective customers",
    "main_goal": "Run confident discovery calls",
    "practice_for": "Sales conversations",
    "comfort_speaking": "3",
    "comfort_selling": "3",
}
BUCKET = "speakpro-privacy-test"
DIALOGUE = [
    ("ai", "Hello, this is Dana from Acme. How can I help?", 0, 3000),
    (
        "user",
        "Hi Dana, I'm {name}. I noticed you are hiring new reps this quarter. How do you onboard them today?",
        3500,
        12000,
    ),
    ("ai", "It takes three months.", 12500, 16000),
    ("user", "We cut onboarding to six weeks. Would a demo next Tuesday work for you?", 16500, 26000),
]


# ------------------------------------------------------------------------------------------------ storage
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        import boto3

        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.stop()


def _s3_keys(store: S3Storage, prefix: str) -> list[str]:
    listed = store._client.list_objects_v2(Bucket=store.bucket, Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    if request.param == "local":
        store = LocalStorage(tmp_path / "media", secret_key="x" * 40, base_url=lambda: "http://backend.test")
    else:
        store = S3Storage(
            BUCKET,
            endpoint_url=request.getfixturevalue("s3_endpoint"),
            region="us-east-1",
            access_key_id="testing",
            secret_access_key="testing",
        )
    set_storage(store)
    yield store
    set_storage(None)


@pytest.fixture
def local_storage(tmp_path):
    store = LocalStorage(tmp_path / "media", secret_key="x" * 40, base_url=lambda: "http://backend.test")
    set_storage(store)
    yield store
    set_storage(None)


def _stored_under(store, user_id) -> list[str]:
    """Every object (local: every file, content-type sidecars included) stored under the user's prefix."""
    prefix = f"audio/{user_id}/"
    if isinstance(store, S3Storage):
        return _s3_keys(store, prefix)
    folder = store.root / "audio" / str(user_id)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _put(store, user_id) -> str:
    key = new_audio_key(user_id, "ogg")
    store.put(key, OGG + key.encode(), "audio/ogg")
    return key


# ------------------------------------------------------------------------------------------------ builders
def _learner(session, company=None, *, name: str | None = None, password: str | None = PASSWORD):
    token = uuid.uuid4().hex[:10]
    name = name or f"Zelda Quixote {token}"
    email = f"privacy-{token}@example.com"
    if password:
        user = accounts.signup(
            session=session,
            email=email,
            password=password,
            display_name=name,
            join_code=company.join_code if company else "",
            user_agent="Firefox/Test",
        )
    else:
        user = accounts.login_with_identity(
            session=session, provider="github", subject=f"gh-{token}", email=email, email_verified=True, name=name
        )
        if company is not None:
            from speakpro.services.accounts import companies

            companies.join_company(session=session, user_id=user.id, code=company.join_code)
    onboarding.complete_onboarding(session=session, user_id=user.id, persona=onboarding.validate_persona(PERSONA))
    session.flush()
    return user


def _analysed_session(session, user, company, store, *, days_ago: int = 1, name: str = "") -> PracticeSession:
    started = utcnow() - timedelta(days=days_ago, minutes=3)
    practice = make_practice_session(
        session,
        user,
        make_topic(session),
        status="ended",
        processing_status="pending",
        started_at=started,
        ended_at=started + timedelta(minutes=2),
        duration_seconds=120,
        company_id=company.id if company else None,
    )
    transcript = make_transcript(session, practice)
    for i, (speaker, words, start, end) in enumerate(DIALOGUE):
        session.add(
            TranscriptSegment(
                transcript_id=transcript.id,
                sequence=i,
                speaker=speaker,
                text=words.format(name=name or user.display_name),
                start_ms=start,
                end_ms=end,
                is_final=True,
            )
        )
    key = _put(store, user.id)
    session.add(
        AudioRecording(
            session_id=practice.id,
            user_id=user.id,
            storage_key=key,
            mime_type="audio/ogg",
            size_bytes=len(OGG),
            duration_seconds=120.0,
        )
    )
    session.add(ClientSecret(session_id=practice.id, fingerprint="f" * 64, expires_at=utcnow()))
    session.flush()
    outcome = analysis.analyse_session(session=session, practice_session_id=practice.id)
    assert outcome.status == "complete", outcome
    return practice


def _rich_learner(session, company, store):
    """A learner with rows in (nearly) every table that has a user_id, and recordings of every kind."""
    user = _learner(session, company)
    sessions.create_session(session=session, user_id=user.id, user_agent="Firefox/Test")
    sessions.create_handoff(session=session, user_id=user.id)
    session.add(OAuthIdentity(user_id=user.id, provider="google", subject=f"g-{user.id}", email=user.email))
    record_consent(session=session, user_id=user.id, notice_version=PRIVACY_NOTICE_VERSION)
    retention.record_upload(session=session, user_id=user.id, key=_put(store, user.id))  # never attached
    economy.apply_reward(session=session, user_id=user.id, currency="coins", amount=5, reason="test", source_key="p")
    _analysed_session(session, user, company, store)

    # A guided lesson with a recorded speaking answer, and the module's stakes and a cooldown.
    _level, modules, by_module = make_path(session, modules=1, lessons=1)
    lesson = by_module[modules[0].id][0]
    stakes.get_or_choose_stakes(
        session=session, user_id=user.id, module_id=modules[0].id, scenario=f"Pitch to {user.display_name}'s board"
    )
    view = lessons.start_or_resume_lesson(session=session, user_id=user.id, lesson_id=lesson.id)
    lessons.answer_step(
        session=session,
        user_id=user.id,
        lesson_session_id=view.lesson_session_id,
        step_index=0,
        answer={"acknowledged": True},
        duration_ms=1000,
    )
    lesson_key = _put(store, user.id)
    retention.record_upload(session=session, user_id=user.id, key=lesson_key)
    lessons.answer_step(
        session=session,
        user_id=user.id,
        lesson_session_id=view.lesson_session_id,
        step_index=1,
        answer={"transcript": GOOD_SPEECH, "audio_ref": lesson_key},
        duration_ms=20000,
    )
    session.add(LessonSessionContext(user_id=user.id, module_id=modules[0].id, attempts=1))

    # The milestone, the amphitheatre, a venue visit, a quest, a legacy attempt.
    milestone_key = _put(store, user.id)
    session.add(
        MilestoneAttempt(
            user_id=user.id,
            level_id=make_level(session).id,
            audio_ref=milestone_key,
            transcript=f"My name is {user.display_name}.",
            score=80,
            passed=True,
        )
    )
    visit = amphitheatre.open_visit(session=session, user_id=user.id)
    amphitheatre_key = _put(store, user.id)
    amphitheatre.submit_exercise(
        session=session,
        user_id=user.id,
        visit_id=visit.id,
        exercise_key=visit.next_key,
        audio_ref=amphitheatre_key,
        reflection="I rushed the opening.",
        markers=["pace"],
    )
    venue = make_world_venue(session)
    entry = VenueEntry(user_id=user.id, venue_id=venue.id)
    session.add_all([entry, UserVenueUnlock(user_id=user.id, venue_id=venue.id)])
    session.flush()
    venue_key = _put(store, user.id)
    session.add(
        ExerciseSubmission(
            user_id=user.id,
            venue_entry_id=entry.id,
            stage="venue",
            payload={"venue": venue.slug, "exercise_order": 1, "text": "Hello", "audio_ref": venue_key},
        )
    )
    session.add(DailyQuest(user_id=user.id, quest_date=date.today(), quest_type="lesson_step", title="Do a step"))
    session.add(ExerciseAttempt(user_id=user.id, exercise_key="legacy", score=50, ai_feedback="ok"))
    record_telemetry(session=session, name="test_event", user_id=user.id, properties={"n": 1})
    accounts.change_password(session=session, user_id=user.id, current=PASSWORD, new=PASSWORD + " again")
    session.flush()
    return user


def _user_tables(session) -> list[str]:
    return user_tables(session)


def _counts(session, user_id) -> dict[str, int]:
    out = {}
    for table in _user_tables(session):
        n = session.execute(text(f'SELECT count(*) FROM "{table}" WHERE user_id = :u'), {"u": user_id}).scalar_one()
        if n:
            out[table] = n
    return out


def _searchable_columns(session) -> list[tuple[str, str, str]]:
    return [
        tuple(r)
        for r in session.execute(
            text(
                "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns AS c "
                "JOIN information_schema.tables AS t "
                "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
                "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' "
                "AND c.data_type IN ('text', 'character varying', 'jsonb', 'json', 'uuid', 'ARRAY') "
                "ORDER BY 1, 2"
            )
        ).all()
    ]


def _occurrences(session, needle: str) -> dict[tuple[str, str], int]:
    """(table, column) -> rows whose value (as text) contains `needle`, over every text, JSON and UUID column."""
    found = {}
    for table, column, _type in _searchable_columns(session):
        n = session.execute(
            text(f'SELECT count(*) FROM "{table}" WHERE strpos(lower("{column}"::text), lower(:needle)) > 0'),
            {"needle": needle},
        ).scalar_one()
        if n:
            found[(table, column)] = n
    return found


def _zip(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


# ----------------------------------------------------------------------------------------------------- export
def test_export_holds_every_row_of_the_user_and_their_recordings(session, storage):
    company = make_company(session)
    user = _rich_learner(session, company, storage)
    other = _rich_learner(session, company, storage)
    out = io.BytesIO()
    summary = export_user_data(session=session, user_id=user.id, out=out)
    raw = out.getvalue()
    archive = _zip(raw)
    names = set(archive.namelist())

    # Every table with a user_id column that holds rows of this user is in the zip, with exactly those rows.
    counts = _counts(session, user.id)
    assert len(counts) >= 22, counts  # the builder reaches nearly every table
    for table, n in counts.items():
        assert f"data/{table}.json" in names, table
        rows = json.loads(archive.read(f"data/{table}.json"))
        assert len(rows) == n, table
        assert {row["user_id"] for row in rows} == {str(user.id)}, table
    for table in (
        "users",
        "transcripts",
        "transcript_segments",
        "analysis_results",
        "client_secrets",
        "audit_log",
        "companies",
    ):
        assert f"data/{table}.json" in names, table
    [me] = json.loads(archive.read("data/users.json"))
    assert me["email"] == user.email and me["has_password"] is True and "password_hash" not in me
    assert all("fingerprint" not in row for row in json.loads(archive.read("data/client_secrets.json")))
    assert all("join_code" not in row for row in json.loads(archive.read("data/companies.json")))

    # Nobody else's rows, and no secret: password hash, token and code hashes, fingerprints, join codes.
    assert str(other.id).encode() not in raw and other.email.encode() not in raw
    zipped_text = b"".join(archive.read(name) for name in names if name.endswith((".json", ".txt")))
    assert str(other.id).encode() not in zipped_text and other.email.encode() not in zipped_text
    secrets = [session.get(User, user.id).password_hash, company.join_code, "f" * 64]
    secrets += session.execute(select(AuthSession.token_hash).where(AuthSession.user_id == user.id)).scalars().all()
    secrets += (
        session.execute(text("SELECT code_hash FROM auth_handoffs WHERE user_id = :u"), {"u": user.id}).scalars().all()
    )
    for secret in secrets:
        assert secret.encode() not in zipped_text

    # Every recording: practice, lesson, venue, milestone, amphitheatre, and the upload never attached.
    manifest = json.loads(archive.read("recordings.json"))
    assert {entry["kind"] for entry in manifest} == {
        "practice",
        "lesson",
        "venue",
        "milestone",
        "amphitheatre",
        "upload",
    }
    assert summary.recordings == len(manifest) == 6 and summary.missing_recordings == 0
    for entry in manifest:
        assert archive.read(entry["file"]) == storage.get(entry["key"])
        assert entry["key"].startswith(f"audio/{user.id}/")
    assert (
        session.execute(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "data.exported", AuditLog.subject_user_id == user.id)
        ).scalar_one()
        == 1
    )


def test_export_leaves_out_someone_elses_key_stored_on_the_users_rows(session, local_storage):
    user, other = _learner(session), _learner(session)
    foreign = _put(local_storage, other.id)
    session.add(MilestoneAttempt(user_id=user.id, level_id=make_level(session).id, audio_ref=foreign, score=1))
    session.flush()
    archive = _zip(_export_bytes(session, user.id))
    assert json.loads(archive.read("recordings.json")) == []
    assert not any(name.startswith("recordings/") for name in archive.namelist())


def test_export_leaves_out_what_the_user_did_to_someone_else(session, local_storage):
    company = make_company(session)
    manager, learner = _learner(session, company), _learner(session, company)
    accounts.set_disabled(session=session, actor_id=manager.id, user_id=learner.id, disabled=True)
    session.flush()
    raw = _export_bytes(session, manager.id)
    assert str(learner.id).encode() not in raw
    assert str(learner.id) in _zip(_export_bytes(session, learner.id)).read("data/audit_log.json").decode()


def _export_bytes(session, user_id) -> bytes:
    out = io.BytesIO()
    export_user_data(session=session, user_id=user_id, out=out)
    return out.getvalue()


def _client() -> TestClient:
    return TestClient(Starlette(routes=privacy_routes()))


def test_export_route_serves_the_zip_to_the_cookie_holder_only(session, local_storage):
    user = _learner(session)
    key = _put(local_storage, user.id)
    retention.record_upload(session=session, user_id=user.id, key=key)
    token = sessions.create_session(session=session, user_id=user.id)
    session.flush()
    client = _client()

    response = client.get(EXPORT_PATH, headers={"cookie": f"{SESSION_COOKIE}={token}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith('attachment; filename="speakpro-data-')
    assert response.headers["cache-control"] == "no-store"
    archive = _zip(response.content)
    assert json.loads(archive.read("data/users.json"))[0]["id"] == str(user.id)
    assert [e["key"] for e in json.loads(archive.read("recordings.json"))] == [key]

    assert client.get(EXPORT_PATH).status_code == 401
    assert client.get(EXPORT_PATH, headers={"cookie": f"{SESSION_COOKIE}=forged"}).status_code == 401
    sessions.revoke_session(session=session, token=token)
    session.flush()
    refused = client.get(EXPORT_PATH, headers={"cookie": f"{SESSION_COOKIE}={token}"})
    assert refused.status_code == 401 and refused.headers["cache-control"] == "no-store"
    assert "zip" not in refused.headers["content-type"]


def test_export_command_writes_the_zip(session, local_storage, tmp_path, capsys):
    user = _learner(session)
    target = tmp_path / "me.zip"
    assert main(["export-user", user.email.upper(), "--out", str(target)]) == 0
    assert json.loads(_zip(target.read_bytes()).read("data/users.json"))[0]["email"] == user.email
    assert capsys.readouterr().out.startswith(f"wrote {target}")
    assert main(["export-user", "nobody-here@example.com", "--out", str(tmp_path / "x.zip")]) == 1
    assert not (tmp_path / "x.zip").exists()


# ---------------------------------------------------------------------------------------------------- erasure
def _dashboard(session, company):
    board = dashboards.company_dashboard(
        session=session, company_id=company.id, date_from=date.today() - timedelta(days=60), date_to=date.today()
    )
    totals = {(t.slug): (t.sessions, t.average_score, t.minutes) for t in admin_overview(session=session)}
    return (
        (board.sessions, board.average_score, board.total_seconds, board.active_learners),
        [(d.day, d.sessions, d.average_score, d.minutes, d.active_learners) for d in board.daily],
        board.skills,
        sorted((r.sessions, r.average_score, r.first_score, r.latest_score) for r in board.learners),
        totals[company.slug],
    )


def test_erasure_leaves_nothing_of_the_person_and_company_totals_unchanged(session, storage):
    company = make_company(session)
    user = _rich_learner(session, company, storage)
    _analysed_session(session, user, company, storage, days_ago=3)
    other = _rich_learner(session, company, storage)
    other_rows = user_rows(session=session, user_id=other.id)
    other_objects = _stored_under(storage, other.id)
    before = _dashboard(session, company)
    names = [
        r.name
        for r in dashboards.company_dashboard(
            session=session, company_id=company.id, date_from=None, date_to=None
        ).learners
    ]
    assert user.display_name in names
    keys = recording_keys(session=session, user_id=user.id)
    assert len(keys) == 7 and len([n for n in _stored_under(storage, user.id) if not n.startswith(".")]) == 7
    email, name, user_id = user.email, user.display_name, user.id

    report = erase_user(session=session, user_id=user_id)
    assert report.erased and report.sessions_kept_anonymised == 2
    assert report.objects_deleted == 7 and report.objects_pending == 0

    # Nothing of the person in any text, JSON or UUID column of any table; their id only in the append-only
    # audit log (as the module docstring says), never their email or name.
    assert _occurrences(session, email) == {}
    assert _occurrences(session, name) == {}
    assert {table for table, _ in _occurrences(session, str(user_id))} <= {"audit_log"}
    assert _counts(session, user_id) == {}
    assert _stored_under(storage, user_id) == [] and not any(storage.exists(key) for key in keys)
    assert session.execute(select(func.count()).select_from(StorageDeletion)).scalar_one() == 0

    # The company's figures are the same; the person is an anonymous stand-in on the dashboard.
    assert _dashboard(session, company) == before
    after = dashboards.company_dashboard(session=session, company_id=company.id, date_from=None, date_to=None)
    assert name not in [r.name for r in after.learners] and ERASED_NAME in [r.name for r in after.learners]
    kept = (
        session.execute(
            select(PracticeSession)
            .join(SessionAnalytics, SessionAnalytics.session_id == PracticeSession.id)
            .where(SessionAnalytics.company_id == company.id, PracticeSession.user_id != other.id)
        )
        .scalars()
        .all()
    )
    assert len(kept) == 2 and all(p.deleted_at is not None and p.status == "archived" for p in kept)
    stand_in = session.get(User, kept[0].user_id)
    assert stand_in.disabled and stand_in.password_hash is None and stand_in.email.endswith("@erased.invalid")

    # The audit row of the erasure names nobody.
    erased = session.execute(
        select(AuditLog).where(AuditLog.action == "account.erased").order_by(AuditLog.created_at.desc()).limit(1)
    ).scalar_one()
    assert erased.subject_user_id is None and erased.actor_user_id is None and erased.company_id == company.id
    assert erased.details["via"] == "self" and erased.details["rows"]["practice_sessions"] == 2

    # The other learner is untouched.
    assert user_rows(session=session, user_id=other.id) == other_rows
    assert _stored_under(storage, other.id) == other_objects

    # Again: nothing to do.
    assert erase_user(session=session, user_id=user_id) == ErasureReport(erased=False)


def test_erasure_with_storage_down_keeps_the_to_do_and_the_retry_finishes_it(session, local_storage):
    user = _learner(session)
    keys = [_put(local_storage, user.id) for _ in range(2)]
    for key in keys:
        retention.record_upload(session=session, user_id=user.id, key=key)

    class Down(LocalStorage):
        def delete(self, key):
            from speakpro.integrations.storage import StorageError

            raise StorageError("down")

    down = Down(local_storage.root, secret_key="x" * 40, base_url=lambda: "http://backend.test")
    report = erase_user(session=session, user_id=user.id, storage=down)
    assert report.erased and report.objects_pending == 2 and all(local_storage.exists(k) for k in keys)
    pending = session.execute(select(StorageDeletion)).scalars().all()
    assert sorted(p.key for p in pending) == sorted(keys) and {p.attempts for p in pending} == {1}

    assert retry_storage_deletions(session=session).deleted == 2
    assert not any(local_storage.exists(k) for k in keys)
    assert session.execute(select(func.count()).select_from(StorageDeletion)).scalar_one() == 0


def test_an_upload_landing_after_the_erasure_is_refused(session, local_storage):
    user = _learner(session)
    key = new_audio_key(user.id, "ogg")
    erase_user(session=session, user_id=user.id)
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), session.begin_nested():
        retention.record_upload(session=session, user_id=user.id, key=key)
    with pytest.raises(ValidationError):
        retention.record_upload(session=session, user_id=uuid.uuid4(), key=key)


def test_erase_command_needs_yes_and_erases_by_email(session, local_storage, capsys):
    user = _learner(session)
    user_id, email = user.id, user.email
    assert main(["erase-user", email]) == 2
    assert session.get(User, user_id) is not None
    assert main(["erase-user", email, "--yes"]) == 0
    session.expire_all()
    assert session.get(User, user_id) is None
    erased = session.execute(
        select(AuditLog).where(AuditLog.action == "account.erased").order_by(AuditLog.created_at.desc()).limit(1)
    ).scalar_one()
    assert erased.details["via"] == "admin"
    assert main(["erase-user", email, "--yes"]) == 0  # already gone: nothing to do
    assert "no account" in capsys.readouterr().out.lower()


# ------------------------------------------------------------------------------------------ account page
def _account_state(session, user) -> AccountState:
    state = AccountState()
    sign_in(state, sessions.create_session(session=session, user_id=user.id))
    at_url(state, "http://localhost:3000/account")
    return state


async def test_delete_my_account_asks_for_the_password_then_signs_out(session, local_storage):
    user = _learner(session)
    key = _put(local_storage, user.id)
    retention.record_upload(session=session, user_id=user.id, key=key)
    state = _account_state(session, user)
    await run(state.load)
    assert state.privacy_needs_password

    await run(state.delete_account, {"confirmation": "not my password"})
    assert state.delete_error == "That is not your password. Nothing was deleted."
    assert session.get(User, user.id) is not None and local_storage.exists(key)
    assert state.navigate_to == ""

    user_id = user.id
    await run(state.delete_account, {"confirmation": PASSWORD})
    session.expire_all()
    assert session.get(User, user_id) is None and not local_storage.exists(key)
    assert state.navigate_to.startswith("/auth/signed-out?next=%2F") and not state.signed_in
    assert state.delete_error == ""


async def test_an_account_without_password_confirms_with_its_email(session, local_storage):
    user = _learner(session, password=None)
    state = _account_state(session, user)
    await run(state.load)
    assert not state.privacy_needs_password
    await run(state.delete_account, {"confirmation": "someone@else.example"})
    assert "Type your email address" in state.delete_error and session.get(User, user.id) is not None
    user_id = user.id
    await run(state.delete_account, {"confirmation": f"  {user.email.upper()} "})
    session.expire_all()
    assert session.get(User, user_id) is None


async def test_wrong_confirmations_count_against_the_login_throttle(session, local_storage):
    user = _learner(session)
    for _ in range(8):
        assert check_erasure_confirmation(session=session, user_id=user.id, confirmation="wrong") != ""
    message = check_erasure_confirmation(session=session, user_id=user.id, confirmation=PASSWORD)
    assert message.startswith("Too many wrong passwords")


async def test_account_page_shows_the_consent_and_offers_the_download(session, local_storage):
    user = _learner(session)
    state = _account_state(session, user)
    await run(state.load)
    assert state.consent_notice == "" and state.consent_recording == ""
    record_consent(session=session, user_id=user.id, notice_version=PRIVACY_NOTICE_VERSION, recording=False)
    session.flush()
    await run(state.load)
    assert PRIVACY_NOTICE_VERSION in state.consent_notice
    assert state.consent_recording.startswith("Not allowed")
    events = await run(state.download_data)
    assert any(EXPORT_PATH in str(event) for event in events)


async def test_the_account_page_records_a_new_consent_as_ticked_and_keeps_the_history(session):
    user = _learner(session)
    state = _account_state(session, user)
    await run(state.load)
    assert state.consent_notice == "" and not state.recording_allowed and not state.consent_current
    refused = await run(state.save_consent, {"recording_consent": True})  # the notice box left unticked
    assert "privacy notice" in str(refused) and current_consent(session=session, user_id=user.id) is None
    await run(state.save_consent, {"privacy_notice": True, "recording_consent": True})
    assert state.recording_allowed and state.consent_current and state.consent_recording.startswith("Allowed")
    assert recording_allowed(session=session, user_id=user.id)
    key = state.consent_form_key
    await run(state.save_consent, {"privacy_notice": "on"})  # recordings unticked: stopped
    assert not recording_allowed(session=session, user_id=user.id)
    assert state.consent_recording.startswith("Not allowed") and state.consent_form_key == key + 1
    rows = session.execute(
        select(func.count()).select_from(PrivacyConsent).where(PrivacyConsent.user_id == user.id)
    ).scalar_one()
    assert rows == 2


async def test_onboarding_asks_an_account_without_consent_for_it_and_records_it_with_the_persona(session):
    from speakpro.state.onboarding import OnboardingState
    from tests.factories import make_user
    from tests.payloads import ONBOARDING

    user = make_user(session, recording_consent=None)  # as an OpenID sign-in leaves it
    state = OnboardingState()
    sign_in(state, sessions.create_session(session=session, user_id=user.id))
    at_url(state, "http://localhost:3000/onboarding")
    await run(state.load)
    assert state.needs_consent
    state.needs_consent = False  # the page's state lost (a new backend): the database still decides
    await run(state.submit, dict(ONBOARDING))
    assert "privacy notice" in state.error and current_consent(session=session, user_id=user.id) is None
    assert state.needs_consent  # the boxes are shown again
    await run(state.submit, {**ONBOARDING, "privacy_notice": True, "recording_consent": False})
    consent = current_consent(session=session, user_id=user.id)
    assert consent is not None and consent.current and not consent.recording
    profile = session.execute(select(UserProfile).where(UserProfile.user_id == user.id)).scalar_one()
    session.refresh(profile)
    assert profile.onboarding_completed


# ----------------------------------------------------------------------------------------------- consent
def test_consent_is_recorded_with_its_version_and_history(session):
    user = _learner(session)
    assert current_consent(session=session, user_id=user.id) is None
    first = record_consent(session=session, user_id=user.id, notice_version="2026-01-01")
    record_consent(session=session, user_id=user.id, notice_version=PRIVACY_NOTICE_VERSION)
    view = current_consent(session=session, user_id=user.id)
    assert view.notice_version == PRIVACY_NOTICE_VERSION and view.current and view.recording
    assert view.recording_since == first.created_at and view.accepted_at.tzinfo is not None
    record_consent(session=session, user_id=user.id, notice_version=PRIVACY_NOTICE_VERSION, recording=False)
    view = current_consent(session=session, user_id=user.id)
    assert not view.recording and view.recording_since == view.accepted_at
    with pytest.raises(ValidationError):
        record_consent(session=session, user_id=user.id, notice_version=" ")


def test_recordings_are_allowed_only_by_the_newest_consent(session):
    user = _learner(session)
    assert recording_allowed(session=session, user_id=user.id) is False  # none on record
    record_consent(session=session, user_id=user.id, recording=True)
    assert recording_allowed(session=session, user_id=user.id) is True
    record_consent(session=session, user_id=user.id, recording=False)
    assert recording_allowed(session=session, user_id=user.id) is False


# ------------------------------------------------------------------------------------ own recordings
def test_learner_deletes_lesson_milestone_and_amphitheatre_recordings(session, local_storage):
    company = make_company(session)
    user = _rich_learner(session, company, local_storage)
    other = _learner(session)
    listed = list_recordings(session=session, user_id=user.id)
    assert sorted(item.kind for item in listed) == ["amphitheatre", "lesson", "milestone", "venue"]
    assert all(item.url.startswith("http://backend.test/api/media/") for item in listed)
    by_kind = {item.kind: item for item in listed}
    assert by_kind["amphitheatre"].title.startswith("Visit 1: ") and by_kind["lesson"].title.startswith("Lesson 1")

    for kind in ("lesson", "milestone", "amphitheatre", "venue"):
        key = by_kind[kind].key
        with pytest.raises(ValidationError):
            delete_recording(session=session, user_id=other.id, key=key)
        assert delete_recording(session=session, user_id=user.id, key=key) >= 1
        assert not local_storage.exists(key)
        assert delete_recording(session=session, user_id=user.id, key=key) == 0  # idempotent
        assert key not in recording_keys(session=session, user_id=user.id)
    assert list_recordings(session=session, user_id=user.id) == []
    # The attempts stay, without audio.
    assert (
        session.execute(select(MilestoneAttempt.audio_ref).where(MilestoneAttempt.user_id == user.id)).scalar_one()
        is None
    )
    assert (
        session.execute(
            select(AmphitheatreExerciseRecord.audio_refs).where(AmphitheatreExerciseRecord.user_id == user.id)
        ).scalar_one()
        == []
    )
    audits = (
        session.execute(
            select(AuditLog.target_type).where(
                AuditLog.action == "recording.deleted", AuditLog.subject_user_id == user.id
            )
        )
        .scalars()
        .all()
    )
    assert sorted(audits) == ["amphitheatre", "lesson", "milestone", "venue"]

    practice_key = session.execute(
        select(AudioRecording.storage_key).where(AudioRecording.user_id == user.id)
    ).scalar_one()
    with pytest.raises(ValidationError, match="practice session"):
        delete_recording(session=session, user_id=user.id, key=practice_key)
    assert local_storage.exists(practice_key)


async def test_history_lists_other_recordings_and_the_amphitheatre_deletes_its_own(session, local_storage):
    from speakpro.state.amphitheatre import AmphitheatreState
    from speakpro.state.history import HistoryState

    user = _rich_learner(session, make_company(session), local_storage)
    page = _account_state(session, user)  # a signed-in state, to borrow its cookie
    history = sign_in(HistoryState(), token_of(page))
    at_url(history, "http://localhost:3000/history")
    await run(history.load)
    assert sorted(row.kind for row in history.recordings) == ["amphitheatre", "lesson", "milestone", "venue"]
    milestone = next(row for row in history.recordings if row.kind == "milestone")
    events = await run(history.delete_recording, milestone.key)
    assert not local_storage.exists(milestone.key) and history.recording_deleting == ""
    assert "milestone" not in [row.kind for row in history.recordings]
    assert any("deleted" in str(event) for event in events)
    await run(history.delete_recording, "audio/not-mine/x.ogg")
    assert history.recordings_error == RECORDING_NOT_FOUND

    hub = sign_in(AmphitheatreState(), token_of(page))
    at_url(hub, "http://localhost:3000/amphitheatre")
    await run(hub.load)
    [done] = [e for e in hub.exercises if e.done]
    key = done.audio_ref
    assert done.has_audio and key.startswith(f"audio/{user.id}/") and local_storage.exists(key)
    await run(hub.delete_recording, key)
    [done] = [e for e in hub.exercises if e.done]
    assert not done.has_audio and done.audio_ref == "" and not local_storage.exists(key)


@pytest.mark.parametrize("kind", ["empty", "megabyte", "unicode", "bidi-override", "script", "sql"])
async def test_hostile_confirmations_and_keys_change_nothing(session, local_storage, kind):
    from tests.payloads import HOSTILE

    user = _learner(session)
    key = _put(local_storage, user.id)
    session.add(MilestoneAttempt(user_id=user.id, level_id=make_level(session).id, audio_ref=key, score=1))
    session.flush()
    state = _account_state(session, user)
    events = await run(state.delete_account, {"confirmation": HOSTILE[kind]})
    if kind == "megabyte":  # refused whole at the edge, before any work
        assert any(edge.TOO_LONG in str(event) for event in events) and state.delete_error == ""
    else:
        assert state.delete_error and not state.deleting
    assert session.get(User, user.id) is not None
    events = await run(state.delete_account, {"confirmation": [HOSTILE[kind]]})  # not even a string
    assert any(edge.FORM_UNREADABLE in str(event) for event in events) and session.get(User, user.id) is not None

    from speakpro.state.history import HistoryState

    history = sign_in(HistoryState(), token_of(state))
    await run(history.delete_recording, HOSTILE[kind])
    assert history.recordings_error == ("" if kind == "megabyte" else RECORDING_NOT_FOUND)
    events = await run(history.delete_recording, {"key": key})  # a key inside an object: refused at the edge
    assert any(edge.REFUSED_TOAST_ID in str(event) for event in events) and local_storage.exists(key)
