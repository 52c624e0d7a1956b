"""Each learner's time zone, and the learner's day it gives: the day of their streak and daily quests.

A day runs from the learner's own midnight to the next. The zone is an IANA name ("Europe/Paris") chosen in
onboarding (the browser's own zone, preselected) and on the account page; 'UTC' until then. Requests of a
signed-in learner take it from the viewer (`Viewer.today()`); work done for a learner outside a request (the
analysis worker) reads it with `learner_day`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import select, text, update
from sqlmodel import Session, col

from speakpro.models import UserProfile
from speakpro.services.validation import ValidationError

DEFAULT_TIME_ZONE = "UTC"
UNKNOWN_TIME_ZONE = "Choose your time zone from the list."
# The areas of the IANA database people live in (not the legacy aliases such as "US/Pacific" or "Etc/GMT+3").
_AREAS = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")


@cache
def time_zones() -> tuple[str, ...]:
    """Every zone a learner can choose, sorted, 'UTC' first."""
    named = sorted(name for name in available_timezones() if name.split("/", 1)[0] in _AREAS and "/" in name)
    return (DEFAULT_TIME_ZONE, *named)


@cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)  # never stored (see `save_time_zone`); a day is still a day


def local_day(time_zone: str, at: datetime | None = None) -> date:
    """The date in `time_zone` at `at` (now when None)."""
    return (at or datetime.now(UTC)).astimezone(_zone(time_zone)).date()


def validate_time_zone(value: object) -> str:
    """A zone from `time_zones()`, or a ValidationError on the field "time_zone"."""
    name = value.strip() if isinstance(value, str) else ""
    if name not in time_zones():
        raise ValidationError("time_zone", UNKNOWN_TIME_ZONE)
    return name


def save_time_zone(*, session: Session, user_id: uuid.UUID, time_zone: object) -> str:
    """Validate and store the learner's zone; returns it. The database must know the zone too (it computes
    days in it when it counts the streak), so one it does not know is refused like any unknown name."""
    name = validate_time_zone(time_zone)
    known = session.execute(text("SELECT 1 FROM pg_timezone_names WHERE name = :name"), {"name": name}).first()
    if known is None:
        raise ValidationError("time_zone", UNKNOWN_TIME_ZONE)
    session.execute(update(UserProfile).where(col(UserProfile.user_id) == user_id).values(time_zone=name))
    return name


def learner_day(*, session: Session, user_id: uuid.UUID, at: datetime | None = None) -> date:
    """The learner's date at `at` (now when None), in their stored zone (one query; for work outside a
    request, which has no viewer)."""
    zone = session.execute(
        select(col(UserProfile.time_zone)).where(col(UserProfile.user_id) == user_id)
    ).scalar_one_or_none()
    return local_day(zone or DEFAULT_TIME_ZONE, at)
