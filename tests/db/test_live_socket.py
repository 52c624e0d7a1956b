"""The transcript websocket (`/api/live/{session_id}`): every batch answered after its commit with what the
database holds, refusals that say whether to retry, foreign origins refused, and nothing a message that is not
a batch can break."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from speakpro import live_socket
from speakpro.api import build_api
from speakpro.models import Topic, TranscriptSegment
from speakpro.services.accounts.sessions import create_session
from speakpro.services.practice.practice import end_practice, start_practice
from speakpro.session_cookie import SESSION_COOKIE
from speakpro.settings import settings
from tests.factories import make_user

ORIGIN = settings.app_url.rstrip("/")


def seg(sequence: int, text: str = "hello", *, final: bool = True, speaker: str = "user") -> dict:
    return {
        "sequence": sequence,
        "speaker": speaker,
        "text": text,
        "start_ms": sequence * 1000,
        "end_ms": sequence * 1000 + 800,
        "is_final": final,
    }


@pytest.fixture
def client(session):
    with TestClient(build_api(), base_url="http://backend.test") as client:
        yield client


@pytest.fixture
def learner(session):
    user = make_user(session)
    topic = Topic(slug=f"topic-{uuid.uuid4().hex[:8]}", title="Discovery call", difficulty="beginner")
    session.add(topic)
    session.flush()
    live = start_practice(session=session, user_id=user.id, topic_id=topic.id, mode="solo")
    return user, create_session(session=session, user_id=user.id), live


def _connect(client, session_id, token=None, origin=ORIGIN):
    headers = {"origin": origin} if origin else {}
    if token:
        headers["cookie"] = f"{SESSION_COOKIE}={token}"
    return client.websocket_connect(f"/api/live/{session_id}", headers=headers)


def _send(ws, batch_id, session_id, segments) -> dict:
    """Send a batch and return its answer (a live-meter reading sent on its own in between is skipped)."""
    ws.send_text(json.dumps({"batch_id": batch_id, "session_id": session_id, "segments": segments}))
    while "batch_id" not in (answer := json.loads(ws.receive_text())):
        assert set(answer) == {"meter"}
    return answer


def _stored(session, live) -> list[tuple]:
    c = TranscriptSegment.__table__.c
    rows = session.execute(
        select(c.sequence, c.text, c.is_final)
        .where(c.transcript_id == uuid.UUID(live.transcript_id))
        .order_by(c.sequence)
    )
    return [tuple(r) for r in rows]


def test_a_batch_is_answered_with_what_was_stored_and_a_resend_changes_nothing(session, client, learner):
    _, token, live = learner
    with _connect(client, live.id, token) as ws:
        first = _send(ws, "b-1", live.id, [seg(0, "hi there"), seg(1, "typing", final=False)])
        again = _send(ws, "b-2", live.id, [seg(0, "hi there"), seg(1, "typing", final=False)])
        final = _send(ws, "b-3", live.id, [seg(1, "typing done")])
    assert {k: v for k, v in first.items() if k != "meter"} == {
        "batch_id": "b-1",
        "stored": [0, 1],
        "refused": "",
        "retry": False,
    }
    assert again["stored"] == [0, 1] and not again["refused"]
    assert final["stored"] == [1]
    assert _stored(session, live) == [(0, "hi there", True), (1, "typing done", True)]


def test_no_cookie_or_a_revoked_one_keeps_the_batch_for_a_retry(session, client, learner):
    from speakpro.services.accounts.sessions import revoke_session

    _, token, live = learner
    with _connect(client, live.id) as ws:
        anonymous = _send(ws, "b-1", live.id, [seg(0)])
    revoke_session(session=session, token=token)
    with _connect(client, live.id, token) as ws:
        revoked = _send(ws, "b-2", live.id, [seg(0)])
    for answer in (anonymous, revoked):
        assert answer["stored"] == [] and answer["retry"] is True and answer["refused"]
    assert _stored(session, live) == []


def test_another_learners_session_or_another_sessions_batch_is_refused_for_good(session, client, learner):
    _, token, live = learner
    other_token = create_session(session=session, user_id=make_user(session).id)
    with _connect(client, live.id, other_token) as ws:
        foreign = _send(ws, "b-1", live.id, [seg(0, "not mine")])
    with _connect(client, live.id, token) as ws:
        mismatch = _send(ws, "b-2", str(uuid.uuid4()), [seg(0, "elsewhere")])
    assert foreign["stored"] == [] and foreign["retry"] is False and foreign["refused"]
    assert mismatch == {"batch_id": "b-2", "stored": [], "refused": live_socket.OTHER_SESSION, "retry": False}
    assert _stored(session, live) == []


def test_an_ended_session_refuses_new_words_for_good(session, client, learner):
    user, token, live = learner
    end_practice(session=session, user_id=user.id, practice_session_id=live.id)
    with _connect(client, live.id, token) as ws:
        answer = _send(ws, "b-1", live.id, [seg(0)])
    assert answer["stored"] == [] and answer["retry"] is False and "not" in answer["refused"].lower()


def test_what_is_not_a_batch_is_ignored_and_the_connection_carries_on(session, client, learner):
    _, token, live = learner
    with _connect(client, live.id, token) as ws:
        for junk in ("not json", "[1, 2]", json.dumps({"segments": [seg(0)]}), json.dumps({"batch_id": "x" * 65})):
            ws.send_text(junk)
        ws.send_bytes(b"\x00\x01")
        ws.send_text("x" * (live_socket.MAX_MESSAGE_CHARS + 1))
        malformed = _send(ws, "b-bad", live.id, [{"sequence": -1}])
        huge = _send(ws, "b-huge", live.id, [seg(i) for i in range(live_socket.MAX_BATCH + 1)])
        ok = _send(ws, "b-ok", live.id, [seg(0, "still here")])
    assert malformed["retry"] is False and malformed["stored"] == [] and "not saved" in malformed["refused"]
    assert "Traceback" not in malformed["refused"] and "Error" not in malformed["refused"]
    assert huge == {"batch_id": "b-huge", "stored": [], "refused": live_socket.TOO_LARGE, "retry": False}
    assert ok["batch_id"] == "b-ok" and ok["stored"] == [0]
    count = session.execute(
        select(func.count())
        .select_from(TranscriptSegment)
        .where(TranscriptSegment.transcript_id == uuid.UUID(live.transcript_id))
    ).scalar_one()
    assert count == 1


def test_an_unexpected_error_keeps_the_words_and_shows_no_exception_text(session, client, learner, monkeypatch):
    _, token, live = learner

    def broken(**_kwargs):
        raise RuntimeError("psycopg2 internals /srv/secret")

    with _connect(client, live.id, token) as ws:
        monkeypatch.setattr(live_socket.transcripts, "ingest_batch", broken)
        failed = _send(ws, "b-1", live.id, [seg(0, "kept")])
        monkeypatch.undo()
        again = _send(ws, "b-2", live.id, [seg(0, "kept")])
    assert failed["stored"] == [] and failed["retry"] is True and "quote error" in failed["refused"]
    assert "RuntimeError" not in failed["refused"] and "secret" not in failed["refused"]
    assert again["stored"] == [0]
    assert _stored(session, live) == [(0, "kept", True)]


@pytest.mark.parametrize("origin", ["https://evil.example", None])
def test_a_foreign_or_missing_origin_is_refused_at_the_handshake(session, client, learner, origin):
    _, token, live = learner
    with pytest.raises(WebSocketDisconnect) as refused, _connect(client, live.id, token, origin=origin or ""):
        pass
    assert refused.value.code == 1008
    assert _stored(session, live) == []


def _talk(sequence: int, speaker: str, text: str, start_s: float, seconds: float) -> dict:
    start = int(start_s * 1000)
    return {
        "sequence": sequence,
        "speaker": speaker,
        "text": text,
        "start_ms": start,
        "end_ms": start + int(seconds * 1000),
        "is_final": True,
    }


def _meter(ws) -> dict:
    """The next live-meter reading sent on its own (it follows a throttled change within about a second)."""
    message = json.loads(ws.receive_text())
    assert set(message) == {"meter"}, message
    return message["meter"]


def test_the_live_meter_reads_the_stored_transcript_and_a_new_connection_starts_from_it(session, client, learner):
    _, token, live = learner
    # 20 learner words in 8 s (150 wpm) with two fillers, then the partner for 8 s: a 50% talk share.
    words = "so um I think we should ship twice a week uh because the costs keep going up for our team"
    with _connect(client, live.id, token) as ws:
        first = _send(ws, "b-1", live.id, [_talk(0, "user", words, 0, 8)])
        second = _send(ws, "b-2", live.id, [_talk(1, "ai", "Which routes matter most to you right now?", 8, 8)])
        later = second.get("meter") or _meter(ws)
    assert first["meter"]["pace_wpm"] == 150 and first["meter"]["filler_count"] == 2
    assert first["meter"]["talk_share_percent"] is None  # no partner yet: not a made-up 100%
    assert later["talk_share_percent"] == 50 and later["filler_count"] == 2 and later["learner_words"] == 20

    # A reload opens a new connection: its meter starts from what the database holds, not from nothing.
    with _connect(client, live.id, token) as ws:
        resumed = _send(ws, "b-3", live.id, [_talk(2, "user", "Mostly Rotterdam to Lyon, um, every week", 17, 3)])
    assert resumed["meter"]["filler_count"] == 3 and resumed["meter"]["learner_words"] == 27


def test_the_live_meter_is_not_sent_for_a_batch_that_changed_nothing(session, client, learner):
    _, token, live = learner
    batch = [_talk(0, "user", "hello there partner how are you today", 0, 3)]
    with _connect(client, live.id, token) as ws:
        first = _send(ws, "b-1", live.id, batch)
        again = _send(ws, "b-2", live.id, batch)
    assert "meter" in first and "meter" not in again
    assert first["meter"]["pace_wpm"] is None  # 3 s of speech is too little to give a pace
