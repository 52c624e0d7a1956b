"""Module statuses in a fixed number of queries; module completion pays, unlocks and opens once."""

from __future__ import annotations

import contextlib

from sqlalchemy import event, func, select

from speakpro.models import (
    AnalyticsEvent,
    District,
    RewardLedger,
    UserProfile,
    UserProgress,
    UserVenueUnlock,
    Venue,
)
from speakpro.services.learning.economy import ledger_totals
from speakpro.services.learning.progress import complete_module_if_done, level_progress, module_statuses
from tests.factories import make_level, make_module, make_user
from tests.factories_learning import finish_lesson, make_lesson, make_path


@contextlib.contextmanager
def count_queries(session):
    connection = session.connection()
    statements: list[str] = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", before_cursor_execute)


def _statuses(session, user, level):
    return [s.status for s in module_statuses(session=session, user_id=user.id, level_id=level.id)]


def test_statuses_take_a_fixed_number_of_queries(session):
    user = make_user(session)
    small_level, small_modules, small_lessons = make_path(session, modules=2, lessons=1)
    big_level, big_modules, big_lessons = make_path(session, modules=6, lessons=4)
    for module in big_modules[:2]:
        for lesson in big_lessons[module.id]:
            finish_lesson(session, user.id, lesson)
    finish_lesson(session, user.id, big_lessons[big_modules[2].id][0])
    session.flush()

    with count_queries(session) as small_queries:
        small = module_statuses(session=session, user_id=user.id, level_id=small_level.id)
    with count_queries(session) as big_queries:
        big = module_statuses(session=session, user_id=user.id, level_id=big_level.id)
    assert len(small) == 2 and len(big) == 6
    assert len(small_queries) == len(big_queries) == 2
    assert [s.status for s in big] == ["completed", "completed", "in_progress", "locked", "locked", "locked"]
    assert big[2].lessons_completed == 1 and big[2].lessons_total == 4
    assert big[2].next_lesson_id == big_lessons[big_modules[2].id][1].id


def test_status_rules(session):
    user = make_user(session)
    level, modules, lessons = make_path(session, modules=3, lessons=2)
    assert _statuses(session, user, level) == ["available", "locked", "locked"]
    finish_lesson(session, user.id, lessons[modules[0].id][0])
    assert _statuses(session, user, level) == ["in_progress", "locked", "locked"]
    finish_lesson(session, user.id, lessons[modules[0].id][1])
    assert _statuses(session, user, level) == ["completed", "available", "locked"]
    # Another learner's progress changes nothing for this one.
    other = make_user(session)
    assert _statuses(session, other, level) == ["available", "locked", "locked"]
    # Imported history: a completed progress row counts as completed.
    session.add(UserProgress(user_id=user.id, module_id=modules[1].id, status="completed"))
    session.flush()
    assert _statuses(session, user, level) == ["completed", "completed", "available"]
    assert module_statuses(session=session, user_id=user.id, level_id=modules[0].id) == []


def _district_with_venues(session, slug, unlock_modules):
    district = District(slug=slug, name=slug)
    session.add(district)
    session.flush()
    venues = [
        Venue(district_id=district.id, slug=f"{slug}-v{i}", name=f"Venue {i}", unlock_module_id=m.id)
        for i, m in enumerate(unlock_modules)
    ]
    session.add_all(venues)
    session.flush()
    return district, venues


