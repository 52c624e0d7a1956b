"""Practice sessions: one active per learner, Realtime client secrets pinned and never stored, the 15-minute
cap, ending (cost, analysis queue, reward once) and recordings (a second upload replaces the first)."""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, select, text, update
from sqlmodel import Session

from speakpro.integrations.openai_client import make_openai_client
from speakpro.integrations.storage import new_audio_key
from speakpro.models import (
    AnalyticsEvent,
    AudioRecording,
    ClientSecret,
    DailyQuest,
    PracticeSession,
    RewardLedger,
    Topic,
    Transcript,
    TranscriptSegment,
    User,
)
from speakpro.services.accounts.time_zones import local_day
from speakpro.services.learning.economy import ledger_totals
from speakpro.services.learning.stakes import get_or_choose_stakes
from speakpro.services.practice import practice
from speakpro.services.practice.practice import (
    end_practice,
    enforce_cap,
    list_topics,
    mint_client_secret,
    start_practice,
)
from speakpro.services.practice.practice_access import NOT_ACTIVE, NOT_FOUND, OVER_CAP
from speakpro.services.practice.realtime_secrets import TRANSCRIPTION_PROMPT, UNAVAILABLE, realtime_instructions
from speakpro.services.practice.recordings import attach_recording
from speakpro.services.practice.scenarios import topic_scene
from speakpro.services.practice.transcripts import ingest_segments
from speakpro.services.ratelimit import MemoryBackend, RateLimiter
from speakpro.services.validation import ValidationError
from speakpro.settings import settings
from tests.factories import make_company, make_module, make_practice_session, make_user
from tests.factories_world import count
from tests.fakes.realtime_fake import FakeRealtimeServer

MODEL = "gpt-realtime"
PARTNER_ROLE = "A busy operations manager who has thirty seconds to spare."
HINT = "Give a buyer-focused reason for your call in one sentence."


@pytest.fixture
def realtime() -> Iterator[FakeRealtimeServer]:
    with FakeRealtimeServer() as server:
        yield server


@pytest.fixture
def client(realtime):
    return make_openai_client(api_key=realtime.api_key, base_url=realtime.base_url, timeout=5, max_retries=0)


@pytest.fixture(autouse=True)
def fresh_limits(monkeypatch):
    """Mint limits counted in a memory of their own, so tests never share counts."""
    backend = MemoryBackend()
    monkeypatch.setattr(practice, "MINT_PER_LEARNER", RateLimiter("test-mint-learner", 10, 600, backend=backend))
    monkeypatch.setattr(practice, "MINT_PER_COMPANY", RateLimiter("test-mint-company", 200, 600, backend=backend))
    return backend


def _topic(session, **values) -> Topic:
    defaults = {
        "slug": f"cold-call-{uuid.uuid4().hex[:8]}",
        "title": "Cold Call Opener",
        "difficulty": "beginner",
        "prompt_hint": HINT,
        "partner_role": PARTNER_ROLE,
    }
    topic = Topic(**{**defaults, **values})
    session.add(topic)
    session.flush()
    return topic


def _learner(session, company=None):
    return make_user(
        session,
        company,
        job_role="Account executive",
        audience="Operations managers",
        main_goal="Book more discovery calls",
    )


def _start(session, user, mode="realtime", topic=None):
    topic = topic or _topic(session)
    return start_practice(session=session, user_id=user.id, topic_id=topic.id, mode=mode)


def test_practice_needs_a_consent_that_allows_recordings_and_nothing_starts_without_one(session):
    from speakpro.services.accounts.consent import RECORDING_OFF, record_consent

    topic = _topic(session)
    for consent in (None, False):
        user = make_user(session, recording_consent=consent)
        with pytest.raises(ValidationError, match="Recording is off") as refused:
            start_practice(session=session, user_id=user.id, topic_id=topic.id, mode="solo")
        assert refused.value.message == RECORDING_OFF
        assert session.execute(select(PracticeSession).where(PracticeSession.user_id == user.id)).first() is None
    record_consent(session=session, user_id=user.id, recording=True)  # allowed again on the account page
    assert start_practice(session=session, user_id=user.id, topic_id=topic.id, mode="solo").status == "active"


def _backdate(session, practice_id, seconds: float) -> None:
    """Make a session look as if it started `seconds` earlier."""
    shift = timedelta(seconds=seconds)
    session.execute(
        update(PracticeSession)
        .where(PracticeSession.id == uuid.UUID(str(practice_id)))
        .values(started_at=PracticeSession.started_at - shift, created_at=PracticeSession.created_at - shift)
    )


