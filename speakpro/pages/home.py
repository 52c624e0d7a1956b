"""The learner's home: level progress, modules, balances, today's quests and recent practice."""

import reflex as rx

from speakpro import routes, styles
from speakpro.components.layout import page_frame
from speakpro.components.metrics import speech_metric
from speakpro.components.tables import wide_table
from speakpro.pages.home_invitations import invitations
from speakpro.services.learning.home import ModuleCard, RecentPractice
from speakpro.services.learning.quests import QuestView
from speakpro.state.home import AssignmentCard, HomeState


def _stat(label: str, value: int | rx.Var[int], icon: str, element_id: str) -> rx.Component:
    return rx.hstack(
        rx.icon(icon, size=22, color=rx.color("violet", 10)),
        rx.vstack(
            rx.text(value, size="6", weight="bold", id=element_id),
            rx.text(label, size="1", color_scheme="gray"),
            spacing="0",
        ),
        style=styles.card,
        align="center",
        spacing="3",
        flex="1",
        min_width="140px",
    )


def _streak_freezes() -> rx.Component:
    """The freezes held and the shop: a freeze keeps the streak through one day without practice."""
    full = HomeState.streak_freezes >= HomeState.freezes_max
    short = HomeState.coins < HomeState.freeze_price
    return rx.vstack(
        rx.hstack(
            rx.icon("snowflake", size=18, color=rx.color("cyan", 10)),
            rx.text(
                rx.cond(
                    HomeState.streak_freezes == 1,
                    "1 streak freeze held",
                    rx.Var.create(HomeState.streak_freezes).to_string() + " streak freezes held",
                ),
                " (at most ",
                HomeState.freezes_max,
                ")",
                weight="medium",
                id="streak-freezes",
            ),
            align="center",
            spacing="2",
        ),
        rx.text(
            "A freeze covers one day you don't practise, so your streak survives it. It must be bought before "
            "the day it covers.",
            size="1",
            color_scheme="gray",
        ),
        rx.button(
            rx.cond(
                HomeState.buying_freeze,
                rx.spinner(size="1"),
                rx.icon("snowflake", size=14),
            ),
            "Buy a freeze for ",
            HomeState.freeze_price,
            " coins",
            on_click=HomeState.buy_freeze,
            disabled=full | short | HomeState.buying_freeze,
            variant="soft",
            color_scheme="cyan",
            id="buy-freeze",
        ),
        rx.cond(
            full,
            rx.text("You hold as many freezes as you can.", size="1", color_scheme="gray"),
            rx.cond(
                short,
                rx.text(
                    "You need ", HomeState.freeze_price, " coins: daily quests pay them.", size="1", color_scheme="gray"
                ),
            ),
        ),
        style=styles.card,
        width="100%",
        spacing="2",
        align="start",
        id="streak-card",
    )


def _level() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading("Level 1 · ", HomeState.level_title, size="4"),
            rx.spacer(),
            rx.text(
                HomeState.modules_completed,
                " of ",
                HomeState.modules_total,
                " modules",
                size="2",
                color_scheme="gray",
                id="level-progress-text",
            ),
            width="100%",
        ),
        rx.progress(
            value=HomeState.level_percent,
            max=100,
            size="3",
            width="100%",
            id="level-progress",
            aria_label="Progress through this level",
        ),
        rx.cond(
            HomeState.milestone_passed,
            rx.text("Milestone passed. Level complete!", size="2", color_scheme="green"),
            rx.cond(
                HomeState.milestone_unlocked,
                rx.link(
                    rx.button(
                        rx.icon("flag"), "Take the milestone (pass at ", HomeState.milestone_threshold, ")", size="2"
                    ),
                    href=routes.MILESTONE,
                ),
                rx.text("Finish every module to unlock the level milestone.", size="2", color_scheme="gray"),
            ),
        ),
        style=styles.card,
        width="100%",
        spacing="3",
    )


