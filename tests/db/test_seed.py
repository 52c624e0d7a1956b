"""The demo seed: real content, plausible history, and a second run that changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select, text

from speakpro.models import KnowledgeBlock, Level, Module, PracticeSession, Topic, UserProfile, Venue, VenueTaskSheet
from speakpro.seed import run_seed
from speakpro.services.economy import ledger_totals


def _all_counts(session) -> dict[str, int]:
    tables = session.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars().all()
    return {t: session.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables}


def test_seed_is_idempotent_and_complete(session):
    first = run_seed(session)
    after_first = _all_counts(session)
    second = run_seed(session)
    assert second.created_users == []
    assert _all_counts(session) == after_first
    assert len(first.created_users) >= 24

    level = session.execute(select(Level).where(Level.number == 1)).scalar_one()
    codes = session.execute(select(Module.code).where(Module.level_id == level.id).order_by(Module.order)).scalars()
    assert list(codes) == ["A", "B", "C", "D"]
    assert session.execute(select(func.count()).select_from(KnowledgeBlock)).scalar_one() >= 12
    assert session.execute(select(func.count(func.distinct(Topic.difficulty)))).scalar_one() == 3
    assert session.execute(select(func.count()).select_from(Topic)).scalar_one() >= 10
    assert session.execute(select(func.count(func.distinct(Venue.district_id)))).scalar_one() >= 3
    assert session.execute(select(func.count()).select_from(VenueTaskSheet)).scalar_one() == \
        session.execute(select(func.count()).select_from(Venue)).scalar_one()


def test_demo_history_spans_sixty_days_for_twenty_learners(session):
    run_seed(session)
    learners = session.execute(
        select(func.count(func.distinct(PracticeSession.user_id)))
    ).scalar_one()
    assert learners >= 20
    oldest, newest = session.execute(
        select(func.min(PracticeSession.started_at), func.max(PracticeSession.started_at))
    ).one()
    assert (newest - oldest).days >= 55
    missing = session.execute(text(
        "SELECT count(*) FROM practice_sessions s LEFT JOIN transcripts t ON t.session_id = s.id "
        "LEFT JOIN session_analytics a ON a.session_id = s.id WHERE t.id IS NULL OR a.id IS NULL"
    )).scalar_one()
    assert missing == 0


def test_seeded_balances_equal_the_ledger(session):
    run_seed(session)
    profiles = session.execute(select(UserProfile)).scalars().all()
    assert any(p.xp > 0 for p in profiles)
    for profile in profiles:
        totals = ledger_totals(session=session, user_id=profile.user_id)
        assert (profile.xp, profile.coins, profile.tickets) == (totals["xp"], totals["coins"], totals["tickets"])


def test_knowledge_blocks_are_full_text_searchable(session):
    run_seed(session)
    query = func.websearch_to_tsquery("english", "filler words pause")
    hits = session.execute(select(KnowledgeBlock.key).where(KnowledgeBlock.search.op("@@")(query))).scalars().all()
    assert any(key.startswith("B") for key in hits)