def _row(session, practice_id) -> PracticeSession:
    return session.execute(
        select(PracticeSession)
        .where(PracticeSession.id == uuid.UUID(str(practice_id)))
        .execution_options(populate_existing=True)
    ).scalar_one()


def _mint(session, user, view, client, **kwargs):
    return mint_client_secret(
        session=session, user_id=user.id, practice_session_id=view.id, client=client, model=MODEL, **kwargs
    )


def _secrets(session, view) -> int:
    return count(session, ClientSecret, ClientSecret.session_id == uuid.UUID(view.id))


# --- topics and starting ----------------------------------------------------------------------------------


def test_list_topics_shows_active_topics_only(session):
    shown = _topic(session, difficulty="advanced", title="Negotiate renewal", category="negotiation")
    hidden = _topic(session, is_active=False)

    topics = {t.id: t for t in list_topics(session=session)}

    assert str(shown.id) in topics and str(hidden.id) not in topics
    view = topics[str(shown.id)]
    assert (view.slug, view.title, view.difficulty, view.category, view.prompt_hint) == (
        shown.slug,
        "Negotiate renewal",
        "advanced",
        "negotiation",
        HINT,
    )


def test_start_creates_an_active_session_with_its_transcript(session):
    company = make_company(session)
    user = _learner(session, company)
    topic = _topic(session)

    view = start_practice(session=session, user_id=user.id, topic_id=str(topic.id), mode="solo")

    row = _row(session, view.id)
    assert (row.status, row.mode, row.title, row.company_id, row.topic_id) == (
        "active",
        "solo",
        topic.title,
        company.id,
        topic.id,
    )
    assert view.resumed is False and view.status == "active" and view.cap_at == row.started_at + timedelta(minutes=15)
    transcript = session.execute(select(Transcript).where(Transcript.session_id == row.id)).scalar_one()
    assert view.transcript_id == str(transcript.id) and transcript.finalized is False
    assert (
        count(
            session, AnalyticsEvent, AnalyticsEvent.user_id == user.id, AnalyticsEvent.event_type == "practice_started"
        )
        == 1
    )


def test_a_learner_has_one_active_session(session):
    user = _learner(session)
    first = _start(session, user)

    again = _start(session, user, mode="solo")  # another topic and mode: the running session comes back

    assert again.id == first.id and again.resumed is True and again.mode == "realtime"
    assert count(session, PracticeSession, PracticeSession.user_id == user.id, PracticeSession.status == "active") == 1
    # Another learner is not affected.
    assert _start(session, _learner(session)).id != first.id


def test_an_active_session_past_the_cap_is_expired_by_the_next_start(session):
    user = _learner(session)
    old = _start(session, user)
    _backdate(session, old.id, 16 * 60)

    new = _start(session, user)

    assert new.id != old.id and new.resumed is False and new.status == "active"
    expired = _row(session, old.id)
    assert (expired.status, expired.failure_reason, expired.duration_seconds) == ("failed", "expired", 900)
    assert expired.ended_at is not None and expired.minute_cost == Decimal("15.0000")
    assert count(session, PracticeSession, PracticeSession.user_id == user.id, PracticeSession.status == "active") == 1


@pytest.mark.parametrize(
    "mode, topic_id, field",
    [
        ("video", None, "mode"),
        ("realtime", "not-a-uuid", "topic"),
        ("realtime", str(uuid.uuid4()), "topic"),
        ("realtime", "inactive", "topic"),
    ],
)
def test_start_refuses_bad_input_and_changes_nothing(session, mode, topic_id, field):
    user = _learner(session)
    if topic_id is None:
        topic_id = _topic(session).id
    elif topic_id == "inactive":
        topic_id = _topic(session, is_active=False).id

    with pytest.raises(ValidationError) as refused:
        start_practice(session=session, user_id=user.id, topic_id=topic_id, mode=mode)

    assert refused.value.field == field and refused.value.message
    assert count(session, PracticeSession, PracticeSession.user_id == user.id) == 0


# --- instructions and minting -----------------------------------------------------------------------------


