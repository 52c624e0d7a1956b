"""The economy ledger: pays once per key, never below zero, balances equal the ledger."""

from __future__ import annotations

import pytest

from speakpro.models import UserProfile
from speakpro.services.learning.economy import (
    TICKET_PRICE_COINS,
    EconomyError,
    InsufficientBalance,
    apply_reward,
    buy_ticket,
    ledger_totals,
)
from tests.factories import make_user


def test_a_reward_pays_once_per_source_key(session):
    user = make_user(session)
    first = apply_reward(session=session, user_id=user.id, currency="coins", amount=50, reason="quest", source_key="q1")
    again = apply_reward(session=session, user_id=user.id, currency="coins", amount=50, reason="quest", source_key="q1")
    assert (first.applied, first.balance) == (True, 50)
    assert (again.applied, again.balance) == (False, 50)
    assert session.get(UserProfile, user.id).coins == 50


def test_a_spend_never_goes_below_zero_and_changes_nothing(session):
    user = make_user(session)
    apply_reward(session=session, user_id=user.id, currency="tickets", amount=2, reason="module", source_key="A")
    with pytest.raises(InsufficientBalance, match="you have 2, this needs 3"):
        apply_reward(session=session, user_id=user.id, currency="tickets", amount=-3, reason="venue", source_key="v1")
    assert ledger_totals(session=session, user_id=user.id)["tickets"] == 2
    spent = apply_reward(
        session=session, user_id=user.id, currency="tickets", amount=-2, reason="venue", source_key="v1"
    )
    assert spent.balance == 0


def test_bad_requests_are_refused(session):
    user = make_user(session)
    with pytest.raises(EconomyError):
        apply_reward(session=session, user_id=user.id, currency="gems", amount=1, reason="x", source_key="1")
    with pytest.raises(EconomyError):
        apply_reward(session=session, user_id=user.id, currency="xp", amount=0, reason="x", source_key="1")


def test_coins_buy_a_ticket_once_per_click(session):
    user = make_user(session)
    apply_reward(session=session, user_id=user.id, currency="coins", amount=100, reason="test", source_key="seed")
    first = buy_ticket(session=session, user_id=user.id, request_key="a" * 32)
    again = buy_ticket(session=session, user_id=user.id, request_key="a" * 32)  # the same click, retried
    assert (first.bought_now, first.coins, first.tickets) == (True, 100 - TICKET_PRICE_COINS, 1)
    assert (again.bought_now, again.coins, again.tickets) == (False, 100 - TICKET_PRICE_COINS, 1)
    second = buy_ticket(session=session, user_id=user.id, request_key="b" * 32)
    assert (second.coins, second.tickets) == (100 - 2 * TICKET_PRICE_COINS, 2)
    assert ledger_totals(session=session, user_id=user.id) == {"xp": 0, "coins": 20, "tickets": 2}


def test_a_ticket_needs_enough_coins_and_a_readable_click(session):
    user = make_user(session)
    apply_reward(session=session, user_id=user.id, currency="coins", amount=25, reason="test", source_key="seed")
    with pytest.raises(InsufficientBalance, match="you have 25, this needs 40"):
        buy_ticket(session=session, user_id=user.id, request_key="c" * 32)
    for key in ("", "short", "x" * 65, "with spaces in the key!", None):
        with pytest.raises(EconomyError):
            buy_ticket(session=session, user_id=user.id, request_key=key)  # type: ignore[arg-type]
    assert ledger_totals(session=session, user_id=user.id) == {"xp": 0, "coins": 25, "tickets": 0}
