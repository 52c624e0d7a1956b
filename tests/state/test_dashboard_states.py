"""Progress and company dashboard handlers called directly: figures built, other companies refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from speakpro.models import User
from speakpro.services.accounts import sessions
from speakpro.services.dashboards.dashboard_access import redeem_download_token
from speakpro.state.dashboard import DashboardState
from speakpro.state.progress import ProgressState
from tests.signin import run, sign_in


@pytest.fixture
def session(seeded_session):
    """Every test here reads the demo seed (committed once for the run)."""
    return seeded_session


def _signed_in(state_cls, session, email):
    user_id = session.execute(select(User.id).where(User.email == email)).scalar_one()
    state = state_cls()
    sign_in(state, sessions.create_session(session=session, user_id=user_id))
    return state


async def test_progress_builds_every_chart_for_the_demo_learner(session):
    state = _signed_in(ProgressState, session, "learner@example.com")
    await run(state.load)
    for name in ("score_fig", "pace_fig", "fillers_fig", "talk_fig", "skills_fig", "weekly_fig", "calendar_fig"):
        figure = getattr(state, name)
        assert figure["data"], f"{name} has no trace"


async def test_company_dashboard_only_for_that_companys_managers(session, monkeypatch):
    monkeypatch.setattr(DashboardState, "_slug_from_path", lambda self: "northwind")
    manager = _signed_in(DashboardState, session, "manager@example.com")
    await run(manager._refresh)
    assert not manager.forbidden and manager.company_name == "Northwind Outfitters"
    assert int(manager.kpi_sessions) > 0 and manager.learner_rows and manager.daily_fig["data"]
    for email in ("manager@blueharbor.example.com", "learner@example.com"):
        other = _signed_in(DashboardState, session, email)
        await run(other._refresh)
        assert other.forbidden and other.learner_rows == [] and other.company_name in ("", None)


async def test_admin_overview_lists_every_company_for_admins_only(session):
    from speakpro.state.dashboard import AdminOverviewState
    from tests.signin import redirects

    admin = _signed_in(AdminOverviewState, session, "admin@example.com")
    await run(admin.load)
    assert not admin.forbidden and not admin.loading
    rows = {row["slug"]: row for row in admin.company_rows}
    assert {"northwind", "blue-harbor"} <= set(rows)
    northwind = rows["northwind"]
    seeded = session.execute(
        text(
            "SELECT count(*) FROM session_analytics a JOIN companies c ON c.id = a.company_id "
            "WHERE c.slug = 'northwind'"
        )
    ).scalar_one()
    assert int(northwind["sessions"]) == seeded > 0
    assert northwind["href"] == "/company/northwind/dashboard" and northwind["average"] != "–"
    assert admin.sessions_fig["data"][0]["x"] == [row["name"] for row in admin.company_rows]

    for email in ("manager@example.com", "learner@example.com"):
        other = _signed_in(AdminOverviewState, session, email)
        await run(other.load)
        assert other.forbidden and other.company_rows == [] and not other.sessions_fig["data"]

    anonymous = AdminOverviewState()
    events = await run(anonymous.load)
    assert redirects(events) and anonymous.company_rows == []


async def test_home_shows_the_latest_feedback_of_the_demo_learner(session):
    from speakpro.state.home import HomeState

    state = _signed_in(HomeState, session, "learner@example.com")
    await run(state.load)
    assert state.feedback_href.startswith("/practice/session/") and state.feedback_title
    assert 0 <= int(state.feedback_score) <= 100 and state.feedback_provider == "Local rubric"
    assert [m.label for m in state.feedback_metrics] == ["Pace", "Fillers per 100 words", "Your talk time"]
    assert all(m.verdict in ("Healthy", "Low", "High") for m in state.feedback_metrics)


async def test_the_csv_download_token_belongs_to_this_login_and_works_once(session):
    import re

    from tests.factories import make_company, make_user

    company = make_company(session)
    manager = make_user(session, company, role="manager", onboarding_completed=True)
    login = sessions.create_session(session=session, user_id=manager.id)

    async def mint() -> str:
        state = sign_in(DashboardState(), login)
        state._company_id, state.slug = str(company.id), company.slug
        [script] = await run(state.download_csv)
        return re.search(r"token=([0-9a-f.]+)", str(script)).group(1)

    token = await mint()
    assert redeem_download_token(session=session, token=token, company_id=company.id) == manager.id
    assert redeem_download_token(session=session, token=token, company_id=company.id) is None
    unused = await mint()
    sessions.revoke_session(session=session, token=login)  # logout
    assert redeem_download_token(session=session, token=unused, company_id=company.id) is None


async def test_the_learner_table_sorts_by_any_column_with_missing_figures_last(session, monkeypatch):
    monkeypatch.setattr(DashboardState, "_slug_from_path", lambda self: "northwind")
    manager = _signed_in(DashboardState, session, "manager@example.com")
    manager.date_from = manager.date_to = ""
    await run(manager._refresh)
    assert len(manager.learner_rows) >= 2

    def averages():
        return [r["average"] for r in manager.learner_rows]

    await run(manager.sort_by, "average")
    assert (manager.sort_key, manager.sort_desc) == ("average", True)
    measured = [float(a) for a in averages() if a != "–"]
    assert measured == sorted(measured, reverse=True) and averages()[: len(measured)] == [f"{m:g}" for m in measured]
    await run(manager.sort_by, "average")  # the same column again: ascending, unmeasured still last
    assert not manager.sort_desc
    assert [float(a) for a in averages() if a != "–"] == sorted(measured) and all(
        a == "–" for a in averages()[len(measured) :]
    )
    await run(manager.sort_by, "name")
    names = [r["name"].casefold() for r in manager.learner_rows]
    assert names == sorted(names) and not manager.sort_desc
    await run(manager.sort_by, "email; drop table users")  # not a column: nothing changes
    assert manager.sort_key == "name"
    # Each row opens that learner's page for the same range.
    href = manager.learner_rows[0]["href"]
    assert href.startswith("/company/northwind/learners/") and f"from={manager.date_from}&to={manager.date_to}" in href


async def test_a_reversed_range_is_refused_with_a_message_and_changes_nothing(session, monkeypatch):
    monkeypatch.setattr(DashboardState, "_slug_from_path", lambda self: "northwind")
    manager = _signed_in(DashboardState, session, "manager@example.com")
    await run(manager._refresh)
    shown = (manager.date_from, manager.date_to, manager.kpi_sessions)
    await run(manager.apply_range, {"date_from": "2026-11-20", "date_to": "2026-11-01"})
    assert manager.error == "The end date is before the start date. Choose a start on or before the end."
    assert (manager.date_from, manager.date_to, manager.kpi_sessions) == shown


async def test_a_managers_drill_down_shows_their_learner_and_is_audited(session):
    from speakpro.models import AuditLog
    from speakpro.state.company_learner import CompanyLearnerState
    from tests.signin import at_url

    learner_id = session.execute(select(User.id).where(User.email == "learner@example.com")).scalar_one()
    url = f"http://localhost:3000/company/northwind/learners/{learner_id}"
    page = at_url(_signed_in(CompanyLearnerState, session, "manager@example.com"), url)
    await run(page.load)
    assert not page.forbidden and page.name and page.email == "learner@example.com"
    assert int(page.kpi_sessions) > 0 and page.session_rows and page.score_fig["data"]
    assert page.kpi_trend.split(" (")[0] in ("▲ up", "▼ down", "– flat", "not enough sessions")
    viewed = session.execute(
        select(AuditLog.details).where(
            AuditLog.action == "company.learner_viewed", AuditLog.target_id == str(learner_id)
        )
    ).scalars()
    assert any(d.get("date_to") == page.date_to for d in viewed)

    # The range: from the link, refused when reversed.
    ranged = at_url(
        _signed_in(CompanyLearnerState, session, "manager@example.com"), url + "?from=2026-01-01&to=2026-01-31"
    )
    await run(ranged.load)
    assert (ranged.date_from, ranged.date_to) == ("2026-01-01", "2026-01-31")
    await run(ranged.apply_range, {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert "before the start date" in ranged.error and ranged.date_from == "2026-01-01"

    # Another company's manager, a learner of it, a manager of the company and a malformed id: one refusal.
    boss_id = session.execute(select(User.id).where(User.email == "manager@example.com")).scalar_one()
    for email, target in (
        ("manager@blueharbor.example.com", url),
        ("learner@example.com", url),
        ("manager@example.com", f"http://localhost:3000/company/northwind/learners/{boss_id}"),
        ("manager@example.com", "http://localhost:3000/company/northwind/learners/not-an-id"),
    ):
        refused = at_url(_signed_in(CompanyLearnerState, session, email), target)
        await run(refused.load)
        assert refused.forbidden and refused.name == "" and refused.session_rows == [], (email, target)
