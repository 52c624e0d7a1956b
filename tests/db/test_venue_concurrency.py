"""Real concurrent transactions: tickets for 3 admit exactly 3 visits, a quest pays once, and a learner never
holds more streak freezes than the most they may.

These tests commit (each thread has its own connection and transaction), so they cannot use the
rolled-back `session` fixture: they build their data in committed transactions and delete it at the end.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlmodel import Session

from speakpro.models import District, RewardLedger, User, UserProfile, VenueEntry
from speakpro.services.learning.economy import (
    STREAK_FREEZE_PRICE_COINS,
    TICKET_PRICE_COINS,
    EconomyError,
    FreezePurchase,
    InsufficientBalance,
    TicketPurchase,
    buy_streak_freeze,
    buy_ticket,
    ledger_totals,
)
from speakpro.services.learning.quests import claim_quest, record_quest_progress
from speakpro.services.learning.streak import MAX_FREEZES_HELD
from speakpro.services.world.venues import enter_venue
from tests.factories import make_module, make_user, today
from tests.factories_world import balances, count, delete_committed, grant, make_district, make_world_venue, unlock

THREADS = 50
DAY = date(2026, 11, 21)


def _run_together(engine, action) -> list[object]:
    """Run `action(session, index)` in THREADS threads released at the same moment, each in its own
    connection and transaction (committed on success, rolled back on an error); returns results or errors."""
    barrier = threading.Barrier(THREADS)

    def worker(index: int) -> object:
        with engine.connect() as connection, Session(bind=connection, expire_on_commit=False) as session:
            barrier.wait(timeout=60)
            try:
                result = action(session, index)
                session.commit()
                return result
            except Exception as error:  # noqa: BLE001 - the test sorts the outcomes
                session.rollback()
                return error

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(worker, range(THREADS)))


@pytest.fixture
def committed(engine):
    """Build committed data with `build(session)`; everything it made is deleted after the test."""
    made = {"user_ids": [], "district_ids": [], "level_ids": []}

    def build(fn):
        with Session(engine, expire_on_commit=False) as session:
            result = fn(session, made)
            session.commit()
        return result

    yield build
    delete_committed(engine, **made)
    with Session(engine) as session:
        assert count(session, User, User.id.in_(made["user_ids"])) == 0
        assert count(session, RewardLedger, RewardLedger.user_id.in_(made["user_ids"])) == 0
        assert count(session, District, District.id.in_(made["district_ids"])) == 0


def _learner(session, made, tickets: int) -> User:
    user = make_user(session)
    made["user_ids"].append(user.id)
    if tickets:
        grant(session, user.id, "tickets", tickets)
    return user


def _venues(session, made, user, how_many: int) -> list:
    module = make_module(session)
    made["level_ids"].append(module.level_id)
    district = make_district(session)
    made["district_ids"].append(district.id)
    venues = [make_world_venue(session, district=district, module=module, ticket_cost=1) for _ in range(how_many)]
    for venue in venues:
        unlock(session, user, venue)
    return venues


def _check_ledger(engine, user_id) -> dict[str, int]:
    with Session(engine) as session:
        now = balances(session, user_id)
        assert ledger_totals(session=session, user_id=user_id) == now
        return now


def test_fifty_simultaneous_entries_with_tickets_for_three_admit_exactly_three(engine, committed):
    def setup(session, made):
        user = _learner(session, made, tickets=3)
        return user.id, [v.id for v in _venues(session, made, user, THREADS)]

    user_id, venue_ids = committed(setup)

    outcomes = _run_together(
        engine,
        lambda s, i: enter_venue(session=s, user_id=user_id, venue_id=venue_ids[i], request_key=f"click-{i}"),
    )

    admitted = [o for o in outcomes if not isinstance(o, Exception)]
    refused = [o for o in outcomes if isinstance(o, InsufficientBalance)]
    assert len(admitted) == 3 and all(o.opened_now for o in admitted)
    assert len(refused) == THREADS - 3, Counter(type(o).__name__ for o in outcomes)
    assert all(str(o) == "You need 1 ticket to enter Test venue; you have 0." for o in refused)
    assert _check_ledger(engine, user_id)["tickets"] == 0
    with Session(engine) as session:
        assert count(session, VenueEntry, VenueEntry.user_id == user_id) == 3
        assert count(session, RewardLedger, RewardLedger.user_id == user_id, RewardLedger.reason == "venue_entry") == 3


def test_fifty_simultaneous_clicks_on_one_venue_open_one_visit_and_pay_once(engine, committed):
    def setup(session, made):
        user = _learner(session, made, tickets=3)
        return user.id, _venues(session, made, user, 1)[0].id

    user_id, venue_id = committed(setup)

    # Half the threads retry the same request; the others are fresh clicks on the same venue.
    outcomes = _run_together(
        engine,
        lambda s, i: enter_venue(
            session=s, user_id=user_id, venue_id=venue_id, request_key="same" if i % 2 else f"click-{i}"
        ),
    )

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert len({o.id for o in outcomes}) == 1
    assert sum(o.opened_now for o in outcomes) == 1
    assert _check_ledger(engine, user_id)["tickets"] == 2
    with Session(engine) as session:
        assert count(session, VenueEntry, VenueEntry.user_id == user_id) == 1


def test_fifty_simultaneous_claims_of_one_quest_pay_once(engine, committed):
    def setup(session, made):
        user = _learner(session, made, tickets=0)
        quest = record_quest_progress(session=session, user_id=user.id, quest_type="venue_visit", day=DAY)
        return user.id, quest.id

    user_id, quest_id = committed(setup)

    outcomes = _run_together(engine, lambda s, i: claim_quest(session=s, user_id=user_id, quest_id=quest_id))

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sum(o.claimed_now for o in outcomes) == 1
    assert sum(o.already_claimed for o in outcomes) == THREADS - 1
    assert sum(o.xp_paid for o in outcomes) == 25 and sum(o.coins_paid for o in outcomes) == 15
    now = _check_ledger(engine, user_id)
    assert (now["xp"], now["coins"]) == (25, 15)
    with Session(engine) as session:
        assert count(session, RewardLedger, RewardLedger.user_id == user_id, RewardLedger.reason == "daily_quest") == 2
        assert session.get(UserProfile, user_id) is not None


def test_the_days_last_quests_claimed_at_once_pay_its_ticket_exactly_once(engine, committed):
    from speakpro.seed.content import QUEST_TYPES

    def setup(session, made):
        user = _learner(session, made, tickets=0)
        ids = []
        for quest in QUEST_TYPES:
            done = record_quest_progress(
                session=session, user_id=user.id, quest_type=quest["type"], day=DAY, amount=quest["target"]
            )
            assert done is not None
            ids.append(done.id)
        return user.id, ids

    user_id, quest_ids = committed(setup)

    outcomes = _run_together(
        engine, lambda s, i: claim_quest(session=s, user_id=user_id, quest_id=quest_ids[i % len(quest_ids)])
    )

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sum(o.claimed_now for o in outcomes) == len(quest_ids)
    assert sum(o.tickets_paid for o in outcomes) == 1
    assert _check_ledger(engine, user_id)["tickets"] == 1


def test_fifty_simultaneous_ticket_purchases_spend_only_the_coins_there_are(engine, committed):
    def setup(session, made):
        user = _learner(session, made, tickets=0)
        grant(session, user.id, "coins", 3 * TICKET_PRICE_COINS + 10)
        return user.id

    user_id = committed(setup)
    # Every other thread retries one click; the rest are fresh clicks.
    outcomes = _run_together(
        engine,
        lambda s, i: buy_ticket(
            session=s, user_id=user_id, request_key="retriedclick0000" if i % 2 else f"freshclick{i:06d}"
        ),
    )
    bought = [o for o in outcomes if isinstance(o, TicketPurchase) and o.bought_now]
    assert len(bought) == 3, Counter(type(o).__name__ for o in outcomes)
    assert all(isinstance(o, (TicketPurchase, InsufficientBalance)) for o in outcomes), outcomes
    assert _check_ledger(engine, user_id) == {"xp": 0, "coins": 10, "tickets": 3}


def test_fifty_simultaneous_freeze_purchases_buy_only_as_many_as_a_learner_may_hold(engine, committed):
    def setup(session, made):
        user = _learner(session, made, tickets=0)
        grant(session, user.id, "coins", 10 * STREAK_FREEZE_PRICE_COINS)  # coins for far more than may be held
        return user.id

    user_id = committed(setup)
    outcomes = _run_together(
        engine,
        lambda s, i: buy_streak_freeze(
            session=s, user_id=user_id, request_key=f"freezeclick{i:06d}", today=today(), time_zone="UTC"
        ),
    )
    bought = [o for o in outcomes if isinstance(o, FreezePurchase) and o.bought_now]
    assert len(bought) == MAX_FREEZES_HELD, Counter(type(o).__name__ for o in outcomes)
    refused = [o for o in outcomes if isinstance(o, EconomyError)]
    assert len(refused) == THREADS - MAX_FREEZES_HELD and all("the most you can hold" in str(o) for o in refused)
    assert _check_ledger(engine, user_id)["coins"] == (10 - MAX_FREEZES_HELD) * STREAK_FREEZE_PRICE_COINS
