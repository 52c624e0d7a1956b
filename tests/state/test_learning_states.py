"""Learning-loop handlers called directly: map, venue entry (pays once), lesson answers, milestone, quests."""

from __future__ import annotations

import uuid

from sqlalchemy import func, insert, select

from speakpro.models import ExerciseSubmission, Lesson, LessonSession, Module, RewardLedger, UserProgress
from speakpro.seed.catalog import seed_catalog as run_seed
from speakpro.services.accounts import accounts, consent, onboarding, sessions
from speakpro.services.learning import economy
from speakpro.state.home import HomeState
from speakpro.state.lesson import LessonState
from speakpro.state.milestone import MilestoneState
from speakpro.state.world import MapState, VenueState
from tests.signin import background, run, sign_in, token_of

PERSONA = {
    "job_role": "Account executive",
    "audience": "Prospective customers",
    "main_goal": "Run confident discovery calls",
    "practice_for": "Sales conversations",
    "comfort_speaking": "3",
    "comfort_selling": "3",
}


def _learner(session):
    user = accounts.signup(
        session=session, email=f"s-{uuid.uuid4().hex[:8]}@example.com", password="a sturdy passphrase"
    )
    onboarding.complete_onboarding(session=session, user_id=user.id, persona=onboarding.validate_persona(PERSONA))
    return user


def _signed_in(state_cls, session, user):
    state = state_cls()
    sign_in(state, sessions.create_session(session=session, user_id=user.id))
    return state


def _module_lessons(session, code: str):
    return session.execute(
        select(Lesson.id, Lesson.module_id)
        .join(Module, Module.id == Lesson.module_id)
        .where(Module.code == code)
        .order_by(Lesson.order)
    ).all()


async def test_map_shows_locked_venues_for_a_new_learner(session):
    run_seed(session)
    state = _signed_in(MapState, session, _learner(session))
    await run(state.load)
    assert state.loaded and len(state.venue_nodes) >= 10
    assert not any(v.unlocked for v in state.venue_nodes) and state.tickets == 0


async def test_the_map_sells_a_ticket_for_coins_and_refuses_without_enough(session):
    run_seed(session)
    user = _learner(session)
    economy.apply_reward(
        session=session,
        user_id=user.id,
        currency="coins",
        amount=economy.TICKET_PRICE_COINS + 10,
        reason="test",
        source_key="t",
    )
    state = _signed_in(MapState, session, user)
    await run(state.load)
    assert (state.coins, state.tickets) == (economy.TICKET_PRICE_COINS + 10, 0)
    (toast,) = await run(state.buy_ticket)
    assert "You bought a ticket" in str(toast)
    assert (state.coins, state.tickets, state.buying) == (10, 1, False)
    (refused,) = await run(state.buy_ticket)
    assert "Not enough coins: you have 10" in str(refused)
    assert (state.coins, state.tickets) == (10, 1)
    assert economy.ledger_totals(session=session, user_id=user.id)["tickets"] == 1


async def test_home_sells_a_streak_freeze_once_per_click(session):
    run_seed(session)
    user = _learner(session)
    price = economy.STREAK_FREEZE_PRICE_COINS
    economy.apply_reward(
        session=session, user_id=user.id, currency="coins", amount=price + 10, reason="test", source_key="t"
    )
    state = _signed_in(HomeState, session, user)
    await run(state.load)
    assert (state.coins, state.streak_freezes) == (price + 10, 0)
    key = state._freeze_key
    (toast,) = await run(state.buy_freeze)
    assert "Streak freeze bought" in str(toast)
    assert (state.coins, state.streak_freezes, state.buying_freeze) == (10, 1, False)
    state._freeze_key = key  # the same click arriving again
    assert await run(state.buy_freeze) == []
    (refused,) = await run(state.buy_freeze)  # a new click without the coins
    assert f"Not enough coins: you have 10, this needs {price}" in str(refused)
    assert (state.coins, state.streak_freezes) == (10, 1)
    assert economy.ledger_totals(session=session, user_id=user.id)["coins"] == 10


