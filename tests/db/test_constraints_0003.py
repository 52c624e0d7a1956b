"""The constraints of migration 0003: a milestone request key is UNIQUE per learner, and a learner has at
most one active visit per venue."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import insert, update
from sqlalchemy.exc import DataError

from speakpro.models import MilestoneAttempt, VenueEntry, utcnow
from tests.factories import make_level, make_user, make_venue
from tests.queries import accepted, refused


def _attempt(user_id, level_id, key):
    return insert(MilestoneAttempt).values(id=uuid.uuid4(), user_id=user_id, level_id=level_id, idempotency_key=key)


def test_milestone_key_is_unique_per_learner(session):
    user, level = make_user(session), make_level(session)
    accepted(session, _attempt(user.id, level.id, "key-00000001"))
    refused(session, _attempt(user.id, level.id, "key-00000001"), "uq_milestone_attempts_user_id_idempotency_key")
    # Per learner, not per level: the same key for another level is refused too.
    refused(
        session,
        _attempt(user.id, make_level(session).id, "key-00000001"),
        "uq_milestone_attempts_user_id_idempotency_key",
    )
    accepted(session, _attempt(make_user(session).id, level.id, "key-00000001"))
    accepted(session, _attempt(user.id, level.id, "key-00000002"))


def test_attempts_without_a_key_do_not_collide(session):
    user, level = make_user(session), make_level(session)
    accepted(session, _attempt(user.id, level.id, None))
    accepted(session, _attempt(user.id, level.id, None))


def test_milestone_key_has_at_most_64_characters(session):
    user, level = make_user(session), make_level(session)
    accepted(session, _attempt(user.id, level.id, "k" * 64))
    savepoint = session.begin_nested()
    with pytest.raises(DataError):
        session.execute(_attempt(user.id, level.id, "k" * 65))
    savepoint.rollback()


def _visit(user_id, venue_id, status="active", entry_id=None):
    started = utcnow() - timedelta(minutes=5)
    return insert(VenueEntry).values(
        id=entry_id or uuid.uuid4(),
        user_id=user_id,
        venue_id=venue_id,
        status=status,
        started_at=started,
        finished_at=None if status == "active" else utcnow(),
    )


def test_one_active_visit_per_learner_and_venue(session):
    user, venue = make_user(session), make_venue(session)
    accepted(session, _visit(user.id, venue.id))
    refused(session, _visit(user.id, venue.id), "uq_venue_entries_one_active_visit")
    accepted(session, _visit(user.id, venue.id, "finished"))
    accepted(session, _visit(user.id, venue.id, "abandoned"))
    accepted(session, _visit(user.id, make_venue(session).id))
    accepted(session, _visit(make_user(session).id, venue.id))


def test_a_finished_visit_cannot_become_a_second_active_one(session):
    user, venue = make_user(session), make_venue(session)
    done_id = uuid.uuid4()
    accepted(session, _visit(user.id, venue.id, "finished", entry_id=done_id))
    accepted(session, _visit(user.id, venue.id))
    refused(
        session,
        update(VenueEntry).where(VenueEntry.id == done_id).values(status="active", finished_at=None),
        "uq_venue_entries_one_active_visit",
    )
