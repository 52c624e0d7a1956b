"""Retention sweeps on the real database and real (local) storage: each deletes exactly what it should.

Every sweep is compared with the rule it implements applied to a snapshot of the whole table, so rows left by
other tests cannot hide a sweep that deletes too much or too little.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from speakpro import jobs
from speakpro.integrations.storage import LocalStorage, StorageError, new_audio_key, set_storage
from speakpro.models import (
    AmphitheatreExerciseRecord,
    AudioRecording,
    AuditLog,
    AuthHandoff,
    AuthSession,
    ExerciseSubmission,
    LoginThrottle,
    MilestoneAttempt,
    StorageDeletion,
    Transcript,
    Upload,
    UserProfile,
    utcnow,
)
from speakpro.models.privacy import COMPANY_RECORDING_RETENTION_DAYS
from speakpro.services.accounts import retention, sessions
from speakpro.services.accounts.recording_refs import recording_refs
from speakpro.services.accounts.sessions import IDLE_TIMEOUT
from speakpro.services.accounts.storage_deletions import retry_storage_deletions
from speakpro.services.practice.session_deletion import delete_session
from speakpro.services.validation import ValidationError
from speakpro.services.world import amphitheatre
from speakpro.state import edge
from speakpro.state.company import CompanyState
from tests.factories import make_company, make_level, make_practice_session, make_topic, make_transcript, make_user
from tests.signin import run, sign_in

OGG = b"OggS\x00\x02" + bytes(range(256)) * 4


def _put(store, user_id) -> str:
    key = new_audio_key(user_id, "ogg")
    store.put(key, OGG, "audio/ogg")
    return key


def _upload(session, store, user, *, hours_ago: float) -> str:
    key = _put(store, user.id)
    retention.record_upload(session=session, user_id=user.id, key=key)
    session.execute(update(Upload).where(Upload.key == key).values(created_at=utcnow() - timedelta(hours=hours_ago)))
    return key


# ----------------------------------------------------------------------------------------------- uploads
def test_unattached_uploads_go_after_a_day_and_attached_ones_stay(session, storage):
    user, other = make_user(session), make_user(session)
    stale = _upload(session, storage, user, hours_ago=25)
    stale_other = _upload(session, storage, other, hours_ago=30)
    fresh = _upload(session, storage, user, hours_ago=23)
    milestone = _upload(session, storage, user, hours_ago=26)
    session.add(MilestoneAttempt(user_id=user.id, level_id=make_level(session).id, audio_ref=milestone, score=1))
    lesson = _upload(session, storage, user, hours_ago=26)
    session.add(
        ExerciseSubmission(
            user_id=user.id, stage="speaking", payload={"answer": {"transcript": "Hi", "audio_ref": lesson}}
        )
    )
    bystander = _put(storage, other.id)  # stored without an upload row: never touched
    session.flush()
    before = set(session.execute(select(Upload.key)).scalars())
    now = utcnow()
    expected = {
        k
        for k, at in session.execute(select(Upload.key, Upload.created_at))
        if at < now - retention.UNATTACHED_AFTER and k not in (milestone, lesson)
    }

    assert retention.sweep_unattached_uploads(session=session, now=now) == len(expected)
    assert {stale, stale_other} <= expected
    assert not storage.exists(stale) and not storage.exists(stale_other)
    for kept in (fresh, milestone, lesson, bystander):
        assert storage.exists(kept)
    left = set(session.execute(select(Upload.key)).scalars())
    # The attached ones leave the table too (their reference is their record now); the fresh one waits.
    assert left == {k for k in before if k not in expected and k not in (milestone, lesson)}
    assert fresh in left
    assert (
        session.execute(
            select(func.count()).select_from(StorageDeletion).where(StorageDeletion.key.in_(expected))
        ).scalar_one()
        == 0
    )
    assert session.execute(
        select(AuditLog.details)
        .where(AuditLog.action == "retention.unattached_uploads")
        .order_by(AuditLog.created_at.desc())
        .limit(1)
    ).scalar_one() == {"objects": len(expected)}

    assert retention.sweep_unattached_uploads(session=session, now=now) == 0  # idempotent


def test_a_failed_object_deletion_is_retried_later(session, storage):
    user = make_user(session)
    key = _upload(session, storage, user, hours_ago=48)

    class Down(LocalStorage):
        def delete(self, key):
            raise StorageError("down")

    set_storage(Down(storage.root, secret_key="x" * 40, base_url=lambda: "http://backend.test"))
    retention.sweep_unattached_uploads(session=session)
    set_storage(storage)
    assert storage.exists(key)
    row = session.get(StorageDeletion, key)
    assert row.attempts == 1 and row.reason == "unattached" and row.last_attempt_at is not None
    assert session.get(Upload, key) is None

    assert retry_storage_deletions(session=session).deleted >= 1
    session.expire_all()
    assert not storage.exists(key) and session.get(StorageDeletion, key) is None


def test_a_deleted_sessions_recording_is_purged_by_the_retry_job_when_storage_failed(session, storage):

    user = make_user(session)
    practice = make_practice_session(
        session,
        user,
        make_topic(session),
        status="analyzed",
        started_at=utcnow() - timedelta(hours=1),
        ended_at=utcnow(),
        duration_seconds=60,
    )
    key = _put(storage, user.id)
    session.add(
        AudioRecording(
            session_id=practice.id, user_id=user.id, storage_key=key, mime_type="audio/ogg", size_bytes=len(OGG)
        )
    )
    session.flush()

    class Down(LocalStorage):
        def delete(self, key):
            raise StorageError("down")

    set_storage(Down(storage.root, secret_key="x" * 40, base_url=lambda: "http://backend.test"))
    delete_session(session=session, user_id=user.id, practice_session_id=practice.id)
    set_storage(storage)
    assert storage.exists(key) and session.get(StorageDeletion, key).reason == "session"

    retry_storage_deletions(session=session)
    session.expire_all()
    assert not storage.exists(key) and session.get(StorageDeletion, key) is None


# -------------------------------------------------------------------------------------------------- logins
def test_expired_logins_sweep_deletes_exactly_the_dead_ones(session):
    user = make_user(session)
    now = utcnow()
    live = sessions.create_session(session=session, user_id=user.id)
    made = {}
    for name, values in {
        "expired": {"expires_at": now - timedelta(seconds=1)},
        "revoked": {"revoked_at": now - timedelta(minutes=1)},
        "idle": {"last_seen_at": now - IDLE_TIMEOUT - timedelta(minutes=1)},
    }.items():
        made[name] = AuthSession(
            user_id=user.id,
            token_hash=uuid.uuid4().hex,
            created_at=now - timedelta(days=8),
            last_seen_at=values.get("last_seen_at", now),
            expires_at=values.get("expires_at", now + timedelta(days=1)),
            revoked_at=values.get("revoked_at"),
        )
    session.add_all(made.values())
    handoffs = {
        "used": AuthHandoff(
            code_hash=uuid.uuid4().hex, user_id=user.id, expires_at=now + timedelta(minutes=1), used_at=now
        ),
        "expired": AuthHandoff(code_hash=uuid.uuid4().hex, user_id=user.id, expires_at=now - timedelta(seconds=1)),
        "fresh": AuthHandoff(code_hash=uuid.uuid4().hex, user_id=user.id, expires_at=now + timedelta(minutes=2)),
    }
    session.add_all(handoffs.values())
    throttles = {
        "old": LoginThrottle(key=f"account:{uuid.uuid4().hex}", failures=2, window_started_at=now - timedelta(days=2)),
        "locked": LoginThrottle(
            key=f"account:{uuid.uuid4().hex}",
            failures=9,
            window_started_at=now - timedelta(days=2),
            locked_until=now + timedelta(minutes=5),
        ),
        "recent": LoginThrottle(key=f"client:{uuid.uuid4().hex}", failures=1, window_started_at=now),
    }
    session.add_all(throttles.values())
    session.flush()

    def dead_sessions():
        return {
            r.id
            for r in session.execute(select(AuthSession)).scalars()
            if r.expires_at <= now or r.revoked_at is not None or r.last_seen_at <= now - IDLE_TIMEOUT
        }

    def dead_handoffs():
        return {
            r.code_hash
            for r in session.execute(select(AuthHandoff)).scalars()
            if r.used_at is not None or r.expires_at <= now
        }

    def dead_throttles():
        return {
            r.key
            for r in session.execute(select(LoginThrottle)).scalars()
            if (r.locked_until is None or r.locked_until <= now) and r.window_started_at <= now - timedelta(days=1)
        }

    expected = (dead_sessions(), dead_handoffs(), dead_throttles())
    all_before = (
        set(session.execute(select(AuthSession.id)).scalars()),
        set(session.execute(select(AuthHandoff.code_hash)).scalars()),
        set(session.execute(select(LoginThrottle.key)).scalars()),
    )
    has_tokens = session.execute(text("SELECT to_regclass('used_download_tokens') IS NOT NULL")).scalar_one()
    if has_tokens:
        session.execute(
            text(
                "INSERT INTO used_download_tokens (token_id, user_id, company_id, used_at, expires_at) "
                "VALUES (:a, :u, :c, :now, :past), (:b, :u, :c, :now, :future)"
            ),
            {
                "a": uuid.uuid4(),
                "b": uuid.uuid4(),
                "u": user.id,
                "c": make_company(session).id,
                "now": now,
                "past": now - timedelta(seconds=1),
                "future": now + timedelta(minutes=2),
            },
        )
        spent_expired = session.execute(
            text("SELECT count(*) FROM used_download_tokens WHERE expires_at <= :now"), {"now": now}
        ).scalar_one()

    counts = retention.sweep_expired_logins(session=session, now=now)
    assert counts["auth_sessions"] == len(expected[0]) and counts["auth_handoffs"] == len(expected[1])
    assert counts["login_throttles"] == len(expected[2])
    assert {made["expired"].id, made["revoked"].id, made["idle"].id} <= expected[0]
    assert {handoffs["used"].code_hash, handoffs["expired"].code_hash} <= expected[1]
    assert throttles["old"].key in expected[2]
    assert set(session.execute(select(AuthSession.id)).scalars()) == all_before[0] - expected[0]
    assert set(session.execute(select(AuthHandoff.code_hash)).scalars()) == all_before[1] - expected[1]
    assert set(session.execute(select(LoginThrottle.key)).scalars()) == all_before[2] - expected[2]
    assert sessions.resolve_session(session=session, token=live) is not None
    if has_tokens:
        assert counts["used_download_tokens"] == spent_expired
        assert (
            session.execute(
                text("SELECT count(*) FROM used_download_tokens WHERE expires_at <= :now"), {"now": now}
            ).scalar_one()
            == 0
        )
        assert (
            session.execute(
                text("SELECT count(*) FROM used_download_tokens WHERE user_id = :u"), {"u": user.id}
            ).scalar_one()
            == 1
        )
    assert retention.sweep_expired_logins(session=session, now=now) == dict.fromkeys(counts, 0)


# --------------------------------------------------------------------------------------- company retention
def _recordings_of(session, store, user, company, *, days_ago: int) -> dict[str, str]:
    """One recording of each kind, made `days_ago` days ago."""
    when = utcnow() - timedelta(days=days_ago)
    keys = {kind: _put(store, user.id) for kind in ("practice", "milestone", "amphitheatre", "lesson")}
    practice = make_practice_session(
        session,
        user,
        make_topic(session),
        status="analyzed",
        started_at=when,
        ended_at=when + timedelta(minutes=2),
        duration_seconds=120,
        company_id=company.id if company else None,
    )
    transcript = make_transcript(session, practice)
    session.add(
        AudioRecording(
            session_id=practice.id,
            user_id=user.id,
            storage_key=keys["practice"],
            mime_type="audio/ogg",
            size_bytes=len(OGG),
            created_at=when,
        )
    )
    session.add(
        MilestoneAttempt(
            user_id=user.id,
            level_id=make_level(session).id,
            audio_ref=keys["milestone"],
            transcript="My talk.",
            score=60,
            created_at=when,
        )
    )
    visit = amphitheatre.open_visit(session=session, user_id=user.id)
    amphitheatre.submit_exercise(
        session=session,
        user_id=user.id,
        visit_id=visit.id,
        exercise_key=visit.next_key,
        audio_ref=keys["amphitheatre"],
        reflection="Calmer this time.",
        markers=[],
    )
    session.execute(
        update(AmphitheatreExerciseRecord)
        .where(
            AmphitheatreExerciseRecord.user_id == user.id,
            AmphitheatreExerciseRecord.audio_refs.contains([keys["amphitheatre"]]),
        )
        .values(created_at=when)
    )
    session.add(
        ExerciseSubmission(
            user_id=user.id,
            stage="speaking",
            created_at=when,
            payload={"answer": {"transcript": "Hello", "audio_ref": keys["lesson"]}},
        )
    )
    session.flush()
    keys["transcript"] = str(transcript.id)
    return keys


def test_recordings_older_than_the_company_keeps_them_are_deleted(session, storage):
    strict, lax = make_company(session), make_company(session)
    learner = make_user(session, strict)
    old = _recordings_of(session, storage, learner, strict, days_ago=40)
    recent = _recordings_of(session, storage, learner, strict, days_ago=10)
    elsewhere = _recordings_of(session, storage, make_user(session, lax), lax, days_ago=400)
    solo = _recordings_of(session, storage, make_user(session), None, days_ago=400)
    retention.set_recording_retention(session=session, company_id=strict.id, days="30", actor_user_id=None)
    assert retention.recording_retention(session=session, company_id=lax.id) is None

    deleted = retention.sweep_recording_retention(session=session)
    assert deleted >= 4
    for kind in ("practice", "milestone", "amphitheatre", "lesson"):
        assert not storage.exists(old[kind]), kind
        for kept in (recent, elsewhere, solo):
            assert storage.exists(kept[kind]), kind
    refs = {ref.key for ref in recording_refs(session=session, user_id=learner.id)}
    assert refs == {recent[k] for k in ("practice", "milestone", "amphitheatre", "lesson")}
    # Only the audio goes: the attempt, the exercise, the submission and the transcript stay.
    assert (
        session.execute(
            select(func.count()).select_from(MilestoneAttempt).where(MilestoneAttempt.user_id == learner.id)
        ).scalar_one()
        == 2
    )
    assert session.get(Transcript, uuid.UUID(old["transcript"])) is not None
    assert (
        session.execute(
            select(func.count()).select_from(AudioRecording).where(AudioRecording.user_id == learner.id)
        ).scalar_one()
        == 1
    )
    row = session.execute(
        select(AuditLog).where(AuditLog.action == "retention.recordings", AuditLog.company_id == strict.id)
    ).scalar_one()
    assert row.details["days"] == 30 and row.details["objects"] == 4 and row.subject_user_id is None

    assert retention.sweep_recording_retention(session=session) == 0  # idempotent


def test_retention_setting_is_validated_and_audited(session):
    company = make_company(session)
    manager = make_user(session, company, role="manager")
    for bad in ("0", "3651", "-3", "ten", "1.5", "99999999"):
        with pytest.raises(ValidationError):
            retention.set_recording_retention(
                session=session, company_id=company.id, days=bad, actor_user_id=manager.id
            )
    assert (
        retention.set_recording_retention(session=session, company_id=company.id, days=" 90 ", actor_user_id=manager.id)
        == 90
    )
    assert (
        retention.set_recording_retention(session=session, company_id=company.id, days="90", actor_user_id=manager.id)
        == 90
    )  # no change, no second audit row
    assert (
        retention.set_recording_retention(session=session, company_id=company.id, days="", actor_user_id=manager.id)
        is None
    )
    assert (
        session.execute(select(COMPANY_RECORDING_RETENTION_DAYS).where(text("id = :c")), {"c": company.id}).scalar_one()
        is None
    )
    changes = (
        session.execute(
            select(AuditLog.details)
            .where(AuditLog.action == "company.recording_retention", AuditLog.company_id == company.id)
            .order_by(AuditLog.created_at)
        )
        .scalars()
        .all()
    )
    assert changes == [{"from": None, "to": 90}, {"from": 90, "to": None}]


async def test_company_page_shows_and_saves_the_retention_for_its_managers_only(session):
    company, other = make_company(session), make_company(session)
    manager = make_user(session, company, role="manager", onboarding_completed=True)
    outsider = make_user(session, other, role="manager", onboarding_completed=True)
    state = sign_in(CompanyState(), sessions.create_session(session=session, user_id=manager.id))
    await run(state._load_company, company.slug)
    assert not state.forbidden and state.retention_days == ""

    from tests.payloads import HOSTILE

    for value in [*HOSTILE.values(), ["30"], {"days": 30}, None, "0", "3651"]:
        if value == "":
            continue  # empty is valid: no limit
        events = await run(state.save_retention, {"retention_days": value})
        if any(edge.REFUSED_TOAST_ID in str(event) for event in events):  # refused whole at the edge
            assert not isinstance(value, str) or len(value) > edge.SHORT, value
            continue
        assert "from 1 to 3650" in state.retention_error and not state.retention_saving, value
    assert retention.recording_retention(session=session, company_id=company.id) is None
    await run(state.save_retention, {"retention_days": "45"})
    assert state.retention_error == "" and state.retention_days == "45" and not state.retention_saving
    assert retention.recording_retention(session=session, company_id=company.id) == 45

    # A manager demoted after the page loaded is refused at save time (checked again in the database).
    session.execute(update(UserProfile).where(UserProfile.user_id == manager.id).values(role="learner"))
    await run(state.save_retention, {"retention_days": "2"})
    assert state.retention_error == "Only this company's managers can change this."
    assert retention.recording_retention(session=session, company_id=company.id) == 45

    intruder = sign_in(CompanyState(), sessions.create_session(session=session, user_id=outsider.id))
    await run(intruder._load_company, company.slug)
    assert intruder.forbidden
    await run(intruder.save_retention, {"retention_days": "1"})
    assert retention.recording_retention(session=session, company_id=company.id) == 45


# ---------------------------------------------------------------------------------------------------- jobs
def test_the_sweeps_are_periodic_jobs_of_the_maintenance_queue():
    periodic = {task.task.name: task.cron for task in jobs.app.periodic_registry.periodic_tasks.values()}
    assert periodic["sweep_unattached_uploads"] == jobs.UNATTACHED_UPLOADS_CRON
    assert periodic["sweep_expired_logins"] == jobs.EXPIRED_LOGINS_CRON
    assert periodic["sweep_recording_retention"] == jobs.RECORDING_RETENTION_CRON
    assert periodic["retry_storage_deletions"] == jobs.STORAGE_DELETIONS_CRON
    for name in (
        "sweep_unattached_uploads",
        "sweep_expired_logins",
        "sweep_recording_retention",
        "retry_storage_deletions",
    ):
        assert jobs.app.tasks[name].queue == jobs.MAINTENANCE_QUEUE


def test_the_jobs_run_the_sweeps(session, storage):
    user = make_user(session)
    key = _upload(session, storage, user, hours_ago=30)
    assert jobs.sweep_unattached_uploads(timestamp=0) >= 1 and not storage.exists(key)
    assert jobs.sweep_expired_logins(timestamp=0) >= 0
    assert jobs.sweep_recording_retention(timestamp=0) >= 0
    assert jobs.retry_storage_deletions(timestamp=0) >= 0