def test_instructions_hold_the_role_the_persona_the_stakes_and_the_rules(session):
    user = _learner(session)
    topic = _topic(session)
    stakes = get_or_choose_stakes(
        session=session,
        user_id=user.id,
        module_id=make_module(session).id,
        scenario="Pitching our budget to the board",
        audience="The board",
        stakes="Next year's team size",
    )
    from speakpro.models import UserProfile

    profile = session.get(UserProfile, user.id)

    instructions = realtime_instructions(topic_scene(topic), profile, stakes)

    for expected in (
        PARTNER_ROLE,
        HINT,
        "Account executive",
        "Operations managers",
        "Book more discovery calls",
        "Pitching our budget to the board",
        "The board",
        "Next year's team size",
    ):
        assert expected in instructions
    lowered = instructions.lower()
    assert "stay in your role" in lowered and "short" in lowered and "never reveal" in lowered
    # Without persona or stakes the instructions still stand.
    bare = realtime_instructions(topic_scene(topic), None, None)
    assert PARTNER_ROLE in bare and "Account executive" not in bare and "never reveal" in bare.lower()


def test_mint_pins_the_session_config_and_returns_the_secret_once(session, realtime, client, caplog):
    caplog.set_level(logging.DEBUG)
    user = _learner(session)
    view = _start(session, user)
    before = datetime.now(UTC)

    minted = _mint(session, user, view, client, ttl_seconds=90, voice="verse")

    assert minted.value == realtime.minted[-1] and minted.value.startswith("ek_test_")
    assert before + timedelta(seconds=80) <= minted.expires_at <= datetime.now(UTC) + timedelta(seconds=100)
    assert minted.calls_url == settings.openai_realtime_calls_url
    assert minted.value not in repr(minted)
    request = realtime.client_secret_requests[-1]
    assert request.headers["authorization"] == f"Bearer {realtime.api_key}"
    assert request.body["expires_after"] == {"anchor": "created_at", "seconds": 90}
    pinned = request.body["session"]
    assert (pinned["type"], pinned["model"]) == ("realtime", MODEL)
    assert PARTNER_ROLE in pinned["instructions"] and "Account executive" in pinned["instructions"]
    assert pinned["audio"]["input"]["transcription"] == {"model": "gpt-4o-transcribe", "prompt": TRANSCRIPTION_PROMPT}
    for filler in ("um", "uh", "like", "you know"):
        assert filler in TRANSCRIPTION_PROMPT
    assert "verbatim" in TRANSCRIPTION_PROMPT
    assert pinned["audio"]["input"]["turn_detection"] == {"type": "server_vad"}
    assert pinned["audio"]["output"] == {"voice": "verse"}
    row = session.execute(select(ClientSecret).where(ClientSecret.session_id == uuid.UUID(view.id))).scalar_one()
    assert row.fingerprint == hashlib.sha256(minted.value.encode()).hexdigest()
    assert row.expires_at == minted.expires_at
    assert minted.value not in caplog.text
    assert all(minted.value not in str(record.args) for record in caplog.records)


def test_the_database_holds_fingerprints_and_never_a_secret_value(session, realtime, client):
    user = _learner(session)
    view = _start(session, user)
    first = _mint(session, user, view, client)
    renewal = _mint(session, user, view, client)  # a renewal is another mint of the same session

    assert first.value != renewal.value and _secrets(session, view) == 2
    session.flush()
    columns = session.execute(
        text(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND data_type IN ('text', 'character varying', 'jsonb', 'json')"
        )
    ).all()
    assert len(columns) > 20
    for value in (first.value, renewal.value, first.value.removeprefix("ek_test_")):
        for table, column in columns:
            found = session.execute(
                text(f'SELECT count(*) FROM "{table}" WHERE "{column}"::text LIKE :needle'), {"needle": f"%{value}%"}
            ).scalar_one()
            assert found == 0, f"a client secret value is stored in {table}.{column}"
    fingerprints = set(
        session.execute(select(ClientSecret.fingerprint).where(ClientSecret.session_id == uuid.UUID(view.id))).scalars()
    )
    assert fingerprints == {hashlib.sha256(v.encode()).hexdigest() for v in (first.value, renewal.value)}


def test_only_the_owner_can_mint(session, realtime, client):
    owner = _learner(session)
    view = _start(session, owner)

    for intruder_id, session_id in (
        (_learner(session).id, view.id),
        (owner.id, str(uuid.uuid4())),
        (owner.id, "not-an-id"),
    ):
        with pytest.raises(ValidationError) as refused:
            mint_client_secret(
                session=session, user_id=intruder_id, practice_session_id=session_id, client=client, model=MODEL
            )
        assert refused.value.message == NOT_FOUND

    assert realtime.client_secret_requests == [] and _secrets(session, view) == 0


