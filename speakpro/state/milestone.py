"""The level milestone: a recorded speaking task scored against the rubric."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import reflex as rx
from sqlmodel import Session

from speakpro.db import DatabaseUnavailable
from speakpro.integrations.openai_client import get_openai_client
from speakpro.services.accounts.sessions import Viewer
from speakpro.services.learning import milestones, progress
from speakpro.services.learning.catalog import get_milestone_prompt
from speakpro.services.learning.feedback import coach_answer
from speakpro.services.learning.milestones import MilestoneResult, PendingMilestone
from speakpro.services.learning.progress import LevelProgress
from speakpro.services.validation import ValidationError
from speakpro.state.auth import AuthState
from speakpro.state.countdown import CountdownMixin
from speakpro.state.edge import LONG, Answered, Form, Text, accepts
from speakpro.state.history import MetricRow, OwnRecordingsMixin, RecordingRow, delivery_rows, read_recordings
from speakpro.state.recording import RecorderMixin, read_recording_consent

RECORDING_KINDS = ("milestone",)


@dataclass(frozen=True)
class _MilestonePage:
    """What the milestone page's load reads: the learner's level (None: no level yet), its brief, the
    learner's milestone recordings and their consent."""

    level: LevelProgress | None
    prompt: str
    recordings: list[RecordingRow]
    recording_allowed: bool


class MilestoneState(CountdownMixin, RecorderMixin, OwnRecordingsMixin, AuthState):
    """The milestone brief, the attempt form, the latest result, and the learner's milestone recordings (each
    deletable)."""

    unlocked: bool = False
    passed_before: bool = False
    level_title: str = ""
    threshold: int = 0
    prompt: str = ""
    score: int = -1
    passed: bool = False
    feedback_notes: list[str] = []
    feedback_delivery: list[MetricRow] = []
    busy: bool = False
    _level_id: str = ""
    _request_key: str = ""

    @rx.event
    @accepts()
    async def load(self):
        def read(session: Session, viewer: Viewer) -> _MilestonePage:
            level = progress.level_progress(session=session, user_id=viewer.user_id)
            return _MilestonePage(
                level=level,
                prompt=get_milestone_prompt(session=session, level_id=level.level_id) if level else "",
                recordings=read_recordings(session, viewer, RECORDING_KINDS),
                recording_allowed=read_recording_consent(session, viewer),
            )

        _, page = await self._signed_in(read)
        level, prompt = page.level, page.prompt
        self.score, self.feedback_notes, self.error, self.busy = -1, [], "", False
        self.feedback_delivery = []
        self._start_wait(None)
        self.audio_key, self.audio_seconds = "", 0
        self._request_key = uuid.uuid4().hex  # one attempt per page visit, however often the form is sent
        self._show_recordings(page.recordings, RECORDING_KINDS)
        self.recording_allowed = page.recording_allowed
        if level is None:
            self.unlocked = False
            return
        self._level_id = str(level.level_id)
        self.level_title, self.threshold, self.prompt = level.title, level.milestone_threshold, prompt
        self.unlocked, self.passed_before = level.milestone_unlocked, level.milestone_passed

    @rx.event(background=True)
    @accepts(form=Form(text=Text(LONG)), loaded=("_level_id",))
    async def submit(self, form: dict):
        """Score and store an attempt, as a background event in three steps (see `LessonState.answer`): checked
        in one transaction, scored by the AI coach with nothing locked, stored in a second transaction."""
        async with self:
            if self.busy:
                return
            transcript = form.get("text", "")
            level_id, key, audio = uuid.UUID(self._level_id), self._request_key, self.audio_key or None
            # A recorded attempt shows in the milestone's recordings: the list is read again with the attempt.
            listed = self._listed() if audio else None
            self.busy, self.error = True, ""
        client = get_openai_client()

        def prepare(session: Session, viewer: Viewer) -> MilestoneResult | PendingMilestone:
            return milestones.prepare_milestone(
                session=session,
                user_id=viewer.user_id,
                level_id=level_id,
                transcript=transcript,
                idempotency_key=key,
                audio_ref=audio,
                with_ai=client is not None,
            )

        def finish(session: Session, viewer: Viewer, outcome: MilestoneResult | PendingMilestone, feedback):
            result = (
                outcome
                if isinstance(outcome, MilestoneResult)
                else milestones.record_milestone(session=session, pending=outcome, feedback=feedback)
            )
            return result, None if listed is None else read_recordings(session, viewer, *listed)

        def score(outcome: MilestoneResult | PendingMilestone):
            return coach_answer(outcome.feedback, client) if isinstance(outcome, PendingMilestone) else None

        try:
            _, (result, recordings) = await self._signed_in_around(prepare, score, finish)
        except Answered:
            async with self:
                self.busy = False  # not signed in, or no database: nothing was sent
            raise
        except (ValidationError, DatabaseUnavailable) as error:
            async with self:
                self.error, self.busy = error.message, False
            return
        async with self:
            self.busy = False
            self.score, self.passed = result.score, result.passed
            notes_of = result.feedback or {}
            notes = [*notes_of.get("strengths", []), *notes_of.get("improvements", []), *notes_of.get("tips", [])]
            self.feedback_notes = [str(n) for n in notes][:6]
            self.feedback_delivery = delivery_rows(notes_of.get("delivery"))
            countdown = self._start_wait(result.retry_after)  # a failed attempt's pause, counting down
            self._request_key = uuid.uuid4().hex
            if recordings is not None:
                self.recordings = recordings
            if result.passed:
                self.passed_before = True
        if result.passed:
            paid = ", ".join(f"+{v} {k}" for k, v in (result.rewards or {}).items() if v)
            return rx.toast.success("Milestone passed!" + (f" {paid}." if paid else ""))
        warning = rx.toast.warning(f"Score {result.score}: you need {result.threshold} to pass.")
        return [warning, countdown] if countdown is not None else warning
