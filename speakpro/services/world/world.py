"""The world map: districts and venues as one learner sees them, and one venue's task sheet.

Reads only. Everything returned is a plain dataclass (ids as strings), never an ORM row, so a Reflex
state can hold it. The map costs a fixed number of queries however many venues there are.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlmodel import Session, col

from speakpro.models import (
    District,
    ExerciseSubmission,
    Module,
    UserProfile,
    UserVenueUnlock,
    Venue,
    VenueEntry,
    VenueTaskSheet,
)
from speakpro.services.analysis.audio_metrics import describe_delivery
from speakpro.services.validation import ValidationError

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


@dataclass(frozen=True)
class DistrictView:
    """One district on the map."""

    id: str
    slug: str
    name: str
    description: str
    order: int
    map_x: int
    map_y: int
    overview_image: str
    overview_alt: str
    fully_unlocked: bool
    venue_count: int
    unlocked_count: int


@dataclass(frozen=True)
class VenueView:
    """One venue on the map, with this learner's access and history there."""

    id: str
    slug: str
    name: str
    description: str
    district_slug: str
    district_name: str
    map_x: int
    map_y: int
    ticket_cost: int
    xp_reward: int
    coin_reward: int
    unlocked: bool
    unlock_module_code: str
    unlock_module_title: str
    visits: int
    finishes: int
    in_progress: bool
    affordable: bool


@dataclass(frozen=True)
class WorldMap:
    """Everything the map page shows for one learner."""

    districts: list[DistrictView]
    venues: list[VenueView]
    tickets: int
    coins: int = 0

    def venues_in(self, district_slug: str) -> list[VenueView]:
        """The venues of one district, in map order."""
        return [v for v in self.venues if v.district_slug == district_slug]


@dataclass(frozen=True)
class ExerciseView:
    """One exercise of a venue's task sheet; `done` refers to the learner's active visit."""

    order: int
    kind: str
    prompt: str
    target_seconds: int
    min_words: int
    done: bool
    score: int | None = None  # the local rubric's score of the shown visit's answer (None: not answered)
    on_topic: bool = True
    # What the answer's recording measured (`audio_metrics.describe_delivery`); "" without a measured recording.
    delivery: str = ""


@dataclass(frozen=True)
class VenueEntryView:
    """One visit of a learner to a venue.

    `step_index` counts the exercises answered; `next_exercise_order` is the one to answer now
    (0 when all are done). `opened_now` is True only in the answer of the call that opened the visit.
    """

    id: str
    venue_id: str
    venue_slug: str
    venue_name: str
    status: str
    step_index: int
    exercise_count: int
    next_exercise_order: int
    tickets_spent: int
    xp_awarded: int
    coins_awarded: int
    started_at: datetime
    finished_at: datetime | None
    opened_now: bool = False


@dataclass(frozen=True)
class VenueDetail:
    """A venue page: the venue, its task sheet, and whether (and how) this learner can go in."""

    venue: VenueView
    sheet_title: str
    exercises: list[ExerciseView]
    tickets: int
    can_enter: bool
    lock_reason: str
    active_entry: VenueEntryView | None = None
    last_finished: VenueEntryView | None = None  # the latest finished visit, when none is in progress


def tickets_phrase(count: int) -> str:
    """'1 ticket' or 'N tickets'."""
    return f"{count} ticket" if count == 1 else f"{count} tickets"


def sorted_exercises(raw: Any) -> list[dict[str, Any]]:
    """A task sheet's exercises in the order they are run (by their `order`, then by position)."""
    items = [e for e in (raw or []) if isinstance(e, dict)]
    return [e for _, e in sorted(enumerate(items), key=lambda p: (int(p[1].get("order", p[0] + 1)), p[0]))]


def lock_reason(*, venue_name: str, module_code: str | None, module_title: str | None) -> str:
    """What a learner must do to unlock a venue, in words fit to show them."""
    if module_code:
        return f"Finish module {module_code} ({module_title}) to unlock {venue_name}."
    return f"{venue_name} is not open to you yet."


def entry_view(
    entry: Any, *, venue_slug: str, venue_name: str, exercises: list[dict[str, Any]], opened_now: bool = False
) -> VenueEntryView:
    """The public shape of a `VenueEntry` (row or ORM object), given its venue and ordered exercises."""
    step = min(entry.step_index, len(exercises))
    next_order = int(exercises[step].get("order", step + 1)) if step < len(exercises) else 0
    return VenueEntryView(
        id=str(entry.id),
        venue_id=str(entry.venue_id),
        venue_slug=venue_slug,
        venue_name=venue_name,
        status=entry.status,
        step_index=entry.step_index,
        exercise_count=len(exercises),
        next_exercise_order=next_order,
        tickets_spent=entry.tickets_spent,
        xp_awarded=entry.xp_awarded,
        coins_awarded=entry.coins_awarded,
        started_at=entry.started_at,
        finished_at=entry.finished_at,
        opened_now=opened_now,
    )


