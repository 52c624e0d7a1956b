"""Retakes: the session's weakest moments offered after it ends, each try kept and scored side by side with
the original, the first improvement paid once, nothing for someone else's session, and gone with the
session's transcript."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from speakpro.db import enter_context
from speakpro.models import Retake, RewardLedger, UserProfile
from speakpro.services.accounts.sessions import create_session, resolve_session, viewer_context
from speakpro.services.practice import retakes
from speakpro.services.practice.session_deletion import delete_session
from speakpro.services.validation import ValidationError
from tests.factories import RETAKE_BETTER as BETTER
from tests.factories import RETAKE_SCRIPT as SCRIPT
from tests.factories import make_ended_session, make_user

APP_ROLE = "speakpro_app"


def _ended_session(session, user, status="ended"):
    return make_ended_session(session, user, SCRIPT, status=status)


def _xp(session, user) -> int:
    return session.execute(select(UserProfile.xp).where(UserProfile.user_id == user.id)).scalar_one()


def test_an_ended_session_offers_its_weak_moments_with_the_original_scored(session):
    user = make_user(session)
    practice = _ended_session(session, user)
    views = retakes.session_moments(session=session, user_id=user.id, practice_session_id=practice.id)
    assert [v.moment.kind for v in views] == ["fillers", "objection"]
    assert views[1].moment.prompt == "Honestly, it sounds too expensive for us right now."
    assert all(v.attempts == 0 and v.answer is None for v in views)
    assert views[0].original.fillers == 4


def test_a_better_try_is_kept_and_paid_once_and_the_same_answer_again_changes_nothing(session):
    user = make_user(session)
    practice = _ended_session(session, user)
    key = retakes.session_moments(session=session, user_id=user.id, practice_session_id=practice.id)[1].moment.key
    before = _xp(session, user)

    first = retakes.submit_retake(
        session=session, user_id=user.id, practice_session_id=practice.id, moment_key=key, text=BETTER
    )
    again = retakes.submit_retake(
        session=session, user_id=user.id, practice_session_id=practice.id, moment_key=key, text=BETTER
    )
    other = retakes.submit_retake(
        session=session,
        user_id=user.id,
        practice_session_id=practice.id,
        moment_key=key,
        text=BETTER + " Shall we look at last quarter's invoices together?",
    )
    assert first.view.improved and first.view.answer and first.view.answer.questions == 1
    assert first.view.answer.score > first.view.original.score
    assert first.xp_paid == retakes.RETAKE_XP and again.xp_paid == 0 and other.xp_paid == 0
    assert again.view.attempts == 1 and other.view.attempts == 2
    assert _xp(session, user) == before + retakes.RETAKE_XP
    paid = session.execute(
        select(func.count())
        .select_from(RewardLedger)
        .where(RewardLedger.user_id == user.id, RewardLedger.reason == retakes.RETAKE_REASON)
    ).scalar_one()
    assert paid == 1
    # The original's score is the one stored with the first try.
    views = retakes.session_moments(session=session, user_id=user.id, practice_session_id=practice.id)
    assert views[1].original == first.view.original and views[1].answer_text.endswith("together?")


def test_a_try_that_is_no_better_is_kept_and_pays_nothing(session):
    user = make_user(session)
    practice = _ended_session(session, user)
    key = retakes.session_moments(session=session, user_id=user.id, practice_session_id=practice.id)[0].moment.key
    worse = retakes.submit_retake(
        session=session,
        user_id=user.id,
        practice_session_id=practice.id,
        moment_key=key,
        text="Um, uh, um, we, uh, ship, um, things.",
    )
    assert not worse.view.improved and worse.xp_paid == 0 and worse.view.attempts == 1


@pytest.mark.parametrize(
    ("moment", "answer", "field"),
    [
        ("fillers-999", BETTER, "moment"),
        (None, "short", "retake"),
        (None, 42, "retake"),
        (None, "ok\x00" * 5, "retake"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(session, moment, answer, field):
    user = make_user(session)
    practice = _ended_session(session, user)
    key = (
        moment
        or retakes.session_moments(session=session, user_id=user.id, practice_session_id=practice.id)[0].moment.key
    )
    with pytest.raises(ValidationError) as refused:
        retakes.submit_retake(
            session=session, user_id=user.id, practice_session_id=practice.id, moment_key=key, text=answer
        )
    assert refused.value.field == field
    assert session.execute(select(func.count()).select_from(Retake)).scalar_one() == 0


def test_someone_elses_or_a_live_session_offers_nothing(session):
    owner, other = make_user(session), make_user(session)
    practice = _ended_session(session, owner)
    live = _ended_session(session, other, status="active")
    with pytest.raises(ValidationError, match="could not find"):
        retakes.session_moments(session=session, user_id=other.id, practice_session_id=practice.id)
    with pytest.raises(ValidationError, match="could not find"):
        retakes.submit_retake(
            session=session, user_id=other.id, practice_session_id=practice.id, moment_key="x", text=BETTER
        )
    with pytest.raises(ValidationError, match="once the session has ended"):
        retakes.session_moments(session=session, user_id=other.id, practice_session_id=live.id)


def test_the_database_keeps_retakes_to_their_learner(session):
    owner, other = make_user(session), make_user(session)
    practice = _ended_session(session, owner)
    key = retakes.session_moments(session=session, user_id=owner.id, practice_session_id=practice.id)[1].moment.key
    retakes.submit_retake(
        session=session, user_id=owner.id, practice_session_id=practice.id, moment_key=key, text=BETTER
    )
    token = create_session(session=session, user_id=other.id)
    context = viewer_context(resolve_session(session=session, token=token))
    session.execute(text(f"SET LOCAL ROLE {APP_ROLE}"))
    enter_context(session, context)
    assert session.execute(text("SELECT count(*) FROM retakes")).scalar_one() == 0


def test_deleting_the_session_deletes_its_retakes(session):
    user = make_user(session)
    practice = _ended_session(session, user)
    key = retakes.session_moments(session=session, user_id=user.id, practice_session_id=practice.id)[1].moment.key
    retakes.submit_retake(
        session=session, user_id=user.id, practice_session_id=practice.id, moment_key=key, text=BETTER
    )
    delete_session(session=session, user_id=user.id, practice_session_id=practice.id)
    assert session.execute(select(func.count()).select_from(Retake)).scalar_one() == 0


def test_the_history_list_counts_retaken_and_improved_moments(session):
    from speakpro.services.practice.history import list_history

    user = make_user(session)
    practice = _ended_session(session, user)
    fillers, objection = (
        v.moment.key for v in retakes.session_moments(session=session, user_id=user.id, practice_session_id=practice.id)
    )
    for key, answer in ((objection, BETTER), (fillers, "Um, uh, um, we, uh, ship, um, things.")):
        retakes.submit_retake(
            session=session, user_id=user.id, practice_session_id=practice.id, moment_key=key, text=answer
        )
    item = next(i for i in list_history(session=session, user_id=user.id, page=1).items if i.id == str(practice.id))
    assert (item.retakes, item.retakes_improved) == (2, 1)


def test_erasing_the_learner_erases_their_retakes(session, tmp_path):
    from speakpro.integrations.storage import LocalStorage
    from speakpro.services.accounts.erasure import erase_user

    user = make_user(session)
    practice = _ended_session(session, user)
    key = retakes.session_moments(session=session, user_id=user.id, practice_session_id=practice.id)[1].moment.key
    retakes.submit_retake(
        session=session, user_id=user.id, practice_session_id=practice.id, moment_key=key, text=BETTER
    )
    erase_user(session=session, user_id=user.id, storage=LocalStorage(tmp_path))
    assert session.execute(select(func.count()).select_from(Retake)).scalar_one() == 0


def test_the_session_page_offers_the_same_moments_on_its_replay_strip(session):
    from sqlalchemy import update

    from speakpro.models import Transcript
    from speakpro.services.practice.history import get_session_detail
    from speakpro.state.history import moment_chips

    user = make_user(session)
    practice = _ended_session(session, user)
    detail = get_session_detail(session=session, user_id=user.id, practice_session_id=practice.id)
    offered = retakes.session_moments(session=session, user_id=user.id, practice_session_id=practice.id)
    assert [(m.kind, m.at_ms) for m in detail.moments] == [(v.moment.kind, v.moment.at_ms) for v in offered]
    chips = moment_chips(detail)
    assert [c.label for c in chips] == ["Fillers", "Objection"] and chips[0].detail.startswith("4 fillers")
    session.execute(update(Transcript).where(Transcript.session_id == practice.id).values(typed=True))
    typed = get_session_detail(session=session, user_id=user.id, practice_session_id=practice.id)
    assert typed.moments == ()  # a typed transcript says what was said, not how: no moments from it
