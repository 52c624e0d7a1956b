"""Property: whatever awards, spends (also too large ones) and exact retries happen, every balance equals
the sum of its ledger rows and never goes below zero."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from speakpro.models import UserProfile
from speakpro.services.learning.economy import InsufficientBalance, apply_reward, ledger_totals
from tests.factories import make_user

CURRENCIES = ("xp", "coins", "tickets")

change = st.tuples(
    st.sampled_from(("award", "spend")),
    st.sampled_from(CURRENCIES),
    st.integers(min_value=1, max_value=150),
    st.sampled_from(("k1", "k2", "k3", "k4")),
)
# An operation is a new change, or the exact retry of an earlier one (by position, modulo the history).
operation = st.one_of(
    change.map(lambda c: ("new", c)),
    st.integers(min_value=0, max_value=50).map(lambda i: ("retry", i)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, min_size=1, max_size=25))
def test_balances_always_equal_the_ledger_and_stay_non_negative(session, operations):
    nested = session.begin_nested()
    try:
        user = make_user(session)
        history: list[tuple[str, str, int, str]] = []
        paid: set[tuple[str, str, str]] = set()  # (currency, reason, key) the model says was paid
        model = dict.fromkeys(CURRENCIES, 0)
        for kind, value in operations:
            if kind == "retry":
                if not history:
                    continue
                action, currency, amount, key = history[value % len(history)]
            else:
                action, currency, amount, key = value
                history.append(value)
            signed = amount if action == "award" else -amount
            unique = (currency, action, key)
            expected_applied = unique not in paid and model[currency] + signed >= 0
            try:
                result = apply_reward(
                    session=session, user_id=user.id, currency=currency, amount=signed, reason=action, source_key=key
                )
            except InsufficientBalance:
                assert unique not in paid and model[currency] + signed < 0
            else:
                assert result.applied == expected_applied
                if result.applied:
                    paid.add(unique)
                    model[currency] += signed
                assert result.balance == model[currency]
            balances = session.execute(
                select(UserProfile.xp, UserProfile.coins, UserProfile.tickets).where(UserProfile.user_id == user.id)
            ).one()
            totals = ledger_totals(session=session, user_id=user.id)
            assert dict(zip(CURRENCIES, balances, strict=True)) == totals == model
            assert min(balances) >= 0
    finally:
        nested.rollback()
