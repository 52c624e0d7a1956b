"""The privacy notice: what SpeakPro keeps about a learner, who sees it, for how long, and the learner's rights.

Its version is `PRIVACY_NOTICE_VERSION`, the one recorded with each consent at sign-up: changing what this page
promises means a new version.
"""

import reflex as rx

from speakpro import routes, styles
from speakpro.components.layout import page_frame
from speakpro.services.accounts.consent import PRIVACY_NOTICE_VERSION

SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "What we keep",
        (
            "Your account: email, display name, a password hash (never the password), the sign-in provider you "
            "linked, and the answers you gave at onboarding (your role, audience and goals).",
            "Your practice: lesson answers, exercise scores, quests, XP, coins and tickets, and for each practice "
            "session its transcript, its analysis (pace, filler words, talk time, skills) and, if you allowed it, "
            "its recording.",
            "Security records: your login sessions (a keyed hash of the token, never the token), failed login "
            "counts, and an audit trail of sensitive actions that holds ids, never what you said.",
        ),
    ),
    (
        "Why",
        (
            "To run the lessons and practice you ask for, to show you your progress, and to keep your account safe. "
            "We do not sell your data, show advertising, or use trackers: the only cookie is your login session.",
        ),
    ),
    (
        "Recordings",
        (
            "Practice, lesson, venue, milestone and amphitheatre recordings are made only when you agreed at sign-up "
            "or on your account page; without that you can still do every lesson in writing.",
            "You can play and delete each recording from your history and from the page it was made on.",
        ),
    ),
    (
        "Who sees it",
        (
            "You. If you joined a company, its managers see your name, email, lesson progress and your sessions' "
            "scores and metrics on their dashboard, never your transcripts or recordings. SpeakPro's "
            "administrators can see everything, to run the service.",
            "When the AI partner or coach is on, what you say in live practice and your answers are sent to "
            "OpenAI to produce the partner's replies and the feedback; without it, everything is analysed on "
            "SpeakPro's own servers.",
        ),
    ),
    (
        "How long",
        (
            "Your account and practice history stay until you delete them. Uploads never attached to a session are "
            "deleted after 24 hours; expired login sessions and one-time codes within the hour. Your company may "
            "set a retention period after which its learners' recordings are deleted (transcripts and scores "
            "stay).",
        ),
    ),
    (
        "Your rights",
        (
            "On your account page you can download all your data (a zip of every record about you and your "
            "recordings), withdraw or give recording consent, and delete your account: every record of you and "
            "every recording goes; your company keeps its totals without your name.",
        ),
    ),
)


def _section(title: str, paragraphs: tuple[str, ...]) -> rx.Component:
    return rx.vstack(
        rx.heading(title, size="4", as_="h2"),
        *[rx.text(paragraph, size="3") for paragraph in paragraphs],
        spacing="2",
        width="100%",
    )


def privacy_page() -> rx.Component:
    """The notice, readable signed in or out."""
    return page_frame(
        rx.vstack(
            rx.heading("Privacy notice", size="7", as_="h1"),
            rx.text(
                f"Version {PRIVACY_NOTICE_VERSION}. This is the notice you accept when you sign up.",
                size="2",
                color_scheme="gray",
                id="privacy-version",
            ),
            *[_section(title, paragraphs) for title, paragraphs in SECTIONS],
            rx.link("Go to your account", href=routes.ACCOUNT, size="3"),
            spacing="5",
            max_width="44rem",
            style=styles.page,
            padding_y="2rem",
            id="privacy-notice",
        )
    )
