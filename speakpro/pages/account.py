"""The account page: profile, password, company and sessions."""

import reflex as rx

from speakpro import routes, styles
from speakpro.components.forms import error_callout, field, submit_button, time_zone_field
from speakpro.components.layout import page_frame
from speakpro.state.account import AccountState, JoinState


def _section(title: str, *children: rx.Component) -> rx.Component:
    return rx.vstack(rx.heading(title, size="4"), *children, style=styles.card, spacing="3", width="100%")


def _delete_dialog() -> rx.Component:
    """ "Delete my account": confirmed by typing the password (or the email, for an account without one)."""
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(
                rx.icon("trash-2", size=16),
                "Delete my account",
                color_scheme="red",
                variant="soft",
                id="delete-account",
            ),
        ),
        rx.dialog.content(
            rx.dialog.title("Delete your account?"),
            rx.dialog.description(
                "Your profile, progress, rewards, answers, transcripts and every recording are deleted for good, "
                "and you are signed out everywhere. Your company keeps its anonymous totals (your scores count "
                "in them, with no name attached). This cannot be undone.",
                size="2",
            ),
            error_callout(AccountState.delete_error, "delete-account-error"),
            rx.form(
                rx.vstack(
                    rx.cond(
                        AccountState.privacy_needs_password,
                        field(
                            "Type your password to confirm",
                            "confirmation",
                            type_="password",
                            auto_complete="current-password",
                        ),
                        field(
                            "Type your email address to confirm",
                            "confirmation",
                            max_length=254,
                            placeholder=AccountState.viewer_email,
                        ),
                    ),
                    rx.hstack(
                        rx.dialog.close(
                            rx.button(
                                "Keep my account",
                                variant="soft",
                                color_scheme="gray",
                                type="button",
                                id="cancel-delete-account",
                            )
                        ),
                        rx.button(
                            "Delete everything",
                            color_scheme="red",
                            type="submit",
                            loading=AccountState.deleting,
                            id="confirm-delete-account",
                        ),
                        spacing="3",
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                    margin_top="1rem",
                ),
                on_submit=AccountState.delete_account,
                reset_on_submit=True,
            ),
        ),
    )


def _consent_form() -> rx.Component:
    """Accept today's notice and allow or stop recordings; keyed, so it starts from what is on record."""
    return rx.form(
        rx.vstack(
            rx.checkbox(
                "I have read the privacy notice",
                name="privacy_notice",
                id="consent-privacy-notice",
                default_checked=AccountState.consent_current,
                size="2",
            ),
            rx.link("Read the privacy notice", href=routes.PRIVACY, size="1", is_external=True, padding_left="1.5rem"),
            rx.checkbox(
                "Allow my practice sessions and answers to be recorded",
                name="recording_consent",
                id="consent-recording-allowed",
                default_checked=AccountState.recording_allowed,
                size="2",
            ),
            rx.button("Save privacy choices", type="submit", variant="soft", id="save-consent"),
            spacing="2",
        ),
        on_submit=AccountState.save_consent,
        reset_on_submit=False,
        key=AccountState.consent_form_key,
        id="consent-form",
    )


def _privacy() -> rx.Component:
    return _section(
        "Privacy",
        rx.cond(
            AccountState.consent_notice != "",
            rx.vstack(
                rx.text(AccountState.consent_notice, size="2", id="consent-notice"),
                rx.text("Recordings: ", AccountState.consent_recording, size="2", id="consent-recording"),
                rx.cond(
                    AccountState.consent_outdated,
                    rx.text("The privacy notice has changed since you accepted it.", size="1", color_scheme="amber"),
                ),
                spacing="1",
            ),
            rx.text(
                "No privacy consent is on record for your account yet.",
                size="2",
                color_scheme="gray",
                id="consent-notice",
            ),
        ),
        _consent_form(),
        rx.text(
            "Download a zip of everything SpeakPro holds about you (one JSON file per table) and your recordings.",
            size="2",
        ),
        rx.hstack(
            rx.button(
                rx.icon("download", size=16),
                "Download my data",
                variant="soft",
                loading=AccountState.downloading,
                on_click=AccountState.download_data,
                id="download-data",
            ),
            _delete_dialog(),
            spacing="3",
            wrap="wrap",
        ),
    )


