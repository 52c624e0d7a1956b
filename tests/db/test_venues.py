"""Venue runs: unlocks, ticket spends once per request, exercises in order, rewards once."""

from __future__ import annotations

import uuid

import pytest

from speakpro.models import AnalyticsEvent, DailyQuest, ExerciseSubmission, RewardLedger, TelemetryEvent, VenueEntry
from speakpro.services.learning.economy import InsufficientBalance, ledger_totals
from speakpro.services.validation import ValidationError
from speakpro.services.world.venues import enter_venue, finish_venue, submit_venue_exercise
from speakpro.services.world.world import get_venue
from tests.factories import make_module, make_user
from tests.factories_world import answer, balances, count, grant, make_world_venue, unlock


def _rows(session, user) -> dict[str, int]:
    """Everything a venue action may write for one learner."""
    return {
        "entries": count(session, VenueEntry, VenueEntry.user_id == user.id),
        "ledger": count(session, RewardLedger, RewardLedger.user_id == user.id),
        "submissions": count(session, ExerciseSubmission, ExerciseSubmission.user_id == user.id),
        "events": count(session, AnalyticsEvent, AnalyticsEvent.user_id == user.id),
        "telemetry": count(session, TelemetryEvent, TelemetryEvent.user_id == user.id),
        "quests": count(session, DailyQuest, DailyQuest.user_id == user.id),
    }


@pytest.fixture
def world(session):
    """A learner with 5 tickets and an unlocked 3-exercise venue costing 2."""
    module = make_module(session, code="C")
    venue = make_world_venue(session, module=module, ticket_cost=2, xp_reward=50, coin_reward=25, name="Market Stall")
    user = make_user(session)
    unlock(session, user, venue)
    grant(session, user.id, "tickets", 5)
    return user, venue, module


def _answer_all(session, user, entry_id, count_=3):
    for order in range(1, count_ + 1):
        submit_venue_exercise(
            session=session,
            user_id=user.id,
            entry_id=entry_id,
            exercise_order=order,
            response=answer(f"Answer {order}"),
            duration_ms=1000,
        )


def test_a_locked_venue_is_refused_and_nothing_is_written(session):
    module = make_module(session, code="D")
    venue = make_world_venue(session, module=module, name="Auction House")
    user = make_user(session)
    grant(session, user.id, "tickets", 5)
    before = _rows(session, user)

    with pytest.raises(ValidationError, match=r"Finish module D \(Module D\) to unlock Auction House\.") as error:
        enter_venue(session=session, user_id=user.id, venue_id=venue.id, request_key="k")

    assert error.value.field == "venue"
    assert _rows(session, user) == before
    assert balances(session, user.id)["tickets"] == 5


def test_too_few_tickets_gives_a_clear_message_and_writes_nothing(session, world):
    user, venue, _ = world
    grant(session, user.id, "tickets", -4)
    before = _rows(session, user)

    with pytest.raises(InsufficientBalance) as error:
        enter_venue(session=session, user_id=user.id, venue_id=venue.id, request_key="k")

    assert str(error.value) == "You need 2 tickets to enter Market Stall; you have 1."
    assert _rows(session, user) == before
    assert balances(session, user.id)["tickets"] == 1


def test_entering_spends_once_for_the_same_request_key(session, world):
    user, venue, _ = world

    first = enter_venue(session=session, user_id=user.id, venue_id=venue.id, request_key="click-1")
    again = enter_venue(session=session, user_id=user.id, venue_id=str(venue.id), request_key="click-1")

    assert first.opened_now and not again.opened_now
    assert again.id == first.id and (again.status, again.step_index, again.tickets_spent) == ("active", 0, 2)
    assert balances(session, user.id)["tickets"] == 3
    assert count(session, VenueEntry, VenueEntry.user_id == user.id) == 1
    assert count(session, RewardLedger, RewardLedger.user_id == user.id, RewardLedger.reason == "venue_entry") == 1
    assert (
        count(session, AnalyticsEvent, AnalyticsEvent.user_id == user.id, AnalyticsEvent.event_type == "venue_entered")
        == 1
    )
    assert ledger_totals(session=session, user_id=user.id)["tickets"] == 3


