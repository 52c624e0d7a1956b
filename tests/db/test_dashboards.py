"""Dashboards: numbers right on hand-made data, tenants kept apart, a fixed number of queries."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event

from speakpro.services.dashboards import dashboards
from speakpro.services.dashboards.admin_overview import admin_overview
from speakpro.services.dashboards.company_learner import company_learner
from speakpro.services.dashboards.dashboard_access import mint_download_token, verify_download_token
from speakpro.services.dashboards.learner_progress import learner_progress
from speakpro.services.validation import ValidationError
from tests.factories import make_analysed_session, make_company, make_user, today


@pytest.fixture
def world(session):
    """Two companies; Northwind-like `a` with two learners, `b` with one busy learner."""
    a, b = make_company(session), make_company(session)
    ann = make_user(session, a)
    bob = make_user(session, a)
    idle = make_user(session, a)
    boss = make_user(session, a, role="manager")
    other = make_user(session, b)
    t = today()
    make_analysed_session(session, ann, a, t - timedelta(days=10), 50, seconds=600)
    make_analysed_session(session, ann, a, t - timedelta(days=3), 70, seconds=300)
    make_analysed_session(session, ann, a, t - timedelta(days=3), 80, seconds=300, hour=15)
    make_analysed_session(session, bob, a, t - timedelta(days=1), 60, seconds=120, skills=(40, 50, 60, 70))
    make_analysed_session(session, ann, a, t - timedelta(days=60), 10, seconds=60)  # outside the 30-day default
    for day in range(5):
        make_analysed_session(session, other, b, t - timedelta(days=day), 99, seconds=900)
    return {"a": a, "b": b, "ann": ann, "bob": bob, "idle": idle, "boss": boss, "other": other}


class _Counter:
    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._hit)
        return self

    def __exit__(self, *_):
        event.remove(self.engine, "before_cursor_execute", self._hit)

    def _hit(self, *_args):
        self.count += 1


def test_company_kpis_daily_and_learners(session, world):
    t = today()
    board = dashboards.company_dashboard(
        session=session, company_id=world["a"].id, date_from=t - timedelta(days=29), date_to=t
    )
    assert board.sessions == 4
    assert board.average_score == 65.0  # (50 + 70 + 80 + 60) / 4
    assert board.total_seconds == 600 + 300 + 300 + 120
    assert board.active_learners == 2
    assert [(p.day, p.sessions, p.average_score, p.active_learners) for p in board.daily] == [
        (t - timedelta(days=10), 1, 50.0, 1),
        (t - timedelta(days=3), 2, 75.0, 1),
        (t - timedelta(days=1), 1, 60.0, 1),
    ]
    rows = {r.user_id: r for r in board.learners}
    ann, bob, idle = rows[str(world["ann"].id)], rows[str(world["bob"].id)], rows[str(world["idle"].id)]
    assert (ann.sessions, ann.first_score, ann.latest_score, ann.trend, ann.minutes) == (3, 50, 80, "up", 20.0)
    # The least-squares line through (day -10 at 10:00, 50), (day -3 at 10:00, 70), (day -3 at 15:00, 80)
    # rises 3.4 points a day: 25.6 points over those 7.2 days.
    assert ann.trend_change == pytest.approx(25.6, abs=0.1)
    # One session (or none) is not a trend.
    assert (bob.sessions, bob.first_score, bob.latest_score, bob.trend, bob.trend_change) == (1, 60, 60, "few", None)
    assert (idle.sessions, idle.average_score, idle.trend) == (0, None, "few")
    assert str(world["boss"].id) not in rows  # managers are not in the learner table
    assert board.learners[0].user_id == str(world["ann"].id)  # most sessions first
    assert board.skills == {"opening": 55.0, "questioning": 65.0, "objection_handling": 75.0, "closing": 85.0}


def test_one_company_never_sees_anothers_rows(session, world):
    t = today()
    a = dashboards.company_dashboard(session=session, company_id=world["a"].id, date_from=None, date_to=None)
    b = dashboards.company_dashboard(session=session, company_id=world["b"].id, date_from=None, date_to=None)
    assert str(world["other"].id) not in {r.user_id for r in a.learners}
    assert {r.user_id for r in b.learners} == {str(world["other"].id)}
    assert (b.sessions, b.average_score, b.active_learners) == (5, 99.0, 1)
    assert 99.0 not in {p.average_score for p in a.daily}
    text = dashboards.company_csv(session=session, company=world["a"], date_from=t - timedelta(days=29), date_to=t)
    assert world["other"].email not in text
    unknown = dashboards.company_dashboard(session=session, company_id=uuid.uuid4(), date_from=None, date_to=None)
    assert (unknown.sessions, unknown.learners, unknown.average_score) == (0, [], None)


def test_date_range_is_respected_and_clamped(session, world):
    t = today()
    board = dashboards.company_dashboard(
        session=session, company_id=world["a"].id, date_from=t - timedelta(days=3), date_to=t - timedelta(days=2)
    )
    assert (board.sessions, board.average_score) == (2, 75.0)
    with pytest.raises(ValidationError, match="before the start date"):
        dashboards.company_dashboard(session=session, company_id=world["a"].id, date_from=t, date_to=t - timedelta(1))
    # A far-off end with no start is that one day, not an error.
    start, end = dashboards.clamp_range(None, dashboards.EARLIEST_DAY)
    assert start == end == dashboards.EARLIEST_DAY
    start, end = dashboards.clamp_range(t - timedelta(days=5000), t)
    assert (end - start).days == dashboards.MAX_RANGE_DAYS - 1


def test_csv_has_header_and_rows_and_defuses_formulas(session, world):
    world["ann"].display_name = "=HYPERLINK(1)"
    session.flush()
    text = dashboards.company_csv(session=session, company=world["a"], date_from=None, date_to=None)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(dashboards.CSV_HEADER)
    assert len(rows) == 4  # header + ann, bob, idle
    assert rows[1][0] == "'=HYPERLINK(1)" and rows[1][2] == "3" and rows[1][6] == "up"
    # Every row says which company and which dates it was computed for.
    labels = {tuple(r[-3:]) for r in rows[1:]}
    t = today()
    assert labels == {(world["a"].name, (t - timedelta(days=29)).isoformat(), t.isoformat())}


def test_a_trend_is_fitted_over_the_window_not_two_points(session):
    company = make_company(session)
    dip, steady = make_user(session, company), make_user(session, company)
    t = today()
    # First 70 and latest 72 (flat from two points), but the sessions between sank to 45-60: the fitted line
    # falls 5.6 points over the 19 days.
    for back, score in ((20, 70), (15, 60), (10, 50), (5, 45), (1, 72)):
        make_analysed_session(session, dip, company, t - timedelta(days=back), score)
    for back, score in ((20, 70), (10, 71), (1, 70)):
        make_analysed_session(session, steady, company, t - timedelta(days=back), score)
    rows = {
        r.user_id: r
        for r in dashboards.company_dashboard(
            session=session, company_id=company.id, date_from=None, date_to=None
        ).learners
    }
    assert (rows[str(dip.id)].first_score, rows[str(dip.id)].latest_score) == (70, 72)
    assert rows[str(dip.id)].trend == "down" and rows[str(dip.id)].trend_change == pytest.approx(-5.6, abs=0.1)
    assert rows[str(steady.id)].trend == "flat" and abs(rows[str(steady.id)].trend_change) < 3
    # The drill-down fits the same line.
    boss = make_user(session, company, role="manager")
    detail = company_learner(
        session=session, company_id=company.id, learner_id=dip.id, viewer_id=boss.id, date_from=None, date_to=None
    )
    assert detail is not None and (detail.trend, detail.trend_change) == ("down", rows[str(dip.id)].trend_change)
    assert [p.overall_score for p in detail.points] == [70, 60, 50, 45, 72]  # oldest first
    assert (detail.sessions, detail.average_score) == (5, 59.4)


def test_the_drill_down_is_the_companys_learners_only(session, world):
    def open_(learner, company):
        return company_learner(
            session=session,
            company_id=company.id,
            learner_id=learner.id,
            viewer_id=world["boss"].id,
            date_from=None,
            date_to=None,
        )

    ann = open_(world["ann"], world["a"])
    assert ann is not None and ann.sessions == 3 and ann.trend == "up"
    assert open_(world["other"], world["a"]) is None  # another company's learner
    assert open_(world["other"], world["b"]) is not None
    assert open_(world["boss"], world["a"]) is None  # a manager is not a learner of the table


def test_learner_progress(session, world):
    t = today()
    progress = learner_progress(session=session, time_zone="UTC", user_id=world["ann"].id, days=90)
    assert progress.sessions == 4
    assert [p.overall_score for p in progress.points] == [10, 50, 70, 80]
    assert (progress.first_score, progress.latest_score) == (10, 80)
    assert progress.average_score == 52.5
    assert progress.skills == {"opening": 60.0, "questioning": 70.0, "objection_handling": 80.0, "closing": 90.0}
    assert progress.practice_days == {t - timedelta(days=60): 1, t - timedelta(days=10): 1, t - timedelta(days=3): 2}
    assert progress.total_minutes == 21.0
    assert sum(m for _, m in progress.weekly_minutes) == 21.0
    assert all(monday.weekday() == 0 for monday, _ in progress.weekly_minutes)
    assert progress.current_streak == 0
    other = learner_progress(session=session, time_zone="UTC", user_id=world["other"].id, days=30)
    assert other.current_streak == 5 and {p.overall_score for p in other.points} == {99}
    short = learner_progress(session=session, time_zone="UTC", user_id=world["ann"].id, days=30)
    assert short.sessions == 3 and short.first_score == 50
    nobody = learner_progress(session=session, time_zone="UTC", user_id=uuid.uuid4())
    assert (nobody.sessions, nobody.points, nobody.first_score, nobody.current_streak) == (0, [], None, 0)


def test_admin_overview(session, world):
    totals = {c.slug: c for c in admin_overview(session=session)}
    a, b = totals[world["a"].slug], totals[world["b"].slug]
    assert (a.learners, a.managers, a.sessions) == (3, 1, 5)
    assert (b.learners, b.sessions, b.average_score, b.minutes) == (1, 5, 99.0, 75.0)


def test_fixed_query_counts(session, world, engine):
    # Twenty more sessions change no query count.
    for index, name in enumerate(("small", "large")):
        if name == "large":
            for day in range(20):
                make_analysed_session(session, world["bob"], world["a"], today() - timedelta(days=day % 25), 40 + day)
        with _Counter(engine) as c:
            dashboards.company_dashboard(session=session, company_id=world["a"].id, date_from=None, date_to=None)
        assert c.count == 3, name
        with _Counter(engine) as c:
            learner_progress(session=session, time_zone="UTC", user_id=world["bob"].id)
        assert c.count == 4, name  # 3 on session_analytics, 1 for the streak
        with _Counter(engine) as c:
            dashboards.company_csv(session=session, company=world["a"], date_from=None, date_to=None)
        assert c.count == 1, name
        with _Counter(engine) as c:
            company_learner(
                session=session,
                company_id=world["a"].id,
                learner_id=world["bob"].id,
                viewer_id=world["boss"].id,
                date_from=None,
                date_to=None,
            )
            session.flush()  # its audit row
        assert c.count == 4, name
        with _Counter(engine) as c:
            admin_overview(session=session)
        assert c.count == 1, name
        assert index in (0, 1)


def test_download_tokens():
    user, company, login = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    token = mint_download_token(user_id=user, company_id=company, login_session_id=login, now=1_000_000)
    claim = verify_download_token(token, company_id=company, now=1_000_000)
    assert (claim.user_id, claim.login_session_id, claim.expires) == (user, login, 1_000_120)
    other = mint_download_token(user_id=user, company_id=company, login_session_id=login, now=1_000_000)
    assert verify_download_token(other, company_id=company, now=1_000_000).token_id != claim.token_id
    assert verify_download_token(token, company_id=company, now=1_000_000 + 121) is None
    assert verify_download_token(token, company_id=uuid.uuid4(), now=1_000_000) is None
    forged = uuid.uuid4().hex + token[32:]  # another token id: the signature covers it
    assert verify_download_token(forged, company_id=company, now=1_000_000) is None
    for bad in ("", "x", "a.b.c", "a.b.c.d.e", token + "0", "." * 300, None):
        assert verify_download_token(bad, company_id=company, now=1_000_000) is None
