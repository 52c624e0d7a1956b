"""The learner's home page."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass

import reflex as rx
from sqlmodel import Session

from speakpro.db import SYSTEM, enter_context
from speakpro.services.accounts import invites
from speakpro.services.accounts.sessions import Viewer, viewer_context
from speakpro.services.learning import quests
from speakpro.services.learning.assignments import KIND_LABELS, MyAssignment
from speakpro.services.learning.economy import (
    STREAK_FREEZE_PRICE_COINS,
    EconomyError,
    FreezePurchase,
    buy_streak_freeze,
)
from speakpro.services.learning.home import HomeDashboard, ModuleCard, RecentPractice, get_home_dashboard
from speakpro.services.learning.streak import MAX_FREEZES_HELD
from speakpro.services.telemetry import record_exposure
from speakpro.services.validation import ValidationError
from speakpro.settings import settings
from speakpro.state.assignments import due_text
from speakpro.state.auth import AuthState
from speakpro.state.edge import Text, accepts
from speakpro.state.history import MetricRow, metric_row


@dataclass(frozen=True)
class AssignmentCard:
    """One of the learner's assignments, formatted for home."""

    id: str
    kind: str
    title: str
    note: str
    due: str
    rule: str
    progress: str
    status: str  # "Done", "Overdue" or "Due"
    color: str
    href: str
    reward: str


def _cards(found: list[MyAssignment], time_zone: str) -> list[AssignmentCard]:
    out = []
    for a in found:
        status, color = ("Done", "green") if a.completed_at else ("Overdue", "red") if a.overdue else ("Due", "violet")
        reward = " · ".join(f"+{n} {what}" for n, what in ((a.xp_reward, "XP"), (a.coin_reward, "coins")) if n)
        out.append(
            AssignmentCard(
                id=a.id,
                kind=KIND_LABELS[a.kind],
                title=a.title,
                note=a.note,
                due=due_text(a.due_at, time_zone),
                rule=a.rule,
                progress=f"{a.progress}/{a.needed}",
                status=status,
                color=color,
                href=a.href,
                reward=reward,
            )
        )
    return out


def _read(session: Session, viewer: Viewer) -> HomeDashboard:
    dashboard = get_home_dashboard(
        session=session,
        user_id=viewer.user_id,
        today=viewer.today(),
        time_zone=viewer.time_zone,
        invited=viewer.company_id is None,
    )
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
    streak_freezes: int = 0
    freeze_price: int = STREAK_FREEZE_PRICE_COINS
    freezes_max: int = MAX_FREEZES_HELD
    buying_freeze: bool = False
    _freeze_key: str = ""  # one purchase: a doubled or retried click buys one freeze
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
    assignments: list[AssignmentCard] = []  # what the learner's managers set, open ones first
    invitations: list[invites.MyInvite] = []  # companies inviting a learner who is in none
    answering_invite: str = ""  # the invitation being accepted or declined
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
            streak_freezes=summary.streak_freezes,
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
            assignments=_cards(dashboard.assignments, viewer.time_zone),
            invitations=dashboard.invitations,
            loaded=True,
        )

    @rx.event
    @accepts()
    async def load(self):
        self.loaded = False  # nothing is shown that this load did not read
        self._freeze_key = uuid.uuid4().hex
        viewer, dashboard = await self._signed_in(_read)
        self._show(viewer, dashboard)
        if dashboard.completed_now:
            return rx.toast.success("Assignment complete: " + ", ".join(dashboard.completed_now) + ". Reward paid.")
        return None

    @rx.event
    @accepts(loaded=("_freeze_key",))
    async def buy_freeze(self):
        """Trade coins for a streak freeze (once per click, however often it arrives)."""
        if self.buying_freeze:
            return None
        key = self._freeze_key

        def buy_and_read(session: Session, viewer: Viewer) -> tuple[FreezePurchase, HomeDashboard]:
            bought = buy_streak_freeze(
                session=session,
                user_id=viewer.user_id,
                request_key=key,
                today=viewer.today(),
                time_zone=viewer.time_zone,
            )
            return bought, _read(session, viewer)

        self.buying_freeze = True
        try:
            viewer, (purchase, dashboard) = await self._signed_in(buy_and_read)
        except EconomyError as error:
            return rx.toast.error(str(error))
        finally:
            self.buying_freeze = False
        self._show(viewer, dashboard)
        self._freeze_key = uuid.uuid4().hex  # the next click is a new purchase
        if purchase.bought_now:
            return rx.toast.success(
                f"Streak freeze bought for {STREAK_FREEZE_PRICE_COINS} coins: a day you miss won't break your streak."
            )
        return None

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
            bonus = " Every quest of today claimed: +1 ticket." if result.tickets_paid else ""
            return rx.toast.success(f"Quest reward: +{result.xp_paid} XP, +{result.coins_paid} coins.{bonus}")
        return rx.toast.info("You already claimed this quest.")

    @rx.event
    @accepts(invite_id=Text(64))
    async def accept_invite(self, invite_id: str):
        """Join the company that invited the learner, into the invitation's team."""
        if self.answering_invite:
            return None

        def accept_and_read(session: Session, viewer: Viewer) -> tuple[Viewer, HomeDashboard]:
            # The invitation names a company the learner is not in yet: finding it runs as the system.
            enter_context(session, SYSTEM)
            company = invites.accept_invite(session=session, user_id=viewer.user_id, invite_id=invite_id)
            member = dataclasses.replace(
                viewer, company_id=company.id, company_slug=company.slug, company_name=company.name, role="learner"
            )
            enter_context(session, viewer_context(member))
            return member, _read(session, member)

        self.answering_invite = invite_id
        try:
            _, (member, dashboard) = await self._signed_in(accept_and_read)
        except ValidationError as error:
            return rx.toast.error(error.message)
        finally:
            self.answering_invite = ""
        self._show_member(member)
        self._show(member, dashboard)
        return rx.toast.success(f"You joined {member.company_name}. Your managers' assignments show here.")

    @rx.event
    @accepts(invite_id=Text(64))
    async def decline_invite(self, invite_id: str):
        """Turn an invitation down; the company's managers see it gone."""
        if self.answering_invite:
            return None

        def decline(session: Session, viewer: Viewer) -> list[invites.MyInvite]:
            enter_context(session, SYSTEM)
            invites.decline_invite(session=session, user_id=viewer.user_id, invite_id=invite_id)
            enter_context(session, viewer_context(viewer))
            return invites.my_invites(session=session)

        self.answering_invite = invite_id
        try:
            _, waiting = await self._signed_in(decline)
        except ValidationError as error:
            return rx.toast.error(error.message)
        finally:
            self.answering_invite = ""
        self.invitations = waiting
        return rx.toast.info("Invitation declined.")
