"""Daily quests: a fresh set each day, progress fed by the learning loop, rewards claimed once.

A learner's "day" is their date in their own time zone (`accounts/time_zones.py`): quests roll over at the
learner's midnight, by the server's clock and the zone on record, never the browser's clock.

Quests are generated from `speakpro.seed.content.QUEST_TYPES`, one per type per learner per day; the
UNIQUE (user_id, quest_date, quest_type) constraint and INSERT ... ON CONFLICT DO NOTHING make
generation safe when two requests race. Rewards go through the ledger (`apply_reward`, reason
"daily_quest", source key = the quest id), so a quest pays at most once.

Lock order, shared with `services/world/venues.py` to rule out deadlocks: quest row, then the profile row
(which `apply_reward` locks).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Uuid, bindparam, case, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from speakpro.models import DailyQuest, table_of, utcnow
from speakpro.seed.content import QUEST_TYPES
from speakpro.services.learning.economy import apply_reward
from speakpro.services.telemetry import record_event
from speakpro.services.validation import ValidationError, parse_id

log = logging.getLogger(__name__)

MAX_PROGRESS_STEP = 1000


@dataclass(frozen=True)
class QuestView:
    """One quest of one learner on one day."""

    id: str
    quest_type: str
    title: str
    quest_date: date
    target: int
    progress: int
    xp_reward: int
    coin_reward: int
    completed: bool
    claimed: bool


@dataclass(frozen=True)
class ClaimResult:
    """The outcome of a claim: what this call paid (0 when the quest had been claimed already)."""

    quest: QuestView
    claimed_now: bool
    already_claimed: bool
    xp_paid: int
    coins_paid: int
    tickets_paid: int = 0  # the day's bonus, paid with the claim that completes the day's set


ALL_CLAIMED_TICKETS = 1  # claiming every quest of a day pays a ticket
ALL_CLAIMED_REASON = "daily_quests_all"


def _view(row) -> QuestView:
    return QuestView(
        id=str(row.id),
        quest_type=row.quest_type,
        title=row.title,
        quest_date=row.quest_date,
        target=row.target,
        progress=row.progress,
        xp_reward=row.xp_reward,
        coin_reward=row.coin_reward,
        completed=row.completed_at is not None,
        claimed=row.claimed_at is not None,
    )


def _check_day(day: object) -> date:
    if isinstance(day, datetime) or not isinstance(day, date):
        raise ValidationError("day", "A quest day must be a date.")
    return day


def _insert_quests(session: Session, user_id: uuid.UUID, day: date) -> None:
    rows = [
        {
            "id": uuid.uuid4(),
            "user_id": user_id,
            "quest_date": day,
            "quest_type": q["type"],
            "title": q["title"],
            "target": q["target"],
            "xp_reward": q["xp"],
            "coin_reward": q["coins"],
        }
        for q in QUEST_TYPES
    ]
    if rows:
        session.execute(
            insert(DailyQuest)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["user_id", "quest_date", "quest_type"])
        )


_QUESTS = table_of(DailyQuest).c
# Hot reads, built once (see `db.py`).
_DAY_ROWS = select(*_QUESTS).where(
    _QUESTS.user_id == bindparam("user_id", type_=Uuid), _QUESTS.quest_date == bindparam("day", type_=Date)
)


_LOCK_QUEST = select(*_QUESTS).where(_QUESTS.id == bindparam("id", type_=Uuid)).with_for_update()


def _day_rows(session: Session, user_id: uuid.UUID, day: date) -> list[Any]:
    return list(session.execute(_DAY_ROWS, {"user_id": user_id, "day": day}).all())


def ensure_daily_quests(*, session: Session, user_id: uuid.UUID, day: date) -> list[QuestView]:
    """Create the learner's quests for `day` if they do not exist yet, and return them.

    Safe to call on every page load and from concurrent requests: each (learner, day, type) gets one row.

    Args:
        session: The caller's session.
        user_id: The learner.
        day: The learner's date (see the module docstring).

    Returns:
        The day's quests in the order of `QUEST_TYPES` (types no longer offered come last).

    Raises:
        ValidationError: When `day` is not a date.
    """
    day = _check_day(day)
    # One read on every load but the day's first, which writes the missing quests (no write attempt
    # otherwise) and reads again.
    rows = _day_rows(session, user_id, day)
    if not {q["type"] for q in QUEST_TYPES} <= {r.quest_type for r in rows}:
        _insert_quests(session, user_id, day)
        rows = _day_rows(session, user_id, day)
    position = {q["type"]: i for i, q in enumerate(QUEST_TYPES)}
    return [_view(r) for r in sorted(rows, key=lambda r: (position.get(r.quest_type, len(position)), r.quest_type))]


def record_quest_progress(
    *, session: Session, user_id: uuid.UUID, quest_type: str, day: date, amount: int = 1
) -> QuestView | None:
    """Add progress to one of the learner's quests of `day`, never beyond its target.

    The day's quests are generated first if needed, so an action done before the learner opened the
    quest list still counts. The increment is one atomic UPDATE (progress = LEAST(target, progress + n)),
    so concurrent calls never lose a step nor overshoot, and `completed_at` is set by the call that
    reaches the target.

    This function does not know which action it is counting: the CALLER must call it exactly once per
    new action (e.g. when a venue visit becomes finished, not when a finished visit is fetched again).
    Retries of an already counted action must not call it again; the cap at the target bounds the
    damage of a mistake, it does not make calls idempotent.

    Args:
        session: The caller's session; the change commits with the caller's transaction.
        user_id: The learner.
        quest_type: One of the `type`s in `QUEST_TYPES` (e.g. "venue_visit", "lesson_step").
        day: The learner's date of the action (see the module docstring).
        amount: How many steps the action counts for (1 to 1000).

    Returns:
        The quest after the update, or None when `quest_type` is not a quest SpeakPro offers (a hook in the
        learning loop must never make the learner's action fail; the mistake is logged).

    Raises:
        ValidationError: When `day` is not a date or `amount` is not a whole number from 1 to 1000.
    """
    day = _check_day(day)
    if isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= MAX_PROGRESS_STEP:
        raise ValidationError("amount", f"Quest progress must be a whole number from 1 to {MAX_PROGRESS_STEP}.")
    if quest_type not in {q["type"] for q in QUEST_TYPES}:
        log.warning("progress for unknown quest type %r ignored", quest_type)
        return None
    _insert_quests(session, user_id, day)
    mine = (
        col(DailyQuest.user_id) == user_id,
        col(DailyQuest.quest_date) == day,
        col(DailyQuest.quest_type) == quest_type,
    )
    # In SET, every column reference is the value before the update, so `progress + n >= target` is
    # exactly "this call reaches the target".
    row = session.execute(
        update(DailyQuest)
        .where(*mine, col(DailyQuest.progress) < col(DailyQuest.target))
        .values(
            progress=func.least(col(DailyQuest.target), col(DailyQuest.progress) + amount),
            completed_at=case(
                (
                    col(DailyQuest.completed_at).is_(None)
                    & (col(DailyQuest.progress) + amount >= col(DailyQuest.target)),
                    func.now(),
                ),
                else_=col(DailyQuest.completed_at),
            ),
        )
        .returning(*table_of(DailyQuest).c)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:  # already at its target
        row = session.execute(select(*table_of(DailyQuest).c).where(*mine)).first()
    return _view(row) if row is not None else None


def claim_quest(*, session: Session, user_id: uuid.UUID, quest_id: uuid.UUID | str) -> ClaimResult:
    """Pay a completed quest's XP and coins to its owner, once; the claim that completes the day's set also
    pays `ALL_CLAIMED_TICKETS` (reason "daily_quests_all", source key = the day).

    The quest row is locked first, so of two concurrent claims the second waits, then sees the claim
    and pays nothing; the ledger key (reason "daily_quest", source key = quest id) is a second guard.
    Claims of two different quests of a day serialise on the profile row (`apply_reward` locks it before
    the claim is written), so the later one sees the earlier one's claim and pays the day's ticket.

    Args:
        session: The caller's session; the payment commits with the caller's transaction.
        user_id: The learner claiming; only the quest's owner may claim it.
        quest_id: The quest.

    Returns:
        What this call paid; `already_claimed=True` and nothing paid when the quest had been claimed.

    Raises:
        ValidationError: When the quest does not exist, is not this learner's, or is not completed yet.
    """
    quest_uuid = parse_id(quest_id, field="quest", message="We could not find this quest.")
    row = session.execute(_LOCK_QUEST, {"id": quest_uuid}).first()
    if row is None or row.user_id != user_id:
        raise ValidationError("quest", "We could not find this quest.")
    if row.claimed_at is not None:
        return ClaimResult(quest=_view(row), claimed_now=False, already_claimed=True, xp_paid=0, coins_paid=0)
    if row.completed_at is None:
        raise ValidationError(
            "quest", f"Finish this quest before claiming its reward ({row.progress} of {row.target} done)."
        )
    paid = {}
    for currency, amount in (("xp", row.xp_reward), ("coins", row.coin_reward)):
        paid[currency] = 0
        if amount:
            result = apply_reward(
                session=session,
                user_id=user_id,
                currency=currency,
                amount=amount,
                reason="daily_quest",
                source_key=str(quest_uuid),
            )
            paid[currency] = amount if result.applied else 0
    claimed = session.execute(
        update(DailyQuest)
        .where(col(DailyQuest.id) == quest_uuid)
        .values(claimed_at=utcnow())
        .returning(*table_of(DailyQuest).c)
        .execution_options(synchronize_session=False)
    ).one()
    unclaimed = session.execute(
        select(func.count())
        .select_from(DailyQuest)
        .where(
            col(DailyQuest.user_id) == user_id,
            col(DailyQuest.quest_date) == row.quest_date,
            col(DailyQuest.claimed_at).is_(None),
        )
    ).scalar_one()
    tickets = 0
    if unclaimed == 0:
        bonus = apply_reward(
            session=session,
            user_id=user_id,
            currency="tickets",
            amount=ALL_CLAIMED_TICKETS,
            reason=ALL_CLAIMED_REASON,
            source_key=row.quest_date.isoformat(),
        )
        tickets = ALL_CLAIMED_TICKETS if bonus.applied else 0
    record_event(
        session=session,
        event_type="daily_quest_claimed",
        user_id=user_id,
        data={
            "quest_type": row.quest_type,
            "quest_date": row.quest_date.isoformat(),
            "xp": paid["xp"],
            "coins": paid["coins"],
            "tickets": tickets,
        },
    )
    return ClaimResult(
        quest=_view(claimed),
        claimed_now=True,
        already_claimed=False,
        xp_paid=paid["xp"],
        coins_paid=paid["coins"],
        tickets_paid=tickets,
    )
