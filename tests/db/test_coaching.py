"""A company's own scenarios (versioned rubrics that the partner, the coach and the local rubric use) and the
assignments its managers set: due dates, completion rules, one payment, and who may see what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from speakpro.models import (
    AnalysisResult,
    Assignment,
    AssignmentLearner,
    PracticeSession,
    RewardLedger,
    SessionReview,
    utcnow,
)
from speakpro.services.analysis.analysis import analyse_session
from speakpro.services.learning import assignment_reports, assignments
from speakpro.services.practice import scenarios
from speakpro.services.practice.practice import end_practice, start_practice
from speakpro.services.practice.realtime_secrets import realtime_instructions
from speakpro.services.practice.transcripts import ingest_segments
from speakpro.services.validation import ValidationError
from tests.factories import make_company, make_module, make_user, today
from tests.queries import as_viewer

RUBRIC = (
    "Discovery | 3 | Asks open questions about the customer's current onboarding process\n"
    "Next step | 1 | Agrees a dated demo or trial as the next step"
)
STRONG = (
    "Hello, I'm Sam from Northwind. How does your onboarding process work today, and what does the current "
    "process cost your customer team? Could we book a demo on Tuesday as the next step, with a trial after?"
)
OFF_TOPIC = "I like the weather today. It is sunny and warm, and I will walk my dog in the park later on."


def _scenario(session, company, manager, **changes):
    values = {
        "title": "Renewal call with a busy buyer",
        "situation": "The customer's contract renews next month and onboarding has been slow.",
        "partner_persona": "Dana, head of customer success: busy, sceptical about the price rise.",
        "difficulty": "advanced",
        "learner_goal": "Agree a dated demo of the new onboarding flow.",
        "rubric": RUBRIC,
        **changes,
    }
    return scenarios.save_scenario(session=session, company_id=company.id, actor_id=manager.id, **values)


def _assign(session, company, manager, **values):
    values.setdefault("due_on", today().isoformat())
    return assignments.create_assignment(
        session=session, company_id=company.id, actor_id=manager.id, time_zone="UTC", today=today(), **values
    )


@pytest.fixture
def team(session):
    company = make_company(session)
    manager = make_user(session, company=company, role="manager", onboarding_completed=True)
    learner = make_user(session, company=company, onboarding_completed=True)
    return company, manager, learner


def _practise(session, learner, scenario_id, text_said: str):
    live = start_practice(session=session, user_id=learner.id, scenario_id=scenario_id, mode="solo")
    segment = {"sequence": 0, "speaker": "user", "text": text_said, "start_ms": 0, "end_ms": 20000, "is_final": True}
    ingest_segments(session=session, user_id=learner.id, practice_session_id=live.id, segments=[segment])
    end_practice(session=session, user_id=learner.id, practice_session_id=live.id)
    assert analyse_session(session=session, practice_session_id=live.id).status == "complete"
    return live.id


def _coach(session, session_id):
    return session.execute(
        select(AnalysisResult.results).where(
            AnalysisResult.session_id == session_id, AnalysisResult.analysis_type == "coach"
        )
    ).scalar_one()


def test_an_edit_is_a_new_version_and_an_unchanged_save_is_not(session, team):
    company, manager, _ = team
    first = _scenario(session, company, manager)
    assert first.version == 1 and [c.key for c in first.rubric] == ["discovery", "next_step"]
    assert [c.weight for c in first.rubric] == [3, 1]
    same = _scenario(session, company, manager, scenario_id=first.id)
    assert same.version == 1 and same.version_id == first.version_id
    edited = _scenario(session, company, manager, scenario_id=first.id, difficulty="beginner")
    assert edited.version == 2 and edited.version_id != first.version_id
    listed = scenarios.company_scenarios(session=session, company_id=company.id)
    assert [(s.id, s.version, s.difficulty) for s in listed] == [(first.id, 2, "beginner")]


@pytest.mark.parametrize(
    ("rubric", "message"),
    [
        ("", "at least one criterion"),
        ("Discovery 3 open questions", "Line 1 of the rubric"),
        ("Discovery | 11 | Asks questions", "from 1 to 10"),
        ("Discovery | 2 | Asks\nDISCOVERY | 1 | Again", "Two criteria"),
        ("\n".join(f"C{i} | 1 | good {i}" for i in range(9)), "at most 8"),
    ],
)
def test_a_bad_rubric_is_refused_with_what_to_fix_and_nothing_is_written(session, team, rubric, message):
    company, manager, _ = team
    with pytest.raises(ValidationError) as caught:
        _scenario(session, company, manager, rubric=rubric)
    assert caught.value.field == "rubric" and message in caught.value.message
    assert scenarios.company_scenarios(session=session, company_id=company.id) == []


def test_a_scenario_session_keeps_its_version_and_is_scored_on_its_rubric(session, team):
    company, manager, learner = team
    scenario = _scenario(session, company, manager)
    strong = _practise(session, learner, scenario.id, STRONG)
    _scenario(
        session, company, manager, scenario_id=scenario.id, rubric="Rapport | 1 | Greets the customer by their name"
    )
    practice = session.get(PracticeSession, strong)
    assert practice.topic_id is None and str(practice.scenario_version_id) == scenario.version_id
    assert practice.title == scenario.title
    judged = {c["key"]: c["score"] for c in _coach(session, strong)["criteria"]}
    assert set(judged) == {"discovery", "next_step"}  # the version it was practised on, not the edit
    assert judged["discovery"] >= 75 and judged["next_step"] >= 75
    weak = _practise(session, learner, scenario.id, OFF_TOPIC)
    assert [c["key"] for c in _coach(session, weak)["criteria"]] == ["rapport"]
    assert _coach(session, weak)["criteria"][0]["score"] == 0
    assert _coach(session, weak)["overall"] < _coach(session, strong)["overall"]


def test_the_partner_plays_the_scenarios_persona_goal_and_rubric(session, team):
    company, manager, learner = team
    scenario = _scenario(session, company, manager)
    live = start_practice(session=session, user_id=learner.id, scenario_id=scenario.id, mode="realtime")
    scene = scenarios.scene_of(session, session.get(PracticeSession, live.id))
    instructions = realtime_instructions(scene, None, None)
    for expected in ("Dana, head of customer success", "renews next month", "Agree a dated demo", "Discovery:"):
        assert expected in instructions
    assert "push back hard" in instructions  # advanced


def test_only_a_live_scenario_of_the_learners_own_company_can_be_started(session, team):
    company, manager, learner = team
    scenario = _scenario(session, company, manager)
    outsider = make_user(session, company=make_company(session), onboarding_completed=True)
    solo = make_user(session, onboarding_completed=True)
    for user in (outsider, solo):
        with pytest.raises(ValidationError):
            start_practice(session=session, user_id=user.id, scenario_id=scenario.id, mode="solo")
    scenarios.archive_scenario(session=session, company_id=company.id, actor_id=manager.id, scenario_id=scenario.id)
    with pytest.raises(ValidationError):
        start_practice(session=session, user_id=learner.id, scenario_id=scenario.id, mode="solo")
    assert session.execute(select(PracticeSession.id)).first() is None


def test_an_assignment_completes_when_its_rule_is_met_and_pays_once(session, team):
    company, manager, learner = team
    scenario = _scenario(session, company, manager)
    other = make_user(session, company=company, onboarding_completed=True)
    assignment_id = _assign(
        session,
        company,
        manager,
        kind="scenario",
        target_id=scenario.id,
        due_on=(today() + timedelta(days=3)).isoformat(),
        min_attempts=2,
        min_score=1,
        xp_reward=40,
        coin_reward=5,
    )
    mine, completed = assignments.my_assignments(session=session, user_id=learner.id)
    assert completed == []
    assert [(a.title, a.progress, a.needed, a.completed_at) for a in mine] == [(scenario.title, 0, 2, None)]
    assert mine[0].href == f"/practice?scenario={scenario.id}"
    _practise(session, learner, scenario.id, STRONG)
    assert assignments.my_assignments(session=session, user_id=learner.id)[0][0].progress == 1
    _practise(session, learner, scenario.id, STRONG)  # the analysis recounts and completes it
    [done], _ = assignments.my_assignments(session=session, user_id=learner.id)
    assert done.completed_at is not None and done.progress == 2
    assert assignments.refresh_progress(session=session, user_id=learner.id) == []  # nothing pays twice
    paid = session.execute(
        select(RewardLedger.currency, RewardLedger.amount).where(
            RewardLedger.user_id == learner.id, RewardLedger.reason == assignments.REWARD_REASON
        )
    ).all()
    assert sorted(paid) == [("coins", 5), ("xp", 40)]
    [board] = assignment_reports.company_assignments(session=session, company_id=company.id)
    assert board.id == assignment_id and board.completed == 1 and board.overdue == 0
    assert {learner_row.user_id for learner_row in board.learners} == {str(learner.id), str(other.id)}
    later = utcnow() + timedelta(days=5)
    [late] = assignment_reports.company_assignments(session=session, company_id=company.id, now=later)
    assert late.overdue == 1  # the other learner, past the due day
    # The dashboard's summary counts the same in SQL, without the learners.
    [summary] = assignment_reports.assignment_totals(session=session, company_id=company.id, now=later)
    assert (summary.id, summary.total, summary.completed, summary.overdue) == (assignment_id, 2, 1, 1)
    assert summary.learners == ()
    # An erased learner leaves both counts (the summary reads users apart from the join).
    other.deleted_at = utcnow()
    session.flush()
    [summary] = assignment_reports.assignment_totals(session=session, company_id=company.id, now=later)
    [board] = assignment_reports.company_assignments(session=session, company_id=company.id, now=later)
    assert (summary.total, summary.overdue) == (board.total, board.overdue) == (1, 0)


def test_a_module_assignment_counts_a_module_completed_before_it_was_set(session, team):
    from speakpro.models import UserProgress

    company, manager, learner = team
    module = make_module(session)
    session.add(UserProgress(user_id=learner.id, module_id=module.id, status="completed", completed_at=utcnow()))
    session.flush()
    _assign(
        session,
        company,
        manager,
        kind="module",
        target_id=module.id,
        learner_ids=[learner.id],
    )
    mine, completed = assignments.my_assignments(session=session, user_id=learner.id)
    assert completed == [module.title]  # found complete on the learner's next read, and paid
    assert mine[0].completed_at is not None
    assert assignments.my_assignments(session=session, user_id=learner.id)[1] == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"due_on": "2020-01-01"}, "due_on"),
        ({"due_on": "next week"}, "due_on"),
        ({"kind": "quiz"}, "kind"),
        ({"kind": "module", "min_score": 50}, "min_score"),
        ({"target_id": "not-an-id"}, "scenario"),
        ({"min_attempts": 0}, "min_attempts"),
        ({"xp_reward": 10_000}, "xp_reward"),
        ({"learner_ids": []}, "learners"),
    ],
)
def test_a_bad_assignment_is_refused_and_nothing_is_written(session, team, changes, field):
    company, manager, _ = team
    module, scenario = make_module(session), _scenario(session, company, manager)
    values = {
        "kind": "scenario",
        "target_id": scenario.id,
        "due_on": today().isoformat(),
        "learner_ids": None,
        **changes,
    }
    if values["kind"] == "module":
        values["target_id"] = module.id
    with pytest.raises(ValidationError) as caught:
        assignments.create_assignment(
            session=session, company_id=company.id, actor_id=manager.id, time_zone="UTC", today=today(), **values
        )
    assert caught.value.field == field
    assert session.execute(select(Assignment.id)).first() is None


def test_a_learner_of_another_company_cannot_be_assigned(session, team):
    company, manager, _ = team
    outsider = make_user(session, company=make_company(session), onboarding_completed=True)
    with pytest.raises(ValidationError) as caught:
        _assign(
            session,
            company,
            manager,
            kind="module",
            target_id=make_module(session).id,
            learner_ids=[outsider.id],
        )
    assert caught.value.field == "learners"


def test_under_row_level_security_another_company_sees_no_scenario_and_no_assignment(session, team):
    company, manager, learner = team
    scenario = _scenario(session, company, manager)
    _assign(
        session,
        company,
        manager,
        kind="scenario",
        target_id=scenario.id,
    )
    elsewhere = make_company(session)
    other_manager = make_user(session, company=elsewhere, role="manager", onboarding_completed=True)
    session.commit()
    as_viewer(session, other_manager)
    for table in ("scenarios", "scenario_versions", "assignments", "assignment_learners"):
        assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0, table
    with pytest.raises(ValidationError):
        scenarios.get_scenario(session=session, company_id=company.id, scenario_id=scenario.id)
    session.rollback()
    as_viewer(session, learner)  # the company's own learner reads them, and only their own assignment row
    assert session.execute(text("SELECT count(*) FROM scenarios")).scalar_one() == 1
    assert session.execute(select(AssignmentLearner.user_id)).scalars().all() == [learner.id]


SKILL_SCORES = {"opening": 70, "questioning": 80, "objection_handling": 60, "closing": 75}


def test_a_manager_scores_a_scenario_session_on_its_criteria_and_calibration_compares_them(session, team):
    from speakpro.services.dashboards.calibration import calibration
    from speakpro.services.practice import review
    from speakpro.services.practice.history import get_session_detail

    company, manager, learner = team
    scenario = _scenario(session, company, manager)
    practised = [_practise(session, learner, scenario.id, STRONG) for _ in range(2)]
    detail = get_session_detail(session=session, user_id=learner.id, practice_session_id=practised[0])
    assert [c.key for c in detail.rubric] == ["discovery", "next_step"]
    assert detail.coach is not None and [c.name for c in detail.coach.criteria] == ["Discovery", "Next step"]
    automatic = {c.key: c.score for c in detail.coach.criteria}
    for session_id in practised:
        review.set_sharing(session=session, user_id=learner.id, practice_session_id=session_id, shared=True)

    def score(session_id, scores):
        return review.score_session(
            session=session,
            reviewer_id=manager.id,
            company_id=company.id,
            practice_session_id=session_id,
            scores=scores,
        )

    with pytest.raises(ValidationError, match="every criterion"):
        score(practised[0], SKILL_SCORES)  # the scenario's criteria are part of its rubric
    with pytest.raises(ValidationError, match="Next step: enter a whole number"):
        score(practised[0], {**SKILL_SCORES, "criteria": {"discovery": 50, "next_step": 101}})
    assert session.execute(select(func.count()).select_from(SessionReview)).scalar_one() == 0
    with pytest.raises(ValidationError, match="every criterion"):
        score(practised[0], {**SKILL_SCORES, "criteria": {"discovery": 50, "next_step": 60, "rapport": 5}})
    assert session.execute(select(func.count()).select_from(SessionReview)).scalar_one() == 0
    saved = score(practised[0], {**SKILL_SCORES, "criteria": {"discovery": "60", "next_step": 90}})
    assert saved["criteria"] == {"discovery": 60, "next_step": 90}  # the form sends text
    score(practised[1], {**SKILL_SCORES, "criteria": {"discovery": 70, "next_step": 80}})
    rows = {a.label: a for a in calibration(session=session, company_id=company.id)}
    discovery = rows[f"{scenario.title} · Discovery"]
    assert (discovery.scorer, discovery.pairs) == ("local", 2)
    assert discovery.mean_difference == round((60 + 70) / 2 - automatic["discovery"], 1)
    assert "Opening" in rows  # the skills are still compared
