"""The health route reports database reachability with the right status code."""

from __future__ import annotations

from sqlalchemy import create_engine
from starlette.testclient import TestClient

from speakpro import db, routes
from speakpro.api import build_api


def test_health_is_ok_when_the_database_answers(engine):
    response = TestClient(build_api()).get(routes.API_HEALTH)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "reachable"}
    assert response.headers["cache-control"] == "no-store"


def test_health_is_503_when_the_database_is_down(engine):
    db.set_engine(create_engine("postgresql+psycopg2://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1}))
    try:
        response = TestClient(build_api()).get(routes.API_HEALTH)
    finally:
        db.set_engine(engine)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded" and body["database"] == "OperationalError"
