"""The live page's partner connection: a Realtime client secret is minted in three steps (the check, the API
with no transaction or state lock held, the record), so what happens while the API answers counts."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import func, select

from speakpro import routes
from speakpro.models import ClientSecret, utcnow
from speakpro.services.accounts import sessions
from speakpro.services.practice import practice
from speakpro.services.practice.practice_access import NOT_ACTIVE
from speakpro.services.practice.realtime_secrets import UNAVAILABLE
from speakpro.state.practice_live import PracticeLiveState
from tests.factories import make_practice_session, make_topic, make_user
from tests.signin import at_url, background, run, sign_in


class _Secrets:
    """`client.realtime.client_secrets` of a Realtime API that answers `create` with `answer()`."""

    def __init__(self, answer):
        self.answer, self.calls = answer, []

    def create(self, **kwargs):
        self.calls.append(kwargs)
        return self.answer()


def _client(answer) -> SimpleNamespace:
    return SimpleNamespace(realtime=SimpleNamespace(client_secrets=_Secrets(answer)))


async def _live_page(session, monkeypatch, client):
    monkeypatch.setattr("speakpro.state.practice_live.get_openai_client", lambda: client)
    learner = make_user(session, onboarding_completed=True)
    live = make_practice_session(session, learner, make_topic(session), status="active", mode="realtime")
    state = PracticeLiveState()
    sign_in(state, sessions.create_session(session=session, user_id=learner.id))
    at_url(state, routes.practice_live(str(live.id)))
    await run(state.load)
    assert state.mode == "realtime" and state.session_id == str(live.id)
    return state, learner, live


def _secrets_of(session, live) -> int:
    return session.execute(select(func.count()).where(ClientSecret.session_id == live.id)).scalar_one()


async def test_a_mint_hands_the_secret_to_the_page_and_records_its_fingerprint(session, monkeypatch):
    expires = int(utcnow().timestamp()) + 90
    client = _client(lambda: SimpleNamespace(value="ek_test_secret", expires_at=expires))
    state, _, live = await _live_page(session, monkeypatch, client)
    await run(background(state, "connect"))
    assert state.client_secret == "ek_test_secret" and state.error == ""
    assert not state._minting
    assert _secrets_of(session, live) == 1
    pinned = client.realtime.client_secrets.calls[0]
    assert pinned["expires_after"]["seconds"] == 90 and pinned["session"]["type"] == "realtime"


async def test_a_session_ended_while_the_api_answered_gets_no_secret(session, monkeypatch):
    expires = int(utcnow().timestamp()) + 90
    box = {}

    def answer_after_the_learner_ended():
        # The learner ends the session (another tab) while the API is answering this mint.
        practice.end_practice(session=session, user_id=box["learner"].id, practice_session_id=box["live"].id)
        return SimpleNamespace(value="ek_late_secret", expires_at=expires)

    state, box["learner"], box["live"] = await _live_page(session, monkeypatch, _client(answer_after_the_learner_ended))
    await run(background(state, "connect"))
    assert state.client_secret == "" and state.error == NOT_ACTIVE
    assert not state._minting
    assert _secrets_of(session, box["live"]) == 0


async def test_a_failed_api_call_says_so_and_lets_the_page_try_again(session, monkeypatch):
    def fail():
        raise OSError("connection reset")

    state, _, live = await _live_page(session, monkeypatch, _client(fail))
    await run(background(state, "connect"))
    assert state.client_secret == "" and state.error == UNAVAILABLE
    assert not state._minting  # a renewal may mint again
    assert _secrets_of(session, live) == 0
