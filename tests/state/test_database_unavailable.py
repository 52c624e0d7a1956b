"""A database that does not answer: handlers say so plainly, keep nothing they did not store, and show no number
they did not read. The engine points at a port where nothing listens, so every connection is really refused."""

from __future__ import annotations

import logging
import socket

import pytest
from sqlalchemy import create_engine

from speakpro import db
from speakpro.db import DatabaseUnavailable
from speakpro.errors import backend_exception_handler
from speakpro.live_socket import PAUSED, answer_batch
from speakpro.state.home import HomeState
from speakpro.state.world import MapState
from tests.signin import run, sign_in


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the block ends: connections are refused


@pytest.fixture
def no_database():
    engine = create_engine(
        f"postgresql+psycopg2://postgres@127.0.0.1:{_closed_port()}/speakpro", connect_args={"connect_timeout": 2}
    )
    previous = db._engine
    db.set_engine(engine)
    yield
    db.set_engine(previous)
    engine.dispose()


@pytest.mark.parametrize("state_cls", [HomeState, MapState])
async def test_a_page_load_shows_the_notice_and_no_numbers(no_database, state_cls):
    state = sign_in(state_cls(), "a-token-the-database-never-sees")
    state.loaded = True  # as after an earlier visit
    events = await run(state.load)  # answered, not raised, so the state reaches the browser
    assert "can't reach our database" in str(events) and "redirect" not in str(events)
    assert state.db_unavailable and not state.loaded


async def test_a_transcript_batch_is_refused_with_retry_and_nothing_is_lost(no_database):
    session_id = "5f1e8d4c-1111-4222-8333-444455556666"
    segment = {"sequence": 0, "speaker": "user", "text": "hello", "start_ms": 0, "end_ms": 500, "is_final": True}
    answer = await answer_batch(
        token="a-token",
        session_ref=session_id,
        batch={"batch_id": "b-1", "session_id": session_id, "segments": [segment]},
    )
    assert answer == {"batch_id": "b-1", "stored": [], "refused": PAUSED, "retry": True}


def test_the_toast_never_shows_exception_text(caplog):
    toast = backend_exception_handler(DatabaseUnavailable())
    assert "can't reach our database" in str(toast)
    with caplog.at_level(logging.ERROR, logger="speakpro.errors"):
        toast = str(backend_exception_handler(AttributeError("'str' object has no attribute 'get'")))
    assert "AttributeError" not in toast and "object has no attribute" not in toast
    [record] = [r for r in caplog.records if r.name == "speakpro.errors" and r.levelno == logging.ERROR]
    error_id = record.getMessage().rsplit(" ", 1)[-1]
    assert len(error_id) == 8 and f"quote error {error_id}" in toast and record.exc_info


async def test_the_session_page_keeps_waiting_for_its_analysis_while_the_database_is_away(no_database, monkeypatch):
    import speakpro.state.history as history_state
    from speakpro.state.history import SessionDetailState
    from tests.signin import background

    monkeypatch.setattr(history_state, "ANALYSIS_POLL_SECONDS", 0)
    monkeypatch.setattr(history_state, "ANALYSIS_WAIT_SECONDS", 0.2)
    state = sign_in(SessionDetailState(), "a-token-the-database-never-sees")
    state.session_id, state.analysing, state._analysis_watch = "5b3c9a4e-1111-4c5e-9a6b-000000000001", True, "w"
    events = await run(background(state, "watch_analysis"))
    # Not given up, not sent to the login page: still "analysing", then "taking longer than usual".
    assert state.analysing and state.analysis_slow and state.db_unavailable
    assert "redirect" not in str(events)