def _module(module: ModuleCard) -> rx.Component:
    return rx.hstack(
        rx.center(
            rx.text(module.code, weight="bold"),
            width="36px",
            height="36px",
            border_radius="9999px",
            background=rx.color("violet", 3),
            color=rx.color("violet", 11),
        ),
        rx.vstack(
            rx.text(module.title, weight="bold", size="2"),
            rx.text(module.lessons_completed, "/", module.lessons_total, " lessons", size="1", color_scheme="gray"),
            spacing="0",
            flex="1",
        ),
        rx.badge(
            module.status.replace("_", " "),
            # rx.match is typed `Component | Var`; with string cases it returns a Var.
            color_scheme=rx.match(  # pyright: ignore[reportArgumentType]
                module.status, ("completed", "green"), ("in_progress", "violet"), ("available", "blue"), "gray"
            ),
        ),
        rx.cond(
            (module.status != "locked") & (module.next_lesson_id != ""),
            rx.link(
                rx.button(
                    rx.match(module.status, ("in_progress", "Continue"), ("completed", "Review"), "Start"),
                    size="1",
                    variant=rx.cond(module.status == "completed", "soft", "solid"),
                ),
                href="/lesson/" + module.next_lesson_id,
            ),
        ),
        style=styles.card,
        align="center",
        width="100%",
        class_name="module-row",
        data_status=module.status,
        id="module-" + module.code,
    )


def _quest(quest: QuestView) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(quest.title, size="2", weight="medium"),
            rx.spacer(),
            rx.text("+", quest.xp_reward, " XP · +", quest.coin_reward, " coins", size="1", color_scheme="gray"),
            width="100%",
        ),
        rx.hstack(
            rx.progress(
                value=quest.progress,
                max=rx.cond(quest.target > 0, quest.target, 1),
                width="100%",
                aria_label=quest.title,
            ),
            rx.text(quest.progress, "/", quest.target, size="1"),
            rx.cond(
                quest.claimed,
                rx.badge("Claimed", color_scheme="green"),
                rx.button(
                    "Claim",
                    size="1",
                    disabled=~rx.Var.create(quest.completed),
                    on_click=HomeState.claim(quest.id),
                    id="claim-" + quest.quest_type,
                ),
            ),
            width="100%",
            align="center",
        ),
        width="100%",
        spacing="1",
        class_name="quest",
    )


def _recent(item: RecentPractice) -> rx.Component:
    return rx.table.row(
        rx.table.cell(item.title),
        rx.table.cell(item.started_at),
        rx.table.cell(item.duration_minutes, " min"),
        rx.table.cell(rx.cond(item.score > 0, item.score, "—")),
    )


def _latest_feedback() -> rx.Component:
    """The newest analysed session: score, pace / fillers / talk time against their bands, one thing to improve."""
    return rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.heading("Your latest feedback", size="4"),
                rx.text(HomeState.feedback_title, " · ", HomeState.feedback_provider, size="2", color_scheme="gray"),
                spacing="1",
            ),
            rx.spacer(),
            rx.cond(
                HomeState.feedback_score != "",
                rx.badge(HomeState.feedback_score, " / 100", size="3", variant="solid", id="feedback-score"),
            ),
            width="100%",
            align="center",
        ),
        rx.grid(
            rx.foreach(HomeState.feedback_metrics, speech_metric),
            columns=rx.breakpoints(initial="1", md="3"),
            gap="1rem",
            width="100%",
        ),
        rx.cond(
            HomeState.feedback_improvement != "",
            # The callout's root and icon, without its text part: Callout.Text is a <p>, and two lines of text
            # inside it would be a <p> in a <p>.
            rx.callout.root(
                rx.callout.icon(rx.icon("lightbulb")),
                rx.vstack(
                    rx.text(HomeState.feedback_improvement, size="2"),
                    rx.cond(
                        HomeState.feedback_quote != "",
                        rx.text("\u201c", HomeState.feedback_quote, "\u201d", size="1", font_style="italic"),
                    ),
                    spacing="1",
                ),
                width="100%",
            ),
        ),
        rx.link("See the whole analysis", href=HomeState.feedback_href, id="feedback-link", size="2"),
        style=styles.card,
        width="100%",
        spacing="3",
        id="latest-feedback",
    )


def _cta(title: str, text: str | rx.Var[str], button: str, href, element_id: str) -> rx.Component:
    return rx.vstack(
        rx.heading(title, size="4"),
        rx.text(text, color_scheme="gray", size="2"),
        rx.link(rx.button(button), href=href),
        style=styles.card,
        spacing="2",
        flex="1",
        min_width="260px",
        id=element_id,
    )


def _calls_to_action() -> rx.Component:
    lesson = _cta(
        "Continue your lesson",
        "Pick up the curriculum where you left off.",
        "Open the next lesson",
        rx.cond(HomeState.next_lesson_id != "", "/lesson/" + HomeState.next_lesson_id, routes.HOME),
        "cta-lesson",
    )
    practice = _cta(
        "Practise out loud",
        rx.cond(
            HomeState.solo_mode,
            # No AI partner is configured on this server: say what practice is here.
            "Speak on a topic for a few minutes on your own, recorded and transcribed, with feedback after.",
            "A 3-minute role-play with an AI partner, recorded and transcribed.",
        ),
        "Start practising",
        routes.PRACTICE,
        "cta-practice",
    )
    # Variant B leads with live practice, variant A with the curriculum (the exposure is logged on load).
    return rx.cond(
        HomeState.variant == "B",
        rx.flex(practice, lesson, gap="1rem", wrap="wrap", width="100%", id="cta-row", data_variant="B"),
        rx.flex(lesson, practice, gap="1rem", wrap="wrap", width="100%", id="cta-row", data_variant="A"),
    )


