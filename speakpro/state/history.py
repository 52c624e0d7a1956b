"""The practice history: the paginated list, the learner's other recordings (lessons, venues, the milestone, the
amphitheatre) with a delete button each, and one session (transcript, recording, delete)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import reflex as rx
from sqlmodel import Session

from speakpro import routes
from speakpro.services.accounts import own_recordings
from speakpro.services.accounts.own_recordings import DELETABLE_KINDS, list_recordings
from speakpro.services.accounts.sessions import Viewer
from speakpro.services.practice import history, session_deletion
from speakpro.services.validation import ValidationError
from speakpro.state.auth import AuthState, no_work
from speakpro.state.edge import Answered, Text, accepts

PAGE_SIZE = 20
SPEAKER_LABELS = {"user": "You", "ai": "Partner"}
STATUS_LABELS = {
    "active": "In progress",
    "ended": "Ended",
    "failed": "Failed",
    "analyzed": "Analysed",
    "archived": "Archived",
}

# How often an open session page asks whether its analysis has landed, and for how long.
ANALYSIS_POLL_SECONDS = 2
ANALYSIS_WAIT_SECONDS = 180


@dataclass(frozen=True)
class HistoryRow:
    """One line of the history table, formatted for display."""

    id: str
    topic: str
    started: str
    duration: str
    status: str
    has_audio: bool
    has_transcript: bool
    score: str
    href: str
    retakes: str = ""  # "2 retaken · 1 better", "" when none


@dataclass(frozen=True)
class TextPart:
    """A piece of a transcript line; `filler` pieces are highlighted."""

    text: str
    filler: bool


@dataclass(frozen=True)
class SegmentRow:
    """One transcript line, formatted for display (`parts` splits it into plain and filler pieces)."""

    sequence: int
    speaker: str
    speaker_label: str
    text: str
    time: str
    parts: list[TextPart] = field(default_factory=list)
    start_ms: int = 0


@dataclass(frozen=True)
class MetricRow:
    """One speech metric with its healthy band and a green ("ok") or amber badge."""

    key: str
    label: str
    value: str
    healthy: str
    verdict: str  # "Healthy", "Low", "High"
    color: str  # "green" or "amber"


@dataclass(frozen=True)
class CoachItemRow:
    """A strength or an improvement, with the learner's words it is about."""

    text: str
    quote: str


@dataclass(frozen=True)
class CriterionRow:
    """One criterion of a company scenario's rubric, as the coach scored it."""

    name: str
    weight: str
    score: str  # "—" where the coach gave none
    value: int  # for the bar (0 where not scored)
    note: str


# key -> (label, how to show a value, unit after the band)
METRIC_FORMATS = {
    "pace_wpm": ("Pace", lambda v: f"{v:.0f} wpm", lambda v: f"{v:g}", " wpm"),
    "filler_rate_per_100": ("Fillers per 100 words", lambda v: f"{v:.1f}", lambda v: f"{v:g}", ""),
    "talk_time_ratio": ("Your talk time", lambda v: f"{round(v * 100)}%", lambda v: f"{round(v * 100)}", "%"),
    "longest_monologue_seconds": ("Longest monologue", lambda v: f"{v:.0f} s", lambda v: f"{v:g}", " s"),
    "vocabulary_variety": ("Vocabulary variety", lambda v: f"{v:.2f}", lambda v: f"{v:g}", ""),
    "sentiment": ("Sentiment", lambda v: f"{v:+.2f}", lambda v: f"{v:g}", ""),
    "pitch_variation_semitones": ("Pitch variation", lambda v: f"{v:.1f} semitones", lambda v: f"{v:g}", " semitones"),
    "loudness_variation_db": ("Loudness variation", lambda v: f"{v:.1f} dB", lambda v: f"{v:g}", " dB"),
}
# Where a pace was measured, said beside its label.
PACE_SOURCES = {"recording": "Pace (from your recording)", "transcript": "Pace"}
VERDICTS = {"ok": "Healthy", "low": "Low", "high": "High"}
SKILL_LABELS = {
    "opening": "Opening",
    "questioning": "Questioning",
    "objection_handling": "Objection handling",
    "closing": "Closing",
}