def test_minting_is_rate_limited_per_learner(session, realtime, client):
    user = _learner(session)
    view = _start(session, user)
    for _ in range(10):
        _mint(session, user, view, client)

    with pytest.raises(ValidationError) as refused:
        _mint(session, user, view, client)

    assert "wait" in refused.value.message and "seconds" in refused.value.message
    assert len(realtime.client_secret_requests) == 10 and _secrets(session, view) == 10


def test_minting_is_rate_limited_per_company(session, realtime, client, monkeypatch, fresh_limits):
    monkeypatch.setattr(practice, "MINT_PER_COMPANY", RateLimiter("test-mint-company-2", 2, 600, backend=fresh_limits))
    company = make_company(session)
    first, second = _learner(session, company), _learner(session, company)
    first_view, second_view = _start(session, first), _start(session, second)
    _mint(session, first, first_view, client)
    _mint(session, first, first_view, client)

    with pytest.raises(ValidationError) as refused:
        _mint(session, second, second_view, client)

    assert "company" in refused.value.message and _secrets(session, second_view) == 0
    # A learner of another company (or of none) is not affected.
    alone = _learner(session)
    _mint(session, alone, _start(session, alone), client)


@pytest.mark.parametrize("status", [500, 429, 401, 503])
def test_api_errors_give_a_clean_message_and_store_nothing(session, realtime, client, caplog, status):
    user = _learner(session)
    view = _start(session, user)
    realtime.fail_with(status)

    with pytest.raises(ValidationError) as refused:
        _mint(session, user, view, client)

    assert refused.value.message == UNAVAILABLE and refused.value.__cause__ is None
    assert len(realtime.client_secret_requests) == 1 and _secrets(session, view) == 0
    assert f"HTTP {status}" in caplog.text


def test_an_unreachable_api_or_offline_mode_gives_the_same_clean_message(session, realtime):
    user = _learner(session)
    view = _start(session, user)
    realtime.stop()
    gone = make_openai_client(api_key=realtime.api_key, base_url=realtime.base_url, timeout=2, max_retries=0)

    for client in (gone, None):
        with pytest.raises(ValidationError) as refused:
            _mint(session, user, view, client)
        assert refused.value.message == UNAVAILABLE
    assert _secrets(session, view) == 0


def test_minting_needs_an_active_realtime_session(session, realtime, client):
    user = _learner(session)
    solo = _start(session, user, mode="solo")
    with pytest.raises(ValidationError, match="solo"):
        _mint(session, user, solo, client)
    end_practice(session=session, user_id=user.id, practice_session_id=solo.id)

    with pytest.raises(ValidationError) as refused:
        _mint(session, user, solo, client)

    assert refused.value.message == NOT_ACTIVE and realtime.client_secret_requests == []
    with pytest.raises(ValueError):
        _mint(session, user, _start(session, user), client, ttl_seconds=5)


# --- ending -------------------------------------------------------------------------------------------------


def _quest_progress(session, user) -> int:
    return (
        session.execute(
            select(DailyQuest.progress).where(
                DailyQuest.user_id == user.id,
                DailyQuest.quest_date == local_day("UTC"),
                DailyQuest.quest_type == "practice_session",
            )
        ).scalar_one_or_none()
        or 0
    )


def test_end_sets_duration_cost_and_pending_and_pays_once(session):
    user = _learner(session)
    view = _start(session, user)
    ingest_segments(
        session=session,
        user_id=user.id,
        practice_session_id=view.id,
        segments=[
            {
                "sequence": 0,
                "speaker": "user",
                "text": "Hi, um, I'm calling about deliveries.",
                "start_ms": 0,
                "end_ms": 2500,
                "is_final": True,
            }
        ],
    )
    _backdate(session, view.id, 45)

    ended = end_practice(session=session, user_id=user.id, practice_session_id=view.id)

    assert (ended.status, ended.duration_seconds, ended.minute_cost, ended.processing_status) == (
        "ended",
        45,
        Decimal("0.7500"),
        "pending",
    )
    assert ended.ended_at is not None and ended.failure_reason is None
    transcript = session.execute(
        select(Transcript).where(Transcript.session_id == uuid.UUID(view.id)).execution_options(populate_existing=True)
    ).scalar_one()
    assert transcript.finalized and transcript.content == "Learner: Hi, um, I'm calling about deliveries."
    assert ledger_totals(session=session, user_id=user.id)["xp"] == 10
    assert _quest_progress(session, user) == 1

    again = end_practice(session=session, user_id=user.id, practice_session_id=view.id)
    failed_again = end_practice(session=session, user_id=user.id, practice_session_id=view.id, failed=True)

    assert again == ended == failed_again
    assert ledger_totals(session=session, user_id=user.id)["xp"] == 10
    assert count(session, RewardLedger, RewardLedger.user_id == user.id, RewardLedger.reason == "practice_session") == 1
    assert _quest_progress(session, user) == 1


