"""The economy: every XP, coin and ticket change goes through `apply_reward`.

Each change writes one `RewardLedger` row and the profile balance in the caller's transaction. The row
is keyed on (user, currency, reason, source key), and the profile row is locked first, so a repeated or
concurrent request for the same reward pays exactly once and a spend never takes a balance below zero.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from speakpro.models import RewardLedger, UserProfile
from speakpro.models.economy import CURRENCIES
from speakpro.services.learning.streak import MAX_FREEZES_HELD, STREAK_FREEZE, read_streak
from speakpro.services.telemetry import record_event


class EconomyError(ValueError):
    """A reward or spend that cannot be applied; the message is fit to show the learner."""


class InsufficientBalance(EconomyError):
    """A spend larger than the balance."""


@dataclass(frozen=True)
class RewardResult:
    """What happened: whether this call changed the balance, and the balance now."""

    applied: bool
    balance: int


def apply_reward(
    *, session: Session, user_id: uuid.UUID, currency: str, amount: int, reason: str, source_key: str
) -> RewardResult:
    """Credit (positive amount) or spend (negative amount) one currency, once per source key.

    Args:
        session: The caller's session; the change commits with the caller's transaction.
        user_id: Whose balance changes.
        currency: "xp", "coins" or "tickets".
        amount: Non-zero signed amount.
        reason: Why (e.g. "module_completed", "venue_entry").
        source_key: What it is for (e.g. a module id); with `reason` it makes the change unique.

    Returns:
        `applied=False` with the current balance when this exact change was already made.

    Raises:
        EconomyError: For an unknown currency, a zero amount or a missing profile.
        InsufficientBalance: When a spend would take the balance below zero.
    """
    if currency not in CURRENCIES:
        raise EconomyError(f"Unknown currency '{currency}'.")
    if amount == 0:
        raise EconomyError("An amount of zero changes nothing.")
    column = getattr(UserProfile, currency)
    # Lock the balance row: concurrent changes for one user run one after another.
    balance = session.execute(
        select(column).where(col(UserProfile.user_id) == user_id).with_for_update()
    ).scalar_one_or_none()
    if balance is None:
        raise EconomyError("No profile for this user.")
    already = session.execute(
        select(col(RewardLedger.id)).where(
            col(RewardLedger.user_id) == user_id,
            col(RewardLedger.currency) == currency,
            col(RewardLedger.reason) == reason,
            col(RewardLedger.source_key) == source_key,
        )
    ).first()
    if already is not None:
        return RewardResult(applied=False, balance=balance)
    new_balance = balance + amount
    if new_balance < 0:
        raise InsufficientBalance(f"Not enough {currency}: you have {balance}, this needs {-amount}.")
    session.execute(
        insert(RewardLedger)
        .values(
            id=uuid.uuid4(),
            user_id=user_id,
            currency=currency,
            amount=amount,
            balance_after=new_balance,
            reason=reason,
            source_key=source_key,
        )
        # The profile lock above already serialises this user; the key is the last line of defence.
        .on_conflict_do_nothing(index_elements=["user_id", "currency", "reason", "source_key"])
    )
    session.execute(update(UserProfile).where(col(UserProfile.user_id) == user_id).values({currency: new_balance}))
    return RewardResult(applied=True, balance=new_balance)


def ledger_totals(*, session: Session, user_id: uuid.UUID) -> dict[str, int]:
    """The sum of the ledger per currency for one user (what the balances must equal)."""
    rows = session.execute(
        select(col(RewardLedger.currency), func.coalesce(func.sum(col(RewardLedger.amount)), 0))
        .where(col(RewardLedger.user_id) == user_id)
        .group_by(RewardLedger.currency)
    ).all()
    totals: dict[str, int] = dict.fromkeys(CURRENCIES, 0)
    totals.update({currency: int(total) for currency, total in rows})
    return totals


# --- the ticket shop --------------------------------------------------------------------------------------

TICKET_PRICE_COINS = 40  # a day of daily quests (50 coins) buys a ticket; every module pays 50-60 coins
TICKET_PURCHASE = "ticket_purchase"


@dataclass(frozen=True)
class TicketPurchase:
    """What `buy_ticket` did: whether this call bought the ticket, and the balances now."""

    bought_now: bool
    coins: int
    tickets: int


def _check_request_key(request_key: object) -> None:
    """A purchase's request key: one per click, made by the page (16-64 letters and digits)."""
    if not isinstance(request_key, str) or not 16 <= len(request_key) <= 64 or not request_key.isalnum():
        raise EconomyError("This purchase could not be read. Reload the page and try again.")


