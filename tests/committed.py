"""Rows that tests of separate processes (job workers) commit for real, and removing them afterwards."""

from __future__ import annotations

from sqlalchemy import delete, text
from sqlmodel import Session

from speakpro.models import AnalyticsEvent, Company, Topic, User
from speakpro.services.analysis.queue import analysis_job_key

# A short role-play: (speaker, text, start ms, end ms).
LINES = [
    ("ai", "Hello, this is Dana from Acme. How can I help?", 0, 3000),
    ("user", "Hi Dana, I'm Sam from Brightline. How do you onboard new reps today?", 3500, 9000),
    ("ai", "It takes three months.", 9500, 11000),
    ("user", "We cut that to six weeks. Would a short demo next Tuesday work for you?", 11500, 17000),
]


def delete_committed(engine, practice_ids, user_ids, topic_ids, company_ids) -> None:
    """Delete rows a test committed (and the practice sessions' analysis jobs), through their owners."""
    with Session(engine) as own:
        for practice_id in practice_ids:
            own.execute(
                text("DELETE FROM procrastinate_jobs WHERE queueing_lock = :key"),
                {"key": analysis_job_key(practice_id)},
            )
        own.execute(delete(AnalyticsEvent).where(AnalyticsEvent.user_id.in_(user_ids)))
        own.execute(delete(User).where(User.id.in_(user_ids)))  # CASCADE: sessions, transcripts, ledger, quests
        own.execute(delete(Topic).where(Topic.id.in_(topic_ids)))
        own.execute(delete(Company).where(Company.id.in_(company_ids)))
        own.commit()
