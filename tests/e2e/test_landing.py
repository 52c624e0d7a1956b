"""What a visitor sees: the landing page with the seeded curriculum, a 404 page and the health route."""

from __future__ import annotations

import json

from playwright.sync_api import expect


def test_landing_page_explains_speakpro(page, base_url):
    page.goto(base_url + "/")
    expect(page).to_have_title("SpeakPro: practise speaking out loud")
    expect(page.locator("#hero-title")).to_contain_text("Speak with confidence")
    expect(page.get_by_role("link", name="Start practising free")).to_have_attribute("href", "/signup")
    expect(page.get_by_role("heading", name="How it works")).to_be_visible()

    # The curriculum preview comes from the seeded database: modules A-D in order.
    cards = page.locator(".module-card")
    expect(cards).to_have_count(4)
    expect(cards.nth(0)).to_contain_text("A")
    expect(cards.nth(0)).to_contain_text("Structure & Openings")
    expect(cards.nth(3)).to_contain_text("Objections & Closing")
    from speakpro.seed import content

    expect(page.locator("#topic-count")).to_have_text(str(len(content.TOPICS)))
    expect(page.locator("#district-count")).to_have_text(str(len(content.DISTRICTS)))
    expect(page.locator("#venue-count")).to_have_text(str(sum(len(d["venues"]) for d in content.DISTRICTS)))


def test_unknown_address_shows_the_404_page(page, base_url):
    page.goto(base_url + "/no-such-page")
    expect(page.locator("#not-found")).to_contain_text("We couldn't find that page")
    page.get_by_role("link", name="Back to SpeakPro").click()
    expect(page.locator("#hero-title")).to_be_visible()


def test_health_route_reports_the_database(page, api_url):
    response = page.request.get(api_url + "/api/health")
    assert response.status == 200
    assert json.loads(response.text()) == {"status": "ok", "database": "reachable"}