def _learner_with_module_a_done(session):
    """An onboarded learner who finished module A: the Town Square Soapbox is open to them."""
    from speakpro.services.learning.progress import complete_module_if_done

    user = _learner(session)
    lessons = _module_lessons(session, "A")
    for lesson_id, module_id in lessons:
        session.execute(
            insert(LessonSession).values(user_id=user.id, lesson_id=lesson_id, module_id=module_id, state="completed")
        )
    complete_module_if_done(session=session, user_id=user.id, module_id=lessons[0][1])
    return user


async def test_entering_a_venue_twice_from_one_page_spends_once(session, monkeypatch):
    run_seed(session)
    user = _learner_with_module_a_done(session)
    tickets_before = economy.ledger_totals(session=session, user_id=user.id)["tickets"]
    state = _signed_in(VenueState, session, user)
    monkeypatch.setattr(VenueState, "_slug", lambda self: "town-square-soapbox")
    await run(state.load)
    assert state.can_enter and state.venue_name == "Town Square Soapbox"
    await run(state.enter)
    await run(state.enter)  # a double click: same page visit, same request key
    assert state.entry_status == "active" and state.error == ""
    assert economy.ledger_totals(session=session, user_id=user.id)["tickets"] == tickets_before - 1
    spends = session.execute(
        select(func.count())
        .select_from(RewardLedger)
        .where(RewardLedger.user_id == user.id, RewardLedger.reason == "venue_entry")
    ).scalar_one()
    assert spends == 1


async def test_a_recorded_venue_answer_is_measured_and_shown(session, monkeypatch, storage, speak):
    from tests.audio import encode_opus

    run_seed(session)
    user = _learner_with_module_a_done(session)
    state = _signed_in(VenueState, session, user)
    monkeypatch.setattr(VenueState, "_slug", lambda self: "town-square-soapbox")
    await run(state.load)
    assert not state.recording_allowed  # no consent on record: the page explains instead of recording
    consent.record_consent(session=session, user_id=user.id, recording=True)
    await run(state.load)
    assert state.recording_allowed
    await run(state.enter)
    submit = background(state, "submit_exercise")  # measured with nothing locked

    # Someone else's key is refused by the service too, not only by the recorder's handler.
    state.audio_key = f"audio/{uuid.uuid4()}/{uuid.uuid4().hex}.webm"
    await run(submit, {"text": "Good evening, neighbours."})
    assert "could not be found" in state.error and not state.busy and not state.exercises[0].done

    said = "Good evening neighbours, I want to talk about the new park on our street and why it matters to us."
    key = f"audio/{user.id}/{uuid.uuid4().hex}.webm"
    storage.put(key, encode_opus(speak(said, 150), "webm"), "audio/webm")
    await run(state.recorded, {"key": key, "duration_seconds": 6})
    assert state.audio_key == key
    await run(submit, {"text": said})
    assert state.error == "" and state.exercises[0].done and state.audio_key == "" and not state.busy
    shown = state.exercises[0].delivery
    assert " s of voice · pace " in shown and "pitch variation" in shown, shown
    stored = session.execute(
        select(ExerciseSubmission.payload, ExerciseSubmission.scores).where(
            ExerciseSubmission.user_id == user.id, ExerciseSubmission.stage == "venue"
        )
    ).one()
    assert stored.payload["audio_ref"] == key
    pace = stored.scores["delivery"]["pace_wpm"]
    assert 100 <= pace <= 260, pace  # espeak at 150 wpm, over voiced time
    assert f"pace {pace:.0f} wpm" in shown


async def test_a_locked_venue_cannot_be_entered(session, monkeypatch):
    run_seed(session)
    state = _signed_in(VenueState, session, _learner(session))
    monkeypatch.setattr(VenueState, "_slug", lambda self: "summit-boardroom")
    await run(state.load)
    assert not state.can_enter and "module" in state.lock_reason.lower()
    state.venue_id = state.venue_id or "x"
    await run(state.enter)
    assert state.error and state.entry_status == ""


