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