def test_an_active_visit_is_returned_instead_of_opening_and_paying_again(session, world):
    user, venue, _ = world
    first = enter_venue(session=session, user_id=user.id, venue_id=venue.id, request_key="a")
    other_click = enter_venue(session=session, user_id=user.id, venue_id=venue.id, request_key="b")
    assert other_click.id == first.id and not other_click.opened_now
    assert balances(session, user.id)["tickets"] == 3

    _answer_all(session, user, first.id)
    finish_venue(session=session, user_id=user.id, entry_id=first.id)
    second_visit = enter_venue(session=session, user_id=user.id, venue_id=venue.id, request_key="c")
    assert second_visit.id != first.id and second_visit.opened_now
    assert balances(session, user.id)["tickets"] == 1
    # The key of a finished visit still names that visit: a late retry does not pay again.
    late_retry = enter_venue(session=session, user_id=user.id, venue_id=venue.id, request_key="a")
    assert (late_retry.id, late_retry.status) == (first.id, "finished")
    assert balances(session, user.id)["tickets"] == 1


def test_exercises_run_strictly_in_order(session, world, storage):
    user, venue, module = world
    entry = enter_venue(session=session, user_id=user.id, venue_id=venue.id, request_key="k")
    assert entry.next_exercise_order == 1
    key = f"audio/{user.id}/{uuid.uuid4().hex}.webm"
    storage.put(key, b"\x1a\x45\xdf\xa3webm", "audio/webm")
    # A recording under someone else's prefix, or one that was never stored, is refused and writes nothing.
    for foreign in (f"audio/{uuid.uuid4()}/{uuid.uuid4().hex}.webm", f"audio/{user.id}/{uuid.uuid4().hex}.webm"):
        with pytest.raises(ValidationError, match="could not be found"):
            submit_venue_exercise(
                session=session,
                user_id=user.id,
                entry_id=entry.id,
                exercise_order=1,
                response=answer("My hook.", audio_ref=foreign),
                duration_ms=1500,
            )
    assert count(session, ExerciseSubmission, ExerciseSubmission.user_id == user.id) == 0

    with pytest.raises(ValidationError, match="Answer exercise 1 first"):
        submit_venue_exercise(
            session=session, user_id=user.id, entry_id=entry.id, exercise_order=2, response=answer(), duration_ms=500
        )
    with pytest.raises(ValidationError, match="has no exercise 4"):
        submit_venue_exercise(
            session=session, user_id=user.id, entry_id=entry.id, exercise_order=4, response=answer(), duration_ms=500
        )

    step = submit_venue_exercise(
        session=session,
        user_id=user.id,
        entry_id=entry.id,
        exercise_order=1,
        response=answer("My hook.", audio_ref=key),
        duration_ms=1500,
    )
    assert (step.entry.step_index, step.entry.next_exercise_order, step.repeated) == (1, 2, False)
    row = session.get(ExerciseSubmission, step.submission_id)
    assert (row.stage, row.module_id, str(row.venue_entry_id), row.duration_ms) == ("venue", module.id, entry.id, 1500)
    assert row.payload["text"] == "My hook." and row.payload["exercise_order"] == 1
    assert row.payload["audio_ref"] == key

    retry = submit_venue_exercise(
        session=session,
        user_id=user.id,
        entry_id=entry.id,
        exercise_order=1,
        response=answer("My hook.", audio_ref=key),
        duration_ms=1500,
    )
    assert retry.repeated and retry.submission_id == step.submission_id and retry.entry.step_index == 1
    assert count(session, ExerciseSubmission, ExerciseSubmission.user_id == user.id) == 1

    with pytest.raises(ValidationError, match="already answered exercise 1"):
        submit_venue_exercise(
            session=session,
            user_id=user.id,
            entry_id=entry.id,
            exercise_order=1,
            response=answer("A different hook."),
            duration_ms=1500,
        )

    for order in (2, 3):
        last = submit_venue_exercise(
            session=session,
            user_id=user.id,
            entry_id=entry.id,
            exercise_order=order,
            response=answer(),
            duration_ms=100,
        )
    assert (last.entry.step_index, last.entry.next_exercise_order) == (3, 0)


def test_another_learner_cannot_touch_a_visit(session, world):
    user, venue, _ = world
    entry = enter_venue(session=session, user_id=user.id, venue_id=venue.id, request_key="k")
    _answer_all(session, user, entry.id, 2)
    intruder = make_user(session)
    before = (_rows(session, user), _rows(session, intruder))

    with pytest.raises(ValidationError, match="could not find this venue visit"):
        submit_venue_exercise(
            session=session, user_id=intruder.id, entry_id=entry.id, exercise_order=3, response=answer(), duration_ms=1
        )
    with pytest.raises(ValidationError, match="could not find this venue visit"):
        finish_venue(session=session, user_id=intruder.id, entry_id=entry.id)

    assert (_rows(session, user), _rows(session, intruder)) == before
    assert session.get(VenueEntry, entry.id).step_index == 2