def metric_row(metric: history.MetricView) -> MetricRow:
    """A metric formatted as value + "healthy: a–b" + badge."""
    label, show, bound, unit = METRIC_FORMATS.get(metric.key, (metric.key, lambda v: f"{v:g}", lambda v: f"{v:g}", ""))
    label = PACE_SOURCES.get(metric.source or "", label) if metric.key == "pace_wpm" else label
    low = "" if metric.low is None else bound(metric.low)
    high = "" if metric.high is None else bound(metric.high)
    return MetricRow(
        key=metric.key,
        label=label,
        value="—" if metric.value is None else show(metric.value),
        healthy=f"healthy: {low}\u2013{high}{unit}",
        verdict=VERDICTS.get(metric.assessment or "", "Not measured" if metric.applicable else "Not applicable"),
        color="green" if metric.assessment == "ok" else "amber",
    )


# What a recorded answer (a lesson step, the milestone) has of the session metrics.
DELIVERY_KEYS = ("pace_wpm", "pitch_variation_semitones", "loudness_variation_db")


def delivery_rows(delivery: object) -> list[MetricRow]:
    """The delivery measured from a recorded answer's audio, as metric rows ([] without a readable recording;
    "Not measured" where the recording held no speech to measure)."""
    if not isinstance(delivery, dict):
        return []
    views = history.metric_views(delivery, keep_unmeasured=True)
    return [metric_row(m) for m in views if m.key in DELIVERY_KEYS]


def segment_rows(detail: history.SessionDetail) -> list[SegmentRow]:
    """A session's transcript lines for display (the learner's page and a manager's review)."""
    return [
        SegmentRow(
            sequence=s.sequence,
            speaker=s.speaker,
            speaker_label=SPEAKER_LABELS.get(s.speaker, s.speaker),
            text=s.text,
            time=clock(s.start_ms / 1000),
            parts=[TextPart(text=str(p["text"]), filler=bool(p["filler"])) for p in s.parts],
            start_ms=s.start_ms,
        )
        for s in detail.segments
    ]


@dataclass(frozen=True)
class MomentChip:
    """One weak moment on the replay's strip: where it starts and what was measured there."""

    at_ms: int
    time: str
    kind: str
    label: str
    detail: str


MOMENT_LABELS = {"fillers": "Fillers", "monologue": "Monologue", "pause": "Long pause", "objection": "Objection"}


def moment_chips(detail: history.SessionDetail) -> list[MomentChip]:
    """A session's weak moments for the strip above its transcript (the learner's page and a review)."""
    return [
        MomentChip(m.at_ms, clock(m.at_ms / 1000), m.kind, MOMENT_LABELS.get(m.kind, m.kind), m.detail)
        for m in detail.moments
    ]


def when(value: datetime | None) -> str:
    """A date and time for tables (UTC)."""
    return value.strftime("%d %b %Y, %H:%M UTC") if value else "—"


def clock(seconds: float | int | None) -> str:
    """Seconds as m:ss, or a dash."""
    if seconds is None:
        return "—"
    whole = max(0, int(round(seconds)))
    return f"{whole // 60}:{whole % 60:02d}"


def size_label(size_bytes: int) -> str:
    """A byte count as KB or MB."""
    return f"{size_bytes / 1024:.0f} KB" if size_bytes < 1024 * 1024 else f"{size_bytes / (1024 * 1024):.1f} MB"


def _page_number(raw: str | None) -> int:
    value = (raw or "1").strip()
    # isdigit() alone also takes "²" and other digits that int() refuses.
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 6 else 1


@dataclass(frozen=True)
class RecordingRow:
    """One of the learner's own recordings (not a practice session's), formatted for a list with delete."""

    key: str
    kind: str
    kind_label: str
    title: str
    created: str
    url: str


def read_recordings(
    session: Session, viewer: Viewer, kinds: tuple[str, ...], lesson_id: uuid.UUID | None = None
) -> list[RecordingRow]:
    """The viewer's recordings of `kinds` (in one lesson when `lesson_id`), as `OwnRecordingsMixin` lists them."""
    if not kinds:
        return []
    items = list_recordings(session=session, user_id=viewer.user_id, kinds=kinds, lesson_id=lesson_id)
    return [
        RecordingRow(
            key=i.key, kind=i.kind, kind_label=i.kind_label, title=i.title, created=when(i.created_at), url=i.url
        )
        for i in items
    ]


if TYPE_CHECKING:
    # Mixed in before `AuthState` (see `OwnRecordingsMixin`), whose guard its handler calls. At run time the
    # mixin derives from `rx.State` alone, so Reflex copies its vars and handlers into each page state and
    # adds no substate.
    _PageState = AuthState
