"""The demo seed: real content, plausible history, and a second run that changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select, text

from speakpro.models import KnowledgeBlock, Level, Module, PracticeSession, Topic, UserProfile, Venue, VenueTaskSheet
from speakpro.seed import run_seed
from speakpro.services.learning.economy import ledger_totals


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
    assert (
        session.execute(select(func.count()).select_from(VenueTaskSheet)).scalar_one()
        == session.execute(select(func.count()).select_from(Venue)).scalar_one()
    )


def test_demo_history_spans_sixty_days_for_twenty_learners(session):
    run_seed(session)
    learners = session.execute(select(func.count(func.distinct(PracticeSession.user_id)))).scalar_one()
    assert learners >= 20
    oldest, newest = session.execute(
        select(func.min(PracticeSession.started_at), func.max(PracticeSession.started_at))
    ).one()
    assert (newest - oldest).days >= 55
    missing = session.execute(
        text(
            "SELECT count(*) FROM practice_sessions s LEFT JOIN transcripts t ON t.session_id = s.id "
            "LEFT JOIN session_analytics a ON a.session_id = s.id WHERE t.id IS NULL OR a.id IS NULL"
        )
    ).scalar_one()
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


def test_seeded_history_is_what_the_analysis_engine_computes(session):
    """Every seeded session carries the analysis service's shape, and its figures are the engine's own on its
    stored segments; the learners' scores improve over the 60 days."""
    from speakpro.models import AnalysisResult, SessionAnalytics
    from speakpro.services.analysis.analysis import load_utterances
    from speakpro.services.analysis.coach import local_coach
    from speakpro.services.analysis.speech_metrics import compute_speech_metrics

    run_seed(session)
    kinds = session.execute(
        select(AnalysisResult.analysis_type, func.count()).group_by(AnalysisResult.analysis_type)
    ).all()
    sessions = session.execute(select(func.count()).select_from(PracticeSession)).scalar_one()
    assert dict(kinds) == {"speech_metrics": sessions, "coach": sessions}

    sample = session.execute(select(PracticeSession).order_by(PracticeSession.id).limit(25)).scalars().all()
    for practice in sample:
        summary = practice.analytics_summary
        assert {
            "assessments",
            "scores",
            "pace_wpm",
            "filler_rate_per_100",
            "vocabulary_variety",
            "sentiment",
            "label",
        } <= set(summary)
        utterances = load_utterances(session, practice.id)
        metrics = compute_speech_metrics(utterances, language="en")
        coach = local_coach(utterances, metrics)
        row = session.execute(select(SessionAnalytics).where(SessionAnalytics.session_id == practice.id)).scalar_one()
        assert row.overall_score == coach.overall == summary["overall_score"]
        assert row.filler_words_count == metrics.filler_count
        assert row.speaking_pace_wpm == round(metrics.pace_wpm)
        assert summary["assessments"] == metrics.assessments()

    # Across all learners, the last three weeks score higher and carry fewer fillers than the first three.
    early, late = session.execute(
        text(
            "SELECT avg(overall_score) FILTER (WHERE session_date < current_date - 40),"
            "       avg(overall_score) FILTER (WHERE session_date >= current_date - 20) FROM session_analytics"
        )
    ).one()
    assert late > early + 5
    fill_early, fill_late = session.execute(
        text(
            "SELECT avg(filler_rate_per_100) FILTER (WHERE session_date < current_date - 40),"
            "       avg(filler_rate_per_100) FILTER (WHERE session_date >= current_date - 20)"
            " FROM session_analytics"
        )
    ).one()
    assert fill_late < fill_early


def test_demo_manager_has_a_shared_scored_and_commented_session_to_review(session):
    from speakpro.seed.coaching import REVIEW_COMMENT, REVIEW_SCORES
    from speakpro.services.dashboards.calibration import calibration
    from speakpro.services.practice.review import shared_sessions

    run_seed(session)
    company_id = session.execute(text("SELECT id FROM companies WHERE slug = 'northwind'")).scalar_one()
    (shared,) = shared_sessions(session=session, company_id=company_id)
    assert shared.comments == 1
    newest = session.execute(
        text(
            "SELECT s.id, s.privacy FROM practice_sessions s JOIN users u ON u.id = s.user_id "
            "WHERE u.email = 'learner@example.com' ORDER BY s.started_at DESC LIMIT 3"
        )
    ).all()
    assert [row.privacy for row in newest] == ["private", "private", "managers"]  # the newest stay private
    body = session.execute(text("SELECT body FROM session_comments")).scalar_one()
    assert body == REVIEW_COMMENT
    agreements = calibration(session=session, company_id=company_id)
    assert {a.skill for a in agreements} == set(REVIEW_SCORES)
    assert all(a.pairs == 1 and a.mean_difference is not None for a in agreements)
