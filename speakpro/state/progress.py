"""A learner's own progress page: scores over time, delivery metrics, skills, practice minutes and days."""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session

from speakpro.components import charts
from speakpro.services.accounts.sessions import Viewer
from speakpro.services.analysis.speech_metrics import FILLER_RATE_HEALTHY_MAX, PACE_HEALTHY_WPM, TALK_RATIO_HEALTHY
from speakpro.services.dashboards import dashboards
from speakpro.services.dashboards.learner_progress import LearnerProgress, learner_progress
from speakpro.state.auth import AuthState
from speakpro.state.edge import Text, accepts

# The same healthy ranges as the metrics engine, so the charts and the session page agree.
PACE_BAND = PACE_HEALTHY_WPM
TALK_BAND = TALK_RATIO_HEALTHY
FILLER_BAND = (0, FILLER_RATE_HEALTHY_MAX)
SCORE_BAND = (70, 100)
WINDOWS = ("30", "90", "180", "365")


def _fmt(value, suffix: str = "") -> str:
    return "–" if value is None else f"{value:g}{suffix}"


class ProgressState(AuthState):
    """Charts of the signed-in learner's own analysed sessions (never anyone else's)."""

    loading: bool = True
    window: str = "90"
    sessions: int = 0
    first_score: str = "–"
    latest_score: str = "–"
    average_score: str = "–"
    total_minutes: str = "0"
    streak: int = 0
    score_fig: charts.Figure = charts.empty_figure()
    pace_fig: charts.Figure = charts.empty_figure()
    fillers_fig: charts.Figure = charts.empty_figure()
    talk_fig: charts.Figure = charts.empty_figure()
    skills_fig: charts.Figure = charts.empty_figure()
    weekly_fig: charts.Figure = charts.empty_figure()
    calendar_fig: charts.Figure = charts.empty_figure()

    @rx.event
    @accepts()
    async def load(self):
        self.loading = True
        yield
        days = int(self.window) if self.window in WINDOWS else 90

        def read(session: Session, viewer: Viewer) -> LearnerProgress:
            return learner_progress(session=session, user_id=viewer.user_id, time_zone=viewer.time_zone, days=days)

        try:
            _, progress = await self._signed_in(read)
        finally:
            self.loading = False
        self._show(progress)

    @rx.event
    @accepts(value=Text())
    async def set_window(self, value: str):
        self.window = value if value in WINDOWS else "90"
        async for update in self.load():
            yield update

    def _show(self, p: LearnerProgress) -> None:
        self.sessions = p.sessions
        self.first_score, self.latest_score = _fmt(p.first_score), _fmt(p.latest_score)
        self.average_score = _fmt(p.average_score)
        self.total_minutes = f"{p.total_minutes:g}"
        self.streak = p.current_streak
        days = [pt.day for pt in p.points]
        self.score_fig = charts.line_with_band(
            days, [pt.overall_score for pt in p.points], title="Overall score", band=SCORE_BAND, y_range=(0, 100)
        )
        self.pace_fig = charts.line_with_band(
            days, [pt.pace_wpm for pt in p.points], title="Pace (words per minute)", band=PACE_BAND, color=charts.TEAL
        )
        self.fillers_fig = charts.line_with_band(
            days,
            [pt.filler_rate for pt in p.points],
            title="Filler words per 100 words",
            band=FILLER_BAND,
            color=charts.GRAY,
        )
        self.talk_fig = charts.line_with_band(
            days, [pt.talk_ratio for pt in p.points], title="Your share of talk time", band=TALK_BAND, y_range=(0, 1)
        )
        self.skills_fig = charts.radar(
            list(dashboards.SKILL_LABELS.values()), list(p.skills.values()), title="Skills (average)"
        )
        self.weekly_fig = charts.bars(
            [m.strftime("%b %d") for m, _ in p.weekly_minutes],
            [v for _, v in p.weekly_minutes],
            title="Practice minutes per week",
        )
        self.calendar_fig = charts.calendar_heatmap(
            p.practice_days, since=p.since, until=p.until, title="Practice days"
        )