else:
    _PageState = rx.State


class OwnRecordingsMixin(_PageState, mixin=True):
    """A list of the learner's lesson, venue, milestone or amphitheatre recordings, each deletable.

    Page states mix it in before `AuthState`. Their `load` reads the list inside its `_signed_in` work with
    `read_recordings(session, viewer, kinds, lesson_id)` and shows it with `_show_recordings(rows, kinds,
    lesson_id)`. Deleting one (`delete_recording`, after the page's confirmation) reads the list again, and
    runs the page's `_refresh_after_deletion` work in the same transaction, whose value goes to
    `_show_after_deletion`: a page overrides both to refresh what shows the recording elsewhere.
    """

    recordings: list[RecordingRow] = []
    recording_deleting: str = ""  # the key being deleted, for its button's working state
    recordings_error: str = ""
    _recording_kinds: list[str] = []
    _recording_lesson: str = ""

    def _show_recordings(
        self, rows: list[RecordingRow], kinds: tuple[str, ...] = DELETABLE_KINDS, lesson_id: uuid.UUID | None = None
    ) -> None:
        """Show the list a load read with `read_recordings(session, viewer, kinds, lesson_id)`; a deletion
        reads the same kinds again (`_listed`)."""
        self._recording_kinds, self._recording_lesson = list(kinds), str(lesson_id or "")
        self.recordings, self.recordings_error, self.recording_deleting = rows, "", ""

    def _listed(self) -> tuple[tuple[str, ...], uuid.UUID | None]:
        """The kinds and the lesson of the list this page shows (none before its load)."""
        return tuple(self._recording_kinds), uuid.UUID(self._recording_lesson) if self._recording_lesson else None

    def _refresh_after_deletion(self) -> Callable[[Session, Viewer], object]:
        """Work that reads, in the deletion's transaction, whatever else the page shows of the recording."""
        return no_work

    def _show_after_deletion(self, refreshed: object) -> None:
        """Show what `_refresh_after_deletion`'s work read."""

    @rx.event
    @accepts(key=Text())
    async def delete_recording(self, key: str):
        """Delete one of the viewer's recordings (the object and its references); the page confirmed first."""
        if self.recording_deleting:
            return
        kinds, lesson_id = self._listed()
        refresh = self._refresh_after_deletion()

        def delete_and_read(session: Session, viewer: Viewer) -> tuple[list[RecordingRow], object]:
            own_recordings.delete_recording(session=session, user_id=viewer.user_id, key=key)
            return read_recordings(session, viewer, kinds, lesson_id), refresh(session, viewer)

        self.recording_deleting, self.recordings_error = key or "-", ""
        yield
        try:
            _, (rows, refreshed) = await self._signed_in(delete_and_read)
        except ValidationError as error:
            self.recordings_error, self.recording_deleting = error.message, ""
            yield rx.toast.error(error.message)
            return
        except Answered:
            self.recording_deleting = ""  # not signed in, or the database did not answer: nothing was deleted
            raise
        self.recordings = rows
        self._show_after_deletion(refreshed)
        self.recording_deleting = ""
        yield rx.toast.success("The recording was deleted.")


class HistoryState(OwnRecordingsMixin, AuthState):
    """The learner's own practice sessions, one page at a time (`/history?page=N`), and their other recordings."""

    rows: list[HistoryRow] = []
    page: int = 1
    pages: int = 1
    total: int = 0
    loaded: bool = False

    @rx.var
    def prev_href(self) -> str:
        return routes.history(self.page - 1) if self.page > 1 else ""

    @rx.var
    def next_href(self) -> str:
        return routes.history(self.page + 1) if self.page < self.pages else ""

    @rx.event
    @accepts()
    async def load(self):
        self.rows, self.loaded = [], False  # nothing is shown that this load did not read
        wanted = _page_number(self.router.url.query_parameters.get("page"))

        def read(session: Session, viewer: Viewer) -> tuple[history.HistoryPage, list[RecordingRow]]:
            page = history.list_history(session=session, user_id=viewer.user_id, page=wanted, page_size=PAGE_SIZE)
            return page, read_recordings(session, viewer, DELETABLE_KINDS)

        _, (result, recordings) = await self._signed_in(read)
        self.rows = [
            HistoryRow(
                id=item.id,
                topic=item.topic_title,
                started=when(item.started_at),
                duration=clock(item.duration_seconds),
                status=STATUS_LABELS.get(item.status, item.status),
                has_audio=item.has_audio,
                has_transcript=item.has_transcript,
                score="—" if item.overall_score is None else str(item.overall_score),
                # A session still running opens where it can be resumed; the others open their analysis.
                href=routes.practice_live(item.id) if item.status == "active" else routes.practice_session(item.id),
                retakes=f"{item.retakes} retaken · {item.retakes_improved} better" if item.retakes else "",
            )
            for item in result.items
        ]
        self.page, self.pages, self.total, self.loaded = result.page, result.pages, result.total, True
        self._show_recordings(recordings, DELETABLE_KINDS)