def buy_ticket(*, session: Session, user_id: uuid.UUID, request_key: str) -> TicketPurchase:
    """Trade `TICKET_PRICE_COINS` coins for one ticket, once per request key (a doubled or retried click
    buys one ticket): both ledger rows carry the key, and the profile row is locked by the first.

    Raises:
        EconomyError: For a missing or malformed request key.
        InsufficientBalance: With fewer coins than the price ("Not enough coins: you have 25, this needs 40.").
    """
    _check_request_key(request_key)
    spent = apply_reward(
        session=session,
        user_id=user_id,
        currency="coins",
        amount=-TICKET_PRICE_COINS,
        reason=TICKET_PURCHASE,
        source_key=request_key,
    )
    got = apply_reward(
        session=session, user_id=user_id, currency="tickets", amount=1, reason=TICKET_PURCHASE, source_key=request_key
    )
    if spent.applied:
        record_event(
            session=session, event_type="ticket_purchased", user_id=user_id, data={"coins": TICKET_PRICE_COINS}
        )
    return TicketPurchase(bought_now=spent.applied, coins=spent.balance, tickets=got.balance)


# --- streak freezes ---------------------------------------------------------------------------------------

STREAK_FREEZE_PRICE_COINS = 60  # a little more than a day of daily quests (50 coins)


@dataclass(frozen=True)
class FreezePurchase:
    """What `buy_streak_freeze` did: whether this call bought the freeze, the coins and freezes held now."""

    bought_now: bool
    coins: int
    freezes_held: int


def buy_streak_freeze(
    *, session: Session, user_id: uuid.UUID, request_key: str, today: date, time_zone: str
) -> FreezePurchase:
    """Trade `STREAK_FREEZE_PRICE_COINS` coins for a streak freeze (see `learning/streak.py`), once per
    request key, while the learner holds fewer than `MAX_FREEZES_HELD`. The purchase is the ledger row itself
    (reason `STREAK_FREEZE`); `today` is the learner's date in `time_zone`.

    Raises:
        EconomyError: For a malformed request key, or when the learner already holds the most freezes.
        InsufficientBalance: With fewer coins than the price.
    """
    _check_request_key(request_key)
    # The profile row first: two purchases at once are counted one after the other.
    session.execute(select(col(UserProfile.user_id)).where(col(UserProfile.user_id) == user_id).with_for_update())
    replayed = session.execute(
        select(col(RewardLedger.balance_after)).where(
            col(RewardLedger.user_id) == user_id,
            col(RewardLedger.currency) == "coins",
            col(RewardLedger.reason) == STREAK_FREEZE,
            col(RewardLedger.source_key) == request_key,
        )
    ).scalar_one_or_none()
    held = read_streak(session=session, user_id=user_id, today=today, time_zone=time_zone).freezes_held
    if replayed is None and held >= MAX_FREEZES_HELD:
        raise EconomyError(f"You already hold {MAX_FREEZES_HELD} streak freezes, the most you can hold.")
    spent = apply_reward(
        session=session,
        user_id=user_id,
        currency="coins",
        amount=-STREAK_FREEZE_PRICE_COINS,
        reason=STREAK_FREEZE,
        source_key=request_key,
    )
    if spent.applied:
        record_event(
            session=session,
            event_type="streak_freeze_bought",
            user_id=user_id,
            data={"coins": STREAK_FREEZE_PRICE_COINS},
        )
    return FreezePurchase(bought_now=spent.applied, coins=spent.balance, freezes_held=held + int(spent.applied))
