"""Analysis of ended practice sessions on the real database, with the coach against the local fake OpenAI
server: complete or clearly failed (never stuck in processing), retryable, and done once under concurrency."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select, update
from sqlmodel import Session

from speakpro.integrations.openai_client import make_openai_client
from speakpro.models import AnalyticsEvent, Company, DailyQuest, PracticeSession, Topic, TranscriptSegment, User
from speakpro.models.analysis import AnalysisResult, SessionAnalytics
from speakpro.services.analysis import analysis
from speakpro.services.analysis.analysis import analyse_pending, analyse_session, release_stale
from tests.factories import days_ago, make_company, make_practice_session, make_transcript, make_user
from tests.fakes.openai_server import FakeOpenAIServer, Outcome

# A clean call: 40+ learner words, no fillers (so the "filler_free" quest counts), 3 questions.
CLEAN = [
    ("ai", "Hello, this is Dana from Acme. How can I help?", 0, 3000),
    (
        "user",
        "Hi Dana, I'm Sam from Brightline. I noticed you are hiring new reps this quarter. "
        "How do you onboard them today?",
        3500,
        12000,
    ),
    ("ai", "It takes three months and it is too expensive.", 12500, 16000),
    (
        "user",
        "I understand. We cut onboarding to six weeks for teams like yours. "
        "Would a short demo next Tuesday work for you?",
        16500,
        26000,
    ),
    ("ai", "Sure, send me an invite.", 26500, 28000),
    ("user", "Great, I will send you a calendar invite today. What time suits you best?", 28500, 33000),
]
FILLERS = [("user", "Um, so, like, basically we, uh, you know, help teams, um, sell.", 0, 6000)]
IMPROVEMENT_QUOTE = "Would a short demo next Tuesday work for you?"
AI_JSON = {
    "scores": {"opening": 82, "questioning": 74, "objection_handling": 68, "closing": 90},
    "overall": 79,
    "strengths": [{"text": "Clear next step.", "quote": IMPROVEMENT_QUOTE}, {"text": "Friendly tone.", "quote": ""}],
    "improvements": [
        {"text": "Ask about their budget before proposing a demo.", "quote": "we cut onboarding to six weeks"},
        {"text": "Invented quote that the learner never said.", "quote": "our price is the lowest in town"},
    ],
}


def _ended(session: Session, lines=CLEAN, *, company=True) -> PracticeSession:
    user = make_user(session)
    co = make_company(session) if company else None
    practice = make_practice_session(
        session,
        user,
        status="ended",
        processing_status="pending",
        started_at=days_ago(0) - timedelta(minutes=2),
        ended_at=days_ago(0),
        duration_seconds=120,
        company_id=co.id if co else None,
    )
    transcript = make_transcript(session, practice)
    for i, (speaker, text, start, end) in enumerate(lines):
        session.add(
            TranscriptSegment(
                transcript_id=transcript.id,
                sequence=i,
                speaker=speaker,
                text=text,
                start_ms=start,
                end_ms=end,
                is_final=True,
            )
        )
    session.flush()
    return practice


def _client(server: FakeOpenAIServer, **options):
    return make_openai_client(
        api_key=server.api_key, base_url=server.base_url, **{"timeout": 5.0, "max_retries": 0, **options}
    )


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


def _state(session: Session, practice_id):
    return session.execute(
        select(PracticeSession.status, PracticeSession.processing_status, PracticeSession.analytics_summary).where(
            PracticeSession.id == practice_id
        )
    ).one()


def _results(session: Session, practice_id) -> dict[str, AnalysisResult]:
    rows = session.execute(select(AnalysisResult).where(AnalysisResult.session_id == practice_id)).scalars().all()
    return {r.analysis_type: r for r in rows}


def test_local_analysis_completes_with_one_analytics_row_and_the_quest_once(session):
    practice = _ended(session)
    outcome = analyse_session(session=session, practice_session_id=practice.id)
    assert (outcome.status, outcome.processing_status) == ("complete", "complete")
    assert outcome.coach.provider == "local" and outcome.coach.fallback_reason is None

    status, processing, summary = _state(session, practice.id)
    assert (status, processing) == ("analyzed", "complete")
    assert summary["provider"] == "local" and summary["analysis"]["attempts"] == 1
    assert summary["questions_asked"] == 3 and summary["filler_count"] == 0

    row = session.execute(select(SessionAnalytics).where(SessionAnalytics.session_id == practice.id)).scalar_one()
    m = outcome.metrics
    assert row.user_id == practice.user_id and row.company_id == practice.company_id
    assert row.overall_score == outcome.coach.overall
    assert row.speaking_pace_wpm == round(m.pace_wpm) and row.questions_asked == 3
    assert row.talk_time_ratio == Decimal(str(m.talk_time_ratio))
    assert row.filler_words_count == 0 and row.filler_rate_per_100 == Decimal("0.00")
    assert row.opening_score == outcome.coach.scores["opening"] and row.closing_score is not None
    assert row.session_date == practice.started_at.date() and row.session_hour == practice.started_at.hour
    assert row.duration_seconds == 120

    results = _results(session, practice.id)
    assert results["speech_metrics"].provider == "local" and results["coach"].provider == "local"
    assert results["coach"].api_cost_usd == Decimal("0")
    assert results["speech_metrics"].results["learner_words"] == m.learner_words

    quest = session.execute(
        select(DailyQuest).where(DailyQuest.user_id == practice.user_id, DailyQuest.quest_type == "filler_free")
    ).scalar_one()
    assert quest.progress == 1

    again = analyse_session(session=session, practice_session_id=practice.id)
    assert (again.status, again.reason) == ("skipped", "already analysed")
    assert (
        session.execute(
            select(func.count()).select_from(SessionAnalytics).where(SessionAnalytics.session_id == practice.id)
        ).scalar_one()
        == 1
    )
    assert len(session.execute(select(AnalysisResult.id).where(AnalysisResult.session_id == practice.id)).all()) == 2


def test_fillers_do_not_feed_the_quest_and_no_speech_still_completes(session):
    practice = _ended(session, FILLERS)
    outcome = analyse_session(session=session, practice_session_id=practice.id)
    assert outcome.status == "complete" and outcome.metrics.filler_rate_per_100 > 3
    progress = session.execute(
        select(DailyQuest.progress).where(
            DailyQuest.user_id == practice.user_id, DailyQuest.quest_type == "filler_free"
        )
    ).scalar()
    assert progress in (None, 0)
    silent = _ended(session, [], company=False)
    outcome = analyse_session(session=session, practice_session_id=silent.id)
    assert outcome.status == "complete" and outcome.coach.overall == 0
    row = session.execute(select(SessionAnalytics).where(SessionAnalytics.session_id == silent.id)).scalar_one()
    assert row.speaking_pace_wpm is None and row.talk_time_ratio is None and row.company_id is None


def test_ai_coach_answer_is_kept_with_quotes_validated(session, fake_openai):
    fake_openai.reply_with(json.dumps(AI_JSON))
    practice = _ended(session)
    outcome = analyse_session(
        session=session, practice_session_id=practice.id, client=_client(fake_openai), model="gpt-4.1-mini"
    )
    coach = outcome.coach
    assert outcome.status == "complete" and coach.provider == "openai"
    assert coach.scores == AI_JSON["scores"] and coach.overall == 79
    assert [i.quote for i in coach.improvements] == ["we cut onboarding to six weeks"]  # invented one dropped
    assert len(coach.strengths) == 2 and coach.dropped_quotes == 1
    request = fake_openai.requests[-1].body
    assert request["text"]["format"]["type"] == "json_schema" and request["store"] is False
    assert "Learner: Hi Dana" in request["input"]

    results = _results(session, practice.id)
    assert results["coach"].provider == "openai" and results["coach"].api_cost_usd > 0
    assert results["coach"].confidence == Decimal("0.675")  # 0.9 x 3 of 4 quotes found
    row = session.execute(select(SessionAnalytics).where(SessionAnalytics.session_id == practice.id)).scalar_one()
    assert (row.overall_score, row.questioning_score) == (79, 74)
    summary = _state(session, practice.id).analytics_summary
    assert summary["improvements"][0]["quote"] == "we cut onboarding to six weeks"


@pytest.mark.parametrize(
    ("setup", "options", "reason", "calls"),
    [
        (lambda s: s.reply_with("Sure! Here is my feedback: great job."), {}, "malformed", 1),
        (lambda s: s.reply_with(json.dumps({"scores": {"opening": 500}, "overall": 1})), {}, "malformed", 1),
        (lambda s: s.respond_slowly(3.0, json.dumps(AI_JSON)), {"timeout": 0.5}, "timeout", 1),
        (lambda s: s.fail_with(429), {"max_retries": 1}, "rate_limited", 2),
    ],
)
def test_ai_failures_fall_back_to_the_labelled_local_rubric(session, fake_openai, setup, options, reason, calls):
    setup(fake_openai)
    practice = _ended(session)
    outcome = analyse_session(session=session, practice_session_id=practice.id, client=_client(fake_openai, **options))
    assert outcome.status == "complete"
    assert outcome.coach.provider == "local" and outcome.coach.fallback_reason == reason
    assert "local rubric" in outcome.coach.label
    assert len(fake_openai.requests) == calls  # the client's own retries, no more
    status, processing, summary = _state(session, practice.id)
    assert (status, processing, summary["provider"]) == ("analyzed", "complete", "local")
    assert _results(session, practice.id)["coach"].provider == "local"


def test_a_failure_is_recorded_and_retryable(session, monkeypatch):
    practice = _ended(session)

    def broken(**_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(analysis, "coach_session", broken)
    outcome = analyse_session(session=session, practice_session_id=practice.id)
    assert (outcome.status, outcome.processing_status, outcome.reason) == ("failed", "failed", "RuntimeError")
    status, processing, summary = _state(session, practice.id)
    assert (status, processing) == ("ended", "failed")
    assert summary["analysis"] == {**summary["analysis"], "status": "failed", "reason": "RuntimeError", "attempts": 1}
    assert _results(session, practice.id) == {}
    assert (
        session.execute(select(SessionAnalytics.id).where(SessionAnalytics.session_id == practice.id)).first() is None
    )

    monkeypatch.undo()
    retried = analyse_session(session=session, practice_session_id=practice.id)
    assert retried.status == "complete"
    status, processing, summary = _state(session, practice.id)
    assert (status, processing, summary["analysis"]["attempts"]) == ("analyzed", "complete", 2)


def test_only_ended_sessions_are_claimed_and_stale_claims_are_released(session):
    active = make_practice_session(session, make_user(session))
    assert analyse_session(session=session, practice_session_id=active.id).reason == "session is active"
    assert analyse_session(session=session, practice_session_id="not-a-uuid").reason == "not found"

    stuck = _ended(session)
    session.execute(
        update(PracticeSession)
        .where(PracticeSession.id == stuck.id)
        .values(processing_status="processing", updated_at=days_ago(1))
    )
    session.flush()
    assert analyse_session(session=session, practice_session_id=stuck.id).reason == "already being analysed"
    assert release_stale(session) >= 1
    status, processing, summary = _state(session, stuck.id)
    assert (processing, summary["analysis"]["reason"]) == ("failed", "stale")
    assert analyse_session(session=session, practice_session_id=stuck.id).status == "complete"


def test_analyse_pending_runs_the_queue(session):
    practice = _ended(session)
    done = analyse_pending(
        engine_or_session_factory=lambda: Session(
            bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
        ),
        limit=1000,
        client=None,
    )
    mine = [o for o in done if o.session_id == practice.id]
    assert len(mine) == 1 and mine[0].status == "complete"
    assert _state(session, practice.id).processing_status == "complete"


def test_two_concurrent_analyses_do_the_work_once(engine, fake_openai):
    with Session(engine, expire_on_commit=False) as setup:
        practice = _ended(setup)
        ids = {
            "user": practice.user_id,
            "session": practice.id,
            "topic": practice.topic_id,
            "company": practice.company_id,
        }
        setup.commit()
    # A slow AI answer keeps the first worker busy while the second one tries to claim the session.
    fake_openai.script(Outcome(text=json.dumps(AI_JSON), delay_seconds=0.5))
    fake_openai.reply_with(json.dumps(AI_JSON))
    client = _client(fake_openai)
    barrier = threading.Barrier(2)

    def worker():
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait(timeout=30)
            return analyse_session(session=session, practice_session_id=ids["session"], client=client)

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            outcomes = [f.result(timeout=60) for f in [pool.submit(worker) for _ in range(2)]]
        assert sorted(o.status for o in outcomes) == ["complete", "skipped"]
        assert len(fake_openai.requests) == 1
        with Session(engine) as check:
            assert _state(check, ids["session"]).processing_status == "complete"
            assert sorted(_results(check, ids["session"])) == ["coach", "speech_metrics"]
            assert (
                check.execute(
                    select(func.count())
                    .select_from(SessionAnalytics)
                    .where(SessionAnalytics.session_id == ids["session"])
                ).scalar_one()
                == 1
            )
            assert (
                check.execute(
                    select(DailyQuest.progress).where(
                        DailyQuest.user_id == ids["user"], DailyQuest.quest_type == "filler_free"
                    )
                ).scalar_one()
                == 1
            )
    finally:
        with Session(engine) as cleanup:
            cleanup.execute(delete(AnalyticsEvent).where(AnalyticsEvent.user_id == ids["user"]))
            cleanup.execute(delete(PracticeSession).where(PracticeSession.id == ids["session"]))
            cleanup.execute(delete(User).where(User.id == ids["user"]))
            cleanup.execute(delete(Topic).where(Topic.id == ids["topic"]))
            cleanup.execute(delete(Company).where(Company.id == ids["company"]))
            cleanup.commit()


def test_the_analysis_reaches_the_learners_home(session):
    from speakpro.services.learning.home import get_home_dashboard

    rambling = ("user", "Um, so, like, basically we, uh, you know, help teams, um, sell more.", 34000, 40000)
    practice = _ended(session, CLEAN + [rambling])
    today = practice.started_at.date()
    before = get_home_dashboard(session=session, user_id=practice.user_id, today=today, time_zone="UTC")
    assert before.latest_feedback is None and before.recent[0].id == str(practice.id)

    outcome = analyse_session(session=session, practice_session_id=practice.id)
    feedback = get_home_dashboard(
        session=session, user_id=practice.user_id, today=today, time_zone="UTC"
    ).latest_feedback
    assert feedback.href == f"/practice/session/{practice.id}" and feedback.score == outcome.coach.overall
    metrics = {m.key: m for m in feedback.metrics}
    assert list(metrics) == ["pace_wpm", "filler_rate_per_100", "talk_time_ratio"]
    assert metrics["filler_rate_per_100"].value == outcome.metrics.filler_rate_per_100 > 3
    assert metrics["filler_rate_per_100"].assessment == "high"
    assert metrics["talk_time_ratio"].value == outcome.metrics.talk_time_ratio
    assert feedback.improvement == outcome.coach.improvements[0].text and feedback.provider == "Local rubric"