def test_a_short_or_failed_session_pays_nothing(session):
    user = _learner(session)
    short = _start(session, user)
    _backdate(session, short.id, 10)
    short_end = end_practice(session=session, user_id=user.id, practice_session_id=short.id)
    broken = _start(session, user)
    _backdate(session, broken.id, 120)

    failed = end_practice(
        session=session,
        user_id=user.id,
        practice_session_id=broken.id,
        failed=True,
        reason="The connection\x00 to the partner dropped",
    )

    assert (short_end.status, short_end.duration_seconds, short_end.minute_cost) == ("ended", 10, Decimal("0.1667"))
    assert (failed.status, failed.failure_reason, failed.processing_status, failed.duration_seconds) == (
        "failed",
        "The connection to the partner dropped",
        "failed",
        120,
    )
    assert failed.minute_cost == Decimal("2.0000")
    assert ledger_totals(session=session, user_id=user.id)["xp"] == 0 and _quest_progress(session, user) == 0


def test_ending_after_the_cap_ends_with_fifteen_minutes(session):
    user = _learner(session)
    view = _start(session, user)
    _backdate(session, view.id, 20 * 60)

    ended = end_practice(session=session, user_id=user.id, practice_session_id=view.id)

    assert (ended.status, ended.duration_seconds, ended.minute_cost) == ("ended", 900, Decimal("15.0000"))
    assert ledger_totals(session=session, user_id=user.id)["xp"] == 10


def test_only_the_owner_can_end(session):
    owner = _learner(session)
    view = _start(session, owner)

    with pytest.raises(ValidationError) as refused:
        end_practice(session=session, user_id=_learner(session).id, practice_session_id=view.id)

    assert refused.value.message == NOT_FOUND and _row(session, view.id).status == "active"


def test_a_sixteen_minute_session_is_refused_then_failed_by_the_cap(session, realtime, client):
    user = _learner(session)
    view = _start(session, user)
    said = {"sequence": 0, "speaker": "user", "text": "Hello there", "start_ms": 0, "end_ms": 900, "is_final": True}
    ingest_segments(session=session, user_id=user.id, practice_session_id=view.id, segments=[said])
    _backdate(session, view.id, 16 * 60)
    late = {**said, "sequence": 1, "text": "Still talking", "start_ms": 1000, "end_ms": 1800}

    # Every handler checks the cap itself, before the sweep has run.
    with pytest.raises(ValidationError) as refused:
        ingest_segments(session=session, user_id=user.id, practice_session_id=view.id, segments=[late])
    assert refused.value.message == OVER_CAP
    with pytest.raises(ValidationError) as refused:
        _mint(session, user, view, client)
    assert refused.value.message == OVER_CAP
    assert realtime.client_secret_requests == []

    assert enforce_cap(session=session) >= 1

    row = _row(session, view.id)
    assert (row.status, row.failure_reason, row.duration_seconds, row.processing_status) == (
        "failed",
        "time limit",
        900,
        "failed",
    )
    transcript = session.execute(
        select(Transcript).where(Transcript.session_id == row.id).execution_options(populate_existing=True)
    ).scalar_one()
    assert transcript.finalized and transcript.content == "Learner: Hello there"
    for attempt in (
        lambda: ingest_segments(session=session, user_id=user.id, practice_session_id=view.id, segments=[late]),
        lambda: _mint(session, user, view, client),
    ):
        with pytest.raises(ValidationError) as refused:
            attempt()
        assert refused.value.message == NOT_ACTIVE
    assert count(session, TranscriptSegment, TranscriptSegment.transcript_id == transcript.id) == 1
    assert _secrets(session, view) == 0
    assert end_practice(session=session, user_id=user.id, practice_session_id=view.id).status == "failed"
    assert ledger_totals(session=session, user_id=user.id)["xp"] == 0
    # Sessions under the cap are left alone by the sweep.
    fresh = _start(session, user)
    enforce_cap(session=session)
    assert _row(session, fresh.id).status == "active"