def _venue_rows(session: Session, user_id: uuid.UUID, venue_slug: str | None = None) -> list[Any]:
    """Venues with their district, unlock module, this learner's unlock and visit counts: one query."""
    visits = (
        select(
            col(VenueEntry.venue_id),
            func.count().label("visits"),
            func.count().filter(col(VenueEntry.status) == "finished").label("finishes"),
            func.bool_or(col(VenueEntry.status) == "active").label("in_progress"),
        )
        .where(col(VenueEntry.user_id) == user_id)
        .group_by(col(VenueEntry.venue_id))
        .subquery()
    )
    stmt = (
        select(
            col(Venue.id),
            col(Venue.slug),
            col(Venue.name),
            col(Venue.description),
            col(Venue.map_x),
            col(Venue.map_y),
            col(Venue.ticket_cost),
            col(Venue.xp_reward),
            col(Venue.coin_reward),
            col(District.id).label("district_id"),
            col(District.slug).label("district_slug"),
            col(District.name).label("district_name"),
            col(Module.code).label("module_code"),
            col(Module.title).label("module_title"),
            col(UserVenueUnlock.id).is_not(None).label("unlocked"),
            func.coalesce(visits.c.visits, 0).label("visits"),
            func.coalesce(visits.c.finishes, 0).label("finishes"),
            func.coalesce(visits.c.in_progress, False).label("in_progress"),
        )
        .join(District, col(District.id) == col(Venue.district_id))
        .outerjoin(Module, col(Module.id) == col(Venue.unlock_module_id))
        .outerjoin(
            UserVenueUnlock,
            and_(col(UserVenueUnlock.venue_id) == col(Venue.id), col(UserVenueUnlock.user_id) == user_id),
        )
        .outerjoin(visits, visits.c.venue_id == Venue.id)
        .order_by(col(District.order), col(District.slug), col(Venue.ticket_cost), col(Venue.name), col(Venue.slug))
    )
    if venue_slug is not None:
        stmt = stmt.where(col(Venue.slug) == venue_slug)
    return list(session.execute(stmt).all())


def _venue_view(row: Any, tickets: int) -> VenueView:
    return VenueView(
        id=str(row.id),
        slug=row.slug,
        name=row.name,
        description=row.description,
        district_slug=row.district_slug,
        district_name=row.district_name,
        map_x=row.map_x,
        map_y=row.map_y,
        ticket_cost=row.ticket_cost,
        xp_reward=row.xp_reward,
        coin_reward=row.coin_reward,
        unlocked=bool(row.unlocked),
        unlock_module_code=row.module_code or "",
        unlock_module_title=row.module_title or "",
        visits=int(row.visits),
        finishes=int(row.finishes),
        in_progress=bool(row.in_progress),
        affordable=bool(row.unlocked) and (bool(row.in_progress) or tickets >= row.ticket_cost),
    )


def _profile(session: Session, user_id: uuid.UUID) -> tuple[int, int, dict]:
    row = session.execute(
        select(col(UserProfile.tickets), col(UserProfile.coins), col(UserProfile.district_full_access)).where(
            col(UserProfile.user_id) == user_id
        )
    ).first()
    if row is None:
        return 0, 0, {}
    return row.tickets, row.coins, row.district_full_access or {}


def get_world_map(*, session: Session, user_id: uuid.UUID) -> WorldMap:
    """The districts and venues of the map as one learner sees them, in three queries.

    Args:
        session: An open session.
        user_id: The learner.

    Returns:
        Districts in map order, every venue with the learner's unlock, visit counts and the module that
        unlocks it, and the learner's ticket and coin balances (0 for a user without a profile).
    """
    tickets, coins, full_access = _profile(session, user_id)
    districts = session.execute(
        select(
            col(District.id),
            col(District.slug),
            col(District.name),
            col(District.description),
            col(District.order),
            col(District.map_x),
            col(District.map_y),
            col(District.overview_media),
        ).order_by(col(District.order), col(District.slug))
    ).all()
    venues = [_venue_view(row, tickets) for row in _venue_rows(session, user_id)]
    district_views = []
    for d in districts:
        mine = [v for v in venues if v.district_slug == d.slug]
        media = d.overview_media or {}
        district_views.append(
            DistrictView(
                id=str(d.id),
                slug=d.slug,
                name=d.name,
                description=d.description,
                order=d.order,
                map_x=d.map_x,
                map_y=d.map_y,
                overview_image=str(media.get("image", "")),
                overview_alt=str(media.get("alt", "")),
                fully_unlocked=bool(full_access.get(d.slug)),
                venue_count=len(mine),
                unlocked_count=sum(1 for v in mine if v.unlocked),
            )
        )
    return WorldMap(districts=district_views, venues=venues, tickets=tickets, coins=coins)


