"""The retakes card of a practice session's page (`/practice/session/<id>`): its weakest moments, a try at
each, and the side by side with the original (`services.practice.retakes`)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import reflex as rx
from sqlmodel import Session

from speakpro.services.accounts.sessions import Viewer
from speakpro.services.analysis.moments import TryScore
from speakpro.services.practice import retakes
from speakpro.services.validation import ValidationError
from speakpro.state.auth import AuthState
from speakpro.state.edge import Form, Text, accepts
from speakpro.state.history import clock

FORM_UNREADABLE = "We could not read your retake. Type it again and press Score my retake."


@dataclass(frozen=True)
class MomentRow:
    """One moment, formatted for the page."""

    key: str
    kind: str
    title: str
    goal: str
    at: str
    detail: str
    prompt: str
    original_text: str
    answer_text: str
    attempts: int
    has_answer: bool
    improved: bool
    verdict: str
    # [figure, original, retake] rows for the side by side
    compare: list[list[str]]


def _figure(score: TryScore | None, name: str) -> str:
    if score is None:
        return "—"
    value = getattr(score, name)
    if name == "fillers" and value is None:
        return "Not measured (not English)"
    return str(value)


def _row(view: retakes.MomentView) -> MomentRow:
    m, answer = view.moment, view.answer
    compare = [
        ["Score", _figure(view.original, "score"), _figure(answer, "score")],
        ["Fillers", _figure(view.original, "fillers"), _figure(answer, "fillers")],
        ["Questions", _figure(view.original, "questions"), _figure(answer, "questions")],
        ["Words", _figure(view.original, "words"), _figure(answer, "words")],
    ]
    if answer is None:
        verdict = ""
    elif view.improved:
        verdict = f"Better than the original: {answer.score} against {view.original.score}."
    else:
        verdict = f"Not better yet: {answer.score} against {view.original.score}. Try again."
    return MomentRow(
        key=m.key,
        kind=m.kind,
        title=m.title,
        goal=m.goal,
        at=clock(m.at_ms / 1000),
        detail=m.detail,
        prompt=m.prompt,
        original_text=m.original_text,
        answer_text=view.answer_text,
        attempts=view.attempts,
        has_answer=answer is not None,
        improved=view.improved,
        verdict=verdict,
        compare=compare,
    )


class RetakeState(AuthState):
    """The session page's retakes."""

    moments: list[MomentRow] = []
    scoring: str = ""  # the moment being scored ("" when none)

    def _ref(self) -> str:
        # From the page's route on every event: nothing here depends on what this process remembers.
        return self._route_arg("session_ref")

    def _read(self, session: Session, viewer: Viewer) -> list[retakes.MomentView]:
        try:  # a read: a session that is not found or still live simply offers no retakes
            return retakes.session_moments(session=session, user_id=viewer.user_id, practice_session_id=self._ref())
        except ValidationError:
            return []

    @rx.event
    @accepts()
    async def load(self):
        self.moments, self.scoring = [], ""
        _, views = await self._signed_in(self._read)
        self.moments = [_row(v) for v in views]

    @rx.event
    @accepts(form=Form(moment=Text(), answer=Text(retakes.MAX_ANSWER_CHARS + 500)))
    async def submit(self, form: dict):
        moment, answer = form.get("moment"), form.get("answer")
        if not isinstance(moment, str) or not isinstance(answer, str):
            yield rx.toast.error(FORM_UNREADABLE)
            return
        if self.scoring:
            return
        self.scoring = moment
        yield
        try:
            _, (outcome, views) = await self._signed_in(
                lambda s, v: (
                    retakes.submit_retake(
                        session=s,
                        user_id=v.user_id,
                        practice_session_id=self._ref(),
                        moment_key=moment,
                        text=answer,
                    ),
                    self._read(s, v),
                )
            )
        except ValidationError as error:
            yield rx.toast.error(error.message)
            return
        finally:
            self.scoring = ""
        self.moments = [_row(v) for v in views]
        if outcome.xp_paid:
            yield rx.toast.success(f"Better than the original: +{outcome.xp_paid} XP.")
        elif outcome.view.improved:
            yield rx.toast.success("Retake saved: still better than the original.")
        else:
            yield rx.toast.info("Retake saved. Not better than the original yet: try again.")

    @rx.event
    @accepts(prompt=Text(retakes.MAX_ANSWER_CHARS))
    async def hear(self, prompt: str):
        """Speak a moment's partner line (as the page shows it) with the browser's voice: the recording holds
        only the learner's microphone, so the partner's own audio is not kept."""
        if not prompt.strip():
            return
        line = json.dumps(prompt)  # a JSON string is a safe JavaScript string literal
        return rx.call_script(
            "window.speechSynthesis && (window.speechSynthesis.cancel(), "
            f"window.speechSynthesis.speak(new SpeechSynthesisUtterance({line})))"
        )