async def test_bad_lesson_answers_are_refused_and_write_nothing(session, monkeypatch):
    run_seed(session)
    user = _learner(session)
    first_lesson = _module_lessons(session, "A")[0][0]
    state = _signed_in(LessonState, session, user)
    monkeypatch.setattr(LessonState, "_lesson_id", lambda self: str(first_lesson))
    await run(state.load)
    assert state.step_kind == "reading" and state.step_index == 0
    await run(background(state, "answer"), {})
    assert state.step_kind == "speaking" and state.step_index == 1
    before = session.execute(select(func.count()).select_from(ExerciseSubmission)).scalar_one()
    for bad in ("", "   ", "x" * (1024 * 1024)):
        await run(background(state, "answer"), {"text": bad})
        assert state.error and state.step_index == 1
    assert session.execute(select(func.count()).select_from(ExerciseSubmission)).scalar_one() == before
    # Reloading (or a new server process) resumes the same run at the same step.
    again = _signed_in(LessonState, session, user)
    monkeypatch.setattr(LessonState, "_lesson_id", lambda self: str(first_lesson))
    await run(again.load)
    assert again.run_id == state.run_id and again.step_index == 1


async def test_unknown_lesson_shows_a_message(session, monkeypatch):
    state = _signed_in(LessonState, session, _learner(session))
    for ref in ("not-a-uuid", str(uuid.uuid4())):
        monkeypatch.setattr(LessonState, "_lesson_id", lambda self, ref=ref: ref)
        await run(state.load)
        assert state.not_found


async def test_milestone_locked_until_the_modules_are_done(session):
    run_seed(session)
    user = _learner(session)
    state = _signed_in(MilestoneState, session, user)
    await run(state.load)
    assert not state.unlocked
    for module_id in session.execute(select(Module.id)).scalars():
        session.execute(insert(UserProgress).values(user_id=user.id, module_id=module_id, status="completed"))
    await run(state.load)
    assert state.unlocked and state.threshold == 70 and state.prompt
    await run(background(state, "submit"), {"text": ""})
    assert state.error and state.score == -1


async def test_home_loads_quests_and_refuses_an_early_claim(session):
    run_seed(session)
    state = _signed_in(HomeState, session, _learner(session))
    await run(state.load)
    assert state.loaded and len(state.quests) == 4 and [m.code for m in state.modules] == ["A", "B", "C", "D"]
    assert state.modules[0].status == "available" and state.modules[1].status == "locked"
    events = await run(state.claim, state.quests[0].id)
    assert economy.ledger_totals(session=session, user_id=state_user(session, state))["xp"] == 0
    assert events  # a toast explains why nothing was paid


def state_user(session, state) -> uuid.UUID:
    return sessions.resolve_session(session=session, token=token_of(state)).user_id


async def test_stakes_are_chosen_once_and_personalise_the_exercise(session, monkeypatch):
    run_seed(session)
    user = _learner(session)
    first_lesson = _module_lessons(session, "A")[0][0]
    state = _signed_in(LessonState, session, user)
    monkeypatch.setattr(LessonState, "_lesson_id", lambda self: str(first_lesson))
    await run(state.load)
    await run(background(state, "answer"), {})  # past the reading step, to the speaking exercise
    assert state.step_kind == "speaking" and state.stakes_scenario == ""
    await run(state.choose_stakes, {"scenario": "", "audience": "", "stakes": ""})
    assert state.stakes_error and state.stakes_scenario == ""
    await run(
        state.choose_stakes,
        {"scenario": "Pitching our budget to the board", "audience": "The board", "stakes": "Next year's hiring"},
    )
    assert state.stakes_scenario == "Pitching our budget to the board"
    assert "Pitching our budget to the board" in state.step_prompt
    await run(state.choose_stakes, {"scenario": "Something else entirely"})
    assert state.stakes_scenario == "Pitching our budget to the board"
