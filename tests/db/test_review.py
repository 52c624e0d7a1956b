"""Consented review: a learner shares a session with their company's managers, who read it and comment at a
moment; private by default, revocable, audited, and the database keeps it to that company."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from speakpro.models import AuditLog, PracticeSession, SessionComment, SessionReview
from speakpro.services.practice import review
from speakpro.services.practice.session_deletion import delete_session
from speakpro.services.validation import ValidationError
from tests.factories import RETAKE_SCRIPT, make_company, make_ended_session, make_user
from tests.queries import as_viewer

APP_ROLE = "speakpro_app"


@pytest.fixture
def team(session):
    company, elsewhere = make_company(session), make_company(session)
    learner = make_user(session, company)
    practice = make_ended_session(session, learner, RETAKE_SCRIPT)
    practice.company_id = company.id
    session.flush()
    return {
        "company": company,
        "learner": learner,
        "manager": make_user(session, company, role="manager"),
        "colleague": make_user(session, company),
        "stranger": make_user(session, elsewhere, role="manager"),
        "elsewhere": elsewhere,
        "practice": practice,
    }


def _share(session, team, shared=True):
    return review.set_sharing(
        session=session, user_id=team["learner"].id, practice_session_id=team["practice"].id, shared=shared
    )


def _comment(session, team, at_ms=3500, body="Lovely open question here.", author="manager", company="company"):
    return review.add_comment(
        session=session,
        author_id=team[author].id,
        company_id=team[company].id,
        practice_session_id=team["practice"].id,
        at_ms=at_ms,
        body=body,
    )


def test_a_session_is_private_until_its_learner_shares_it(session, team):
    assert team["practice"].privacy == "private"
    assert review.shared_sessions(session=session, company_id=team["company"].id) == []
    with pytest.raises(ValidationError, match="not shared"):
        review.review_session(
            session=session,
            viewer_id=team["manager"].id,
            company_id=team["company"].id,
            practice_session_id=team["practice"].id,
        )
    with pytest.raises(ValidationError, match="not shared"):
        _comment(session, team)
    assert _share(session, team) == "managers"
    assert _share(session, team) == "managers"  # again: nothing more
    listed = review.shared_sessions(session=session, company_id=team["company"].id)
    assert [(s.id, s.comments) for s in listed] == [(str(team["practice"].id), 0)]
    assert review.shared_sessions(session=session, company_id=team["elsewhere"].id) == []
    actions = session.execute(
        select(AuditLog.action).where(AuditLog.target_id == str(team["practice"].id)).order_by(AuditLog.created_at)
    ).scalars()
    assert list(actions) == ["session.shared"]


def test_a_manager_reviews_and_comments_and_the_learner_reads_it(session, team):
    _share(session, team)
    detail, learner = review.review_session(
        session=session,
        viewer_id=team["manager"].id,
        company_id=team["company"].id,
        practice_session_id=team["practice"].id,
    )
    assert detail.id == str(team["practice"].id) and [s.text for s in detail.segments][0].startswith("Which routes")
    assert learner == team["learner"].display_name
    reviewed = session.execute(
        select(AuditLog.actor_user_id, AuditLog.subject_user_id).where(AuditLog.action == "session.reviewed")
    ).one()
    assert tuple(reviewed) == (team["manager"].id, team["learner"].id)
    _comment(session, team, at_ms=10000, body="  Ask what 'too expensive' is compared with.  ")
    _comment(session, team, at_ms=3500)
    seen = review.comments_for(session=session, reader_id=team["learner"].id, practice_session_id=team["practice"].id)
    assert [(c.at_ms, c.body) for c in seen] == [
        (3500, "Lovely open question here."),
        (10000, "Ask what 'too expensive' is compared with."),
    ]
    assert review.shared_sessions(session=session, company_id=team["company"].id)[0].comments == 2


@pytest.mark.parametrize(
    ("at_ms", "body", "field"),
    [
        (3500, "", "body"),
        (3500, "   ", "body"),
        (3500, "x" * 1001, "body"),
        (3500, "bad\x00text", "body"),
        (3500, None, "body"),
        (-1, "fine", "at_ms"),
        ("3500", "fine", "at_ms"),
        (True, "fine", "at_ms"),
        (60_000, "fine", "at_ms"),  # the session lasted 20 s
    ],
)
def test_bad_comments_are_refused_and_write_nothing(session, team, at_ms, body, field):
    _share(session, team)
    with pytest.raises(ValidationError) as refused:
        _comment(session, team, at_ms=at_ms, body=body)
    assert refused.value.field == field
    assert session.execute(select(func.count()).select_from(SessionComment)).scalar_one() == 0


def test_revoking_hides_the_session_again_and_stops_comments(session, team):
    _share(session, team)
    _comment(session, team)
    assert _share(session, team, shared=False) == "private"
    assert review.shared_sessions(session=session, company_id=team["company"].id) == []
    with pytest.raises(ValidationError, match="not shared"):
        _comment(session, team, body="One more thing")
    # The learner still reads what was said while it was shared.
    assert (
        len(review.comments_for(session=session, reader_id=team["learner"].id, practice_session_id=team["practice"].id))
        == 1
    )


def test_another_companys_manager_and_a_colleague_get_nothing(session, team):
    _share(session, team)
    with pytest.raises(ValidationError, match="not shared"):
        review.review_session(
            session=session,
            viewer_id=team["stranger"].id,
            company_id=team["elsewhere"].id,
            practice_session_id=team["practice"].id,
        )
    with pytest.raises(ValidationError, match="not shared"):
        _comment(session, team, author="stranger", company="elsewhere")
    with pytest.raises(ValidationError, match="could not find"):  # sharing is the owner's choice alone
        review.set_sharing(
            session=session, user_id=team["colleague"].id, practice_session_id=team["practice"].id, shared=False
        )


def test_a_learner_without_a_company_cannot_share(session):
    loner = make_user(session)
    practice = make_ended_session(session, loner, RETAKE_SCRIPT)
    with pytest.raises(ValidationError, match="not in a company"):
        review.set_sharing(session=session, user_id=loner.id, practice_session_id=practice.id, shared=True)


def test_the_database_shows_a_shared_session_to_its_companys_managers_only(session, team):
    _share(session, team)
    _comment(session, team)
    session.execute(text("SAVEPOINT before_rls"))
    counts = {}
    for who in ("manager", "stranger", "colleague"):
        as_viewer(session, team[who])
        counts[who] = tuple(
            session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("practice_sessions", "transcripts", "transcript_segments", "session_comments")
        )
        session.execute(text("ROLLBACK TO SAVEPOINT before_rls"))
    assert counts["manager"] == (1, 1, len(RETAKE_SCRIPT), 1)
    assert counts["stranger"] == (0, 0, 0, 0) and counts["colleague"][1:] == (0, 0, 0)
    # A manager cannot write a comment for another company, nor on a session that is not shared.
    as_viewer(session, team["stranger"])
    with pytest.raises(Exception, match="row-level security"):
        session.execute(
            text(
                "INSERT INTO session_comments (id, session_id, author_user_id, company_id, at_ms, body) "
                "VALUES (gen_random_uuid(), :s, :a, :c, 0, 'x')"
            ),
            {"s": team["practice"].id, "a": team["stranger"].id, "c": team["company"].id},
        )


def test_deleting_the_session_or_the_account_removes_its_comments_and_its_sharing(session, team, tmp_path):
    from speakpro.integrations.storage import LocalStorage
    from speakpro.services.accounts.erasure import erase_user

    _share(session, team)
    _comment(session, team)
    delete_session(session=session, user_id=team["learner"].id, practice_session_id=team["practice"].id)
    assert session.execute(select(func.count()).select_from(SessionComment)).scalar_one() == 0
    assert session.get(PracticeSession, team["practice"].id).privacy == "private"

    other = make_ended_session(session, team["colleague"], RETAKE_SCRIPT)
    other.company_id = team["company"].id
    session.flush()
    review.set_sharing(session=session, user_id=team["colleague"].id, practice_session_id=other.id, shared=True)
    review.add_comment(
        session=session,
        author_id=team["manager"].id,
        company_id=team["company"].id,
        practice_session_id=other.id,
        at_ms=0,
        body="Good start.",
    )
    erase_user(session=session, user_id=team["colleague"].id, storage=LocalStorage(tmp_path))
    assert session.execute(select(func.count()).select_from(SessionComment)).scalar_one() == 0
    assert review.shared_sessions(session=session, company_id=team["company"].id) == []


def test_the_review_works_under_row_level_security_as_each_person(session, team):
    """The services as the app runs them: the manager's and the learner's own context, not the owner role."""
    session.execute(text("SAVEPOINT start"))
    as_viewer(session, team["learner"])
    _share(session, team)
    session.execute(text("RESET ROLE"))
    as_viewer(session, team["manager"])
    detail, _ = review.review_session(
        session=session,
        viewer_id=team["manager"].id,
        company_id=team["company"].id,
        practice_session_id=team["practice"].id,
    )
    assert len(detail.segments) == len(RETAKE_SCRIPT)
    _comment(session, team, at_ms=10000, body="Ask what they compare it with.")
    assert [
        c.author
        for c in review.comments_for(
            session=session, reader_id=team["manager"].id, practice_session_id=team["practice"].id
        )
    ] == ["You"]
    session.execute(text("RESET ROLE"))
    as_viewer(session, team["learner"])
    seen = review.comments_for(session=session, reader_id=team["learner"].id, practice_session_id=team["practice"].id)
    assert [(c.at_ms, c.author) for c in seen] == [(10000, "Your manager")]  # a learner cannot read managers' rows


def _score(session, team, scores, author="manager", company="company", practice=None):
    return review.score_session(
        session=session,
        reviewer_id=team[author].id,
        company_id=team[company].id,
        practice_session_id=(practice or team["practice"]).id,
        scores=scores,
    )


SCORES = {"opening": 80, "questioning": 40, "objection_handling": 65, "closing": 90}


def test_a_manager_scores_a_shared_session_once_and_can_change_it(session, team):
    with pytest.raises(ValidationError, match="not shared"):
        _score(session, team, SCORES)
    _share(session, team)
    assert _score(session, team, SCORES) == SCORES
    assert _score(session, team, {**SCORES, "closing": "70"})["closing"] == 70  # the form sends text
    assert session.execute(select(func.count()).select_from(SessionReview)).scalar_one() == 1
    assert (
        review.my_scores(session=session, reviewer_id=team["manager"].id, practice_session_id=team["practice"].id)[
            "closing"
        ]
        == 70
    )
    for bad in (
        {**SCORES, "closing": 101},
        {**SCORES, "closing": -1},
        {"opening": 50},
        {**SCORES, "extra": 1},
        [],
        {
            **SCORES,
            "closing": True,
        },
    ):
        with pytest.raises(ValidationError):
            _score(session, team, bad)
    with pytest.raises(ValidationError, match="not shared"):
        _score(session, team, SCORES, author="stranger", company="elsewhere")


def test_calibration_compares_managers_with_each_automatic_scorer(session, team):
    from speakpro.models import AnalysisResult
    from speakpro.services.dashboards.calibration import calibration
    from tests.factories import make_analysed_session, today

    # Three sessions scored by the AI coach, one by the local rubric (skills: opening, questioning, objection
    # handling, closing); the managers' scores of each.
    automatic = [(80, 40, 60, 90), (75, 55, 30, 72), (45, 62, 80, 20), (70, 70, 70, 70)]
    given = [(82, 48, 65, 88), (70, 52, 40, 75), (50, 40, 82, 30), (60, 75, 72, 71)]
    for i, (auto, mine) in enumerate(zip(automatic, given, strict=True)):
        practice = make_analysed_session(session, team["learner"], team["company"], today(), 60, skills=auto)
        session.add(
            AnalysisResult(
                session_id=practice.id, analysis_type="coach", provider="openai" if i < 3 else "local", version="1"
            )
        )
        practice.privacy = "managers"
        session.flush()
        _score(
            session,
            team,
            dict(zip(("opening", "questioning", "objection_handling", "closing"), mine, strict=True)),
            practice=practice,
        )
    rows = {(a.skill, a.scorer): a for a in calibration(session=session, company_id=team["company"].id)}
    opening_ai = rows[("opening", "openai")]
    # (82-80 + 70-75 + 50-45) / 3 = 0.7; bands manager (2, 2, 1) vs coach (2, 2, 0): po 2/3, pe (2*2 + 0)/9 = 4/9.
    assert (opening_ai.pairs, opening_ai.mean_difference) == (3, 0.7)
    assert opening_ai.kappa == pytest.approx((2 / 3 - 4 / 9) / (1 - 4 / 9), abs=0.01)
    local = rows[("closing", "local")]
    assert (local.pairs, local.mean_difference, local.kappa) == (1, 1.0, None)  # one pair: not measurable
    assert calibration(session=session, company_id=team["elsewhere"].id) == []
