"""The amphitheatre: visit numbering, the plan in order, idempotent submissions, refusals, points paid once."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import delete, func, select
from sqlmodel import Session

from speakpro.models import AmphitheatreExerciseRecord, AmphitheatreSession, AnalyticsEvent, RewardLedger, User
from speakpro.services.learning.economy import ledger_totals
from speakpro.services.validation import ValidationError
from speakpro.services.world import amphitheatre
from tests.factories import make_user
from tests.factories_world import balances, count

KEYS = [e.key for e in amphitheatre.PLAN]
REFLECTION = "I rushed the opening but the pause before the punchline worked; next time I will breathe first."


def _take(storage, user_id) -> str:
    key = f"audio/{user_id}/{uuid.uuid4().hex}.webm"
    storage.put(key, b"\x1a\x45\xdf\xa3webm", "audio/webm")
    return key


def _submit(
    session, user, visit_id, key, *, audio_ref=None, reflection=REFLECTION, markers=("pace", "pauses"), delivery=None
):
    return amphitheatre.submit_exercise(
        session=session,
        user_id=user.id,
        visit_id=visit_id,
        exercise_key=key,
        audio_ref=audio_ref,
        reflection=reflection,
        markers=list(markers),
        delivery=delivery,
    )


def _written(session, user) -> dict[str, int]:
    return {
        "visits": count(session, AmphitheatreSession, AmphitheatreSession.user_id == user.id),
        "records": count(session, AmphitheatreExerciseRecord, AmphitheatreExerciseRecord.user_id == user.id),
        "ledger": count(session, RewardLedger, RewardLedger.user_id == user.id),
    }


def test_the_plan_is_three_exercises_defined_as_data():
    assert len(amphitheatre.PLAN) == 3 and len(set(KEYS)) == 3
    assert amphitheatre.plan_snapshot()["exercises"][0]["key"] == "warm_up_tongue_twister"


def test_opening_continues_the_active_visit_and_numbers_new_ones(session, storage):
    user = make_user(session)
    first = amphitheatre.open_visit(session=session, user_id=user.id)
    assert first.visit_number == 1 and first.status == "active" and first.next_key == KEYS[0]
    assert [e.key for e in first.exercises] == KEYS and [e.order for e in first.exercises] == [1, 2, 3]
    assert amphitheatre.open_visit(session=session, user_id=user.id).id == first.id  # continued, not a new one

    for key in KEYS:
        _submit(session, user, first.id, key)
    second = amphitheatre.open_visit(session=session, user_id=user.id)
    assert second.visit_number == 2 and second.id != first.id and second.next_key == KEYS[0]
    other = amphitheatre.open_visit(session=session, user_id=make_user(session).id)
    assert other.visit_number == 1  # numbering is per learner


def test_the_plan_is_snapshotted_into_the_visit(session, storage, monkeypatch):
    user = make_user(session)
    visit = amphitheatre.open_visit(session=session, user_id=user.id)
    monkeypatch.setattr(amphitheatre, "PLAN", amphitheatre.PLAN[:1])
    assert len(amphitheatre.open_visit(session=session, user_id=user.id).exercises) == 3
    _submit(session, user, visit.id, KEYS[0])
    assert amphitheatre.open_visit(session=session, user_id=user.id).status == "active"


def test_exercises_go_in_plan_order(session, storage):
    user = make_user(session)
    visit = amphitheatre.open_visit(session=session, user_id=user.id)
    with pytest.raises(ValidationError, match="Warm-up: tongue twister") as error:
        _submit(session, user, visit.id, KEYS[1])
    assert error.value.field == "exercise"

    after = _submit(session, user, visit.id, KEYS[0])
    assert [e.done for e in after.exercises] == [True, False, False]
    assert after.next_key == KEYS[1] and after.exercises[1].current and not after.exercises[2].current
    with pytest.raises(ValidationError, match="One-minute story"):
        _submit(session, user, visit.id, KEYS[2])


def test_a_retried_identical_submission_changes_nothing_and_a_different_one_is_refused(session, storage):
    user = make_user(session)
    visit = amphitheatre.open_visit(session=session, user_id=user.id)
    ref = _take(storage, user.id)
    first = _submit(session, user, visit.id, KEYS[0], audio_ref=ref)
    before = _written(session, user)

    again = _submit(session, user, visit.id, KEYS[0], audio_ref=ref)

    assert again == first and _written(session, user) == before
    with pytest.raises(ValidationError, match="already done"):
        _submit(session, user, visit.id, KEYS[0], audio_ref=ref, reflection="Something else entirely.")
    assert _written(session, user) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reflection": ""}, "reflection"),
        ({"reflection": "   "}, "reflection"),
        ({"reflection": "x" * 2001}, "reflection"),
        ({"reflection": "bad \x00 byte"}, "reflection"),
        ({"reflection": 42}, "reflection"),
        ({"markers": ["pace", "juggling"]}, "markers"),
        ({"markers": [1]}, "markers"),
        ({"audio_ref": "audio/../../etc/passwd"}, "audio_ref"),
        ({"audio_ref": "someone-else"}, "audio_ref"),
        ({"audio_ref": "missing"}, "audio_ref"),
        ({"exercise_key": "juggle_chainsaws"}, "exercise"),
        ({"visit_id": "not-a-uuid"}, "visit"),
        ({"visit_id": "unknown"}, "visit"),
        ({"visit_id": "stranger"}, "visit"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(session, storage, change, field):
    user = make_user(session)
    visit = amphitheatre.open_visit(session=session, user_id=user.id)
    stranger = make_user(session)
    args = {
        "visit_id": visit.id,
        "exercise_key": KEYS[0],
        "audio_ref": None,
        "reflection": REFLECTION,
        "markers": ["pace"],
        **change,
    }
    if args["audio_ref"] == "someone-else":
        args["audio_ref"] = _take(storage, stranger.id)
    elif args["audio_ref"] == "missing":
        args["audio_ref"] = f"audio/{user.id}/{uuid.uuid4().hex}.webm"  # well formed, never uploaded
    if args["visit_id"] == "unknown":
        args["visit_id"] = str(uuid.uuid4())
    elif args["visit_id"] == "stranger":
        args["visit_id"] = amphitheatre.open_visit(session=session, user_id=stranger.id).id
    before = _written(session, user)

    with pytest.raises(ValidationError) as error:
        amphitheatre.submit_exercise(session=session, user_id=user.id, **args)

    assert error.value.field == field
    assert _written(session, user) == before


def test_scores_follow_the_rubric(session, storage):
    user = make_user(session)
    visit = amphitheatre.open_visit(session=session, user_id=user.id)
    recorded = _submit(
        session,
        user,
        visit.id,
        KEYS[0],
        audio_ref=_take(storage, user.id),
        reflection=" ".join(["word"] * 50),
        markers=["pace", "pauses", "volume", "nerves", "gestures"],
    )
    warm_up = recorded.exercises[0]
    assert warm_up.score == 100 and warm_up.points == amphitheatre.PLAN[0].max_points and warm_up.has_audio
    silent = _submit(session, user, visit.id, KEYS[1], reflection="Too quick.", markers=[])
    assert silent.exercises[1].score == 2 and silent.exercises[1].points == 1 and not silent.exercises[1].has_audio
    stored = session.execute(
        select(AmphitheatreExerciseRecord.scores).where(
            AmphitheatreExerciseRecord.session_id == uuid.UUID(visit.id),
            AmphitheatreExerciseRecord.exercise_key == KEYS[0],
        )
    ).scalar_one()
    assert stored == {"recording": 40, "reflection_depth": 40, "self_observation": 20, "total": 100, "points": 20}
    assert amphitheatre.score_exercise(reflection="a b", has_audio=False, markers=["pace", "pace"], max_points=40) == {
        "recording": 0,
        "reflection_depth": 2,
        "self_observation": 5,
        "total": 7,
        "points": 3,
    }


def test_the_last_exercise_finishes_the_visit_and_pays_once(session, storage):
    user = make_user(session)
    visit = amphitheatre.open_visit(session=session, user_id=user.id)
    _submit(session, user, visit.id, KEYS[0], audio_ref=_take(storage, user.id))
    middle = _submit(session, user, visit.id, KEYS[1], audio_ref=_take(storage, user.id))
    assert middle.status == "active" and middle.xp_paid == 0 and balances(session, user.id)["xp"] == 0

    last_ref = _take(storage, user.id)
    done = _submit(session, user, visit.id, KEYS[2], audio_ref=last_ref)

    assert done.status == "finished" and done.finished_at is not None and done.next_key == ""
    assert done.points == sum(e.points for e in done.exercises) > 0
    assert done.xp_paid == done.points and done.coins_paid == amphitheatre.coins_for(done.points)
    assert balances(session, user.id)["xp"] == done.points
    assert balances(session, user.id)["coins"] == done.coins_paid

    retried = _submit(session, user, visit.id, KEYS[2], audio_ref=last_ref)  # a retry of the finishing request
    assert retried.status == "finished" and retried.xp_paid == 0
    assert balances(session, user.id) == {"xp": done.points, "coins": done.coins_paid, "tickets": 0}
    assert ledger_totals(session=session, user_id=user.id)["xp"] == done.points
    paid = session.execute(
        select(RewardLedger.currency, RewardLedger.source_key).where(
            RewardLedger.user_id == user.id, RewardLedger.reason == "amphitheatre_visit"
        )
    ).all()
    assert sorted(paid) == [("coins", visit.id), ("xp", visit.id)]
    with pytest.raises(ValidationError, match="already done"):
        _submit(session, user, visit.id, KEYS[2], reflection="A different take on it.")
    events = session.execute(select(AnalyticsEvent.event_type).where(AnalyticsEvent.user_id == user.id)).scalars()
    assert sorted(events) == ["amphitheatre_visit_finished", "amphitheatre_visit_opened"]


def test_timeline_reads_every_visit_in_one_query(session, storage):
    from tests.queries import count_queries

    user = make_user(session)
    first = amphitheatre.open_visit(session=session, user_id=user.id)
    for key in KEYS:
        _submit(session, user, first.id, key, audio_ref=_take(storage, user.id) if key != KEYS[1] else None)
    second = amphitheatre.open_visit(session=session, user_id=user.id)
    _submit(session, user, second.id, KEYS[0])
    amphitheatre.open_visit(session=session, user_id=make_user(session).id)
    session.flush()

    with count_queries(session) as statements:
        timeline = amphitheatre.visit_timeline(session=session, user_id=user.id)

    assert len(statements) == 1
    assert [(t.visit_number, t.status, t.exercises_done, t.exercises_total, t.recordings) for t in timeline] == [
        (2, "active", 1, 3, 0),
        (1, "finished", 3, 3, 2),
    ]
    assert timeline[1].points > 0 and timeline[0].points == 0


def test_racing_opens_make_one_visit(engine):
    """Two requests opening the hub at the same moment end up in the same (single) new visit."""
    with Session(engine) as setup:
        user = make_user(setup)
        setup.commit()
        user_id = user.id
    barrier, results, errors = threading.Barrier(4), [], []

    def open_one():
        try:
            with Session(engine) as session:
                barrier.wait()
                view = amphitheatre.open_visit(session=session, user_id=user_id)
                session.commit()
                results.append(view.id)
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert errors == [] and len(set(results)) == 1
        with Session(engine) as check:
            numbers = check.execute(
                select(func.count()).select_from(AmphitheatreSession).where(AmphitheatreSession.user_id == user_id)
            ).scalar_one()
        assert numbers == 1
    finally:
        with Session(engine) as cleanup:
            cleanup.execute(delete(AnalyticsEvent).where(AnalyticsEvent.user_id == user_id))
            cleanup.execute(delete(User).where(User.id == user_id))
            cleanup.commit()


def test_a_recorded_exercise_shows_what_its_recording_measured(session, storage, speak):
    from speakpro.services.analysis.audio_metrics import answer_delivery, describe_delivery
    from tests.audio import encode_opus

    user = make_user(session)
    visit = amphitheatre.open_visit(session=session, user_id=user.id)
    key = f"audio/{user.id}/{uuid.uuid4().hex}.webm"
    storage.put(
        key, encode_opus(speak("Good evening everyone, thank you for coming tonight.", 150), "webm"), "audio/webm"
    )
    delivery = answer_delivery(key=key, words=0)  # what the page's handler measures before it saves
    assert delivery is not None and delivery["pace_wpm"] is None  # no transcript here: no pace
    recorded = _submit(session, user, visit.id, KEYS[0], audio_ref=key, markers=["pace"], delivery=delivery)
    shown = recorded.exercises[0].delivery
    assert shown.startswith(f"{delivery['recorded_speaking_seconds']:.0f} s of voice · pitch variation ")
    assert "loudness variation" in shown
    # Without a recording there is nothing to show, whatever is passed.
    plain = _submit(session, user, visit.id, KEYS[1], markers=["pace"], delivery=delivery)
    assert plain.exercises[1].delivery == ""
    assert describe_delivery({"pitch_variation_semitones": None, "loudness_variation_db": None}) == ""
