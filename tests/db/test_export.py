"""The CSV export route: only a valid download token (or session) of that company's manager or an admin; a token
works once and only while the login session that minted it lasts; every export is audited."""

from __future__ import annotations

import csv
import io
import time
from datetime import timedelta

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from speakpro import routes
from speakpro.api import build_api
from speakpro.models import AuditLog
from speakpro.services.accounts.sessions import create_session, revoke_session, revoke_user_sessions
from speakpro.services.dashboards import dashboards
from speakpro.services.dashboards.dashboard_access import login_session_id, mint_download_token
from tests.factories import make_analysed_session, make_company, make_user, today


@pytest.fixture
def client(session):
    with TestClient(build_api(), base_url="http://backend.test") as client:
        yield client


@pytest.fixture
def setup(session):
    mine, theirs = make_company(session), make_company(session)
    manager = make_user(session, mine, role="manager")
    other_manager = make_user(session, theirs, role="manager")
    learner = make_user(session, mine)
    stranger = make_user(session, theirs)
    admin = make_user(session)
    admin.is_admin = True
    session.flush()
    make_analysed_session(session, learner, mine, today() - timedelta(days=2), 72)
    make_analysed_session(session, stranger, theirs, today() - timedelta(days=2), 33)
    return {
        "mine": mine,
        "theirs": theirs,
        "manager": manager,
        "other_manager": other_manager,
        "learner": learner,
        "stranger": stranger,
        "admin": admin,
    }


def _get(client, company, token=None, **params):
    query = {k: v for k, v in {"token": token, **params}.items() if v is not None}
    return client.get(routes.company_export(company.slug), params=query)


def _login(session, user) -> str:
    return create_session(session=session, user_id=user.id)


def _token(session, user, company, now=None, login=None):
    """A download token as the dashboard mints it: in a login session of `user` (a new one unless given)."""
    login_id = login_session_id(session=session, token=login or _login(session, user))
    return mint_download_token(user_id=user.id, company_id=company.id, login_session_id=login_id, now=now)


def _range(days_back: int = 29):
    t = today()
    return (t - timedelta(days=days_back)).isoformat(), t.isoformat()


def test_good_token_gives_the_csv(session, client, setup):
    response = _get(client, setup["mine"], _token(session, setup["manager"], setup["mine"]))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    first, last = _range()  # the default range: the last 30 days
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{setup["mine"].slug}-learners-{first}-to-{last}.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == list(dashboards.CSV_HEADER)
    assert [r[1] for r in rows[1:]] == [setup["learner"].email]
    assert rows[1][2] == "1" and rows[1][3] == "72.0"
    assert setup["stranger"].email not in response.text


def test_admin_token_and_date_range(session, client, setup):
    first, last = _range(1)
    response = _get(
        client, setup["theirs"], _token(session, setup["admin"], setup["theirs"]), **{"from": first, "to": last}
    )
    assert response.status_code == 200
    assert response.headers["content-disposition"].endswith(f'-learners-{first}-to-{last}.csv"')
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[1][1] == setup["stranger"].email and rows[1][2] == "0"  # the session is before `from`


def test_a_reversed_range_is_refused_and_leaves_the_link_unused(session, client, setup):
    first, last = _range(5)
    token = _token(session, setup["manager"], setup["mine"])
    reversed_ = _get(client, setup["mine"], token, **{"from": last, "to": first})
    assert reversed_.status_code == 400 and "before the start date" in reversed_.json()["error"]
    assert setup["learner"].email not in reversed_.text and _exports(session, setup["mine"]) == []
    assert _get(client, setup["mine"], token, **{"from": first, "to": last}).status_code == 200


def test_bearer_session_token_works(session, client, setup):
    bearer = create_session(session=session, user_id=setup["manager"].id)
    response = client.get(routes.company_export(setup["mine"].slug), headers={"Authorization": f"Bearer {bearer}"})
    assert response.status_code == 200 and setup["learner"].email in response.text


def _swap(token: str, index: int, value: str) -> str:
    parts = token.split(".")
    parts[index] = value
    return ".".join(parts)


