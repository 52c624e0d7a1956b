"""The world map: a fixed number of queries, and each learner sees their own unlocks and visits."""

from __future__ import annotations

import pytest

from speakpro.models import UserProfile
from speakpro.seed import content
from speakpro.seed.catalog import seed_catalog
from speakpro.services.validation import ValidationError
from speakpro.services.world.venues import enter_venue
from speakpro.services.world.world import get_venue, get_world_map
from tests.factories import make_module, make_user
from tests.factories_world import count_queries, grant, make_district, make_world_venue, unlock

MAX_MAP_QUERIES = 4


def _map_queries(session, engine, user) -> int:
    session.flush()
    with count_queries(engine) as statements:
        get_world_map(session=session, user_id=user.id)
    return len(statements)


def test_the_map_costs_the_same_fixed_number_of_queries_for_3_and_30_venues(session, engine):
    user = make_user(session)
    module = make_module(session)
    district = make_district(session)
    venues = [make_world_venue(session, district=district, module=module) for _ in range(3)]
    unlock(session, user, venues[0])
    grant(session, user.id, "tickets", 20)
    enter_venue(session=session, user_id=user.id, venue_id=venues[0].id, request_key="k1")
    with_3 = _map_queries(session, engine, user)

    for index in range(27):
        venue = make_world_venue(session, district=district if index % 2 else make_district(session), module=module)
        if index % 3 == 0:
            unlock(session, user, venue)
            enter_venue(session=session, user_id=user.id, venue_id=venue.id, request_key=f"k{index}")
    with_30 = _map_queries(session, engine, user)

    print(f"\n[world map] {with_3} queries with 3 venues, {with_30} with 30")
    assert with_3 == with_30 <= MAX_MAP_QUERIES
    world = get_world_map(session=session, user_id=user.id)
    assert {str(v.id) for v in venues} <= {v.id for v in world.venues}
    assert sum(1 for v in world.venues if v.district_slug == district.slug) == 3 + 13


def test_each_learner_sees_only_their_own_unlocks_and_visits(session):
    module = make_module(session, code="B")
    district = make_district(session)
    first = make_world_venue(session, district=district, module=module, name="First", ticket_cost=2)
    second = make_world_venue(session, district=district, module=module, name="Second")
    alice, bob = make_user(session), make_user(session)
    unlock(session, alice, first)
    unlock(session, bob, second)
    grant(session, alice.id, "tickets", 3)
    enter_venue(session=session, user_id=alice.id, venue_id=first.id, request_key="visit-1")

    alice_map = {v.slug: v for v in get_world_map(session=session, user_id=alice.id).venues}
    bob_map = {v.slug: v for v in get_world_map(session=session, user_id=bob.id).venues}

    assert (alice_map[first.slug].unlocked, alice_map[second.slug].unlocked) == (True, False)
    assert (bob_map[first.slug].unlocked, bob_map[second.slug].unlocked) == (False, True)
    assert (alice_map[first.slug].visits, alice_map[first.slug].in_progress) == (1, True)
    assert (bob_map[first.slug].visits, bob_map[first.slug].in_progress) == (0, False)
    assert alice_map[first.slug].unlock_module_code == "B"
    assert alice_map[first.slug].unlock_module_title == module.title
    assert alice_map[first.slug].district_name == district.name
    assert (alice_map[first.slug].ticket_cost, alice_map[first.slug].xp_reward) == (2, 40)


def test_districts_carry_position_media_and_full_access(session):
    district = make_district(session, map_x=12, map_y=88)
    other = make_district(session)
    make_world_venue(session, district=district)
    user = make_user(session, district_full_access={district.slug: True})
    grant(session, user.id, "tickets", 4)

    world = get_world_map(session=session, user_id=user.id)
    views = {d.slug: d for d in world.districts}

    assert world.tickets == 4
    assert (views[district.slug].map_x, views[district.slug].map_y) == (12, 88)
    assert views[district.slug].overview_image == "/districts/test.svg"
    assert views[district.slug].fully_unlocked is True
    assert views[other.slug].fully_unlocked is False
    assert (views[district.slug].venue_count, views[other.slug].venue_count) == (1, 0)
    assert len(world.venues_in(district.slug)) == 1
    assert session.get(UserProfile, user.id).district_full_access == {district.slug: True}


def test_a_venue_page_lists_its_exercises_in_order_and_the_active_visit(session):
    module = make_module(session)
    venue = make_world_venue(session, module=module, ticket_cost=2, name="Soapbox")
    user = make_user(session)

    locked = get_venue(session=session, user_id=user.id, venue_slug=venue.slug)
    assert [e.order for e in locked.exercises] == [1, 2, 3]
    assert (locked.venue.unlocked, locked.can_enter) == (False, False)
    assert locked.lock_reason == f"Finish module A ({module.title}) to unlock Soapbox."

    unlock(session, user, venue)
    grant(session, user.id, "tickets", 1)
    poor = get_venue(session=session, user_id=user.id, venue_slug=venue.slug)
    assert poor.lock_reason == "You need 2 tickets to enter Soapbox; you have 1."

    grant(session, user.id, "tickets", 1)
    entry = enter_venue(session=session, user_id=user.id, venue_id=venue.id, request_key="go")
    detail = get_venue(session=session, user_id=user.id, venue_slug=venue.slug)
    assert detail.active_entry is not None and detail.active_entry.id == entry.id
    assert detail.can_enter is True and detail.tickets == 0
    assert detail.sheet_title == "Sheet of Soapbox"


@pytest.mark.parametrize("slug", ["no-such-venue", "", "../etc", "A" * 300])
def test_an_unknown_venue_is_refused(session, slug):
    user = make_user(session)
    with pytest.raises(ValidationError, match="does not exist"):
        get_venue(session=session, user_id=user.id, venue_slug=slug)


def test_the_published_world_reads_back_whole(session):
    seed_catalog(session)
    user = make_user(session)
    world = get_world_map(session=session, user_id=user.id)
    slugs = {v.slug for v in world.venues}
    published = [v for d in content.DISTRICTS for v in d["venues"]]
    assert {v["slug"] for v in published} <= slugs
    by_slug = {v.slug: v for v in world.venues}
    for venue in published:
        view = by_slug[venue["slug"]]
        assert (view.map_x, view.map_y) == (venue["map"]["x"], venue["map"]["y"])
        assert view.unlock_module_code == venue["unlocked_by_module"] and not view.unlocked
    detail = get_venue(session=session, user_id=user.id, venue_slug="town-square-soapbox")
    assert [e.order for e in detail.exercises] == [1, 2, 3] and detail.exercises[0].target_seconds == 20
