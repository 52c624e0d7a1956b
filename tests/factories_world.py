"""Factories and helpers for the world, venue and quest tests."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, delete, event, func, select
from sqlmodel import Session, SQLModel

from speakpro.models import (
    AnalyticsEvent,
    District,
    Level,
    Module,
    TelemetryEvent,
    User,
    UserProfile,
    UserVenueUnlock,
    Venue,
    VenueTaskSheet,
)
from speakpro.services.learning.economy import apply_reward

_SKIPPED = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def _token() -> str:
    return secrets.token_hex(4)


def make_district(session: Session, **values) -> District:
    token = _token()
    defaults = {
        "slug": f"district-{token}",
        "name": f"District {token}",
        "order": 900,
        "overview_media": {"image": "/districts/test.svg", "alt": "A test district"},
        "map_x": 40,
        "map_y": 60,
    }
    district = District(**{**defaults, **values})
    session.add(district)
    session.flush()
    return district


def exercises(count: int = 3) -> list[dict]:
    """A task sheet of `count` exercises, stored out of order to show that `order` decides."""
    items = [
        {"order": n, "kind": "speaking" if n % 2 else "writing", "prompt": f"Exercise {n}", "target_seconds": 30}
        for n in range(1, count + 1)
    ]
    return list(reversed(items))


def make_world_venue(
    session: Session,
    *,
    district: District | None = None,
    module: Module | None = None,
    ticket_cost: int = 1,
    xp_reward: int = 40,
    coin_reward: int = 20,
    exercise_count: int = 3,
    name: str = "Test venue",
) -> Venue:
    """A venue with a task sheet of `exercise_count` exercises, in a new district unless one is given."""
    district = district or make_district(session)
    venue = Venue(
        district_id=district.id,
        unlock_module_id=module.id if module else None,
        slug=f"venue-{_token()}",
        name=name,
        ticket_cost=ticket_cost,
        xp_reward=xp_reward,
        coin_reward=coin_reward,
        map_x=secrets.randbelow(101),
        map_y=secrets.randbelow(101),
    )
    session.add(venue)
    session.flush()
    session.add(VenueTaskSheet(venue_id=venue.id, title=f"Sheet of {name}", exercises=exercises(exercise_count)))
    session.flush()
    return venue


def unlock(session: Session, user: User, venue: Venue) -> None:
    session.add(UserVenueUnlock(user_id=user.id, venue_id=venue.id))
    session.flush()


def grant(session: Session, user_id: uuid.UUID, currency: str, amount: int) -> None:
    """Give a learner some currency through the ledger, so balances keep equalling the ledger sum."""
    apply_reward(
        session=session, user_id=user_id, currency=currency, amount=amount, reason="test_grant", source_key=_token()
    )


def balances(session: Session, user_id: uuid.UUID) -> dict[str, int]:
    row = session.execute(
        select(UserProfile.xp, UserProfile.coins, UserProfile.tickets).where(UserProfile.user_id == user_id)
    ).one()
    return {"xp": row.xp, "coins": row.coins, "tickets": row.tickets}


def count(session: Session, model: type[SQLModel], *where) -> int:
    session.flush()
    return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def answer(text: str = "Here is my answer.", **extra) -> dict:
    return {"text": text, **extra}


@contextmanager
def count_queries(engine: Engine) -> Iterator[list[str]]:
    """Collect the SQL statements run on `engine` inside the block (savepoint bookkeeping left out)."""
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(_SKIPPED):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def delete_committed(engine: Engine, *, user_ids=(), district_ids=(), level_ids=()) -> None:
    """Remove data a concurrency test committed (users cascade to their profiles, entries and ledger)."""
    with Session(engine) as session:
        if user_ids:
            session.execute(delete(AnalyticsEvent).where(AnalyticsEvent.user_id.in_(user_ids)))
            session.execute(delete(TelemetryEvent).where(TelemetryEvent.user_id.in_(user_ids)))
            session.execute(delete(User).where(User.id.in_(user_ids)))
        if district_ids:
            session.execute(delete(District).where(District.id.in_(district_ids)))
        if level_ids:
            session.execute(delete(Level).where(Level.id.in_(level_ids)))
        session.commit()
