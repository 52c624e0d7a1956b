"""The district map and venue runs."""

from __future__ import annotations

import uuid

import reflex as rx

from speakpro.services.learning.economy import EconomyError
from speakpro.services.validation import ValidationError
from speakpro.services.world import venues, world
from speakpro.state.auth import AuthState, run_db
from speakpro.state.edge import LONG, Form, Text, accepts


class MapState(AuthState):
    """The learner's view of the city: districts, venues, what is unlocked and what it costs."""

    districts: list[world.DistrictView] = []
    venue_nodes: list[world.VenueView] = []
    tickets: int = 0
    loaded: bool = False

    @rx.event
    @accepts()
    async def load(self):
        self.loaded = False  # nothing is shown that this load did not read
        viewer, redirect = await self._guard()
        if redirect is not None:
            return redirect
        city = await run_db(lambda s: world.get_world_map(session=s, user_id=viewer.user_id))
        self.districts, self.venue_nodes, self.tickets = city.districts, city.venues, city.tickets
        self.loaded = True


class VenueState(AuthState):
    """One venue: its task sheet, entering (spends tickets once), its exercises in order, finishing."""

    not_found: bool = False
    venue_id: str = ""
    venue_name: str = ""
    venue_description: str = ""
    district_name: str = ""
    ticket_cost: int = 0
    xp_reward: int = 0
    coin_reward: int = 0
    sheet_title: str = ""
    exercises: list[world.ExerciseView] = []
    tickets: int = 0
    can_enter: bool = False
    lock_reason: str = ""
    entry_id: str = ""
    entry_status: str = ""
    next_order: int = 0
    finished_rewards: str = ""
    error: str = ""
    busy: bool = False
    _request_key: str = ""

    def _slug(self) -> str:
        return self._route_arg("venue_slug")

    def _show(self, detail: world.VenueDetail) -> None:
        venue = detail.venue
        self.venue_id, self.venue_name, self.venue_description = venue.id, venue.name, venue.description
        self.district_name, self.ticket_cost = venue.district_name, venue.ticket_cost
        self.xp_reward, self.coin_reward = venue.xp_reward, venue.coin_reward
        self.sheet_title, self.exercises, self.tickets = detail.sheet_title, detail.exercises, detail.tickets
        self.can_enter, self.lock_reason = detail.can_enter, detail.lock_reason
        entry = detail.active_entry
        self.entry_id = entry.id if entry else ""
        self.entry_status = entry.status if entry else ""
        self.next_order = entry.next_exercise_order if entry else 0

    async def _refresh(self, user_id) -> None:
        slug = self._slug()
        detail = await run_db(lambda s: world.get_venue(session=s, user_id=user_id, venue_slug=slug))
        self._show(detail)

    @rx.event
    @accepts()
    async def load(self):
        viewer, redirect = await self._guard()
        if redirect is not None:
            return redirect
        self.error, self.finished_rewards, self.busy = "", "", False
        # One key per page visit: a double click or a retried event enters (and pays) once.
        self._request_key = uuid.uuid4().hex
        try:
            await self._refresh(viewer.user_id)
            self.not_found = False
        except ValidationError:
            self.not_found = True

    @rx.event
    @accepts(loaded=("venue_id",))
    async def enter(self):
        viewer = await self._viewer()
        if viewer is None:
            return self._login_redirect()
        venue_id, key = self.venue_id, self._request_key
        try:
            entry = await run_db(
                lambda s: venues.enter_venue(session=s, user_id=viewer.user_id, venue_id=venue_id, request_key=key)
            )
        except (ValidationError, EconomyError) as error:
            self.error = getattr(error, "message", str(error))
            return rx.toast.error(self.error)
        self.error = ""
        await self._refresh(viewer.user_id)
        if entry.opened_now:
            return rx.toast.success(f"You spent {entry.tickets_spent} ticket(s). Welcome to {entry.venue_name}!")

    @rx.event
    @accepts(form=Form(text=Text(LONG)), loaded=("venue_id",))
    async def submit_exercise(self, form: dict):
        viewer = await self._viewer()
        if viewer is None:
            return self._login_redirect()
        entry_id, order = self.entry_id, self.next_order
        response = {"text": form.get("text", "")}
        try:
            await run_db(
                lambda s: venues.submit_venue_exercise(
                    session=s,
                    user_id=viewer.user_id,
                    entry_id=entry_id,
                    exercise_order=order,
                    response=response,
                    duration_ms=0,
                )
            )
        except ValidationError as error:
            self.error = error.message
            return
        self.error = ""
        await self._refresh(viewer.user_id)
        return rx.toast.success("Exercise saved.")

    @rx.event
    @accepts(loaded=("venue_id",))
    async def finish(self):
        viewer = await self._viewer()
        if viewer is None:
            return self._login_redirect()
        entry_id = self.entry_id
        try:
            result = await run_db(lambda s: venues.finish_venue(session=s, user_id=viewer.user_id, entry_id=entry_id))
        except ValidationError as error:
            self.error = error.message
            return
        self.error = ""
        self.finished_rewards = f"+{result.xp_paid} XP, +{result.coins_paid} coins" if result.finished_now else ""
        await self._refresh(viewer.user_id)
        self._request_key = uuid.uuid4().hex  # a later visit is a new entry
        if result.finished_now:
            return rx.toast.success(f"Venue complete: {self.finished_rewards}.")
