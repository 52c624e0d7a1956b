"""The frame every page sits in: navigation bar, content area and footer."""

from __future__ import annotations

import reflex as rx

from speakpro import routes, styles
from speakpro.components.navigation import full_navigation
from speakpro.state.auth import AuthState


def logo() -> rx.Component:
    """The SpeakPro word mark, linking home."""
    return rx.link(
        rx.hstack(
            rx.icon("mic", size=22, color=rx.color("violet", 10)),
            rx.heading("SpeakPro", size="5", weight="bold"),
            spacing="2",
            align="center",
        ),
        href=routes.LANDING,
        underline="none",
        color="inherit",
        aria_label="SpeakPro home",
    )


def _nav_link(label: str, href: str) -> rx.Component:
    return rx.link(label, href=href, size="2", weight="medium", color_scheme="gray", high_contrast=True)


def _visitor_buttons() -> rx.Component:
    return rx.hstack(
        rx.link(rx.button("Log in", variant="soft", white_space="nowrap"), href=routes.LOGIN),
        # On a phone the hero's own button signs up; the bar keeps "Log in" only, on one line.
        rx.link(rx.button("Start practising", white_space="nowrap"), href=routes.SIGNUP, display=["none", "inline"]),
        spacing="2",
    )


# Every signed-in person's places, then each role's own: (label, href, id). A manager's company pages and an
# admin's pages are links like the others, so every page is one click from any page.
_LEARNER_PLACES = (
    ("Home", routes.HOME, "nav-home"),
    ("Practice", routes.PRACTICE, "nav-practice"),
    ("Map", routes.MAP, "nav-map"),
    ("Amphitheatre", routes.AMPHITHEATRE, "nav-amphitheatre"),
    ("History", routes.HISTORY, "nav-history"),
    ("Progress", routes.PROGRESS, "nav-progress"),
)
_ADMIN_PLACES = (("Admin", routes.ADMIN, "nav-admin"), ("Overview", routes.ADMIN_OVERVIEW, "nav-overview"))


def _manager_places(*, coaching: bool) -> tuple[tuple[str, rx.Var[str], str], ...]:
    """A manager's places; with `coaching`, assignments and scenarios too (the bar leaves them to the
    dashboard's header, which links to both, so it fits 1280 px)."""
    slug = rx.Var.create(AuthState.viewer_company_slug)
    dashboard = ("Dashboard", "/company/" + slug + "/dashboard", "nav-dashboard")
    team = ("Team", "/company/" + slug, "nav-team")
    if not coaching:
        return dashboard, team
    return (
        dashboard,
        ("Assignments", "/company/" + slug + "/assignments", "nav-assignments"),
        ("Scenarios", "/company/" + slug + "/scenarios", "nav-scenarios"),
        team,
    )


def _bar_links() -> rx.Component:
    """Wide screens: one button per place."""

    def button(label: str, href, element_id: str) -> rx.Component:
        return rx.link(rx.button(label, variant="soft"), href=href, id=element_id)

    return rx.hstack(
        *(button(*place) for place in _LEARNER_PLACES),
        rx.cond(
            AuthState.viewer_role == "manager", rx.fragment(*(button(*p) for p in _manager_places(coaching=False)))
        ),
        rx.cond(AuthState.viewer_is_admin, rx.fragment(*(button(*p) for p in _ADMIN_PLACES))),
        spacing="2",
        align="center",
        display=["none", "none", "none", "none", "flex"],
    )


def _compact_menu() -> rx.Component:
    """Narrow screens (phones, tablets): every place in one menu, so nothing is pushed off screen."""

    def item(label: str, href, element_id: str) -> rx.Component:
        return rx.menu.item(label, on_click=rx.redirect(href), id="menu-" + element_id.removeprefix("nav-"))

    return rx.box(
        rx.menu.root(
            rx.menu.trigger(
                rx.button(rx.icon("menu", size=18), "Menu", variant="soft", size="3", id="nav-menu"),
            ),
            rx.menu.content(
                *(item(*place) for place in _LEARNER_PLACES),
                rx.cond(
                    AuthState.viewer_role == "manager",
                    rx.fragment(rx.menu.separator(), *(item(*p) for p in _manager_places(coaching=True))),
                ),
                rx.cond(
                    AuthState.viewer_is_admin,
                    rx.fragment(rx.menu.separator(), *(item(*p) for p in _ADMIN_PLACES)),
                ),
            ),
        ),
        display=["block", "block", "block", "block", "none"],
    )