def test_the_sweep_judges_by_the_time_it_is_given(session):
    user = _learner(session)
    view = _start(session, user)
    started = _row(session, view.id).started_at

    enforce_cap(session=session, now=started + timedelta(minutes=14))
    assert _row(session, view.id).status == "active"
    enforce_cap(session=session, now=started + timedelta(minutes=15, seconds=1))
    assert _row(session, view.id).status == "failed"


# --- recordings ---------------------------------------------------------------------------------------------

WEBM = bytes.fromhex("1a45dfa3") + b"\x9f\x42\x86\x81\x01\x42\x82\x84webm" + b"\x00" * 200


def _upload(storage, user) -> str:
    key = new_audio_key(user.id, "webm")
    storage.put(key, WEBM, "audio/webm")
    return key


def _attach(session, user, view, key, **values):
    args = {"mime": "audio/webm;codecs=opus", "size": len(WEBM), "duration_seconds": 42.5, **values}
    return attach_recording(session=session, user_id=user.id, practice_session_id=view.id, key=key, **args)


def _recordings(session, view):
    return (
        session.execute(
            select(AudioRecording)
            .where(AudioRecording.session_id == uuid.UUID(view.id))
            .order_by(AudioRecording.created_at)
            .execution_options(populate_existing=True)
        )
        .scalars()
        .all()
    )


def test_a_recording_becomes_the_sessions_primary_recording(session, storage):
    user = _learner(session)
    view = _start(session, user)
    key = _upload(storage, user)

    attached = _attach(session, user, view, key)
    again = _attach(session, user, view, key)  # a retried request

    assert (attached.storage_key, attached.mime_type, attached.size_bytes, attached.duration_seconds) == (
        key,
        "audio/webm;codecs=opus",
        len(WEBM),
        42.5,
    )
    assert attached.replaced_previous is False and again.id == attached.id
    [row] = _recordings(session, view)
    assert row.is_primary and row.user_id == user.id and row.deleted_at is None


def test_a_second_recording_replaces_the_first_and_deletes_its_object_after_commit(session, storage):
    user = _learner(session)
    view = _start(session, user)
    first_key, second_key = _upload(storage, user), _upload(storage, user)
    _attach(session, user, view, first_key)

    second = _attach(session, user, view, second_key, duration_seconds=None)

    assert second.replaced_previous is True and second.duration_seconds is None
    old, new = _recordings(session, view)
    assert (old.storage_key, old.is_primary) == (first_key, False) and old.deleted_at is not None
    assert (new.storage_key, new.is_primary) == (second_key, True)
    assert storage.exists(first_key), "the old object must survive until the transaction commits"
    session.commit()
    assert not storage.exists(first_key) and storage.exists(second_key)


def test_a_rolled_back_replacement_deletes_nothing(session, storage):
    user = _learner(session)
    view = _start(session, user)
    first_key, second_key = _upload(storage, user), _upload(storage, user)
    _attach(session, user, view, first_key)
    session.commit()

    nested = session.begin_nested()
    _attach(session, user, view, second_key)
    nested.rollback()
    session.commit()

    assert storage.exists(first_key)
    [row] = _recordings(session, view)
    assert row.storage_key == first_key and row.is_primary


@pytest.mark.parametrize(
    "case",
    ["someone_elses_key", "missing_object", "bad_key", "wrong_mime", "bad_size", "too_long", "someone_elses_session"],
)
def test_bad_recordings_are_refused_and_change_nothing(session, storage, case):
    user, other = _learner(session), _learner(session)
    view = _start(session, user)
    key = _upload(storage, user)
    values: dict = {}
    who = user
    if case == "someone_elses_key":
        key = _upload(storage, other)
    elif case == "missing_object":
        key = new_audio_key(user.id, "webm")
    elif case == "bad_key":
        key = "../../etc/passwd"
    elif case == "wrong_mime":
        values["mime"] = "audio/ogg"
    elif case == "bad_size":
        values["size"] = 0
    elif case == "too_long":
        values["duration_seconds"] = 3600
    elif case == "someone_elses_session":
        who = other

    with pytest.raises(ValidationError) as refused:
        _attach(session, who, view, key, **values)

    assert refused.value.message
    assert _recordings(session, view) == []