def account() -> rx.Component:
    """The account page."""
    return page_frame(
        rx.vstack(
            rx.heading("Your account", size="7"),
            rx.text(AccountState.viewer_email, color_scheme="gray", id="account-email"),
            _section(
                "Profile",
                error_callout(AccountState.profile_error, "profile-error"),
                rx.form(
                    rx.hstack(
                        field("Your name", "display_name", max_length=80, default_value=AccountState.viewer_name),
                        rx.button("Save", type="submit", id="save-name"),
                        align="end",
                        width="100%",
                    ),
                    on_submit=AccountState.save_name,
                    reset_on_submit=False,
                ),
            ),
            _section(
                "Time zone",
                error_callout(AccountState.time_zone_error, "time-zone-error"),
                rx.form(
                    rx.hstack(
                        time_zone_field("time_zone", AccountState.time_zone),
                        rx.button("Save", type="submit", id="save-time-zone"),
                        align="end",
                        width="100%",
                    ),
                    on_submit=AccountState.save_time_zone,
                    reset_on_submit=False,
                ),
                rx.cond(
                    AccountState.device_zone != "",
                    rx.text(
                        "This device is set to ",
                        rx.text.strong(AccountState.device_zone),
                        ". Choose it above if that is where you are now.",
                        size="1",
                        color_scheme="gray",
                        id="device-time-zone",
                    ),
                ),
                rx.text(
                    "Your day streak and daily quests start at midnight in this time zone.",
                    size="1",
                    color_scheme="gray",
                ),
            ),
            _section(
                "Change password",
                error_callout(AccountState.password_error, "password-error"),
                rx.form(
                    rx.vstack(
                        field(
                            "Current password", "current_password", type_="password", auto_complete="current-password"
                        ),
                        field("New password", "new_password", type_="password", auto_complete="new-password"),
                        field(
                            "Repeat the new password",
                            "confirm_password",
                            type_="password",
                            auto_complete="new-password",
                        ),
                        submit_button("Change password", AccountState.busy, "change-password"),
                        width="100%",
                    ),
                    on_submit=AccountState.change_password,
                    reset_on_submit=True,
                ),
                rx.text("Changing your password logs you out on your other devices.", size="1", color_scheme="gray"),
            ),
            _section(
                "Company",
                rx.cond(
                    AccountState.viewer_company_name != "",
                    rx.text(
                        "You belong to ",
                        rx.text.strong(AccountState.viewer_company_name),
                        " as ",
                        AccountState.viewer_role,
                        ".",
                    ),
                    rx.text("You practise on your own. Got a company code? Join your team:"),
                ),
                error_callout(AccountState.company_error, "company-error"),
                rx.cond(
                    AccountState.viewer_company_name == "",
                    rx.form(
                        rx.hstack(
                            field("Company code", "join_code", max_length=48),
                            rx.button("Join", type="submit", id="join-company"),
                            align="end",
                            width="100%",
                        ),
                        on_submit=AccountState.join_company,
                    ),
                ),
            ),
            _section(
                "Sessions",
                rx.text("Log out on every browser and device, including this one.", size="2"),
                rx.button(
                    "Log out everywhere",
                    color_scheme="red",
                    variant="soft",
                    on_click=AccountState.logout_everywhere,
                    id="logout-everywhere",
                ),
            ),
            _privacy(),
            spacing="4",
            style=styles.page,
            max_width="720px",
            padding_y="2rem",
        )
    )


def _join_offer() -> rx.Component:
    return rx.vstack(
        rx.heading("Join ", JoinState.company_name, "?", size="6", id="join-company-name"),
        rx.cond(
            JoinState.role == "manager",
            rx.text(
                "This invite makes you a manager of ",
                JoinState.company_name,
                ": you will see its team dashboards and its learners' practice figures.",
                size="2",
            ),
            rx.text(
                "Your practice figures (scores, minutes, progress) will be visible to ",
                JoinState.company_name,
                "'s managers. Your recordings and transcripts stay yours.",
                size="2",
            ),
        ),
        rx.hstack(
            rx.button(
                rx.cond(JoinState.joining, rx.spinner(size="2"), rx.fragment()),
                "Join ",
                JoinState.company_name,
                size="3",
                on_click=JoinState.join,
                disabled=JoinState.joining,
                id="join-confirm",
            ),
            rx.link(rx.button("Not now", variant="soft", size="3"), href="/home", underline="none", id="join-cancel"),
            spacing="3",
        ),
        spacing="4",
        max_width="480px",
    )


def join() -> rx.Component:
    """Which company a join link is for, with a "Join <company>" button; nothing changes until it is pressed."""
    return page_frame(
        rx.center(
            rx.cond(
                JoinState.error != "",
                rx.vstack(error_callout(JoinState.error, "join-error"), rx.link("Go to your account", href="/account")),
                rx.cond(
                    ~JoinState.checked,
                    rx.hstack(rx.spinner(), rx.text("Checking your invitation...")),
                    rx.cond(
                        JoinState.already_member,
                        rx.vstack(
                            rx.text("You're already in ", JoinState.company_name, ".", id="join-member"),
                            rx.link("Go to your home page", href="/home"),
                        ),
                        _join_offer(),
                    ),
                ),
            ),
            padding_y="4rem",
        )
    )