@pytest.mark.parametrize(
    ("response", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "   \n "}, "text"),
        ({}, "text"),
        ({"text": "x" * 1_000_001}, "response"),
        ({"text": "ok", "audio_ref": "a" * 1_048_576}, "response"),
        ({"text": "x" * 10_001}, "text"),
        ("just a string", "response"),
        (["text", "hello"], "response"),
        (None, "response"),
        ({"text": 42}, "text"),
        ({"text": "hi", "score": 100}, "response"),
        ({"text": "nul \x00 byte"}, "text"),
        ({"text": "hi", "audio_ref": "../../etc/passwd"}, "audio_ref"),
        ({"text": "hi", "audio_ref": 7}, "audio_ref"),
        ({"text": {"nested": "dict"}}, "text"),
        ({"text": "hi", "audio_ref": {1, 2}}, "response"),
    ],
)
def test_bad_responses_are_refused_and_nothing_is_written(session, world, response, field):
    user, venue, _ = world
    entry = enter_venue(session=session, user_id=user.id, venue_id=venue.id, request_key="k")
    before = _rows(session, user)

    with pytest.raises(ValidationError) as error:
        submit_venue_exercise(
            session=session, user_id=user.id, entry_id=entry.id, exercise_order=1, response=response, duration_ms=1000
        )

    assert error.value.field == field
    assert error.value.message
    assert _rows(session, user) == before
    assert session.get(VenueEntry, entry.id).step_index == 0


@pytest.mark.parametrize(("order", "duration"), [(0, 10), (True, 10), ("1", 10), (1, -1), (1, 10**9), (1, 1.5)])
def test_bad_exercise_numbers_and_durations_are_refused(session, world, order, duration):
    user, venue, _ = world
    entry = enter_venue(session=session, user_id=user.id, venue_id=venue.id, request_key="k")
    before = _rows(session, user)
    with pytest.raises(ValidationError):
        submit_venue_exercise(
            session=session,
            user_id=user.id,
            entry_id=entry.id,
            exercise_order=order,
            response=answer(),
            duration_ms=duration,
        )
    assert _rows(session, user) == before


def test_a_long_answer_at_the_limit_is_accepted(session, world):
    user, venue, _ = world
    entry = enter_venue(session=session, user_id=user.id, venue_id=venue.id, request_key="k")
    step = submit_venue_exercise(
        session=session,
        user_id=user.id,
        entry_id=entry.id,
        exercise_order=1,
        response=answer("é" * 10_000),
        duration_ms=0,
    )
    assert step.entry.step_index == 1


def test_finishing_before_every_exercise_is_refused(session, world):
    user, venue, _ = world
    entry = enter_venue(session=session, user_id=user.id, venue_id=venue.id, request_key="k")
    _answer_all(session, user, entry.id, 2)
    before = (_rows(session, user), balances(session, user.id))

    with pytest.raises(ValidationError, match="Answer all 3 exercises before finishing; 1 still to go"):
        finish_venue(session=session, user_id=user.id, entry_id=entry.id)

    assert (_rows(session, user), balances(session, user.id)) == before
    assert session.get(VenueEntry, entry.id).status == "active"


