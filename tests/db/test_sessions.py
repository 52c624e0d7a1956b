"""Server-side sessions: hashed tokens, expiry, revocation, and disabled users stopped at once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from speakpro.models import AuthHandoff, AuthSession, utcnow
from speakpro.services.accounts import accounts
from speakpro.services.accounts.sessions import (
    ABSOLUTE_LIFETIME,
    IDLE_TIMEOUT,
    create_handoff,
    create_session,
    hash_token,
    redeem_handoff,
    resolve_session,
    revoke_session,
    revoke_user_sessions,
)
from tests.factories import make_company, make_user


def test_the_database_holds_only_the_tokens_hash(session):
    user = make_user(session)
    token = create_session(session=session, user_id=user.id, user_agent="pytest")
    assert len(token) >= 43  # 32 random bytes, url-safe base64: 256 bits
    stored = session.execute(select(AuthSession.token_hash).where(AuthSession.user_id == user.id)).scalar_one()
    assert stored == hash_token(token) and token not in stored
    assert resolve_session(session=session, token=token).user_id == user.id


def test_each_login_gets_a_new_token(session):
    user = make_user(session)
    first = create_session(session=session, user_id=user.id)
    second = create_session(session=session, user_id=user.id)
    assert first != second
    assert resolve_session(session=session, token=first) and resolve_session(session=session, token=second)


def test_unknown_malformed_and_empty_tokens_resolve_to_nobody(session):
    assert resolve_session(session=session, token="") is None
    assert resolve_session(session=session, token=None) is None
    assert resolve_session(session=session, token="x" * 5000) is None
    assert resolve_session(session=session, token="not-a-real-token") is None


def test_absolute_and_idle_expiry(session):
    user = make_user(session)
    token = create_session(session=session, user_id=user.id)
    now = utcnow()
    assert resolve_session(session=session, token=token, now=now + IDLE_TIMEOUT - timedelta(minutes=1))
    # Idle too long: last seen more than IDLE_TIMEOUT ago.
    row = session.execute(select(AuthSession).where(AuthSession.token_hash == hash_token(token))).scalar_one()
    row.last_seen_at = now - IDLE_TIMEOUT - timedelta(minutes=1)
    session.flush()
    assert resolve_session(session=session, token=token, now=now) is None
    # Fresh activity, but past the absolute lifetime.
    row.last_seen_at = now
    session.flush()
    assert resolve_session(session=session, token=token, now=now + ABSOLUTE_LIFETIME + timedelta(seconds=1)) is None


def test_logout_revokes_on_the_server(session):
    user = make_user(session)
    token = create_session(session=session, user_id=user.id)
    revoke_session(session=session, token=token)
    assert resolve_session(session=session, token=token) is None


def test_password_change_ends_the_other_sessions_only(session):
    user = accounts.signup(session=session, email="changer@example.com", password="first long password")
    here = create_session(session=session, user_id=user.id)
    elsewhere = create_session(session=session, user_id=user.id)
    accounts.change_password(
        session=session, user_id=user.id, current="first long password", new="second long password"
    )
    ended = revoke_user_sessions(session=session, user_id=user.id, keep_token=here)
    assert ended == 1
    assert resolve_session(session=session, token=here) is not None
    assert resolve_session(session=session, token=elsewhere) is None
    assert accounts.authenticate(session=session, email="changer@example.com", password="second long password")
    assert accounts.authenticate(session=session, email="changer@example.com", password="first long password") is None


def test_a_disabled_user_is_stopped_at_once(session):
    admin, user = make_user(session), make_user(session)
    token = create_session(session=session, user_id=user.id)
    accounts.set_disabled(session=session, actor_id=admin.id, user_id=user.id, disabled=True)
    assert resolve_session(session=session, token=token) is None
    accounts.set_disabled(session=session, actor_id=admin.id, user_id=user.id, disabled=False)
    assert resolve_session(session=session, token=token) is not None


def test_viewer_knows_the_company_role(session):
    company = make_company(session)
    manager = make_user(session, company=company, role="manager")
    viewer = resolve_session(session=session, token=create_session(session=session, user_id=manager.id))
    assert viewer.manages(company.id)
    assert not viewer.manages(make_company(session).id)
    assert viewer.company_slug == company.slug


def test_a_handoff_code_works_once_and_only_while_fresh(session):
    user = make_user(session)
    code = create_handoff(session=session, user_id=user.id)
    token = redeem_handoff(session=session, code=code, user_agent="pytest")
    assert resolve_session(session=session, token=token).user_id == user.id
    assert redeem_handoff(session=session, code=code) is None
    stale = create_handoff(session=session, user_id=user.id)
    row = session.execute(select(AuthHandoff).where(AuthHandoff.code_hash == hash_token(stale))).scalar_one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.flush()
    assert redeem_handoff(session=session, code=stale) is None
    assert redeem_handoff(session=session, code="") is None