def _account_menu() -> rx.Component:
    return rx.hstack(
        _bar_links(),
        _compact_menu(),
        rx.menu.root(
            rx.menu.trigger(
                rx.button(
                    rx.icon("circle-user", size=16),
                    # The name on wide screens; the icon alone (with its accessible name) on a phone.
                    rx.text(AuthState.viewer_name, display=["none", "inline", "inline"]),
                    variant="outline",
                    size="3",
                    aria_label="Your account",
                    id="user-menu",
                )
            ),
            rx.menu.content(
                rx.menu.item("Account", on_click=rx.redirect(routes.ACCOUNT)),
                rx.menu.separator(),
                rx.menu.item("Log out", on_click=AuthState.logout, color="red", id="logout"),
            ),
        ),
        spacing="2",
        align="center",
    )


def navbar() -> rx.Component:
    """The top bar: logo, section links and the account buttons."""
    return rx.box(
        rx.hstack(
            logo(),
            # Signed-in people get their own navigation instead of the landing page's sections.
            rx.cond(
                AuthState.signed_in,
                rx.fragment(),
                rx.hstack(
                    _nav_link("How it works", "/#how-it-works"),
                    _nav_link("Curriculum", "/#curriculum"),
                    _nav_link("For teams", "/#teams"),
                    spacing="5",
                    display=["none", "none", "flex"],
                ),
            ),
            rx.cond(AuthState.signed_in, _account_menu(), _visitor_buttons()),
            justify="between",
            align="center",
            style=styles.page,
            padding_y="0.85rem",
        ),
        as_="nav",
        border_bottom="1px solid var(--gray-a4)",
        background="var(--color-background)",
        position="sticky",
        top="0",
        z_index="10",
        width="100%",
    )


def footer() -> rx.Component:
    """The page footer."""
    return rx.box(
        rx.hstack(
            rx.text("SpeakPro: practise speaking out loud, every day.", size="2", color_scheme="gray"),
            rx.link("Privacy", href=routes.PRIVACY, size="2", color_scheme="gray", id="footer-privacy"),
            rx.cond(
                AuthState.signed_in,
                rx.link("Account", href=routes.ACCOUNT, size="2", color_scheme="gray"),
                rx.hstack(
                    rx.link("Log in", href=routes.LOGIN, size="2", color_scheme="gray"),
                    rx.link("Sign up", href=routes.SIGNUP, size="2", color_scheme="gray"),
                    spacing="4",
                ),
            ),
            justify="between",
            wrap="wrap",
            style=styles.page,
            padding_y="1.5rem",
        ),
        as_="footer",
        border_top="1px solid var(--gray-a4)",
        margin_top="3rem",
        width="100%",
    )


def unavailable_notice() -> rx.Component:
    """Shown instead of a page whose data could not be read (the database did not answer)."""
    return rx.callout(
        rx.vstack(
            rx.text(
                "We can't reach our database right now, so this page can't show your data. Nothing you "
                "saved is lost. Please try again in a moment."
            ),
            # A plain link: a full load of this same page runs its loaders again.
            rx.el.a(rx.button("Try again", variant="soft"), href=""),
            spacing="3",
        ),
        icon="cloud-off",
        color_scheme="amber",
        id="database-unavailable",
        role="alert",
        style=styles.page,
        margin_y="2rem",
    )


def page_frame(*children: rx.Component) -> rx.Component:
    """Navigation, the page's content and the footer, stacked full height."""
    return rx.flex(
        full_navigation(AuthState.navigate_to),
        navbar(),
        rx.box(
            rx.cond(AuthState.db_unavailable, unavailable_notice(), rx.fragment(*children)),
            as_="main",
            width="100%",
            flex="1",
        ),
        footer(),
        direction="column",
        min_height="100vh",
    )
