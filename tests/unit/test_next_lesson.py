"""The lesson a learner takes next: the first unfinished lesson of the first module open to them."""

from __future__ import annotations

import uuid

from speakpro.services.learning.progress import LessonStatus, ModuleStatus, next_lesson_of


def _module(status: str, *done: bool) -> ModuleStatus:
    lessons = tuple(
        LessonStatus(lesson_id=uuid.uuid4(), order=i, title=f"L{i}", xp_reward=10, completed=d, in_progress=False)
        for i, d in enumerate(done)
    )
    return ModuleStatus(
        module_id=uuid.uuid4(),
        code="A",
        order=1,
        title="A",
        description="",
        status=status,
        lessons_total=len(lessons),
        lessons_completed=sum(done),
        xp_reward=0,
        coin_reward=0,
        ticket_reward=0,
        lessons=lessons,
    )


def test_the_next_lesson_skips_finished_and_locked_modules():
    done, current, locked = (
        _module("completed", True, True),
        _module("in_progress", True, False),
        _module("locked", False),
    )
    assert next_lesson_of([done, current, locked]) == current.lessons[1].lesson_id
    assert next_lesson_of([done, locked]) is None
    assert next_lesson_of([]) is None