@pytest.mark.parametrize(
    "kind", ["missing", "garbage", "expired", "forged", "other_company", "wrong_user", "other_login", "old_format"]
)
def test_bad_tokens_are_403(session, client, setup, kind):
    good = _token(session, setup["manager"], setup["mine"])
    learner_login = login_session_id(session=session, token=_login(session, setup["learner"]))
    token = {
        "missing": None,
        "garbage": "not-a-token",
        "expired": _token(session, setup["manager"], setup["mine"], now=time.time() - 300),
        "forged": good[:-4] + ("0000" if not good.endswith("0000") else "1111"),
        "other_company": _token(session, setup["manager"], setup["theirs"]),
        "wrong_user": _swap(good, 1, setup["learner"].id.hex),
        "other_login": _swap(good, 2, learner_login.hex),
        "old_format": ".".join(good.split(".")[1:2] + good.split(".")[3:]),  # <user>.<expires>.<hmac>
    }[kind]
    response = _get(client, setup["mine"], token)
    assert response.status_code == 403
    assert setup["learner"].email not in response.text and "error" in response.json()


def test_other_companys_manager_and_learner_are_403(session, client, setup):
    assert _get(client, setup["mine"], _token(session, setup["other_manager"], setup["mine"])).status_code == 403
    assert _get(client, setup["mine"], _token(session, setup["learner"], setup["mine"])).status_code == 403
    assert _get(client, setup["theirs"], _token(session, setup["manager"], setup["theirs"])).status_code == 403


def test_a_demoted_or_disabled_manager_is_403(session, client, setup):
    token = _token(session, setup["manager"], setup["mine"])
    setup["manager"].disabled = True
    session.flush()
    assert _get(client, setup["mine"], token).status_code == 403


def test_unknown_company_is_403(session, client, setup):
    response = client.get(
        routes.company_export("no-such-company"), params={"token": _token(session, setup["admin"], setup["mine"])}
    )
    assert response.status_code == 403


def test_a_token_works_once(session, client, setup):
    token = _token(session, setup["manager"], setup["mine"])
    assert _get(client, setup["mine"], token).status_code == 200
    again = _get(client, setup["mine"], token)
    assert again.status_code == 403 and setup["learner"].email not in again.text
    assert "already used" in again.json()["error"]
    # A new token from the same login works.
    assert _get(client, setup["mine"], _token(session, setup["manager"], setup["mine"])).status_code == 200


@pytest.mark.parametrize("ending", ["logout", "logout_everywhere"])
def test_a_token_dies_with_the_login_session_that_minted_it(session, client, setup, ending):
    login, other_login = _login(session, setup["manager"]), _login(session, setup["manager"])
    token = _token(session, setup["manager"], setup["mine"], login=login)
    survivor = _token(session, setup["manager"], setup["mine"], login=other_login)
    if ending == "logout":
        revoke_session(session=session, token=login)
    else:
        revoke_user_sessions(session=session, user_id=setup["manager"].id)
    session.flush()
    assert _get(client, setup["mine"], token).status_code == 403
    expected = 200 if ending == "logout" else 403  # a logout ends that login only
    assert _get(client, setup["mine"], survivor).status_code == expected


def _exports(session, company) -> list[AuditLog]:
    statement = select(AuditLog).where(AuditLog.action == "company.csv_exported", AuditLog.company_id == company.id)
    return list(session.execute(statement).scalars())


def test_every_export_is_audited_without_the_learners_data(session, client, setup):
    first, last = _range(6)
    assert (
        _get(
            client, setup["mine"], _token(session, setup["manager"], setup["mine"]), **{"from": first, "to": last}
        ).status_code
        == 200
    )
    bearer = create_session(session=session, user_id=setup["admin"].id)
    assert (
        client.get(routes.company_export(setup["mine"].slug), headers={"Authorization": f"Bearer {bearer}"}).status_code
        == 200
    )
    by_manager, by_admin = sorted(
        _exports(session, setup["mine"]), key=lambda row: row.actor_user_id != setup["manager"].id
    )
    assert by_manager.actor_user_id == setup["manager"].id and by_manager.target_type == "company"
    assert by_manager.subject_user_id is None
    assert by_manager.details == {"date_from": first, "date_to": last, "learners": 1, "via": "download_token"}
    assert by_admin.actor_user_id == setup["admin"].id and by_admin.details["via"] == "bearer"
    text = str([(row.details, row.target_id) for row in (by_manager, by_admin)])
    for learner_fact in (setup["learner"].email, setup["learner"].display_name, str(setup["learner"].id)):
        assert learner_fact not in text


def test_a_refused_download_writes_no_export_audit_row(session, client, setup):
    assert _get(client, setup["mine"], _token(session, setup["learner"], setup["mine"])).status_code == 403
    assert _get(client, setup["mine"], "garbage").status_code == 403
    assert _exports(session, setup["mine"]) == []
