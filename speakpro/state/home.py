"""The learner's home page."""

from __future__ import annotations

import reflex as rx

from speakpro.services.home import get_home_summary
from speakpro.services.telemetry import record_event
from speakpro.state.auth import AuthState, run_db


class HomeState(AuthState):
    """Balances, streak and practice counts; the A/B variant orders the calls to action."""

    variant: str = ""
    xp: int = 0
    coins: int = 0
    tickets: int = 0
    streak_days: int = 0
    sessions_total: int = 0
    sessions_last_7_days: int = 0
    main_goal: str = ""
    loaded: bool = False

    @rx.event
    async def load(self):
        viewer, redirect = await self._guard()
        if redirect is not None:
            return redirect

        def read(session):
            summary = get_home_summary(session=session, user_id=viewer.user_id)
            # The exposure is logged so the variants can be compared on what learners actually saw.
            record_event(session=session, event_type="ab_exposure", user_id=viewer.user_id,
                         company_id=viewer.company_id, data={"variant": viewer.ab_variant, "surface": "home_cta"})
            return summary

        summary = await run_db(read)
        self.variant = viewer.ab_variant or "A"
        self.xp, self.coins, self.tickets = summary.xp, summary.coins, summary.tickets
        self.streak_days = summary.streak_days
        self.sessions_total, self.sessions_last_7_days = summary.sessions_total, summary.sessions_last_7_days
        self.main_goal = summary.main_goal
        self.loaded = True
