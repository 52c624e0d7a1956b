"""Dashboards in the browser: a learner's charts, a manager's KPIs and CSV, and the refusals."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.browser import login

# plotly.js is loaded lazily and, under the dev server, bundled on first use: the first chart can take a while.
PLOTLY_TIMEOUT_MS = 90_000


def test_learner_sees_their_progress_charts(page, base_url):
    login(page, base_url, "learner@example.com", lands_on="/home")
    page.locator("#nav-progress").click()
    expect(page).to_have_url(re.compile(r"/progress$"))
    expect(page.locator("#chart-score .js-plotly-plot")).to_be_visible(timeout=PLOTLY_TIMEOUT_MS)
    expect(page.locator("#chart-calendar .js-plotly-plot")).to_be_visible(timeout=PLOTLY_TIMEOUT_MS)
    expect(page.locator("#chart-skills .js-plotly-plot")).to_be_visible(timeout=PLOTLY_TIMEOUT_MS)
    expect(page.locator("#stat-sessions")).not_to_have_text("0")


def test_manager_sees_kpis_and_downloads_the_csv(page, base_url):
    login(page, base_url, "manager@example.com", lands_on="/home")
    page.locator("#nav-dashboard").click()  # reached by clicking, as a manager would
    expect(page).to_have_url(re.compile(r"/company/northwind/dashboard$"))
    expect(page.locator("#dashboard-title")).to_contain_text("Northwind Outfitters")
    expect(page.locator("#kpi-sessions")).not_to_have_text("0")
    expect(page.locator("#kpi-learners")).not_to_have_text("0")
    expect(page.locator("#chart-daily-score .js-plotly-plot")).to_be_visible(timeout=PLOTLY_TIMEOUT_MS)
    expect(page.locator("#learner-table tbody tr").first).to_be_visible()
    with page.expect_download() as info:
        page.locator("#download-csv").click()
    download = info.value
    # Named after the company and the dashboard's date range (the last 30 days by default).
    assert re.fullmatch(r"northwind-learners-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    text = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["learner", "email", "sessions"]
    assert len(rows) > 1
    assert all("blueharbor" not in row[1] for row in rows[1:])


def test_other_companys_manager_is_refused(page, base_url):
    login(page, base_url, "manager@blueharbor.example.com", lands_on="/home")
    page.goto(base_url + "/company/northwind/dashboard")
    expect(page.locator("#forbidden")).to_be_visible()
    expect(page.locator("#kpi-sessions")).to_have_count(0)
    expect(page.locator("#learner-table")).to_have_count(0)
    expect(page.get_by_text("Northwind Outfitters")).to_have_count(0)


def test_learner_is_refused(page, base_url):
    login(page, base_url, "learner@example.com", lands_on="/home")
    page.goto(base_url + "/company/northwind/dashboard")
    expect(page.locator("#forbidden")).to_be_visible()
    expect(page.locator("#learner-table")).to_have_count(0)


def test_admin_sees_every_company_and_opens_one(page, base_url):
    login(page, base_url, "admin@example.com", lands_on="/home")
    page.locator("#nav-overview").click()
    expect(page).to_have_url(re.compile(r"/admin/overview$"))
    expect(page.locator("#overview-title")).to_have_text("All companies")
    table = page.locator("#company-table")
    expect(table.get_by_text("Northwind Outfitters")).to_be_visible()
    expect(table.get_by_text("Blue Harbor", exact=False)).to_be_visible()
    expect(page.locator("#chart-companies .js-plotly-plot")).to_be_visible(timeout=PLOTLY_TIMEOUT_MS)
    table.get_by_role("link", name="Northwind Outfitters").click()
    expect(page).to_have_url(re.compile(r"/company/northwind/dashboard$"))
    expect(page.locator("#kpi-sessions")).not_to_have_text("0")


def test_manager_is_refused_the_admin_overview(page, base_url):
    login(page, base_url, "manager@example.com", lands_on="/home")
    page.goto(base_url + "/admin/overview")
    expect(page.locator("#forbidden")).to_be_visible()
    expect(page.locator("#company-table")).to_have_count(0)
    expect(page.get_by_text("Blue Harbor", exact=False)).to_have_count(0)


def test_on_a_phone_the_menu_reaches_a_managers_places_without_sideways_scrolling(page, base_url):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, base_url, "manager@example.com", lands_on="/home")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    expect(page.locator("#nav-dashboard")).to_be_hidden()  # the wide bar is folded into the menu
    page.locator("#nav-menu").click()
    page.locator("#menu-team").click()
    expect(page).to_have_url(re.compile(r"/company/northwind$"))
    page.locator("#nav-menu").click()
    page.locator("#menu-dashboard").click()
    expect(page).to_have_url(re.compile(r"/company/northwind/dashboard$"))
    expect(page.locator("#user-menu")).to_be_visible()  # the account menu (and logging out) stays reachable


def test_manager_sorts_the_learners_refuses_a_reversed_range_and_drills_into_one(page, base_url):
    login(page, base_url, "manager@example.com", lands_on="/home")
    page.locator("#nav-dashboard").click()
    expect(page.locator("#learner-table tbody tr").first).to_be_visible()
    # Sorting by average score: highest first, then (clicked again) lowest first; unmeasured rows stay last.
    page.locator("#sort-average").click()
    header = page.locator("th[aria-sort='descending']")
    expect(header).to_contain_text("Avg score")

    def averages() -> list[float]:
        cells = page.locator("#learner-table tbody tr td:nth-child(4)").all_inner_texts()
        return [float(c) for c in cells if c.strip() not in ("–", "")]

    first = averages()
    assert len(first) >= 2 and first == sorted(first, reverse=True)
    page.locator("#sort-average").click()
    expect(page.locator("th[aria-sort='ascending']")).to_contain_text("Avg score")
    page.wait_for_function("() => document.querySelector('th[aria-sort=\"ascending\"]') !== null")
    assert averages() == sorted(first)

    # A reversed range is refused with a message; the figures stay those of the range shown.
    sessions = page.locator("#kpi-sessions").inner_text()
    page.locator("#date-from").fill("2026-11-20")
    page.locator("#date-to").fill("2026-11-01")
    page.locator("#apply-range").click()
    expect(page.locator("#range-error")).to_contain_text("before the start date")
    expect(page.locator("#kpi-sessions")).to_have_text(sessions)

    # A learner's name opens their page for the dashboard's range: their sessions, a chart, a fitted trend.
    link = page.locator(".learner-link").first
    name = link.inner_text()
    link.click()
    expect(page).to_have_url(re.compile(r"/company/northwind/learners/[0-9a-f-]{36}\?from=.*&to=.*$"))
    expect(page.locator("#learner-name")).to_have_text(name)
    expect(page.locator("#learner-trend")).to_have_text(re.compile(r"up|down|flat|not enough sessions"))
    expect(page.locator("#chart-learner-scores .js-plotly-plot")).to_be_visible(timeout=PLOTLY_TIMEOUT_MS)
    count = int(page.locator("#learner-sessions").inner_text())
    expect(page.locator(".learner-session")).to_have_count(count)
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the table scrolls inside its box
    page.locator("#back-to-dashboard").click()
    expect(page).to_have_url(re.compile(r"/company/northwind/dashboard$"))


def test_another_companys_manager_cannot_open_a_northwind_learner(page, base_url):
    from sqlalchemy import select

    from speakpro.db import session_scope
    from speakpro.models import User

    with session_scope() as session:
        learner_id = session.execute(select(User.id).where(User.email == "learner@example.com")).scalar_one()
    login(page, base_url, "manager@blueharbor.example.com", lands_on="/home")
    page.goto(f"{base_url}/company/northwind/learners/{learner_id}")
    expect(page.locator("#forbidden")).to_be_visible()
    expect(page.locator("#learner-name")).to_have_count(0)
    expect(page.get_by_text("learner@example.com")).to_have_count(0)