class SessionDetailState(AuthState):
    """One of the learner's sessions: transcript, recording, analytics, and deleting it."""

    loaded: bool = False
    not_found: bool = False
    session_id: str = ""
    title: str = ""
    topic: str = ""
    started: str = ""
    duration: str = ""
    status: str = ""
    mode: str = ""
    segments: list[SegmentRow] = []
    transcript_text: str = ""
    transcript_note: str = ""
    has_recording: bool = False
    audio_url: str = ""
    audio_mime: str = ""
    audio_details: str = ""
    score: str = ""
    metrics: list[list[str]] = []
    speech_metrics: list[MetricRow] = []
    has_coach: bool = False
    coach_provider: str = ""
    coach_note: str = ""
    coach_overall: str = ""
    coach_scores: list[list[str]] = []
    strengths: list[CoachItemRow] = []
    criteria_scores: list[CriterionRow] = []  # a company scenario's own rubric
    moments: list[MomentChip] = []  # the replay strip's weak moments
    improvements: list[CoachItemRow] = []
    error: str = ""
    busy: bool = False
    # The session has ended and its analysis is queued or running: the page says so and updates itself.
    analysing: bool = False
    analysis_slow: bool = False
    transcript_typed: bool = False
    _analysis_watch: str = ""  # the load whose watcher runs (a newer load's watcher takes over)

    def _ref(self) -> str:
        return self._route_arg("session_ref")

    def _clear(self) -> None:
        self.session_id = self.title = self.topic = self.started = self.duration = self.status = self.mode = ""
        self.segments, self.transcript_text, self.transcript_note = [], "", ""
        self.has_recording, self.audio_url, self.audio_mime, self.audio_details = False, "", "", ""
        self.score, self.metrics, self.error, self.busy = "", [], "", False
        self.speech_metrics, self.has_coach, self.coach_provider, self.coach_note = [], False, "", ""
        self.analysing = self.analysis_slow = self.transcript_typed = False
        self.coach_overall, self.coach_scores, self.strengths, self.improvements = "", [], [], []
        self.criteria_scores, self.moments = [], []

    def _show(self, detail: history.SessionDetail) -> None:
        self.analysing = detail.status == "ended" and detail.processing_status in ("pending", "processing")
        self.session_id, self.title, self.topic = detail.id, detail.title, detail.topic_title
        self.started, self.duration = when(detail.started_at), clock(detail.duration_seconds)
        self.status, self.mode = STATUS_LABELS.get(detail.status, detail.status), detail.mode
        self.segments, self.moments = segment_rows(detail), moment_chips(detail)
        self.speech_metrics = [metric_row(m) for m in detail.speech_metrics]
        coach = detail.coach
        self.has_coach = coach is not None
        if coach is not None:
            self.coach_provider, self.coach_note = coach.provider_label, coach.note
            self.coach_overall = "—" if coach.overall is None else str(coach.overall)
            self.coach_scores = [
                [SKILL_LABELS.get(k, k), "—" if v is None else str(v)] for k, v in coach.scores.items()
            ]
            self.coach_scores.append(["Overall", self.coach_overall])
            self.strengths = [CoachItemRow(text=i["text"], quote=i["quote"]) for i in coach.strengths]
            self.improvements = [CoachItemRow(text=i["text"], quote=i["quote"]) for i in coach.improvements]
            self.criteria_scores = [
                CriterionRow(
                    name=c.name,
                    weight=f"weight {c.weight}",
                    score="—" if c.score is None else str(c.score),
                    value=c.score or 0,
                    note=c.note,
                )
                for c in coach.criteria
            ]
        self.transcript_text = detail.transcript_text
        self.transcript_typed = detail.transcript_typed
        if detail.transcript_anonymized:
            self.transcript_note = "The transcript of this session was deleted."
        elif not detail.has_transcript:
            self.transcript_note = "There is no transcript for this session."
        recording = detail.recording
        self.has_recording = recording is not None
        self.audio_url = recording.url if recording else ""
        self.audio_mime = recording.mime_type if recording else ""
        self.audio_details = (
            f"{recording.mime_type} · {size_label(recording.size_bytes)} · {clock(recording.duration_seconds)}"
            if recording
            else ""
        )
        stats = detail.analytics
        self.score = "" if stats is None or stats.overall_score is None else str(stats.overall_score)
        self.metrics = (
            []
            if stats is None
            else [
                [label, value]
                for label, value in (
                    ("Pace", f"{stats.speaking_pace_wpm} words/min" if stats.speaking_pace_wpm is not None else "—"),
                    (
                        "Filler words",
                        str(stats.filler_words_count)
                        if stats.filler_words_count is not None
                        else "Not measured (typed transcript)"
                        if detail.transcript_typed
                        else "Not measured",
                    ),
                    (
                        "Your talk time",
                        "Not applicable (solo)"
                        if detail.mode == "solo"
                        else f"{round(stats.talk_time_ratio * 100)}%"
                        if stats.talk_time_ratio is not None
                        else "Not measured",
                    ),
                    ("Questions asked", str(stats.questions_asked)),
                    *(
                        (name.replace("_", " ").capitalize(), "—" if score is None else str(score))
                        for name, score in stats.skills.items()
                    ),
                )
            ]
        )

    @rx.event
    @accepts()
    async def load(self):
        self._clear()
        self.loaded, self.not_found = False, False
        ref = self._ref()

        def read(session: Session, viewer: Viewer) -> history.SessionDetail | None:
            try:  # a read: nothing to undo when it is not found
                return history.get_session_detail(session=session, user_id=viewer.user_id, practice_session_id=ref)
            except ValidationError:
                return None  # not found is an answer of the page, which still shows who is signed in

        _, detail = await self._signed_in(read)
        if detail is None:
            self.not_found, self.loaded = True, True
            return
        self._show(detail)
        self.loaded = True
        if self.analysing:
            self._analysis_watch = uuid.uuid4().hex
            return SessionDetailState.watch_analysis

    @rx.event(background=True)
    @accepts()
    async def watch_analysis(self):
        """While the session's analysis runs, read the session again every few seconds and show the analysis
        when it lands (no reload); after `ANALYSIS_WAIT_SECONDS`, say it is taking longer and stop asking."""
        async with self:
            watched, watch = self.session_id, self._analysis_watch
        deadline = time.monotonic() + ANALYSIS_WAIT_SECONDS
        while time.monotonic() < deadline:
            await asyncio.sleep(ANALYSIS_POLL_SECONDS)
            async with self:
                if self.session_id != watched or self._analysis_watch != watch or not self.analysing:
                    return  # another session is shown now, or the page was loaded again (its own watcher runs)
                try:
                    _, detail = await self._signed_in(
                        lambda s, v: history.get_session_detail(
                            session=s, user_id=v.user_id, practice_session_id=watched
                        )
                    )
                except Answered as answered:
                    if self.db_unavailable:
                        continue  # the database is away for now: keep waiting, the analysis is not lost
                    self.analysing = False
                    return answered.event  # signed out meanwhile: to the login page, as any event would
                except ValidationError:
                    self.analysing = False  # deleted meanwhile (in another tab): the next load says so
                    return
                self._show(detail)
                if not self.analysing:
                    return rx.toast.success("Your feedback is ready.")
        async with self:
            if self.session_id == watched and self.analysing:
                self.analysis_slow = True

    @rx.event
    @accepts()
    async def delete_session(self):
        if self.busy:
            return
        try:
            target: uuid.UUID | None = uuid.UUID(self.session_id)
        except ValueError:
            target = None

        def delete(session: Session, viewer: Viewer) -> bool:
            if target is None:
                return False
            session_deletion.delete_session(session=session, user_id=viewer.user_id, practice_session_id=target)
            return True

        try:
            _, deleted = await self._signed_in(delete)
        except ValidationError as error:
            self.error, self.busy = error.message, False
            return rx.toast.error(error.message)
        if not deleted:
            self.error = session_deletion.NOT_FOUND
            return
        self._clear()
        return [
            rx.toast.success("The session, its recording and its transcript were deleted."),
            rx.redirect(routes.HISTORY),
        ]