def test_finishing_pays_once_and_counts_the_daily_quest(session, world):
    user, venue, _ = world
    entry = enter_venue(session=session, user_id=user.id, venue_id=venue.id, request_key="k")
    _answer_all(session, user, entry.id)
    start = balances(session, user.id)

    done = finish_venue(session=session, user_id=user.id, entry_id=entry.id)
    again = finish_venue(session=session, user_id=user.id, entry_id=entry.id)

    assert (done.finished_now, done.xp_paid, done.coins_paid) == (True, 50, 25)
    assert (again.finished_now, again.xp_paid, again.coins_paid) == (False, 0, 0)
    assert (done.entry.status, done.entry.xp_awarded, done.entry.coins_awarded) == ("finished", 50, 25)
    assert again.entry.finished_at == done.entry.finished_at is not None
    now = balances(session, user.id)
    assert (now["xp"] - start["xp"], now["coins"] - start["coins"]) == (50, 25)
    assert ledger_totals(session=session, user_id=user.id) == now
    assert count(session, RewardLedger, RewardLedger.user_id == user.id, RewardLedger.reason == "venue_finished") == 2
    assert (
        count(session, AnalyticsEvent, AnalyticsEvent.user_id == user.id, AnalyticsEvent.event_type == "venue_finished")
        == 1
    )
    assert (
        count(session, TelemetryEvent, TelemetryEvent.user_id == user.id, TelemetryEvent.name == "venue_finished") == 1
    )
    assert done.quest is not None and (done.quest.quest_type, done.quest.progress) == ("venue_visit", 1)
    assert done.quest.completed and not done.quest.claimed

    # The venue page shows the finished visit with its results, its exercises done, and a new visit on offer.
    page = get_venue(session=session, user_id=user.id, venue_slug=venue.slug)
    assert page.active_entry is None and page.last_finished is not None
    assert (page.last_finished.xp_awarded, page.last_finished.coins_awarded) == (50, 25)
    assert page.exercises and all(e.done for e in page.exercises)

    with pytest.raises(ValidationError, match="This visit is over"):
        submit_venue_exercise(
            session=session,
            user_id=user.id,
            entry_id=entry.id,
            exercise_order=3,
            response=answer("Something new"),
            duration_ms=1,
        )


@pytest.mark.parametrize("bad", ["not-a-uuid", "", None, 17])
def test_malformed_ids_are_refused(session, world, bad):
    user, _, _ = world
    with pytest.raises(ValidationError):
        enter_venue(session=session, user_id=user.id, venue_id=bad, request_key="k")
    with pytest.raises(ValidationError):
        finish_venue(session=session, user_id=user.id, entry_id=bad)


@pytest.mark.parametrize("key", ["", "   ", "x" * 129, None, "bad\x00key"])
def test_a_malformed_request_key_is_refused(session, world, key):
    user, venue, _ = world
    before = _rows(session, user)
    with pytest.raises(ValidationError):
        enter_venue(session=session, user_id=user.id, venue_id=venue.id, request_key=key)
    assert _rows(session, user) == before


HOOK = "Deliver a 20-second hook for a proposal to add a weekend farmers' market to the square."
ON_TOPIC = (
    "Picture this square on a Saturday morning: fresh bread, local cheese and neighbours meeting again. Our "
    "proposal adds a weekend farmers' market with twelve stalls from farms nearby. It costs the town nothing. "
    "Will you back the market this spring?"
)
OFF_TOPIC = (
    "Our logistics team moved twelve pallets from Rotterdam to Lyon last quarter and the invoices kept rising. "
    "We compared three carriers, negotiated a consolidated weekly run and saved about a fifth of the cost, which "
    "our finance director approved after a short review of the contract terms and delivery windows."
)


def test_each_answer_is_scored_against_its_exercise_and_the_page_shows_the_scores(session, world):
    from sqlmodel import select

    from speakpro.models import VenueTaskSheet

    user, venue, _ = world
    sheet = session.exec(select(VenueTaskSheet).where(VenueTaskSheet.venue_id == venue.id)).one()
    sheet.exercises = [{"order": 1, "kind": "speaking", "target_seconds": 20, "prompt": HOOK}]
    session.flush()
    other = make_user(session)
    unlock(session, other, venue)
    grant(session, other.id, "tickets", 5)
    scores = {}
    for learner, text in ((user, ON_TOPIC), (other, OFF_TOPIC)):
        entry = enter_venue(session=session, user_id=learner.id, venue_id=venue.id, request_key="k")
        submit_venue_exercise(
            session=session,
            user_id=learner.id,
            entry_id=entry.id,
            exercise_order=1,
            response=answer(text),
            duration_ms=1,
        )
        shown = get_venue(session=session, user_id=learner.id, venue_slug=venue.slug).exercises[0]
        scores[learner.id] = (shown.score, shown.on_topic, shown.done)
        finish_venue(session=session, user_id=learner.id, entry_id=entry.id)
        # Finished: the page still shows the last visit's answers with their scores.
        finished = get_venue(session=session, user_id=learner.id, venue_slug=venue.slug).exercises[0]
        assert (finished.score, finished.on_topic, finished.done) == scores[learner.id]
    on_score, on_topic, _ = scores[user.id]
    off_score, off_topic, _ = scores[other.id]
    assert on_topic and not off_topic
    assert on_score is not None and off_score is not None and off_score <= 30 < on_score
