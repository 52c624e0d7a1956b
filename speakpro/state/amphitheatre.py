"""The amphitheatre hub (the current visit and its plan) and the timeline of past visits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import reflex as rx
from sqlmodel import Session

from speakpro.db import DatabaseUnavailable
from speakpro.services.accounts.sessions import Viewer
from speakpro.services.analysis.audio_metrics import answer_delivery
from speakpro.services.learning.economy import EconomyError
from speakpro.services.validation import ValidationError
from speakpro.services.world import amphitheatre
from speakpro.state.auth import AuthState, no_work
from speakpro.state.edge import LONG, Answered, Flag, Form, Text, accepts
from speakpro.state.history import OwnRecordingsMixin, when
from speakpro.state.recording import RecorderMixin, read_recording_consent


@dataclass(frozen=True)
class MarkerOption:
    """A checkbox of the self-observation list."""

    key: str
    label: str


@dataclass(frozen=True)
class TimelineRow:
    """One visit of the timeline, formatted for display."""

    id: str
    visit_number: int
    status: str
    finished: bool
    points: int
    started: str
    finished_at: str
    progress: str
    recordings: int


MARKER_OPTIONS = [MarkerOption(key=m, label=amphitheatre.MARKER_LABELS[m]) for m in amphitheatre.MARKERS]


def _open_visit(session: Session, viewer: Viewer) -> amphitheatre.VisitView:
    return amphitheatre.open_visit(session=session, user_id=viewer.user_id)


def _timeline(session: Session, viewer: Viewer) -> list[amphitheatre.TimelineItem]:
    return amphitheatre.visit_timeline(session=session, user_id=viewer.user_id)


class AmphitheatreState(RecorderMixin, OwnRecordingsMixin, AuthState):
    """The learner's current visit: its three exercises in order, the recorder, reflections, points; a done
    exercise's recording can be deleted (`delete_recording`)."""

    loaded: bool = False
    visit_id: str = ""
    visit_number: int = 0
    status: str = ""
    points: int = 0
    exercises: list[amphitheatre.ExerciseView] = []
    next_key: str = ""
    markers: list[MarkerOption] = MARKER_OPTIONS
    busy: bool = False
    rewards: str = ""

    def _show(self, visit: amphitheatre.VisitView) -> None:
        self.visit_id, self.visit_number, self.status = visit.id, visit.visit_number, visit.status
        self.points, self.exercises, self.next_key = visit.points, visit.exercises, visit.next_key

    @rx.event
    @accepts()
    async def load(self):
        def read(session: Session, viewer: Viewer) -> tuple[amphitheatre.VisitView, bool]:
            return _open_visit(session, viewer), read_recording_consent(session, viewer)

        _, (visit, allowed) = await self._signed_in(read)
        self.error, self.rewards, self.busy, self.audio_key, self.audio_seconds = "", "", False, "", 0
        self._show(visit)
        self.recording_allowed = allowed
        self.loaded = True

    @rx.event(background=True)
    @accepts(
        form=Form(reflection=Text(LONG), **{f"marker_{m}": Flag() for m in amphitheatre.MARKERS}), loaded=("visit_id",)
    )
    async def submit(self, form: dict):
        """Store the current exercise, as a background event in three steps: the viewer under the state lock,
        the recording measured with nothing locked (decoding and voice detection take a moment; no
        transcript here, so no pace), the exercise stored in one transaction."""
        async with self:
            if self.busy:
                return
            reflection = form.get("reflection", "")
            chosen = [m for m in amphitheatre.MARKERS if form.get(f"marker_{m}") not in (None, "", False, "off")]
            visit_id, key, audio = self.visit_id, self.next_key, self.audio_key or None
            self.busy, self.error = True, ""

        def measure(_: None) -> dict | None:
            return answer_delivery(key=audio, words=0) if audio else None

        def save(session: Session, viewer: Viewer, _: None, delivery: dict | None) -> amphitheatre.VisitView:
            return amphitheatre.submit_exercise(
                session=session,
                user_id=viewer.user_id,
                visit_id=visit_id,
                exercise_key=key,
                audio_ref=audio,
                reflection=reflection,
                markers=chosen,
                delivery=delivery,
            )

        try:
            _, visit = await self._signed_in_around(no_work, measure, save)
        except Answered:
            async with self:
                self.busy = False  # not signed in, or the database did not answer: nothing was saved
            raise
        except (ValidationError, EconomyError, DatabaseUnavailable) as error:
            async with self:
                self.error, self.busy = getattr(error, "message", str(error)), False
            return
        async with self:
            self._show(visit)
            self.busy, self.audio_key, self.audio_seconds = False, "", 0
            if visit.xp_paid or visit.coins_paid:
                self.rewards = f"+{visit.xp_paid} XP, +{visit.coins_paid} coins"
        if visit.xp_paid or visit.coins_paid:
            yield rx.toast.success(
                f"Visit {visit.visit_number} complete: +{visit.xp_paid} XP, +{visit.coins_paid} coins."
            )
        else:
            yield rx.toast.success("Exercise saved.")

    def _refresh_after_deletion(self) -> Callable[[Session, Viewer], object]:
        """The exercise shows "recorded" no more: the visit is read again (none before the load)."""
        visit_id = self.visit_id

        def read(session: Session, viewer: Viewer) -> amphitheatre.VisitView | None:
            if not visit_id:
                return None
            try:  # a read, after the deletion: it must not undo it
                return amphitheatre.visit_view(session=session, user_id=viewer.user_id, visit_id=visit_id)
            except ValidationError:
                return None

        return read

    def _show_after_deletion(self, refreshed: object) -> None:
        if isinstance(refreshed, amphitheatre.VisitView):
            self._show(refreshed)

    @rx.event
    @accepts()
    async def next_visit(self):
        """After a finished visit: open the next one."""
        _, visit = await self._signed_in(_open_visit)
        self.rewards, self.error, self.audio_key, self.audio_seconds = "", "", "", 0
        self._show(visit)


class AmphitheatreHistoryState(AuthState):
    """The timeline of the learner's amphitheatre visits."""

    loaded: bool = False
    visits: list[TimelineRow] = []

    @rx.event
    @accepts()
    async def load(self):
        _, items = await self._signed_in(_timeline)
        self.visits = [
            TimelineRow(
                id=i.id,
                visit_number=i.visit_number,
                status=i.status,
                finished=i.status == "finished",
                points=i.points,
                started=when(i.started_at),
                finished_at=when(i.finished_at),
                progress=f"{i.exercises_done} of {i.exercises_total} exercises",
                recordings=i.recordings,
            )
            for i in items
        ]
        self.loaded = True
