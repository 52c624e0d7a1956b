"""The district map and venue runs."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import reflex as rx
from sqlmodel import Session

from speakpro.db import DatabaseUnavailable
from speakpro.services.accounts.sessions import Viewer
from speakpro.services.analysis.audio_metrics import answer_delivery
from speakpro.services.learning.economy import TICKET_PRICE_COINS, EconomyError, TicketPurchase, buy_ticket
from speakpro.services.text import words_of
from speakpro.services.validation import ValidationError
from speakpro.services.world import venues, world
from speakpro.state.auth import AuthState, no_work
from speakpro.state.edge import LONG, Answered, Form, Text, accepts
from speakpro.state.recording import RecorderMixin, read_recording_consent


def _world_map(session: Session, viewer: Viewer) -> world.WorldMap:
    return world.get_world_map(session=session, user_id=viewer.user_id)


class MapState(AuthState):
    """The learner's view of the city: districts, venues, what is unlocked and what it costs."""

    districts: list[world.DistrictView] = []
    venue_nodes: list[world.VenueView] = []
    tickets: int = 0
    coins: int = 0
    ticket_price: int = TICKET_PRICE_COINS
    buying: bool = False
    loaded: bool = False
    _request_key: str = ""  # one purchase: a doubled or retried click buys one ticket

    def _show(self, city: world.WorldMap) -> None:
        self._assign(districts=city.districts, venue_nodes=city.venues, tickets=city.tickets, coins=city.coins)
        self.loaded = True

    @rx.event
    @accepts()
    async def load(self):
        self.loaded = False  # nothing is shown that this load did not read
        self._request_key = uuid.uuid4().hex
        _, city = await self._signed_in(_world_map)
        self._show(city)

    @rx.event
    @accepts(loaded=("_request_key",))
    async def buy_ticket(self):
        """Trade coins for a ticket (once per click, however often it arrives)."""
        if self.buying:
            return None
        key = self._request_key

        def buy_and_read(session: Session, viewer: Viewer) -> tuple[TicketPurchase, world.WorldMap]:
            return buy_ticket(session=session, user_id=viewer.user_id, request_key=key), _world_map(session, viewer)

        self.buying = True
        try:
            _, (purchase, city) = await self._signed_in(buy_and_read)
        except EconomyError as error:
            return rx.toast.error(str(error))
        finally:
            self.buying = False
        self._show(city)
        self._request_key = uuid.uuid4().hex  # the next click is a new purchase
        if purchase.bought_now:
            return rx.toast.success(f"You bought a ticket for {TICKET_PRICE_COINS} coins.")
        return None


