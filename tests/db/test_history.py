"""Practice history: own sessions only, pagination in two queries, flags, detail, and deletion."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, func, insert, select, text

from speakpro.integrations.storage import LocalStorage, StorageError, set_storage
from speakpro.models import (
    AnalysisResult,
    AudioRecording,
    AuditLog,
    PracticeSession,
    SessionAnalytics,
    Transcript,
    TranscriptSegment,
    utcnow,
)
from speakpro.services.practice import history
from speakpro.services.practice.session_deletion import (
    DELETED_CONTENT,
    DELETED_TITLE,
    NOT_FOUND,
    delete_session,
    scrub_personal,
)
from speakpro.services.validation import ValidationError
from tests.factories import make_practice_session, make_topic, make_transcript, make_user
from tests.queries import count_queries


class BrokenDeletes(LocalStorage):
    """Storage whose deletions fail (a bucket that does not answer)."""

    def delete(self, key: str) -> None:
        raise StorageError("S3 did not answer (EndpointConnectionError)")


def _ended(minutes_ago: int, **values) -> dict:
    started = utcnow() - timedelta(minutes=minutes_ago)
    return {
        "started_at": started,
        "ended_at": started + timedelta(seconds=120),
        "duration_seconds": 120,
        "status": "analyzed",
        **values,
    }


def _recording(session, practice, storage=None, *, data=b"OggS fake audio", **values) -> AudioRecording:
    key = f"audio/{practice.user_id}/{uuid.uuid4().hex}.ogg"
    if storage is not None:
        storage.put(key, data, "audio/ogg")
    recording = AudioRecording(
        session_id=practice.id,
        user_id=practice.user_id,
        storage_key=key,
        mime_type="audio/ogg",
        size_bytes=len(data),
        duration_seconds=118.5,
        **values,
    )
    session.add(recording)
    session.flush()
    return recording


def _transcript(session, practice, content="Hello there. How can I help?", finalized=True, segments=()):
    transcript = make_transcript(session, practice)
    transcript.content, transcript.finalized, transcript.word_count = content, finalized, len(content.split())
    for sequence, (speaker, words, is_final) in enumerate(segments):
        session.add(
            TranscriptSegment(
                transcript_id=transcript.id,
                sequence=sequence,
                speaker=speaker,
                text=words,
                start_ms=sequence * 2000,
                end_ms=sequence * 2000 + 1500,
                is_final=is_final,
            )
        )
    session.flush()
    return transcript


def _analytics(session, practice, score=72):
    session.add(
        SessionAnalytics(
            session_id=practice.id,
            user_id=practice.user_id,
            overall_score=score,
            talk_time_ratio=Decimal("0.55"),
            filler_words_count=3,
            speaking_pace_wpm=140,
            questions_asked=2,
            duration_seconds=120,
            session_date=practice.started_at.date(),
            session_hour=practice.started_at.hour,
        )
    )
    session.flush()


def _many_sessions(session, user, count: int) -> None:
    """`count` analysed sessions with transcripts, recordings and analytics, inserted in bulk."""
    topic = make_topic(session)
    now = utcnow()
    sessions, transcripts, recordings, analytics = [], [], [], []
    for n in range(count):
        sid, started = uuid.uuid4(), now - timedelta(hours=n + 1)
        sessions.append(
            {
                "id": sid,
                "user_id": user.id,
                "topic_id": topic.id,
                "title": topic.title,
                "status": "analyzed",
                "started_at": started,
                "ended_at": started + timedelta(minutes=3),
                "duration_seconds": 180,
            }
        )
        transcripts.append({"id": uuid.uuid4(), "session_id": sid, "finalized": True, "content": f"Line {n}"})
        if n % 2:
            recordings.append(
                {
                    "id": uuid.uuid4(),
                    "session_id": sid,
                    "user_id": user.id,
                    "storage_key": f"audio/{user.id}/{uuid.uuid4().hex}.webm",
                    "mime_type": "audio/webm",
                    "size_bytes": 1000,
                }
            )
        analytics.append(
            {
                "id": uuid.uuid4(),
                "session_id": sid,
                "user_id": user.id,
                "overall_score": n % 101,
                "session_date": started.date(),
                "session_hour": started.hour,
            }
        )
    for model, rows in (
        (PracticeSession, sessions),
        (Transcript, transcripts),
        (AudioRecording, recordings),
        (SessionAnalytics, analytics),
    ):
        session.execute(insert(model), rows)


# --- the list -------------------------------------------------------------------------------------------------------


def test_lists_only_the_learners_own_sessions_newest_first_without_deleted_ones(session):
    me, other = make_user(session), make_user(session)
    topic = make_topic(session)
    old = make_practice_session(session, me, topic, **_ended(300))
    new = make_practice_session(session, me, topic, **_ended(10))
    make_practice_session(session, me, topic, **_ended(5), deleted_at=utcnow())
    make_practice_session(session, other, topic, **_ended(1))

    page = history.list_history(session=session, user_id=me.id, page=1)

    assert [item.id for item in page.items] == [str(new.id), str(old.id)]
    assert (page.total, page.pages, page.page) == (2, 1, 1)
    first = page.items[0]
    assert first.topic_title == topic.title and first.duration_seconds == 120 and first.status == "analyzed"
    assert first.privacy == "private" and first.overall_score is None
    assert history.list_history(session=session, user_id=other.id, page=1).total == 1


def test_pages_split_the_history_and_out_of_range_pages_are_clamped(session):
    user = make_user(session)
    _many_sessions(session, user, 12)

    pages = [history.list_history(session=session, user_id=user.id, page=n, page_size=5) for n in (1, 2, 3)]

    assert [len(p.items) for p in pages] == [5, 5, 2]
    assert all(p.pages == 3 and p.total == 12 for p in pages)
    ids = [item.id for p in pages for item in p.items]
    assert len(set(ids)) == 12
    started = [item.started_at for p in pages for item in p.items]
    assert started == sorted(started, reverse=True)
    assert history.list_history(session=session, user_id=user.id, page=99, page_size=5).page == 3
    assert history.list_history(session=session, user_id=user.id, page=-4, page_size=5).page == 1
    assert history.list_history(session=session, user_id=user.id, page=1, page_size=10_000).page_size == 100
    empty = history.list_history(session=session, user_id=make_user(session).id, page=3)
    assert (empty.items, empty.total, empty.pages, empty.page) == ([], 0, 1, 1)


@pytest.mark.parametrize("page_size", [5, 50])
def test_a_page_costs_two_queries_whatever_its_size(session, page_size):
    user = make_user(session)
    _many_sessions(session, user, 200)
    session.flush()

    with count_queries(session) as statements:
        page = history.list_history(session=session, user_id=user.id, page=2, page_size=page_size)

    assert len(page.items) == page_size and page.total == 200
    assert len(statements) == 2, statements
    assert sum(item.has_audio for item in page.items) == page_size // 2 + (page_size % 2)
    assert all(item.has_transcript and item.overall_score is not None for item in page.items)


def test_the_page_query_can_be_served_by_the_user_started_index(session):
    user = make_user(session)
    _many_sessions(session, user, 30)
    session.execute(text("SET LOCAL enable_seqscan = off"))
    statements: list[tuple[str, dict]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", capture)
    try:
        history.list_history(session=session, user_id=user.id, page=1, page_size=10)
    finally:
        event.remove(connection, "before_cursor_execute", capture)
    page_sql, params = statements[-1]
    cursor = connection.connection.cursor()
    cursor.execute("EXPLAIN " + page_sql, params)
    plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "ix_practice_sessions_user_started" in plan, plan


def test_audio_and_transcript_flags(session, storage):
    user = make_user(session)
    topic = make_topic(session)

    def flags(practice):
        item = next(
            i for i in history.list_history(session=session, user_id=user.id, page=1).items if i.id == str(practice.id)
        )
        return item.has_audio, item.has_transcript

    plain = make_practice_session(session, user, topic, **_ended(60))
    assert flags(plain) == (False, False)

    full = make_practice_session(session, user, topic, **_ended(50))
    _recording(session, full, storage)
    _transcript(session, full)
    assert flags(full) == (True, True)

    secondary = make_practice_session(session, user, topic, **_ended(40))
    _recording(session, secondary, storage, is_primary=False)
    _transcript(session, secondary, finalized=False)
    assert flags(secondary) == (False, False)

    gone = make_practice_session(session, user, topic, **_ended(30))
    _recording(session, gone, storage, deleted_at=utcnow())
    anonymised = _transcript(session, gone)
    anonymised.is_anonymized = True
    session.flush()
    assert flags(gone) == (False, False)

    blank = make_practice_session(session, user, topic, **_ended(20))
    _transcript(session, blank, content="  ", segments=[("user", "draft", False)])
    assert flags(blank) == (False, False)

    segments_only = make_practice_session(session, user, topic, **_ended(10))
    _transcript(session, segments_only, content="", segments=[("user", "Good morning.", True)])
    assert flags(segments_only) == (False, True)


# --- one session ----------------------------------------------------------------------------------------------------


def test_detail_shows_final_segments_in_order_the_recording_and_the_analytics(session, storage):
    user = make_user(session)
    practice = make_practice_session(session, user, **_ended(15))
    _transcript(
        session,
        practice,
        segments=[
            ("user", "Hi, I'm Sam.", True),
            ("ai", "Hello Sam.", True),
            ("user", "partial guess", False),
            ("user", "Shall we start?", True),
        ],
    )
    recording = _recording(session, practice, storage)
    _analytics(session, practice, score=81)

    with count_queries(session) as statements:
        detail = history.get_session_detail(session=session, user_id=user.id, practice_session_id=str(practice.id))

    assert len(statements) == 3  # the session with its 1:1 rows, the segments, the analysis results
    assert [(s.sequence, s.speaker, s.text) for s in detail.segments] == [
        (0, "user", "Hi, I'm Sam."),
        (1, "ai", "Hello Sam."),
        (3, "user", "Shall we start?"),
    ]
    assert detail.has_transcript and not detail.transcript_anonymized and detail.transcript_text == ""
    assert detail.recording.mime_type == "audio/ogg" and detail.recording.size_bytes == recording.size_bytes
    assert detail.recording.duration_seconds == 118.5
    assert detail.recording.url.startswith(f"http://backend.test/api/media/{recording.storage_key}?exp=")
    query = detail.recording.url.split("?", 1)[1]
    exp, sig = (part.split("=", 1)[1] for part in query.split("&"))
    assert storage.verify(recording.storage_key, exp, sig)
    assert int(exp) - utcnow().timestamp() <= history.PLAYBACK_SECONDS + 1
    assert detail.analytics.overall_score == 81 and detail.analytics.talk_time_ratio == 0.55


def test_someone_elses_unknown_malformed_or_deleted_session_is_not_found_and_mints_no_url(session, monkeypatch):
    owner, stranger = make_user(session), make_user(session)
    practice = make_practice_session(session, owner, **_ended(15))
    _recording(session, practice)
    minted = []

    class Recording(LocalStorage):
        def open_url(self, key, expires_seconds=300):
            minted.append(key)
            return "http://backend.test/x"

    set_storage(Recording("/nonexistent", secret_key="x" * 40, base_url=lambda: "http://backend.test"))
    try:
        for user_id, ref in (
            (stranger.id, practice.id),
            (owner.id, uuid.uuid4()),
            (owner.id, "not-a-uuid"),
            (owner.id, ""),
        ):
            with pytest.raises(ValidationError) as error:
                history.get_session_detail(session=session, user_id=user_id, practice_session_id=ref)
            assert error.value.message == NOT_FOUND
        assert minted == []
        history.get_session_detail(session=session, user_id=owner.id, practice_session_id=practice.id)
        assert len(minted) == 1
        practice.deleted_at = utcnow()
        session.flush()
        with pytest.raises(ValidationError, match="could not find"):
            history.get_session_detail(session=session, user_id=owner.id, practice_session_id=practice.id)
    finally:
        set_storage(None)


# --- deletion -------------------------------------------------------------------------------------------------------


def _deletable(session, storage):
    user = make_user(session)
    practice = make_practice_session(
        session,
        user,
        **_ended(30),
        analytics_summary={"overall_score": 70, "pace_wpm": 140, "best_quote": "my client Acme is failing"},
    )
    transcript = _transcript(
        session,
        practice,
        content="My name is Sam and my client Acme is failing.",
        segments=[("user", "My name is Sam.", True), ("ai", "Hi Sam.", True)],
    )
    recording = _recording(session, practice, storage)
    _analytics(session, practice, score=70)
    session.add(
        AnalysisResult(
            session_id=practice.id,
            analysis_type="coaching",
            provider="openai",
            version="v1",
            results={
                "overall_score": 70,
                "skills": {"opening": 60, "note": "Sam hesitated"},
                "quotes": ["my client Acme is failing"],
                "pace_series": [120, 130],
                "personal_context": {"company": "Acme"},
                "summary": "Sam did well",
            },
        )
    )
    session.flush()
    return user, practice, transcript, recording


def test_deleting_a_session_removes_audio_and_transcript_and_keeps_the_numbers(session, storage):
    user, practice, transcript, recording = _deletable(session, storage)
    assert storage.exists(recording.storage_key)

    delete_session(session=session, user_id=user.id, practice_session_id=str(practice.id))

    assert not storage.exists(recording.storage_key)
    assert session.execute(select(AudioRecording).where(AudioRecording.session_id == practice.id)).first() is None
    session.refresh(transcript)
    assert transcript.content == DELETED_CONTENT and transcript.is_anonymized
    assert transcript.anonymized_at is not None
    assert (
        session.execute(
            select(func.count()).select_from(TranscriptSegment).where(TranscriptSegment.transcript_id == transcript.id)
        ).scalar_one()
        == 0
    )
    result = session.execute(
        select(AnalysisResult.results).where(AnalysisResult.session_id == practice.id)
    ).scalar_one()
    assert result == {
        "overall_score": 70,
        "skills": {"opening": 60},
        "pace_series": [120, 130],
        "personal_context_removed": True,
    }
    stats = session.execute(select(SessionAnalytics).where(SessionAnalytics.session_id == practice.id)).scalar_one()
    assert stats.overall_score == 70 and stats.filler_words_count == 3
    session.refresh(practice)
    assert practice.deleted_at is not None and practice.status == "archived"
    assert practice.title == DELETED_TITLE
    assert practice.analytics_summary == {"overall_score": 70, "pace_wpm": 140, "personal_context_removed": True}
    assert history.list_history(session=session, user_id=user.id, page=1).total == 0
    with pytest.raises(ValidationError):
        history.get_session_detail(session=session, user_id=user.id, practice_session_id=practice.id)

    audit = session.execute(select(AuditLog).where(AuditLog.target_id == str(practice.id))).scalar_one()
    assert (audit.action, audit.target_type) == ("practice_session_deleted", "practice_session")
    assert audit.actor_user_id == user.id and audit.subject_user_id == user.id
    assert audit.details == {"recordings": 1, "segments_deleted": 2, "analysis_results_scrubbed": 1}
    assert "Sam" not in str(audit.details) and "Acme" not in str(audit.details)


def test_deleting_twice_is_harmless_and_audited_once(session, storage):
    user, practice, _, _ = _deletable(session, storage)
    delete_session(session=session, user_id=user.id, practice_session_id=practice.id)
    first = session.execute(select(PracticeSession.deleted_at).where(PracticeSession.id == practice.id)).scalar_one()

    delete_session(session=session, user_id=user.id, practice_session_id=practice.id)

    again = session.execute(select(PracticeSession.deleted_at).where(PracticeSession.id == practice.id)).scalar_one()
    assert again == first
    assert (
        session.execute(
            select(func.count()).select_from(AuditLog).where(AuditLog.target_id == str(practice.id))
        ).scalar_one()
        == 1
    )


def test_someone_else_cannot_delete_a_session_and_nothing_changes(session, storage):
    owner, practice, transcript, recording = _deletable(session, storage)
    stranger = make_user(session)

    for ref in (practice.id, uuid.uuid4(), "garbage"):
        with pytest.raises(ValidationError) as error:
            delete_session(session=session, user_id=stranger.id, practice_session_id=ref)
        assert error.value.message == NOT_FOUND

    assert storage.exists(recording.storage_key)
    session.refresh(practice)
    session.refresh(transcript)
    assert practice.deleted_at is None and not transcript.is_anonymized
    assert history.list_history(session=session, user_id=owner.id, page=1).total == 1
    assert (
        session.execute(
            select(func.count()).select_from(AuditLog).where(AuditLog.target_id == str(practice.id))
        ).scalar_one()
        == 0
    )


def test_a_storage_failure_leaves_no_claim_of_audio_and_a_retry_purges_it(session, storage, tmp_path):
    user, practice, _, recording = _deletable(session, storage)
    set_storage(BrokenDeletes(storage.root, secret_key="x" * 40, base_url=lambda: "http://backend.test"))

    delete_session(session=session, user_id=user.id, practice_session_id=practice.id)

    assert storage.exists(recording.storage_key)  # the object could not be deleted...
    pending = session.execute(select(AudioRecording).where(AudioRecording.id == recording.id)).scalar_one()
    assert pending.deleted_at is not None  # ...but nothing claims it any more, and the row marks the purge to do
    assert history.list_history(session=session, user_id=user.id, page=1).total == 0

    set_storage(storage)
    delete_session(session=session, user_id=user.id, practice_session_id=practice.id)

    assert not storage.exists(recording.storage_key)
    assert session.execute(select(AudioRecording).where(AudioRecording.id == recording.id)).first() is None


def test_a_running_session_cannot_be_deleted(session, storage):
    user = make_user(session)
    practice = make_practice_session(session, user, status="active", started_at=utcnow() - timedelta(minutes=2))

    with pytest.raises(ValidationError, match="still running"):
        delete_session(session=session, user_id=user.id, practice_session_id=practice.id)
    session.refresh(practice)
    assert practice.deleted_at is None

    # A session left active past the cap (its owner closed the tab) is ended and deleted.
    other = make_user(session)
    stale = make_practice_session(session, other, status="active", started_at=utcnow() - timedelta(hours=2))
    delete_session(session=session, user_id=other.id, practice_session_id=stale.id)
    session.refresh(stale)
    assert stale.deleted_at is not None and stale.status == "archived" and stale.ended_at is not None


def test_scrub_keeps_numbers_only():
    assert scrub_personal(
        {"a": 1, "b": "text", "c": [1, 2.5], "d": [1, "x"], "e": {"f": "g"}, "h": True, "i": None, "j": {"k": 3}}
    ) == {"a": 1, "c": [1, 2.5], "h": True, "j": {"k": 3}}
    assert scrub_personal("quote") is None
