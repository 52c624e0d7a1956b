"""The CSV export route: only a valid download token (or session) of that company's manager or an admin."""

from __future__ import annotations

import csv
import io
import time
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from speakpro import routes
from speakpro.api import build_api
from speakpro.services import dashboards
from speakpro.services.sessions import create_session
from tests.db.test_dashboards import _analysed
from tests.factories import make_company, make_user, today


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
    _analysed(session, learner, mine, today() - timedelta(days=2), 72)
    _analysed(session, stranger, theirs, today() - timedelta(days=2), 33)
    return {"mine": mine, "theirs": theirs, "manager": manager, "other_manager": other_manager,
            "learner": learner, "stranger": stranger, "admin": admin}


def _get(client, company, token=None, **params):
    query = {k: v for k, v in {"token": token, **params}.items() if v is not None}
    return client.get(routes.company_export(company.slug), params=query)


def _token(user, company, now=None):
    return dashboards.mint_download_token(user_id=user.id, company_id=company.id, now=now)


def test_good_token_gives_the_csv(client, setup):
    response = _get(client, setup["mine"], _token(setup["manager"], setup["mine"]))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == f'attachment; filename="{setup["mine"].slug}-learners.csv"'
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == list(dashboards.CSV_HEADER)
    assert [r[1] for r in rows[1:]] == [setup["learner"].email]
    assert rows[1][2] == "1" and rows[1][3] == "72.0"
    assert setup["stranger"].email not in response.text


def test_admin_token_and_date_range(client, setup):
    t = today()
    response = _get(client, setup["theirs"], _token(setup["admin"], setup["theirs"]),
                    **{"from": (t - timedelta(days=1)).isoformat(), "to": t.isoformat()})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[1][1] == setup["stranger"].email and rows[1][2] == "0"  # the session is before `from`


def test_bearer_session_token_works(session, client, setup):
    bearer = create_session(session=session, user_id=setup["manager"].id)
    response = client.get(routes.company_export(setup["mine"].slug), headers={"Authorization": f"Bearer {bearer}"})
    assert response.status_code == 200 and setup["learner"].email in response.text


@pytest.mark.parametrize("kind", ["missing", "garbage", "expired", "forged", "other_company", "wrong_user"])
def test_bad_tokens_are_403(client, setup, kind):
    good = _token(setup["manager"], setup["mine"])
    token = {
        "missing": None,
        "garbage": "not-a-token",
        "expired": _token(setup["manager"], setup["mine"], now=time.time() - 300),
        "forged": good[:-4] + ("0000" if not good.endswith("0000") else "1111"),
        "other_company": _token(setup["manager"], setup["theirs"]),
        "wrong_user": setup["learner"].id.hex + good[32:],
    }[kind]
    response = _get(client, setup["mine"], token)
    assert response.status_code == 403
    assert setup["learner"].email not in response.text and "error" in response.json()


def test_other_companys_manager_and_learner_are_403(client, setup):
    assert _get(client, setup["mine"], _token(setup["other_manager"], setup["mine"])).status_code == 403
    assert _get(client, setup["mine"], _token(setup["learner"], setup["mine"])).status_code == 403
    assert _get(client, setup["theirs"], _token(setup["manager"], setup["theirs"])).status_code == 403


def test_a_demoted_or_disabled_manager_is_403(session, client, setup):
    token = _token(setup["manager"], setup["mine"])
    setup["manager"].disabled = True
    session.flush()
    assert _get(client, setup["mine"], token).status_code == 403


def test_unknown_company_is_403(client, setup):
    response = client.get(routes.company_export("no-such-company"),
                          params={"token": _token(setup["admin"], setup["mine"])})
    assert response.status_code == 403