def _exercise_scores(session: Session, entry_id: uuid.UUID) -> dict[int, tuple[int | None, bool, str]]:
    """The score, relevance and measured delivery of a visit's answers by exercise order (one query; answers
    stored before scoring have no score)."""
    rows = session.execute(
        select(col(ExerciseSubmission.payload), col(ExerciseSubmission.scores)).where(
            col(ExerciseSubmission.venue_entry_id) == entry_id
        )
    ).all()
    scored: dict[int, tuple[int | None, bool, str]] = {}
    for payload, scores in rows:
        scores = scores or {}
        order, score = (payload or {}).get("exercise_order"), scores.get("score")
        if isinstance(order, int):
            scored[order] = (
                score if isinstance(score, int) else None,
                bool(scores.get("on_topic", True)),
                describe_delivery(scores.get("delivery")),
            )
    return scored


def get_venue(*, session: Session, user_id: uuid.UUID, venue_slug: str) -> VenueDetail:
    """One venue's page for one learner: its task sheet, access and the learner's active visit.

    Args:
        session: An open session.
        user_id: The learner.
        venue_slug: The venue's slug (from the URL).

    Returns:
        The venue, its exercises in order (marked done for the active visit), the ticket balance,
        whether the learner can enter now and, if not, why.

    Raises:
        ValidationError: When no venue has this slug.
    """
    slug = (venue_slug or "").strip().lower() if isinstance(venue_slug, str) else ""
    rows = _venue_rows(session, user_id, slug) if _SLUG.match(slug) else []
    if not rows:
        raise ValidationError("venue", "This venue does not exist.")
    row = rows[0]
    tickets, _, _ = _profile(session, user_id)
    venue = _venue_view(row, tickets)
    sheet = session.execute(
        select(col(VenueTaskSheet.title), col(VenueTaskSheet.exercises)).where(col(VenueTaskSheet.venue_id) == row.id)
    ).first()
    exercises = sorted_exercises(sheet.exercises if sheet else [])
    active = session.execute(
        select(VenueEntry)
        .where(
            col(VenueEntry.user_id) == user_id, col(VenueEntry.venue_id) == row.id, col(VenueEntry.status) == "active"
        )
        .order_by(col(VenueEntry.started_at).desc())
        .limit(1)
    ).scalar_one_or_none()
    active_view = entry_view(active, venue_slug=row.slug, venue_name=row.name, exercises=exercises) if active else None
    finished_view, finished = None, None
    if active is None and row.finishes:
        finished = session.execute(
            select(VenueEntry)
            .where(
                col(VenueEntry.user_id) == user_id,
                col(VenueEntry.venue_id) == row.id,
                col(VenueEntry.status) == "finished",
            )
            .order_by(col(VenueEntry.finished_at).desc())
            .limit(1)
        ).scalar_one_or_none()
        if finished is not None:
            finished_view = entry_view(finished, venue_slug=row.slug, venue_name=row.name, exercises=exercises)
    # A visit in progress shows how far it got; a finished venue shows its last visit's exercises as done.
    done = active_view.step_index if active_view else len(exercises) if finished_view else 0
    shown = active or (finished if finished_view is not None else None)
    scored = _exercise_scores(session, shown.id) if shown is not None else {}
    exercise_views = []
    for i, e in enumerate(exercises):
        order = int(e.get("order", i + 1))
        score, on_topic, delivery = scored.get(order, (None, True, ""))
        exercise_views.append(
            ExerciseView(
                order=order,
                kind=str(e.get("kind", "speaking")),
                prompt=str(e.get("prompt", "")),
                target_seconds=int(e.get("target_seconds") or 0),
                min_words=int(e.get("min_words") or 0),
                done=i < done,
                score=score,
                on_topic=on_topic,
                delivery=delivery,
            )
        )
    if not venue.unlocked:
        reason = lock_reason(venue_name=row.name, module_code=row.module_code, module_title=row.module_title)
    elif not exercises:
        reason = f"{row.name} has no exercises yet."
    elif active_view is None and tickets < row.ticket_cost:
        reason = f"You need {tickets_phrase(row.ticket_cost)} to enter {row.name}; you have {tickets}."
    else:
        reason = ""
    return VenueDetail(
        venue=venue,
        sheet_title=sheet.title if sheet else "",
        exercises=exercise_views,
        tickets=tickets,
        can_enter=not reason,
        lock_reason=reason,
        active_entry=active_view,
        last_finished=finished_view,
    )
