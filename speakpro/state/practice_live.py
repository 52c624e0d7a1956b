"""Live practice: the topic picker (`/practice`) and the live session (`/practice/live/<id>`).

The browser side (`components/realtime.py`) talks to the AI partner directly over WebRTC with a short-lived
client secret that `connect` mints; this state only ever holds that secret until the browser reports
"live", then clears it. Transcript segments do not pass through here: the browser sends them over the
transcript websocket (`speakpro/live_socket.py`) and keeps each until the database acknowledged it; the state
keeps only the bounded tail it loaded with the page.

Nothing here depends on in-memory state for correctness. When this state is empty (a restart, another
backend, a flushed Redis), the end, status and recording handlers find the session again from the page's
route and the signed-in user (the session cookie comes with every event), and log that they did.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import reflex as rx
from reflex_components_radix.themes.base import LiteralAccentColor
from sqlmodel import Session

from speakpro import routes
from speakpro.db import DatabaseUnavailable
from speakpro.integrations.openai_client import get_openai_client
from speakpro.models import utcnow
from speakpro.models.practice import MAX_SESSION_SECONDS
from speakpro.services.accounts import consent
from speakpro.services.accounts.sessions import Viewer
from speakpro.services.practice import practice, scenarios, transcripts
from speakpro.services.practice.realtime_secrets import (
    IssuedSecret,
    MintedSecret,
    PendingSecret,
    record_client_secret,
    request_client_secret,
)
from speakpro.services.practice.recordings import attach_recording
from speakpro.services.validation import ValidationError
from speakpro.settings import settings
from speakpro.state.auth import AuthState
from speakpro.state.edge import Answered, Flag, Form, Maybe, Number, Text, accepts, ticked

log = logging.getLogger(__name__)

TARGET_SECONDS = (120, 300)
TAIL_LINES = 30
DIFFICULTY_COLORS: dict[str, LiteralAccentColor] = {"beginner": "green", "intermediate": "amber", "advanced": "red"}
REASONS = {
    "microphone denied": "the microphone was blocked. Allow it for this site and start a new session.",
    "microphone unavailable": "no microphone could be started.",
    "network dropped": "the connection to your practice partner dropped.",
    "secret expired": "the connection to your practice partner could not be renewed.",
    "webrtc unavailable": "this browser cannot open a live audio connection.",
    "time limit": "the session reached its 15-minute limit.",
}
FALLBACK_REASON = "connection failed"
STATUS_TEXT = {
    "connecting": "Connecting to your practice partner...",
    "live": "Live: your partner is listening",
    "reconnecting": "Connection lost: reconnecting...",
    "ending": "Saving your transcript and recording...",
    "ended": "Session ended",
    "failed": "The session stopped",
}
SOLO_STATUS_TEXT = {**STATUS_TEXT, "connecting": "Starting your microphone...", "live": "Recording (solo mode)"}


@dataclass(frozen=True)
class TopicRow:
    """One topic of the picker, formatted for display."""

    id: str
    slug: str
    title: str
    difficulty: str
    color: LiteralAccentColor
    category: str
    hint: str


class PracticeState(AuthState):
    """The topic picker."""

    topics: list[TopicRow] = []
    scenarios: list[TopicRow] = []  # the learner's company's own scenarios
    picked: str = ""  # a scenario an assignment links to (`?scenario=`), shown first
    solo_mode: bool = settings.offline
    loaded: bool = False
    error: str = ""
    starting: str = ""
    # Every session is recorded: without a consent that allows it, the page says so instead of offering topics.
    recording_allowed: bool = True

    @rx.event
    @accepts()
    async def load(self):
        _, (views, allowed, own) = await self._signed_in(
            lambda s, viewer: (
                practice.list_topics(session=s),
                consent.recording_allowed(session=s, user_id=viewer.user_id),
                scenarios.company_scenarios(session=s, company_id=viewer.company_id) if viewer.company_id else [],
            )
        )
        self.recording_allowed = allowed
        self.picked = str(self.router.url.query_parameters.get("scenario", ""))[:64]
        rows = [
            TopicRow(
                id=v.id,
                slug="scenario-" + v.id,
                title=v.title,
                difficulty=v.difficulty,
                color=DIFFICULTY_COLORS.get(v.difficulty, "gray"),
                category="Your company's scenario",
                hint=v.learner_goal or v.situation,
            )
            for v in own
        ]
        self.scenarios = sorted(rows, key=lambda r: r.id != self.picked)
        self.topics = [
            TopicRow(
                id=t.id,
                slug=t.slug,
                title=t.title,
                difficulty=t.difficulty,
                color=DIFFICULTY_COLORS.get(t.difficulty, "gray"),
                category=t.category,
                hint=t.prompt_hint,
            )
            for t in views
        ]
        self.solo_mode, self.loaded, self.error, self.starting = settings.offline, True, "", ""

    @rx.event
    @accepts(topic_id=Text())
    async def start(self, topic_id: str):
        """Start a session on a topic (or go back to the one in progress) and open the live page."""
        return await self._start(topic_id, None)

    @rx.event
    @accepts(scenario_id=Text())
    async def start_scenario(self, scenario_id: str):
        """Start a session on one of the company's scenarios (its current version)."""
        return await self._start(None, scenario_id)

    async def _start(self, topic_id: str | None, scenario_id: str | None):
        if self.starting:
            return None
        mode = "solo" if settings.offline else "realtime"
        self.starting = topic_id or scenario_id or ""
        try:
            _, view = await self._signed_in(
                lambda s, viewer: practice.start_practice(
                    session=s, user_id=viewer.user_id, topic_id=topic_id, scenario_id=scenario_id, mode=mode
                )
            )
        except Answered:
            self.starting = ""
            raise
        except ValidationError as error:
            self.error, self.starting = error.message, ""
            return None
        self.starting = ""
        redirect = rx.redirect(routes.practice_live(view.id))
        if view.resumed:
            return [rx.toast.info("You already have a session in progress: carry on here."), redirect]
        return redirect