def _assignment(card: AssignmentCard) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.hstack(
                rx.badge(card.kind, variant="soft"),
                rx.text(card.title, weight="medium"),
                rx.badge(card.status, color_scheme=card.color, class_name="assignment-status"),  # pyright: ignore[reportArgumentType]
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.text("Due ", card.due, " · ", card.rule, " · ", card.progress, size="2", color_scheme="gray"),
            rx.cond(card.note != "", rx.text(card.note, size="2")),
            rx.cond(card.reward != "", rx.text(card.reward, size="1", color_scheme="gray")),
            spacing="1",
            flex="1",
            min_width="0",
        ),
        rx.cond(
            card.status != "Done",
            rx.link(rx.button("Start", size="2"), href=card.href, class_name="assignment-start"),
        ),
        width="100%",
        align="center",
        wrap="wrap",
        class_name="assignment-card",
    )


def _assignments() -> rx.Component:
    return rx.vstack(
        rx.heading("Assigned to you", size="4"),
        rx.foreach(HomeState.assignments, _assignment),
        spacing="3",
        width="100%",
        style=styles.card,
        id="home-assignments",
    )


def home() -> rx.Component:
    """The home page."""
    return page_frame(
        rx.vstack(
            rx.heading(
                # "back" only for someone who has been here before (any XP or practice).
                rx.cond((HomeState.xp > 0) | (HomeState.sessions_total > 0), "Welcome back, ", "Welcome, "),
                HomeState.viewer_name,
                size="7",
                id="home-greeting",
            ),
            rx.cond(HomeState.main_goal != "", rx.text("Your goal: ", HomeState.main_goal, color_scheme="gray")),
            rx.cond(
                HomeState.loaded,
                rx.vstack(
                    invitations(),
                    rx.cond(rx.Var.create(HomeState.assignments).length() > 0, _assignments()),
                    rx.flex(
                        _stat("XP", HomeState.xp, "star", "stat-xp"),
                        _stat("Coins", HomeState.coins, "coins", "stat-coins"),
                        _stat("Tickets", HomeState.tickets, "ticket", "stat-tickets"),
                        _stat("Day streak", HomeState.streak_days, "flame", "stat-streak"),
                        _stat("Sessions this week", HomeState.sessions_last_7_days, "mic", "stat-week"),
                        gap="1rem",
                        wrap="wrap",
                        width="100%",
                    ),
                    _calls_to_action(),
                    rx.cond(HomeState.feedback_href != "", _latest_feedback()),
                    _level(),
                    rx.grid(
                        rx.vstack(
                            rx.heading("Modules", size="4"),
                            rx.foreach(HomeState.modules, _module),
                            width="100%",
                            spacing="2",
                        ),
                        rx.vstack(
                            rx.heading("Today's quests", size="4"),
                            rx.vstack(
                                rx.text(
                                    "Claim every quest of the day for a bonus ticket.",
                                    size="1",
                                    color_scheme="gray",
                                    id="quests-bonus",
                                ),
                                rx.foreach(HomeState.quests, _quest),
                                style=styles.card,
                                width="100%",
                                spacing="3",
                                id="quests",
                            ),
                            _streak_freezes(),
                            width="100%",
                            spacing="2",
                        ),
                        columns=rx.breakpoints(initial="1", md="2"),
                        gap="1.5rem",
                        width="100%",
                    ),
                    rx.heading("Recent practice", size="4"),
                    rx.cond(
                        rx.Var.create(HomeState.recent).length() > 0,
                        wide_table(
                            ("Topic", "When", "Length", "Score"),
                            rx.table.body(rx.foreach(HomeState.recent, _recent)),
                            label="Recent practice",
                        ),
                        rx.text("No practice yet: your sessions will appear here.", color_scheme="gray"),
                    ),
                    spacing="5",
                    width="100%",
                ),
                rx.vstack(
                    rx.skeleton(height="80px", width="100%"), rx.skeleton(height="240px", width="100%"), width="100%"
                ),
            ),
            spacing="5",
            style=styles.page,
            padding_y="2rem",
        )
    )