class VenueState(RecorderMixin, AuthState):
    """One venue: its task sheet, entering (spends tickets once), its exercises in order (each with the
    recorder), finishing."""

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
    # The latest finished visit (when none is in progress): "Finished 2 Dec 2026: +25 XP, +15 coins".
    last_finished: str = ""
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
        last = detail.last_finished
        self.last_finished = (
            f"Finished {last.finished_at:%d %b %Y}: +{last.xp_awarded} XP, +{last.coins_awarded} coins."
            if last is not None and last.finished_at is not None
            else ""
        )

    def _reader(self) -> Callable[[Session, Viewer], world.VenueDetail]:
        """Work that reads this page's venue (ValidationError when there is no such venue)."""
        slug = self._slug()
        return lambda session, viewer: world.get_venue(session=session, user_id=viewer.user_id, venue_slug=slug)

    @rx.event
    @accepts()
    async def load(self):
        read_venue = self._reader()

        def read(session: Session, viewer: Viewer) -> tuple[world.VenueDetail | None, bool]:
            try:  # a read: nothing to undo when it is not found
                detail = read_venue(session, viewer)
            except ValidationError:
                detail = None  # not found is an answer of the page, which still shows who is signed in
            return detail, read_recording_consent(session, viewer)

        _, (detail, allowed) = await self._signed_in(read)
        self.error, self.finished_rewards, self.busy = "", "", False
        self.audio_key, self.audio_seconds, self.recording_allowed = "", 0, allowed
        # One key per page visit: a double click or a retried event enters (and pays) once.
        self._request_key = uuid.uuid4().hex
        if detail is None:
            self.not_found = True
            return
        self._show(detail)
        self.not_found = False

    @rx.event
    @accepts(loaded=("venue_id",))
    async def enter(self):
        venue_id, key, read_venue = self.venue_id, self._request_key, self._reader()

        def enter_and_read(session: Session, viewer: Viewer) -> tuple[world.VenueEntryView, world.VenueDetail]:
            entry = venues.enter_venue(session=session, user_id=viewer.user_id, venue_id=venue_id, request_key=key)
            return entry, read_venue(session, viewer)

        try:
            _, (entry, detail) = await self._signed_in(enter_and_read)
        except (ValidationError, EconomyError) as error:
            self.error = getattr(error, "message", str(error))
            return rx.toast.error(self.error)
        self.error = ""
        self._show(detail)
        if entry.opened_now:
            spent = f"{entry.tickets_spent} ticket" + ("" if entry.tickets_spent == 1 else "s")
            return rx.toast.success(f"You spent {spent}. Welcome to {entry.venue_name}!")

    @rx.event(background=True)
    @accepts(form=Form(text=Text(LONG)), loaded=("venue_id",))
    async def submit_exercise(self, form: dict):
        """Store the answer to the current exercise, as a background event in three steps: the viewer under
        the state lock, the recording measured with nothing locked (decoding takes a moment), the answer
        stored in one transaction with the venue read again."""
        async with self:
            if self.busy:
                return
            entry_id, order, read_venue = self.entry_id, self.next_order, self._reader()
            text, audio = form.get("text", ""), self.audio_key or None
            self.busy, self.error = True, ""
        response = {"text": text, **({"audio_ref": audio} if audio else {})}

        def measure(_: None) -> dict | None:
            # The answer's words over the recording's voiced time, as for the lessons' recorded answers.
            return answer_delivery(key=audio, words=len(words_of(text))) if audio else None

        def submit_and_read(session: Session, viewer: Viewer, _: None, delivery: dict | None) -> world.VenueDetail:
            venues.submit_venue_exercise(
                session=session,
                user_id=viewer.user_id,
                entry_id=entry_id,
                exercise_order=order,
                response=response,
                duration_ms=0,
                delivery=delivery,
            )
            return read_venue(session, viewer)

        try:
            _, detail = await self._signed_in_around(no_work, measure, submit_and_read)
        except Answered:
            async with self:
                self.busy = False  # not signed in, or the database did not answer: nothing was saved
            raise
        except (ValidationError, DatabaseUnavailable) as error:
            async with self:
                self.error, self.busy = error.message, False
            return
        async with self:
            self.busy, self.audio_key, self.audio_seconds = False, "", 0
            self._show(detail)
        yield rx.toast.success("Exercise saved.")

    @rx.event
    @accepts(loaded=("venue_id",))
    async def finish(self):
        entry_id, read_venue = self.entry_id, self._reader()

        def finish_and_read(session: Session, viewer: Viewer) -> tuple[venues.VenueFinishResult, world.VenueDetail]:
            result = venues.finish_venue(session=session, user_id=viewer.user_id, entry_id=entry_id)
            return result, read_venue(session, viewer)

        try:
            _, (result, detail) = await self._signed_in(finish_and_read)
        except ValidationError as error:
            self.error = error.message
            return
        self.error = ""
        self.finished_rewards = f"+{result.xp_paid} XP, +{result.coins_paid} coins" if result.finished_now else ""
        self._show(detail)
        self._request_key = uuid.uuid4().hex  # a later visit is a new entry
        if result.finished_now:
            return rx.toast.success(f"Venue complete: {self.finished_rewards}.")
