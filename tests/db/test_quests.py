"""Daily quests: one per type per day, progress capped at the target, rewards claimed once by the owner."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from speakpro.models import DailyQuest, RewardLedger
from speakpro.seed.content import QUEST_TYPES
from speakpro.services.accounts.time_zones import local_day
from speakpro.services.learning.economy import ledger_totals
from speakpro.services.learning.quests import claim_quest, ensure_daily_quests, record_quest_progress
from speakpro.services.validation import ValidationError
from tests.factories import make_user
from tests.factories_world import balances, count
from tests.queries import count_queries

DAY = date(2026, 11, 21)
QUEST = {q["type"]: q for q in QUEST_TYPES}


def _complete(session, user, quest_type="venue_visit", day=DAY):
    return record_quest_progress(
        session=session, user_id=user.id, quest_type=quest_type, day=day, amount=QUEST[quest_type]["target"]
    )


def test_generation_is_idempotent_with_one_quest_per_type_per_day(session):
    user = make_user(session)

    first = ensure_daily_quests(session=session, user_id=user.id, day=DAY)
    again = ensure_daily_quests(session=session, user_id=user.id, day=DAY)

    assert [q.quest_type for q in first] == [q["type"] for q in QUEST_TYPES]
    assert [q.id for q in again] == [q.id for q in first]
    assert count(session, DailyQuest, DailyQuest.user_id == user.id) == len(QUEST_TYPES)
    lesson = next(q for q in first if q.quest_type == "lesson_step")
    assert (lesson.target, lesson.progress, lesson.xp_reward, lesson.coin_reward) == (3, 0, 25, 10)
    assert (lesson.completed, lesson.claimed, lesson.quest_date) == (False, False, DAY)


def test_later_loads_of_the_day_only_read(session):
    user = make_user(session)
    with count_queries(session) as first:
        ensure_daily_quests(session=session, user_id=user.id, day=date(2026, 3, 2))
    with count_queries(session) as later:
        quests = ensure_daily_quests(session=session, user_id=user.id, day=date(2026, 3, 2))
    assert any(statement.lstrip().upper().startswith("INSERT") for statement in first)
    assert len(later) == 1 and later[0].lstrip().upper().startswith("SELECT")
    assert [q.quest_type for q in quests] == [q["type"] for q in QUEST_TYPES]


def test_a_new_day_brings_new_quests(session):
    user = make_user(session)
    today = ensure_daily_quests(session=session, user_id=user.id, day=DAY)
    tomorrow = ensure_daily_quests(session=session, user_id=user.id, day=DAY + timedelta(days=1))

    assert {q.id for q in today}.isdisjoint({q.id for q in tomorrow})
    assert count(session, DailyQuest, DailyQuest.user_id == user.id) == 2 * len(QUEST_TYPES)
    assert ensure_daily_quests(session=session, user_id=make_user(session).id, day=DAY)[0].progress == 0


def test_progress_is_capped_at_the_target(session):
    user = make_user(session)
    ensure_daily_quests(session=session, user_id=user.id, day=DAY)

    two = record_quest_progress(session=session, user_id=user.id, quest_type="lesson_step", day=DAY, amount=2)
    assert (two.progress, two.completed) == (2, False)
    capped = record_quest_progress(session=session, user_id=user.id, quest_type="lesson_step", day=DAY, amount=5)
    assert (capped.progress, capped.completed) == (3, True)
    still = record_quest_progress(session=session, user_id=user.id, quest_type="lesson_step", day=DAY)
    assert (still.progress, still.completed, still.id) == (3, True, capped.id)
    assert session.get(DailyQuest, uuid.UUID(capped.id)).completed_at is not None


def test_progress_before_the_list_was_opened_still_counts(session):
    user = make_user(session)
    quest = record_quest_progress(session=session, user_id=user.id, quest_type="venue_visit", day=DAY)
    assert (quest.progress, quest.completed) == (1, True)
    assert count(session, DailyQuest, DailyQuest.user_id == user.id) == len(QUEST_TYPES)
    listed = {q.quest_type: q for q in ensure_daily_quests(session=session, user_id=user.id, day=DAY)}
    assert listed["venue_visit"].progress == 1 and listed["lesson_step"].progress == 0


def test_unknown_quest_types_and_bad_amounts(session):
    user = make_user(session)
    assert record_quest_progress(session=session, user_id=user.id, quest_type="no_such", day=DAY) is None
    for amount in (0, -1, 1001, 1.5, True, "2"):
        with pytest.raises(ValidationError):
            record_quest_progress(session=session, user_id=user.id, quest_type="lesson_step", day=DAY, amount=amount)
    for day in ("2026-11-21", datetime(2026, 11, 21), None):
        with pytest.raises(ValidationError):
            ensure_daily_quests(session=session, user_id=user.id, day=day)
    assert count(session, DailyQuest, DailyQuest.user_id == user.id) == 0


def test_claiming_before_completion_is_refused(session):
    user = make_user(session)
    quest = next(
        q for q in ensure_daily_quests(session=session, user_id=user.id, day=DAY) if q.quest_type == "lesson_step"
    )
    record_quest_progress(session=session, user_id=user.id, quest_type="lesson_step", day=DAY)

    with pytest.raises(ValidationError, match=r"Finish this quest before claiming its reward \(1 of 3 done\)"):
        claim_quest(session=session, user_id=user.id, quest_id=quest.id)

    assert count(session, RewardLedger, RewardLedger.user_id == user.id) == 0
    assert session.get(DailyQuest, uuid.UUID(quest.id)).claimed_at is None


def test_a_claim_pays_once(session):
    user = make_user(session)
    quest = _complete(session, user)

    first = claim_quest(session=session, user_id=user.id, quest_id=quest.id)
    second = claim_quest(session=session, user_id=user.id, quest_id=uuid.UUID(quest.id))

    assert (first.claimed_now, first.already_claimed, first.xp_paid, first.coins_paid) == (True, False, 25, 15)
    assert (second.claimed_now, second.already_claimed, second.xp_paid, second.coins_paid) == (False, True, 0, 0)
    assert first.quest.claimed and second.quest.claimed
    assert balances(session, user.id) == {"xp": 25, "coins": 15, "tickets": 0}
    assert ledger_totals(session=session, user_id=user.id) == balances(session, user.id)
    assert count(session, RewardLedger, RewardLedger.user_id == user.id, RewardLedger.reason == "daily_quest") == 2


def test_another_learner_cannot_claim(session):
    owner, other = make_user(session), make_user(session)
    quest = _complete(session, owner)

    for quest_id in (quest.id, str(uuid.uuid4()), "not-a-uuid", None):
        with pytest.raises(ValidationError, match="could not find this quest"):
            claim_quest(session=session, user_id=other.id, quest_id=quest_id)

    assert balances(session, other.id) == balances(session, owner.id) == {"xp": 0, "coins": 0, "tickets": 0}
    assert session.get(DailyQuest, uuid.UUID(quest.id)).claimed_at is None
    assert claim_quest(session=session, user_id=owner.id, quest_id=quest.id).claimed_now


def test_the_quest_day_is_the_learners_own_date():
    late_in_london = datetime(2026, 12, 2, 23, 30, tzinfo=UTC)
    assert local_day("UTC", late_in_london) == date(2026, 12, 2)
    assert local_day("Asia/Tokyo", late_in_london) == date(2026, 12, 3)  # 08:30 the next morning
    assert local_day("America/Los_Angeles", late_in_london) == date(2026, 12, 2)  # 15:30
    assert local_day("UTC") == datetime.now(UTC).date()


def test_claiming_every_quest_of_the_day_pays_one_ticket_once(session):
    user = make_user(session)
    done = [_complete(session, user, quest_type=q["type"]) for q in QUEST_TYPES]
    claims = [claim_quest(session=session, user_id=user.id, quest_id=q.id) for q in done]
    assert [c.tickets_paid for c in claims] == [0] * (len(done) - 1) + [1]
    again = claim_quest(session=session, user_id=user.id, quest_id=done[-1].id)
    assert again.already_claimed and again.tickets_paid == 0
    assert balances(session, user.id)["tickets"] == 1
    assert count(session, RewardLedger, RewardLedger.user_id == user.id, RewardLedger.reason == "daily_quests_all") == 1
    assert ledger_totals(session=session, user_id=user.id) == balances(session, user.id)


def test_an_unclaimed_quest_of_the_day_holds_the_ticket_back(session):
    user = make_user(session)
    first, second = (_complete(session, user, quest_type=q["type"]) for q in QUEST_TYPES[:2])
    claims = [claim_quest(session=session, user_id=user.id, quest_id=q.id) for q in (first, second)]
    assert [c.tickets_paid for c in claims] == [0, 0] and balances(session, user.id)["tickets"] == 0
    # Yesterday's set does not count towards today's.
    other_day = [_complete(session, user, quest_type=q["type"], day=DAY - timedelta(days=1)) for q in QUEST_TYPES]
    assert [claim_quest(session=session, user_id=user.id, quest_id=q.id).tickets_paid for q in other_day][-1] == 1
    assert balances(session, user.id)["tickets"] == 1
