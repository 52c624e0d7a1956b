"""A guided lesson run: one step at a time, resumable after a reload or a server restart."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import reflex as rx
from sqlmodel import Session

from speakpro.db import DatabaseUnavailable
from speakpro.integrations.openai_client import get_openai_client
from speakpro.services.accounts.sessions import Viewer
from speakpro.services.learning import lessons, progress, quests, stakes
from speakpro.services.learning.feedback import coach_answer
from speakpro.services.learning.lesson_views import LessonView, StepResult
from speakpro.services.learning.lessons import PendingAnswer
from speakpro.services.validation import ValidationError
from speakpro.state.auth import AuthState, run_db
from speakpro.state.countdown import CountdownMixin
from speakpro.state.edge import LONG, Answered, Form, Text, accepts
from speakpro.state.history import MetricRow, OwnRecordingsMixin, RecordingRow, delivery_rows, read_recordings
from speakpro.state.recording import RecorderMixin, read_recording_consent

NO_SUCH_LESSON = "This lesson does not exist."
RECORDING_KINDS = ("lesson",)


@dataclass(frozen=True)
class _OpenedRun:
    """What a lesson page's load reads: the run, the learner's scenario, recordings and consent."""

    view: LessonView
    scenario: str
    recordings: list[RecordingRow]
    recording_allowed: bool


class LessonState(CountdownMixin, RecorderMixin, OwnRecordingsMixin, AuthState):
    """The current step of the learner's run of one lesson, the feedback on the last answer, and the learner's
    recordings in this lesson (each deletable)."""

    not_found: str = ""
    run_id: str = ""
    lesson_title: str = ""
    module_code: str = ""
    run_state: str = ""
    step_index: int = 0
    step_count: int = 0
    step_kind: str = ""
    step_title: str = ""
    step_prompt: str = ""
    step_rubric: list[str] = []
    target_seconds: int = 0
    min_words: int = 0
    knowledge_title: str = ""
    knowledge_summary: str = ""
    knowledge_body: str = ""
    feedback_score: int = -1
    feedback_label: str = ""
    feedback_passed: bool = False
    feedback_notes: list[str] = []
    feedback_delivery: list[MetricRow] = []
    xp_awarded: int = 0
    module_completed: bool = False
    next_lesson_id: str = ""  # after the last step: the lesson to take next ("" when every open one is done)
    busy: bool = False
    stakes_scenario: str = ""
    stakes_error: str = ""
    _module_id: str = ""
    _shown_at: float = 0.0

    def _lesson_id(self) -> str:
        return self._route_arg("lesson_ref")

    def _show(self, view: LessonView, chosen: str | None = None) -> Any:
        self.run_id = str(view.lesson_session_id)
        self._module_id = str(view.module_id)
        if chosen is not None:
            self.stakes_scenario = chosen
        self.lesson_title, self.module_code, self.run_state = view.lesson_title, view.module_code, view.state
        self.step_index, self.step_count = view.step_index, view.step_count
        step = view.step
        self.step_kind = step.kind if step else ""
        self.step_title = step.title if step else ""
        self.step_prompt = step.prompt if step else ""
        self.step_rubric = list(step.rubric) if step else []
        self.target_seconds = (step.target_seconds or 0) if step else 0
        self.min_words = (step.min_words or 0) if step else 0
        knowledge = (step.knowledge or {}) if step else {}
        self.knowledge_title = knowledge.get("title", "")
        self.knowledge_summary = knowledge.get("summary", "")
        self.knowledge_body = knowledge.get("body", "")
        if view.last_feedback and self.feedback_score < 0:
            self._show_feedback(view.last_feedback)
        self._shown_at = time.monotonic()
        # A failed exercise's pause, counting down on the page (the service refuses an early try anyway).
        return self._start_wait(view.cooldown_until)

    def _show_feedback(self, feedback: dict | None) -> None:
        feedback = feedback or {}
        score = feedback.get("score")
        self.feedback_score = int(score) if isinstance(score, (int, float)) else -1
        self.feedback_label = str(feedback.get("label", ""))
        self.feedback_passed = bool(feedback.get("passed", False))
        notes = [*feedback.get("strengths", []), *feedback.get("improvements", []), *feedback.get("tips", [])]
        self.feedback_notes = [str(n) for n in notes][:6]
        self.feedback_delivery = delivery_rows(feedback.get("delivery"))

    @rx.event
    @accepts()
    async def load(self):
        try:
            lesson_id: uuid.UUID | None = uuid.UUID(self._lesson_id())
        except ValueError:
            lesson_id = None

        def open_run(session: Session, viewer: Viewer) -> _OpenedRun | str:
            if lesson_id is None:
                return NO_SUCH_LESSON
            try:
                # Not found is an answer of the page (which still shows who is signed in), not an error of the
                # transaction: the savepoint undoes whatever the refused start wrote.
                with session.begin_nested():
                    view = lessons.start_or_resume_lesson(session=session, user_id=viewer.user_id, lesson_id=lesson_id)
                    chosen = stakes.get_stakes(session=session, user_id=viewer.user_id, module_id=view.module_id)
            except ValidationError as error:
                return error.message
            return _OpenedRun(
                view=view,
                scenario=chosen.scenario if chosen else "",
                recordings=read_recordings(session, viewer, RECORDING_KINDS, lesson_id),
                recording_allowed=read_recording_consent(session, viewer),
            )

        _, opened = await self._signed_in(open_run)
        self.error, self.busy, self.xp_awarded, self.module_completed = "", False, 0, False
        self.next_lesson_id = ""
        self.feedback_score, self.feedback_notes, self.feedback_delivery = -1, [], []
        if isinstance(opened, str):
            self.not_found = opened
            return
        self.not_found, self.stakes_error = "", ""
        countdown = self._show(opened.view, opened.scenario)
        self._show_recordings(opened.recordings, RECORDING_KINDS, lesson_id)
        self.recording_allowed = opened.recording_allowed
        return countdown

    @rx.event
    @accepts(form=Form(scenario=Text(), audience=Text(), stakes=Text()), loaded=("run_id", "_module_id"))
    async def choose_stakes(self, form: dict):
        """Keep the learner's own high-stakes scenario for this module (once); exercises then use it."""
        module_id, run_id = uuid.UUID(self._module_id), uuid.UUID(self.run_id)
        fields = {k: form.get(k, "") for k in ("scenario", "audience", "stakes")}

        def choose(session: Session, viewer: Viewer) -> tuple[str, LessonView]:
            chosen = stakes.get_or_choose_stakes(session=session, user_id=viewer.user_id, module_id=module_id, **fields)
            return chosen.scenario, lessons.get_lesson_view(
                session=session, user_id=viewer.user_id, lesson_session_id=run_id
            )

        try:
            _, (scenario, view) = await self._signed_in(choose)
        except ValidationError as error:
            self.stakes_error = error.message
            return
        self.stakes_error = ""
        countdown = self._show(view, scenario)
        saved = rx.toast.success("Your scenario is saved: the exercises of this module will use it.")
        return [saved, countdown] if countdown is not None else saved

    @rx.event(background=True)
    @accepts(form=Form(text=Text(LONG)), loaded=("run_id",))
    async def answer(self, form: dict):
        """Send the current step's answer; the service validates it, scores it and moves the run on.

        A background event in three steps, so the page stays responsive while the AI coach answers: the
        answer is checked (and a step that needs no scoring is stored) in one transaction; the coach is
        asked with no transaction, row lock or state lock held; the scored answer is stored in a second
        transaction, which checks the run again.
        """
        async with self:
            if self.busy:
                return
            kind = self.step_kind
            if kind in ("reading", "feedback"):
                payload: dict = {"acknowledged": True}
            elif kind == "speaking":
                payload = {"transcript": form.get("text", "")}
                if self.audio_key:
                    payload["audio_ref"] = self.audio_key
            else:
                payload = {"text": form.get("text", "")}
            run_id, index = uuid.UUID(self.run_id), self.step_index
            duration_ms = min(3_600_000, int((time.monotonic() - self._shown_at) * 1000))
            # A recorded answer shows in the lesson's recordings: the list is read again with the answer.
            listed = self._listed() if kind == "speaking" and payload.get("audio_ref") else None
            self.busy, self.error = True, ""
        client = get_openai_client()

        def prepare(session: Session, viewer: Viewer) -> StepResult | PendingAnswer:
            return lessons.prepare_answer(
                session=session,
                user_id=viewer.user_id,
                lesson_session_id=run_id,
                step_index=index,
                answer=payload,
                duration_ms=duration_ms,
                with_ai=client is not None,
            )

        def finish(session: Session, viewer: Viewer, outcome: StepResult | PendingAnswer, feedback):
            result = (
                outcome
                if isinstance(outcome, StepResult)
                else lessons.record_answer(session=session, pending=outcome, feedback=feedback)
            )
            view = lessons.get_lesson_view(session=session, user_id=viewer.user_id, lesson_session_id=run_id)
            after = (
                progress.next_lesson_of(progress.module_statuses(session=session, user_id=viewer.user_id))
                if result.completed
                else None
            )
            return result, view, None if listed is None else read_recordings(session, viewer, *listed), after

        def score(outcome: StepResult | PendingAnswer):
            return coach_answer(outcome.feedback, client) if isinstance(outcome, PendingAnswer) else None

        try:
            viewer, (result, view, recordings, after) = await self._signed_in_around(prepare, score, finish)
            if not result.replayed and result.passed:
                # A separate, later transaction: a quest tick never holds up (or deadlocks with) the answer.
                await run_db(
                    lambda s: quests.record_quest_progress(
                        session=s, user_id=viewer.user_id, quest_type="lesson_step", day=viewer.today()
                    )
                )
        except Answered:
            async with self:
                self.busy = False  # not signed in, or no database: nothing was sent
            raise
        except (ValidationError, DatabaseUnavailable) as error:
            async with self:
                self.error, self.busy = error.message, False
            return
        async with self:
            if result.feedback:
                self._show_feedback({**result.feedback, "passed": result.passed})
            elif kind in ("reading", "feedback", "reflection"):
                self.feedback_score, self.feedback_notes, self.feedback_delivery = -1, [], []
            countdown = self._show(view)
            self.busy = False
            if result.passed:
                self.audio_key = ""
            if recordings is not None:
                self.recordings = recordings
            self.xp_awarded = result.xp_awarded or self.xp_awarded
            self.module_completed = result.module_completed or self.module_completed
            self.next_lesson_id = str(after or "")
        if result.completed:
            return rx.toast.success(
                f"Lesson complete: +{result.xp_awarded} XP." if result.xp_awarded else "Lesson complete."
            )
        if result.score is not None and not result.passed:
            warning = rx.toast.warning("Not quite yet: read the feedback and try again after a short pause.")
            return [warning, countdown] if countdown is not None else warning
