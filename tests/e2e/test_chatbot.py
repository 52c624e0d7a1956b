"""The landing chatbot in the browser: offline mode (no OpenAI key in the tests' app) answers from the
knowledge blocks, says so, and logs only the message's length and user agent."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import create_engine, text


def test_chatbot_answers_offline_from_the_knowledge_blocks(page, base_url, seeded_database):
    page.goto(base_url + "/")
    expect(page.locator("#chatbot-mode")).to_contain_text("ffline")
    question = "How do I stop saying um and uh?"
    page.locator("#chatbot-input").fill(question)
    page.locator("#chatbot-send").click()
    messages = page.locator("#chatbot-messages")
    expect(messages).to_contain_text(question)
    # The reply quotes a knowledge block about filler words (module B) and says it is offline.
    expect(messages).to_contain_text("Module B", timeout=20_000)

    engine = create_engine(seeded_database)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT event_data FROM analytics_events WHERE event_type = 'chatbot_message' "
                "ORDER BY created_at DESC LIMIT 1"
            )
        ).scalar_one()
        stored = conn.execute(
            text("SELECT count(*) FROM analytics_events WHERE event_data::text LIKE :q"), {"q": "%stop saying um%"}
        ).scalar_one()
    engine.dispose()
    assert row["length"] == len(question) and row["mode"] == "offline" and "Chrome" in row["user_agent"]
    assert stored == 0  # the chat itself is never stored


def test_empty_question_gets_a_message(page, base_url):
    page.goto(base_url + "/")
    expect(page.locator("#chatbot-mode")).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.evaluate("document.querySelector('#chatbot-input').removeAttribute('required')")
    page.locator("#chatbot-input").fill("   ")
    page.locator("#chatbot-send").click()
    expect(page.locator("#chatbot-error")).to_contain_text("Type a question first")