class PracticeLiveState(AuthState):
    """One live session: the partner connection's secret, the status, mute and end, the loaded tail."""

    loaded: bool = False
    not_found: bool = False
    session_id: str = ""
    mode: str = ""
    topic_title: str = ""
    partner_role: str = ""
    prompt_hint: str = ""
    learner_goal: str = ""  # a company scenario's goal and the names of its rubric's criteria
    criteria: str = ""
    difficulty: str = ""
    difficulty_color: LiteralAccentColor = "gray"
    # connecting | live | reconnecting | ending | ended | failed (as the browser reports it)
    live_status: str = ""
    status_text: str = ""
    error: str = ""
    failed_reason: str = ""
    # Held only from minting until the browser reports "live" (or stops); never logged.
    client_secret: str = ""
    calls_url: str = settings.openai_realtime_calls_url
    model: str = settings.openai_realtime_model
    muted: bool = False
    end_token: int = 0
    ending: bool = False
    # The stored tail when the page loaded (a reload mid-session); new lines live in the browser only.
    tail: list[dict] = []
    next_sequence: int = 0
    elapsed_offset: int = 0
    _minting: bool = False

    def _ref(self) -> str:
        return self._route_arg("session_ref")

    def _texts(self) -> dict[str, str]:
        return SOLO_STATUS_TEXT if self.mode == "solo" else STATUS_TEXT

    def _reset(self) -> None:
        self.loaded = self.not_found = self.muted = self.ending = False
        self.session_id = self.mode = self.topic_title = self.partner_role = self.prompt_hint = ""
        self.difficulty, self.difficulty_color = "", "gray"
        self.live_status = self.status_text = self.error = self.failed_reason = self.client_secret = ""
        self.tail, self.next_sequence, self.elapsed_offset = [], 0, 0

    def _live_ref(self) -> str:
        """The session this page shows: from state, or (state lost) from the page's route."""
        if self.session_id:
            return self.session_id
        ref = self._ref()
        log.info("live practice state was empty: session %s taken from the route", ref)
        return ref

    @rx.event
    @accepts()
    async def load(self):
        self._reset()
        ref = self._ref()

        def read(session: Session, viewer: Viewer):
            live = practice.get_live_session(session, viewer.user_id, ref)
            view, tail = live.view, []
            if view.status == "active" and practice.seconds_left(view) <= 0:
                # Abandoned past its cap (the periodic sweep has not run yet): record it as the sweep would.
                view = practice.end_practice(
                    session=session,
                    user_id=viewer.user_id,
                    practice_session_id=view.id,
                    reason="time limit",
                    failed=True,
                )
            elif view.status == "active":
                tail = transcripts.transcript_tail(
                    session=session, user_id=viewer.user_id, practice_session_id=view.id, limit=TAIL_LINES
                )
            return live, view, tail

        try:
            _, (live, view, tail) = await self._signed_in(read)
        except ValidationError:
            self.not_found, self.loaded = True, True
            return
        if view.status != "active":
            return rx.redirect(routes.practice_session(view.id))
        self.session_id, self.mode, self.live_status = view.id, view.mode, "connecting"
        self.topic_title, self.partner_role, self.prompt_hint = live.topic_title, live.partner_role, live.prompt_hint
        self.learner_goal, self.criteria = live.learner_goal, ", ".join(live.criteria)
        self.difficulty, self.difficulty_color = live.difficulty, DIFFICULTY_COLORS.get(live.difficulty, "gray")
        self.tail = [
            {"sequence": s.sequence, "speaker": s.speaker, "text": s.text, "is_final": s.is_final} for s in tail
        ]
        self.next_sequence = tail[-1].sequence + 1 if tail else 0
        self.elapsed_offset = max(0, min(MAX_SESSION_SECONDS, int((utcnow() - view.started_at).total_seconds())))
        self.status_text = self._texts()["connecting"]
        self.loaded = True
        if view.mode == "realtime":
            return PracticeLiveState.connect

    async def _mint(self, *, renewal: bool):
        """Mint a client secret for the partner connection and hand it to the browser (background work: the
        check, then the Realtime API with no transaction or state lock held, then the record)."""
        async with self:
            stopped = self.live_status in ("ending", "ended", "failed")
            if self.mode != "realtime" or stopped or self._minting or (renewal and self.live_status != "reconnecting"):
                return
            self._minting = True
            session_id = self.session_id
        client = get_openai_client()

        def prepare(session: Session, viewer: Viewer) -> PendingSecret:
            return practice.prepare_mint(
                session=session,
                user_id=viewer.user_id,
                practice_session_id=session_id,
                client=client,
                model=settings.openai_realtime_model,
            )

        def record(session: Session, _viewer: Viewer, pending: PendingSecret, issued: IssuedSecret) -> MintedSecret:
            return record_client_secret(session=session, pending=pending, issued=issued)

        minted, problem = None, ""
        try:
            _, minted = await self._signed_in_around(
                prepare, lambda pending: request_client_secret(client, pending), record
            )
        except (ValidationError, DatabaseUnavailable) as error:
            problem = error.message
        finally:
            async with self:
                self._minting = False
        async with self:
            if problem:
                self.error = problem
                return
            if minted is None or self.live_status in ("ending", "ended", "failed") or self.session_id != session_id:
                return
            self.client_secret, self.calls_url = minted.value, minted.calls_url

    @rx.event(background=True)
    @accepts()
    async def connect(self):
        """Mint the first client secret of this page's connection to the partner."""
        return await self._mint(renewal=False)

    @rx.event(background=True)
    @accepts()
    async def renew(self):
        """Mint a fresh client secret while the browser reconnects (a dropped network or an expired secret)."""
        return await self._mint(renewal=True)

    @rx.event
    @accepts(payload=Form(status=Text(), reason=Text(), typed=Flag()))
    async def status(self, payload: dict):
        """The browser's status reports: connecting, live, reconnecting, ending, then ended or failed (with
        `typed` when the learner typed their transcript in solo mode)."""
        status, reason = payload.get("status", ""), payload.get("reason", "")
        typed = ticked(payload, "typed") is True
        if status not in STATUS_TEXT or self.live_status in ("ended", "failed"):
            return
        if not self.session_id and status not in ("ended", "failed"):
            return  # a progress report to a state that lost the page: nothing to record
        if status in ("live", "reconnecting", "ending"):
            self.client_secret = ""
        if status in ("connecting", "live", "reconnecting", "ending"):
            self.live_status, self.status_text = status, self._texts()[status]
            if status == "live":
                self.error = ""
            if status == "reconnecting":
                return PracticeLiveState.renew
            return
        failed = status == "failed"
        reason = reason if reason in REASONS else (FALLBACK_REASON if failed else "")
        session_id = self._live_ref()
        try:
            _, view = await self._signed_in(
                lambda s, v: practice.end_practice(
                    session=s,
                    user_id=v.user_id,
                    practice_session_id=session_id,
                    reason=reason or None,
                    failed=failed,
                    typed=typed,
                )
            )
        except ValidationError as error:
            self.error, self.ending = error.message, False
            return
        except Answered:
            if self.db_unavailable:
                # The browser reports again when End is pressed again; the session stays active meanwhile.
                self.error, self.ending = "Your session is still open: press End again when SpeakPro is back.", False
            raise
        self.session_id = view.id
        self.client_secret, self.live_status, self.ending = "", view.status, False
        if view.status == "failed":
            self.failed_reason = view.failure_reason or reason
            self.status_text = f"{self._texts()['failed']}: {REASONS.get(reason, reason)}"
            self.error = "The session stopped early. What was said and recorded so far is saved."
            return
        self.status_text = self._texts()["ended"]
        return [rx.toast.success("Session saved."), rx.redirect(routes.practice_session(view.id))]

    @rx.event
    @accepts(
        payload=Form(key=Text(), mime=Text(), size=Maybe(Number(0, 2**53)), duration_seconds=Maybe(Number(0, 2**53)))
    )
    async def recorded(self, payload: dict):
        """The session's recording was uploaded: make it the session's recording."""
        session_id = self._live_ref()
        key, mime = payload.get("key", ""), payload.get("mime", "")
        size, duration = payload.get("size"), payload.get("duration_seconds")
        try:
            await self._signed_in(
                lambda s, v: attach_recording(
                    session=s,
                    user_id=v.user_id,
                    practice_session_id=session_id,
                    key=key,
                    mime=mime,
                    size=size,
                    duration_seconds=duration,
                )
            )
        except ValidationError as error:
            self.error = f"The recording was not saved: {error.message}"
        except Answered:
            if self.db_unavailable:
                self.error = "The recording was not saved: SpeakPro cannot reach its database right now."
            raise

    @rx.event
    @accepts()
    def toggle_mute(self):
        self.muted = not self.muted

    @rx.event
    @accepts()
    def end(self):
        """End the session: the browser sends its last segments and the recording, then reports "ended".

        Works on a state that lost the page too: the browser's own end token is then 0 or more, and any
        change of `end_token` makes it finish.
        """
        if self.ending:
            return
        if self.live_status in ("ended", "failed"):
            return rx.redirect(routes.practice_session(self._live_ref()))
        if not self.session_id:
            self.session_id = self._live_ref()
        # Time-based, so the token moves forward even when this state was lost and restarted from 0.
        self.ending, self.end_token = True, max(self.end_token + 1, int(time.time()))
        self.status_text = (SOLO_STATUS_TEXT if self.mode == "solo" else STATUS_TEXT)["ending"]
