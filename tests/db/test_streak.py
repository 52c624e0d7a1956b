"""One day streak for home and progress, from every kind of practice, across midnight (the learner's days are
checked in each zone in `test_time_zones.py`, freezes in `tests/unit/test_streak_freezes.py`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from speakpro.models import ExerciseSubmission, LessonStepResponse
from speakpro.services.dashboards.learner_progress import learner_progress
from speakpro.services.learning.home import get_home_summary
from speakpro.services.learning.streak import current_streak
from tests.factories import make_module, make_practice_session, make_user
from tests.factories_learning import make_lesson

TODAY = date(2026, 12, 2)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def test_every_kind_of_practice_counts_and_both_pages_agree(session):
    from speakpro.models import LessonSession

    learner = make_user(session)
    module = make_module(session)
    lesson = make_lesson(session, module)
    run = LessonSession(user_id=learner.id, lesson_id=lesson.id, module_id=module.id, script=lesson.steps)
    session.add(run)
    session.flush()
    # Three days in a row, each with a different activity; the last one a minute before midnight.
    make_practice_session(session, learner, started_at=_at(TODAY - timedelta(days=2), 9))
    session.add(
        LessonStepResponse(
            user_id=learner.id,
            lesson_session_id=run.id,
            step_index=0,
            step_kind="reading",
            value={"answer": {"acknowledged": True}},
            created_at=_at(TODAY - timedelta(days=1), 12),
        )
    )
    session.add(
        ExerciseSubmission(
            user_id=learner.id,
            module_id=module.id,
            stage="venue",
            payload={},
            scores={},
            created_at=_at(TODAY, 23, 59),
        )
    )
    session.flush()
    assert current_streak(session=session, user_id=learner.id, today=TODAY, time_zone="UTC") == 3
    assert get_home_summary(session=session, user_id=learner.id, today=TODAY, time_zone="UTC").streak_days == 3
    assert learner_progress(session=session, time_zone="UTC", user_id=learner.id, today=TODAY).current_streak == 3
    # The next day (after midnight) nothing yet: still 3; the day after that, the streak is broken.
    assert current_streak(session=session, user_id=learner.id, today=TODAY + timedelta(days=1), time_zone="UTC") == 3
    assert current_streak(session=session, user_id=learner.id, today=TODAY + timedelta(days=2), time_zone="UTC") == 0


def test_a_deleted_session_does_not_count(session):
    learner = make_user(session)
    make_practice_session(session, learner, started_at=_at(TODAY, 8), deleted_at=_at(TODAY, 9))
    assert current_streak(session=session, user_id=learner.id, today=TODAY, time_zone="UTC") == 0
