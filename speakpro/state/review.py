"""Consented review in the browser: the learner's sharing switch and the comments on their session page, and
a manager's review of a shared session (`/company/[slug]/review/[session_ref]`)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import reflex as rx
from sqlmodel import Session

from speakpro import routes
from speakpro.models import Company
from speakpro.models.analysis import SKILLS
from speakpro.services.accounts.sessions import Viewer
from speakpro.services.dashboards.dashboard_access import managed_company
from speakpro.services.practice import review
from speakpro.services.practice.practice_access import owned_session
from speakpro.services.practice.scenarios import MAX_CRITERIA
from speakpro.services.validation import ValidationError
from speakpro.state.auth import AuthState
from speakpro.state.edge import LONG, Flag, Form, Number, Text, accepts
from speakpro.state.history import MomentChip, SegmentRow, clock, moment_chips, segment_rows, when


@dataclass(frozen=True)
class CommentRow:
    """One comment, formatted for display."""

    id: str
    at: str
    at_ms: int
    body: str
    author: str


@dataclass(frozen=True)
class CriterionInput:
    """One criterion of the session's scenario rubric, with the viewer's score so far ("" if none)."""

    field: str  # the form field, "criterion_<n>"
    key: str
    name: str
    good: str
    value: str


def _criterion_inputs(rubric, mine: dict | None) -> list[CriterionInput]:
    given = (mine or {}).get("criteria") or {}
    return [
        CriterionInput(f"criterion_{i}", c.key, c.name, c.good, str(given.get(c.key, "")))
        for i, c in enumerate(rubric[:MAX_CRITERIA])
    ]


def _rows(comments: list[review.CommentView]) -> list[CommentRow]:
    return [
        CommentRow(id=c.id, at=clock(c.at_ms / 1000), at_ms=c.at_ms, body=c.body, author=c.author) for c in comments
    ]


class SessionShareState(AuthState):
    """On the learner's session page: whether their company's managers may see it, and what they said."""

    loaded: bool = False
    shared: bool = False
    can_share: bool = False
    comments: list[CommentRow] = []

    def _ref(self) -> str:
        return self._route_arg("session_ref")

    @rx.event
    @accepts()
    async def load(self):
        ref = self._ref()

        def read(session: Session, viewer: Viewer) -> tuple[str, list[review.CommentView]] | None:
            try:  # the owner's session only (the session page says "not found" otherwise)
                privacy = owned_session(session, viewer.user_id, ref, lock=False).privacy
            except ValidationError:
                return None
            return privacy, review.comments_for(session=session, reader_id=viewer.user_id, practice_session_id=ref)

        viewer, found = await self._signed_in(read)
        self.loaded = found is not None
        self.can_share = viewer.company_id is not None
        self.shared, self.comments = (found[0] == "managers", _rows(found[1])) if found else (False, [])

    @rx.event
    @accepts(checked=Flag())
    async def set_shared(self, checked: bool):
        """Share this session with the company's managers, or make it private again."""
        ref, wanted = self._ref(), checked in (True, "on", "true")

        def save(session: Session, viewer: Viewer) -> str:
            return review.set_sharing(session=session, user_id=viewer.user_id, practice_session_id=ref, shared=wanted)

        try:
            _, privacy = await self._signed_in(save)
        except ValidationError as error:
            return rx.toast.error(error.message)
        self.shared = privacy == "managers"
        if self.shared:
            return rx.toast.success("Shared with your company's managers. You can make it private again at any time.")
        return rx.toast.success("This session is private again.")


