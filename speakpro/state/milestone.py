"""The level milestone: a recorded speaking task scored against the rubric."""

from __future__ import annotations

import uuid

import reflex as rx

from speakpro.integrations.openai_client import get_openai_client
from speakpro.services.learning import milestones, progress
from speakpro.services.learning.catalog import get_milestone_prompt
from speakpro.services.validation import ValidationError
from speakpro.state.auth import AuthState, run_db
from speakpro.state.edge import LONG, Form, Text, accepts
from speakpro.state.history import OwnRecordingsMixin
from speakpro.state.recording import RecorderMixin


class MilestoneState(RecorderMixin, OwnRecordingsMixin, AuthState):
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
    retry_after: str = ""
    busy: bool = False
    _level_id: str = ""
    _request_key: str = ""

    @rx.event
    @accepts()
    async def load(self):
        viewer, redirect = await self._guard()
        if redirect is not None:
            return redirect

        def read(session):
            level = progress.level_progress(session=session, user_id=viewer.user_id)
            prompt = get_milestone_prompt(session=session, level_id=level.level_id) if level else ""
            return level, prompt

        level, prompt = await run_db(read)
        self.score, self.feedback_notes, self.error, self.busy, self.retry_after = -1, [], "", False, ""
        self.audio_key, self.audio_seconds = "", 0
        self._request_key = uuid.uuid4().hex  # one attempt per page visit, however often the form is sent
        self.recordings_error, self.recording_deleting = "", ""
        await self._load_recordings(viewer, ("milestone",))
        await self._load_recording_consent(viewer)
        if level is None:
            self.unlocked = False
            return
        self._level_id = str(level.level_id)
        self.level_title, self.threshold, self.prompt = level.title, level.milestone_threshold, prompt
        self.unlocked, self.passed_before = level.milestone_unlocked, level.milestone_passed

    @rx.event
    @accepts(form=Form(text=Text(LONG)), loaded=("_level_id",))
    async def submit(self, form: dict):
        if self.busy:
            return
        viewer = await self._viewer()
        if viewer is None:
            yield self._login_redirect()
            return
        transcript = form.get("text", "")
        level_id, key, audio = uuid.UUID(self._level_id), self._request_key, self.audio_key or None
        self.busy, self.error = True, ""
        yield
        client = get_openai_client()
        try:
            result = await run_db(
                lambda s: milestones.submit_milestone(
                    session=s,
                    user_id=viewer.user_id,
                    level_id=level_id,
                    transcript=transcript,
                    idempotency_key=key,
                    audio_ref=audio,
                    feedback_client=client,
                )
            )
        except ValidationError as error:
            self.error, self.busy = error.message, False
            return
        self.busy = False
        self.score, self.passed = result.score, result.passed
        feedback = result.feedback or {}
        notes = [*feedback.get("strengths", []), *feedback.get("improvements", []), *feedback.get("tips", [])]
        self.feedback_notes = [str(n) for n in notes][:6]
        self.retry_after = result.retry_after.strftime("%H:%M UTC") if result.retry_after else ""
        self._request_key = uuid.uuid4().hex
        if audio:
            await self._reload_recordings(viewer)
        if result.passed:
            self.passed_before = True
            paid = ", ".join(f"+{v} {k}" for k, v in (result.rewards or {}).items() if v)
            yield rx.toast.success("Milestone passed!" + (f" {paid}." if paid else ""))
        else:
            yield rx.toast.warning(f"Score {result.score}: you need {result.threshold} to pass.")