# --- real concurrency (committed rows, deleted afterwards) -----------------------------------------------------


def _in_parallel(engine, threads: int, work):
    """Run `work(session)` in `threads` connections at once, each committing its own transaction."""
    barrier = threading.Barrier(threads)

    def one():
        with engine.connect() as connection, Session(bind=connection, expire_on_commit=False) as own:
            own.execute(select(1))
            barrier.wait(timeout=30)
            result = work(own)
            own.commit()
            return result

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return [f.result(timeout=120) for f in [pool.submit(one) for _ in range(threads)]]


@pytest.fixture
def committed_learner(engine):
    with Session(engine, expire_on_commit=False) as own:
        user, topic = _learner(own), _topic(own)
        own.commit()
    try:
        yield user.id, topic.id
    finally:
        with Session(engine) as own:
            own.execute(delete(AnalyticsEvent).where(AnalyticsEvent.user_id == user.id))
            own.execute(delete(User).where(User.id == user.id))  # CASCADE: sessions, transcripts, ledger, quests
            own.execute(delete(Topic).where(Topic.id == topic.id))
            own.commit()


def test_concurrent_starts_make_one_session_and_concurrent_ends_pay_once(engine, committed_learner):
    user_id, topic_id = committed_learner

    starts = _in_parallel(
        engine, 8, lambda own: start_practice(session=own, user_id=user_id, topic_id=topic_id, mode="realtime")
    )
    assert len({v.id for v in starts}) == 1 and sum(not v.resumed for v in starts) == 1
    with Session(engine) as own:
        _backdate(own, starts[0].id, 60)
        own.commit()
    ends = _in_parallel(
        engine, 8, lambda own: end_practice(session=own, user_id=user_id, practice_session_id=starts[0].id)
    )

    assert {(e.status, e.duration_seconds) for e in ends} == {("ended", 60)}
    with Session(engine) as own:
        assert ledger_totals(session=own, user_id=user_id)["xp"] == 10
        assert count(own, RewardLedger, RewardLedger.user_id == user_id) == 1
        assert (
            own.execute(
                select(DailyQuest.progress).where(
                    DailyQuest.user_id == user_id, DailyQuest.quest_type == "practice_session"
                )
            ).scalar_one()
            == 1
        )


def test_concurrent_batches_keep_one_speakers_finals_apart(engine, committed_learner):
    user_id, topic_id = committed_learner
    with Session(engine, expire_on_commit=False) as own:
        view = start_practice(session=own, user_id=user_id, topic_id=topic_id, mode="realtime")
        own.commit()
    counter = iter(range(1000))
    lock = threading.Lock()

    def batch(own):
        with lock:
            first = next(counter) * 3
        # Three finals that all claim the same second: whichever batch lands first keeps it.
        segments = [
            {
                "sequence": first + i,
                "speaker": "user",
                "text": f"words {first + i}",
                "start_ms": 1000,
                "end_ms": 2000,
                "is_final": True,
            }
            for i in range(3)
        ]
        return ingest_segments(session=own, user_id=user_id, practice_session_id=view.id, segments=segments)

    results = _in_parallel(engine, 8, batch)

    assert sum(r.inserted for r in results) == 24
    with Session(engine) as own:
        c = TranscriptSegment.__table__.c
        rows = own.execute(
            select(c.sequence, c.start_ms, c.end_ms)
            .where(c.transcript_id == uuid.UUID(view.transcript_id))
            .order_by(c.sequence)
        ).all()
    assert len(rows) == 24
    for earlier, later in zip(rows, rows[1:], strict=False):
        assert earlier.end_ms <= later.start_ms


def test_the_database_refuses_a_second_active_session(session):
    """Backs up start_practice's lock: one active, undeleted session per learner (migration 0004)."""
    import sqlalchemy.exc

    user = make_user(session)
    make_practice_session(session, user, status="active")
    with (
        pytest.raises(sqlalchemy.exc.IntegrityError, match="uq_practice_sessions_one_active"),
        session.begin_nested(),
    ):
        make_practice_session(session, user, status="active")
    # Ended sessions and other learners' active ones are not limited.
    now = datetime.now(UTC)
    make_practice_session(session, user, status="ended", started_at=now - timedelta(minutes=5), ended_at=now)
    make_practice_session(session, make_user(session), status="active")
