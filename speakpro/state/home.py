"""The learner's home page."""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session

from speakpro.services.accounts.sessions import Viewer
from speakpro.services.learning import quests
from speakpro.services.learning.economy import EconomyError
from speakpro.services.learning.home import HomeDashboard, ModuleCard, RecentPractice, get_home_dashboard
from speakpro.services.telemetry import record_exposure
from speakpro.services.validation import ValidationError
from speakpro.settings import settings
from speakpro.state.auth import AuthState
from speakpro.state.edge import Text, accepts
from speakpro.state.history import MetricRow, metric_row


def _read(session: Session, viewer: Viewer) -> HomeDashboard:
    dashboard = get_home_dashboard(session=session, user_id=viewer.user_id, today=quests.utc_today())
    # The exposure is logged (once per learner) so the variants can be compared on what learners saw.
    record_exposure(
        session=session,
        user_id=viewer.user_id,
        company_id=viewer.company_id,
        variant=viewer.ab_variant,
        surface="home_cta",
    )
    return dashboard


class HomeState(AuthState):
    """Level progress, modules, balances, today's quests and recent practice; the A/B variant orders the
    calls to action."""

    variant: str = ""
    xp: int = 0
    coins: int = 0
    tickets: int = 0
    streak_days: int = 0
    sessions_total: int = 0
    sessions_last_7_days: int = 0
    main_goal: str = ""
    level_title: str = ""
    level_percent: int = 0
    modules_completed: int = 0
    modules_total: int = 0
    milestone_unlocked: bool = False
    milestone_passed: bool = False
    milestone_threshold: int = 0
    modules: list[ModuleCard] = []
    quests: list[quests.QuestView] = []
    recent: list[RecentPractice] = []
    # The newest analysed session's feedback ("" href: none yet).
    feedback_href: str = ""
    feedback_title: str = ""
    feedback_score: str = ""
    feedback_provider: str = ""
    feedback_metrics: list[MetricRow] = []
    feedback_improvement: str = ""
    feedback_quote: str = ""
    next_lesson_id: str = ""
    solo_mode: bool = settings.offline  # no AI partner configured: practice is solo
    loaded: bool = False

    def _show(self, viewer: Viewer, dashboard: HomeDashboard) -> None:
        summary, latest = dashboard.summary, dashboard.latest_feedback
        self._assign(
            variant=viewer.ab_variant or "A",
            xp=summary.xp,
            coins=summary.coins,
            tickets=summary.tickets,
            streak_days=summary.streak_days,
            main_goal=summary.main_goal,
            sessions_total=summary.sessions_total,
            sessions_last_7_days=summary.sessions_last_7_days,
            level_title=dashboard.level_title,
            level_percent=dashboard.level_percent,
            modules_completed=dashboard.modules_completed,
            modules_total=dashboard.modules_total,
            milestone_unlocked=dashboard.milestone_unlocked,
            milestone_passed=dashboard.milestone_passed,
            milestone_threshold=dashboard.milestone_threshold,
            modules=dashboard.modules,
            quests=dashboard.quests,
            recent=dashboard.recent,
            feedback_href=latest.href if latest else "",
            feedback_title=latest.title if latest else "",
            feedback_score="" if latest is None or latest.score is None else str(latest.score),
            feedback_provider=latest.provider if latest else "",
            feedback_metrics=[metric_row(m) for m in latest.metrics] if latest else [],
            feedback_improvement=latest.improvement if latest else "",
            feedback_quote=latest.quote if latest else "",
            next_lesson_id=dashboard.next_lesson_id,
            loaded=True,
        )

    @rx.event
    @accepts()
    async def load(self):
        self.loaded = False  # nothing is shown that this load did not read
        self._show(*await self._signed_in(_read))

    @rx.event
    @accepts(quest_id=Text())
    async def claim(self, quest_id: str):
        """Claim a completed quest's reward (pays once, however often it is clicked)."""

        def claim_and_read(session: Session, viewer: Viewer) -> tuple[quests.ClaimResult, HomeDashboard]:
            claimed = quests.claim_quest(session=session, user_id=viewer.user_id, quest_id=quest_id)
            return claimed, _read(session, viewer)

        try:
            viewer, (result, dashboard) = await self._signed_in(claim_and_read)
        except (ValidationError, EconomyError) as error:
            return rx.toast.error(getattr(error, "message", str(error)))
        self._show(viewer, dashboard)
        if result.claimed_now:
            return rx.toast.success(f"Quest reward: +{result.xp_paid} XP, +{result.coins_paid} coins.")
        return rx.toast.info("You already claimed this quest.")
