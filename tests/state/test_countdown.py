"""The live countdown of a failed attempt's pause (lesson exercises, the milestone)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import speakpro.state.countdown as countdown
from speakpro.state.countdown import wait_text
from speakpro.state.lesson import LessonState
from speakpro.state.milestone import MilestoneState
from tests.signin import background, run


def test_what_is_left_reads_as_people_say_it():
    assert [wait_text(s) for s in (0, 0.2, 27, 60, 599.5, 3600, 3661)] == [
        "0:00",
        "0:01",
        "0:27",
        "1:00",
        "10:00",
        "1 h 00 min",
        "1 h 02 min",
    ]


async def test_the_wait_counts_down_to_nothing(monkeypatch):
    clock = [1_000_000.0]
    shown: list[str] = []

    async def a_second_passes(_seconds):
        clock[0] += 1

    monkeypatch.setattr(countdown.time, "time", lambda: clock[0])
    monkeypatch.setattr(countdown.asyncio, "sleep", a_second_passes)
    for state_class in (LessonState, MilestoneState):
        state = state_class()
        event = state._start_wait(datetime.fromtimestamp(clock[0] + 3, UTC))
        assert state.wait_left == "0:03" and event is not None
        await run(background(state, "count_down"))
        shown.append(state.wait_left)
        assert state._wait_until == 0.0 and state._start_wait(None) is None
    assert shown == ["", ""]


async def test_a_wait_already_over_shows_nothing():
    state = LessonState()
    assert state._start_wait(datetime.now(UTC) - timedelta(seconds=1)) is None and state.wait_left == ""