class ReviewState(AuthState):
    """A manager's review of a session a learner of their company shared: transcript, recording, score, and
    comments pinned to a moment. Anything else (not shared, another company's, unknown) is one refusal."""

    forbidden: bool = False
    loaded: bool = False
    learner: str = ""
    topic: str = ""
    started: str = ""
    duration: str = ""
    score: str = ""
    segments: list[SegmentRow] = []
    moments: list[MomentChip] = []
    audio_url: str = ""
    audio_mime: str = ""
    comments: list[CommentRow] = []
    dashboard_href: str = ""
    comment_at_ms: int = 0
    comment_at: str = "0:00"
    error: str = ""
    busy: bool = False
    # The viewer's own rubric scores of this session (text for the inputs; "" where not scored yet).
    my_scores: dict[str, str] = {}
    criteria: list[CriterionInput] = []  # the scenario's own rubric, when the session practised one
    score_error: str = ""

    def _company(self, session: Session, viewer: Viewer) -> Company | None:
        return managed_company(session=session, viewer=viewer, slug=self._route_arg("slug"))

    @rx.event
    @accepts()
    async def load(self):
        ref, company_of = self._route_arg("session_ref"), self._company
        self.loaded, self.error, self.comment_at_ms, self.comment_at = False, "", 0, "0:00"

        def read(session: Session, viewer: Viewer):
            company = company_of(session, viewer)
            if company is None:
                return None
            try:
                detail, learner = review.review_session(
                    session=session, viewer_id=viewer.user_id, company_id=company.id, practice_session_id=ref
                )
            except ValidationError:
                return None
            comments = review.comments_for(session=session, reader_id=viewer.user_id, practice_session_id=ref)
            mine = review.my_scores(session=session, reviewer_id=viewer.user_id, practice_session_id=ref)
            return company.slug, detail, learner, comments, mine

        _, found = await self._signed_in(read)
        if found is None:
            self.forbidden, self.loaded, self.segments, self.comments, self.learner = True, True, [], [], ""
            self.moments = []
            self.my_scores, self.criteria = {}, []
            self.audio_url = ""
            return
        slug, detail, learner, comments, mine = found
        self.my_scores = {skill: str((mine or {}).get(skill, "")) for skill in SKILLS}
        self.criteria = _criterion_inputs(detail.rubric, mine)
        self.score_error = ""
        self.forbidden, self.learner, self.topic = False, learner, detail.topic_title
        self.started, self.duration = when(detail.started_at), clock(detail.duration_seconds)
        stats = detail.analytics
        self.score = "" if stats is None or stats.overall_score is None else str(stats.overall_score)
        self.segments, self.moments = segment_rows(detail), moment_chips(detail)
        recording = detail.recording
        self.audio_url, self.audio_mime = (recording.url, recording.mime_type) if recording else ("", "")
        self.comments, self.dashboard_href = _rows(comments), routes.company_dashboard(slug)
        self.loaded = True

    @rx.event
    @accepts(at_ms=Number(0, review.MAX_AT_MS))
    async def pick_moment(self, at_ms: object):  # `object`: Reflex would turn "3" into 3 before the edge sees it
        """Pin the next comment to this moment (the recording plays from there)."""
        moment = int(at_ms)  # type: ignore[arg-type]  # a Number, checked by @accepts
        # The player seeks by itself (`data-seek-ms`, assets/recording_player.jsx).
        self.comment_at_ms, self.comment_at = moment, clock(moment / 1000)

    @rx.event
    @accepts(form=Form(body=Text(LONG)), loaded=("dashboard_href",))
    async def add_comment(self, form: dict):
        if self.busy:
            return None
        ref, company_of, at_ms, body = (
            self._route_arg("session_ref"),
            self._company,
            self.comment_at_ms,
            form.get("body"),
        )

        def save(session: Session, viewer: Viewer) -> list[review.CommentView]:
            company = company_of(session, viewer)
            if company is None:
                raise ValidationError("session", review.NOT_SHARED)
            review.add_comment(
                session=session,
                author_id=viewer.user_id,
                company_id=company.id,
                practice_session_id=ref,
                at_ms=at_ms,
                body=body,
            )
            return review.comments_for(session=session, reader_id=viewer.user_id, practice_session_id=ref)

        self.busy, self.error = True, ""
        try:
            _, comments = await self._signed_in(save)
        except ValidationError as error:
            self.error = error.message
            return rx.toast.error(error.message)
        finally:
            self.busy = False
        self.comments = _rows(comments)
        return [rx.toast.success(f"Comment added at {self.comment_at}."), rx.set_value("comment-body", "")]

    @rx.event
    @accepts(
        form=Form(**{skill: Text(8) for skill in SKILLS}, **{f"criterion_{i}": Text(8) for i in range(MAX_CRITERIA)}),
        loaded=("dashboard_href",),
    )
    async def save_scores(self, form: dict):
        """Score the session on the rubric (each skill 0-100, and each criterion of its scenario); saving again
        replaces the viewer's scores."""
        ref, company_of = self._route_arg("session_ref"), self._company
        scores: dict = {skill: form.get(skill, "") for skill in SKILLS}
        scores["criteria"] = {c.key: form.get(c.field, "") for c in self.criteria}

        def save(session: Session, viewer: Viewer) -> dict:
            company = company_of(session, viewer)
            if company is None:
                raise ValidationError("session", review.NOT_SHARED)
            return review.score_session(
                session=session,
                reviewer_id=viewer.user_id,
                company_id=company.id,
                practice_session_id=ref,
                scores=scores,
            )

        try:
            _, saved = await self._signed_in(save)
        except ValidationError as error:
            self.score_error = error.message
            return rx.toast.error(error.message)
        self.score_error, self.my_scores = "", {skill: str(saved[skill]) for skill in SKILLS}
        self.criteria = [replace(c, value=str(saved.get("criteria", {}).get(c.key, ""))) for c in self.criteria]
        return rx.toast.success("Scores saved. They count in the dashboard's calibration.")
