"""A live countdown to when a learner may try again (a failed lesson exercise, a failed milestone attempt).

The page shows `wait_left` ("0:27", "9:41", "1 h 05 min") and it counts down by itself: `_start_wait(until)`
returns the background event that updates it every second until the moment has passed, then clears it. The
moment itself comes from the services (`lesson_views.active_cooldown`, the milestone's `retry_after`), which
refuse an early try whatever the page shows.
"""

from __future__ import annotations

import asyncio
import math
import time
from datetime import datetime
from typing import Any

import reflex as rx

from speakpro.state.edge import accepts


def wait_text(seconds: float) -> str:
    """What is left, for people: m:ss under an hour, then hours and minutes."""
    whole = max(0, math.ceil(seconds))
    if whole >= 3600:
        hours, rest = divmod(whole, 3600)
        return f"{hours} h {math.ceil(rest / 60):02d} min"
    return f"{whole // 60}:{whole % 60:02d}"


class CountdownMixin(rx.State, mixin=True):
    """`wait_left` counting down to `_wait_until` (see the module docstring)."""

    wait_left: str = ""
    _wait_until: float = 0.0  # epoch seconds; 0 when nothing is waited for

    def _start_wait(self, until: datetime | None) -> Any:
        """Show the wait until `until` (None: no wait) and return the event that counts it down."""
        self._wait_until = until.timestamp() if until is not None else 0.0
        left = self._wait_until - time.time()
        self.wait_left = wait_text(left) if left > 0 else ""
        # `__class__`, not `type(self)`: in a background event `self` is Reflex's StateProxy, which reports the
        # page state's class there.
        return self.__class__.count_down if left > 0 else None

    @rx.event(background=True)
    @accepts()
    async def count_down(self):
        """Update `wait_left` every second until the wait is over (or another wait replaced it)."""
        async with self:
            until = self._wait_until
        while until > 0:
            await asyncio.sleep(1)
            async with self:
                if self._wait_until != until:
                    return  # a newer wait has its own countdown
                left = until - time.time()
                self.wait_left = wait_text(left) if left > 0 else ""
                if left <= 0:
                    self._wait_until = 0.0
                    return
