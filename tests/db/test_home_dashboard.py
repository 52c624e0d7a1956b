"""The home page's reads: a fixed number of queries, the same for a new learner and for one with history."""

from __future__ import annotations

from sqlmodel import col, select

from speakpro.models import User
from speakpro.services.accounts.time_zones import local_day
from speakpro.services.learning.home import get_home_dashboard
from tests.factories import make_user
from tests.queries import count_queries

# Profile 1, streak 1, the first level's modules and lessons 2, the level 1 and its milestone 1, today's quests
# 1, recent practice 1.
HOME_QUERIES = 8  # assignments counted afresh in the one query that reads them


def _later_load(session, user_id) -> list[str]:
    get_home_dashboard(
        session=session, user_id=user_id, today=local_day("UTC"), time_zone="UTC"
    )  # the day's first load writes
    with count_queries(session) as statements:
        get_home_dashboard(session=session, user_id=user_id, today=local_day("UTC"), time_zone="UTC")
    return statements


def test_home_is_a_fixed_number_of_queries_whatever_the_history(seeded_session):
    demo = seeded_session.execute(select(col(User.id)).where(col(User.email) == "learner@example.com")).scalar_one()
    new = make_user(seeded_session).id
    with_history, without = _later_load(seeded_session, demo), _later_load(seeded_session, new)
    assert len(with_history) == len(without) == HOME_QUERIES, with_history
    # The first level's modules are read once, not once for the level's progress and again for the cards.
    modules = [s for s in with_history if "FROM modules" in s]
    assert len(modules) == 1, modules
