"""Each UNIQUE and CHECK constraint of the schema refuses what it should, and accepts what it should."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import insert, text, update
from sqlalchemy.exc import InternalError, ProgrammingError

from speakpro.models import (
    AudioRecording,
    AuditLog,
    AuthSession,
    DailyQuest,
    Lesson,
    LessonSession,
    OAuthIdentity,
    RewardLedger,
    SessionAnalytics,
    TranscriptSegment,
    User,
    UserProfile,
    UserVenueUnlock,
    utcnow,
)
from tests.factories import (
    make_company,
    make_module,
    make_practice_session,
    make_transcript,
    make_user,
    make_venue,
    today,
)
from tests.queries import accepted, refused


def test_user_email_unique_and_lowercase(session):
    user = make_user(session)
    refused(session, insert(User).values(id=uuid.uuid4(), email=user.email), "uq_users_email")
    refused(session, insert(User).values(id=uuid.uuid4(), email="Mixed@Example.com"), "ck_users_email_lowercase")
    refused(session, insert(User).values(id=uuid.uuid4(), email="no-at-sign"), "ck_users_email_has_at")


def test_venue_unlock_is_unique_per_user_and_venue(session):
    user, venue = make_user(session), make_venue(session)
    row = {"user_id": user.id, "venue_id": venue.id}
    accepted(session, insert(UserVenueUnlock).values(id=uuid.uuid4(), **row))
    refused(session, insert(UserVenueUnlock).values(id=uuid.uuid4(), **row), "uq_user_venue_unlocks_user_id_venue_id")
    other = make_user(session)
    accepted(session, insert(UserVenueUnlock).values(id=uuid.uuid4(), user_id=other.id, venue_id=venue.id))


def test_daily_quest_unique_per_user_date_and_type(session):
    user = make_user(session)
    row = {"user_id": user.id, "quest_date": today(), "quest_type": "practice_session", "title": "Practise"}
    accepted(session, insert(DailyQuest).values(id=uuid.uuid4(), **row))
    refused(session, insert(DailyQuest).values(id=uuid.uuid4(), **row), "uq_daily_quests_user_id_quest_date_quest_type")
    accepted(session, insert(DailyQuest).values(id=uuid.uuid4(), **{**row, "quest_type": "lesson_step"}))
    accepted(session, insert(DailyQuest).values(id=uuid.uuid4(), **{**row, "quest_date": today() - timedelta(1)}))


def test_daily_quest_cannot_be_claimed_before_completion(session):
    user = make_user(session)
    refused(
        session,
        insert(DailyQuest).values(
            id=uuid.uuid4(), user_id=user.id, quest_date=today(), quest_type="x", title="x", claimed_at=utcnow()
        ),
        "ck_daily_quests_claim_after_completion",
    )


@pytest.mark.parametrize("currency", ["xp", "coins", "tickets"])
def test_balances_never_negative(session, currency):
    user = make_user(session)
    refused(
        session,
        update(UserProfile).where(UserProfile.user_id == user.id).values({currency: -1}),
        f"ck_user_profiles_{currency}_non_negative",
    )


def test_profile_role_variant_and_comfort_checks(session):
    company = make_company(session)
    user = make_user(session, company=company)
    where = UserProfile.user_id == user.id
    refused(session, update(UserProfile).where(where).values(role="owner"), "ck_user_profiles_role_valid")
    refused(session, update(UserProfile).where(where).values(ab_variant="C"), "ck_user_profiles_ab_variant_valid")
    refused(
        session, update(UserProfile).where(where).values(comfort_speaking=6), "ck_user_profiles_comfort_speaking_range"
    )
    refused(
        session,
        update(UserProfile).where(where).values(role="manager", company_id=None),
        "ck_user_profiles_manager_has_company",
    )
    accepted(session, update(UserProfile).where(where).values(role="manager"))


def test_ledger_key_is_unique_and_rows_are_never_edited(session):
    user = make_user(session)
    row = {
        "user_id": user.id,
        "currency": "coins",
        "amount": 5,
        "balance_after": 5,
        "reason": "quest",
        "source_key": "q1",
    }
    accepted(session, insert(RewardLedger).values(id=uuid.uuid4(), **row))
    refused(
        session,
        insert(RewardLedger).values(id=uuid.uuid4(), **row),
        "uq_reward_ledger_user_id_currency_reason_source_key",
    )
    accepted(session, insert(RewardLedger).values(id=uuid.uuid4(), **{**row, "currency": "xp"}))
    refused(
        session,
        insert(RewardLedger).values(id=uuid.uuid4(), **{**row, "source_key": "q2", "currency": "gems"}),
        "ck_reward_ledger_currency_valid",
    )
    refused(
        session,
        insert(RewardLedger).values(id=uuid.uuid4(), **{**row, "source_key": "q3", "amount": 0}),
        "ck_reward_ledger_amount_non_zero",
    )
    savepoint = session.begin_nested()
    with pytest.raises((InternalError, ProgrammingError), match="append-only"):
        session.execute(update(RewardLedger).where(RewardLedger.user_id == user.id).values(amount=500))
    savepoint.rollback()


def test_audit_log_is_append_only(session):
    entry_id = uuid.uuid4()
    accepted(session, insert(AuditLog).values(id=entry_id, action="session.deleted", target_type="practice_session"))
    for statement in (
        text("UPDATE audit_log SET action = 'x' WHERE id = :id"),
        text("DELETE FROM audit_log WHERE id = :id"),
    ):
        savepoint = session.begin_nested()
        with pytest.raises((InternalError, ProgrammingError), match="append-only"):
            session.execute(statement, {"id": entry_id})
        savepoint.rollback()


def test_transcript_segments_unique_sequence_and_ordered_times(session):
    practice = make_practice_session(session, make_user(session))
    transcript = make_transcript(session, practice)
    row = {
        "transcript_id": transcript.id,
        "sequence": 0,
        "speaker": "user",
        "text": "Hello",
        "start_ms": 0,
        "end_ms": 500,
    }
    accepted(session, insert(TranscriptSegment).values(id=uuid.uuid4(), **row))
    refused(
        session,
        insert(TranscriptSegment).values(id=uuid.uuid4(), **row),
        "uq_transcript_segments_transcript_id_sequence",
    )
    refused(
        session,
        insert(TranscriptSegment).values(id=uuid.uuid4(), **{**row, "sequence": 1, "end_ms": -1}),
        "ck_transcript_segments_end_after_start",
    )
    refused(
        session,
        insert(TranscriptSegment).values(id=uuid.uuid4(), **{**row, "sequence": 2, "speaker": "bot"}),
        "ck_transcript_segments_speaker_valid",
    )


def test_practice_session_status_and_fifteen_minute_cap(session):
    user = make_user(session)
    practice = make_practice_session(session, user)
    from speakpro.models import PracticeSession

    where = PracticeSession.id == practice.id
    ended = practice.started_at + timedelta(seconds=60)
    refused(
        session,
        update(PracticeSession).where(where).values(status="paused", ended_at=ended),
        "ck_practice_sessions_status_valid",
    )
    refused(
        session,
        update(PracticeSession).where(where).values(duration_seconds=901),
        "ck_practice_sessions_duration_seconds_range",
    )
    refused(
        session,
        update(PracticeSession).where(where).values(status="ended"),
        "ck_practice_sessions_ended_sessions_have_end",
    )
    accepted(
        session,
        update(PracticeSession)
        .where(where)
        .values(status="ended", ended_at=practice.started_at + timedelta(seconds=900), duration_seconds=900),
    )


def test_one_primary_recording_per_session(session):
    user = make_user(session)
    practice = make_practice_session(session, user)
    row = {"session_id": practice.id, "user_id": user.id, "mime_type": "audio/webm", "size_bytes": 10}
    accepted(session, insert(AudioRecording).values(id=uuid.uuid4(), storage_key="a/1", **row))
    refused(
        session,
        insert(AudioRecording).values(id=uuid.uuid4(), storage_key="a/2", **row),
        "uq_audio_recordings_one_primary",
    )
    accepted(session, insert(AudioRecording).values(id=uuid.uuid4(), storage_key="a/3", is_primary=False, **row))
    refused(
        session,
        insert(AudioRecording).values(id=uuid.uuid4(), storage_key="a/4", is_primary=False, **{**row, "size_bytes": 0}),
        "ck_audio_recordings_size_positive",
    )


def test_session_analytics_scores_are_bounded(session):
    user = make_user(session)
    practice = make_practice_session(session, user)
    row = {"session_id": practice.id, "user_id": user.id, "session_date": today(), "session_hour": 9}
    refused(
        session,
        insert(SessionAnalytics).values(id=uuid.uuid4(), overall_score=101, **row),
        "ck_session_analytics_overall_score_range",
    )
    refused(
        session,
        insert(SessionAnalytics).values(id=uuid.uuid4(), talk_time_ratio=1.5, **row),
        "ck_session_analytics_talk_time_ratio_range",
    )
    refused(
        session,
        insert(SessionAnalytics).values(id=uuid.uuid4(), closing_score=-1, **row),
        "ck_session_analytics_closing_score_range",
    )
    accepted(session, insert(SessionAnalytics).values(id=uuid.uuid4(), overall_score=100, **row))
    refused(session, insert(SessionAnalytics).values(id=uuid.uuid4(), **row), "uq_session_analytics_session_id")


def test_oauth_identity_unique_per_provider_subject(session):
    user = make_user(session)
    row = {"user_id": user.id, "provider": "github", "subject": "12345"}
    accepted(session, insert(OAuthIdentity).values(id=uuid.uuid4(), **row))
    refused(session, insert(OAuthIdentity).values(id=uuid.uuid4(), **row), "uq_oauth_identities_provider_subject")


def test_auth_session_token_hash_unique(session):
    user = make_user(session)
    row = {"user_id": user.id, "token_hash": "a" * 64, "expires_at": utcnow() + timedelta(days=1)}
    accepted(session, insert(AuthSession).values(id=uuid.uuid4(), **row))
    refused(session, insert(AuthSession).values(id=uuid.uuid4(), **row), "uq_auth_sessions_token_hash")


def test_one_open_lesson_run_per_lesson(session):
    user, module = make_user(session), make_module(session)
    lesson = Lesson(module_id=module.id, order=1, title="L1")
    session.add(lesson)
    session.flush()
    row = {"user_id": user.id, "lesson_id": lesson.id, "module_id": module.id}
    accepted(session, insert(LessonSession).values(id=uuid.uuid4(), **row))
    refused(session, insert(LessonSession).values(id=uuid.uuid4(), **row), "uq_lesson_sessions_one_open_run")
    accepted(session, insert(LessonSession).values(id=uuid.uuid4(), state="completed", **row))


def test_deleting_a_user_cascades_to_their_rows(session):
    user = make_user(session)
    practice = make_practice_session(session, user)
    make_transcript(session, practice)
    session.execute(text("DELETE FROM users WHERE id = :id"), {"id": user.id})
    remaining = session.execute(
        text(
            "SELECT (SELECT count(*) FROM practice_sessions WHERE user_id = :id) + "
            "(SELECT count(*) FROM user_profiles WHERE user_id = :id)"
        ),
        {"id": user.id},
    ).scalar_one()
    assert remaining == 0