def test_completion_pays_once_unlocks_once_grants_districts_and_opens_the_next_module(session):
    user = make_user(session)
    level = make_level(session)
    module_a = make_module(session, level=level, code="A", order=1)
    module_b = make_module(session, level=level, code="B", order=2)
    lessons_a = [make_lesson(session, module_a, order=i) for i in (1, 2)]
    make_lesson(session, module_b)
    token = level.number
    _, venues_full = _district_with_venues(session, f"full-{token}", [module_a, module_a])
    _, venues_mixed = _district_with_venues(session, f"mixed-{token}", [module_a, module_b])
    session.add(UserProgress(user_id=user.id, module_id=module_b.id, status="locked"))
    session.flush()

    finish_lesson(session, user.id, lessons_a[0])
    not_yet = complete_module_if_done(session=session, user_id=user.id, module_id=module_a.id)
    assert not not_yet.completed
    assert ledger_totals(session=session, user_id=user.id) == {"xp": 0, "coins": 0, "tickets": 0}

    finish_lesson(session, user.id, lessons_a[1])
    first = complete_module_if_done(session=session, user_id=user.id, module_id=module_a.id)
    assert first.completed and first.newly_completed
    assert first.rewards == {"xp": 100, "coins": 50, "tickets": 2}
    assert set(first.unlocked_venue_ids) == {v.id for v in venues_full} | {venues_mixed[0].id}
    assert first.full_access_districts == (f"full-{token}",)
    assert first.next_module_id == module_b.id

    second = complete_module_if_done(session=session, user_id=user.id, module_id=module_a.id)
    assert second.completed and not second.newly_completed
    assert second.rewards == {} and second.unlocked_venue_ids == () and second.full_access_districts == ()

    assert ledger_totals(session=session, user_id=user.id) == {"xp": 100, "coins": 50, "tickets": 2}
    ledger_rows = session.execute(
        select(func.count()).where(RewardLedger.user_id == user.id, RewardLedger.reason == "module_completed")
    ).scalar_one()
    assert ledger_rows == 3
    profile = session.execute(
        select(UserProfile).where(UserProfile.user_id == user.id).execution_options(populate_existing=True)
    ).scalar_one()
    assert (profile.xp, profile.coins, profile.tickets) == (100, 50, 2)
    assert profile.district_full_access == {f"full-{token}": True}
    unlocks = session.execute(select(func.count()).where(UserVenueUnlock.user_id == user.id)).scalar_one()
    assert unlocks == 3
    progress = dict(
        session.execute(
            select(UserProgress.module_id, UserProgress.status).where(UserProgress.user_id == user.id)
        ).all()
    )
    assert progress == {module_a.id: "completed", module_b.id: "available"}
    events = session.execute(
        select(func.count()).where(AnalyticsEvent.user_id == user.id, AnalyticsEvent.event_type == "module_completed")
    ).scalar_one()
    assert events == 1
    assert _statuses(session, user, level) == ["completed", "available"]


def test_a_district_becomes_fully_accessible_when_its_last_venue_unlocks(session):
    user = make_user(session)
    level, modules, lessons = make_path(session, modules=2, lessons=1)
    _district_with_venues(session, f"mixed-{level.number}", modules)
    finish_lesson(session, user.id, lessons[modules[0].id][0])
    first = complete_module_if_done(session=session, user_id=user.id, module_id=modules[0].id)
    assert first.completed and first.full_access_districts == ()
    finish_lesson(session, user.id, lessons[modules[1].id][0])
    result = complete_module_if_done(session=session, user_id=user.id, module_id=modules[1].id)
    assert result.full_access_districts == (f"mixed-{level.number}",) and result.next_module_id is None
    access = session.execute(
        select(UserProfile.district_full_access).where(UserProfile.user_id == user.id)
    ).scalar_one()
    assert access == {f"mixed-{level.number}": True}


def test_a_module_without_lessons_is_never_completed_by_lessons(session):
    user = make_user(session)
    module = make_module(session)
    assert not complete_module_if_done(session=session, user_id=user.id, module_id=module.id).completed
    assert ledger_totals(session=session, user_id=user.id)["xp"] == 0


def test_level_progress(session):
    user = make_user(session)
    level, modules, lessons = make_path(session, modules=4, lessons=1)
    finish_lesson(session, user.id, lessons[modules[0].id][0])
    complete_module_if_done(session=session, user_id=user.id, module_id=modules[0].id)
    progress = level_progress(session=session, user_id=user.id, level_id=level.id)
    assert (progress.modules_completed, progress.modules_total, progress.percent) == (1, 4, 25)
    assert progress.milestone_threshold == level.milestone_threshold
    assert not progress.milestone_unlocked and not progress.milestone_passed
    assert progress.best_milestone_score is None
    assert level_progress(session=session, user_id=user.id, level_id=modules[0].id) is None
