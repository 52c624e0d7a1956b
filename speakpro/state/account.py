"""The account page: profile, password, company membership and sessions."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlencode

import reflex as rx
from reflex.config import get_config
from sqlmodel import Session

from speakpro import routes
from speakpro.db import SYSTEM, enter_context
from speakpro.models import Company
from speakpro.privacy_routes import EXPORT_PATH
from speakpro.services.accounts import accounts, companies
from speakpro.services.accounts.consent import (
    ConsentView,
    PrivacyOverview,
    current_consent,
    privacy_overview,
    record_consent,
)
from speakpro.services.accounts.erasure import check_erasure_confirmation, erase_user
from speakpro.services.accounts.sessions import Viewer, revoke_user_sessions
from speakpro.services.accounts.time_zones import DEFAULT_TIME_ZONE, save_time_zone, time_zones
from speakpro.services.validation import ValidationError
from speakpro.session_cookie import signed_out_path
from speakpro.state.auth import DEVICE_TIME_ZONE, AuthState, no_work
from speakpro.state.edge import FORM_UNREADABLE, Answered, Flag, Form, Maybe, Text, accepts, ticked


def _day(value: datetime) -> str:
    return value.strftime("%d %b %Y")


def _privacy(session: Session, viewer: Viewer) -> PrivacyOverview:
    return privacy_overview(session=session, user_id=viewer.user_id)


def _joining(code: str) -> Callable[[Session, Viewer], tuple[Company, str, Viewer]]:
    """The work of joining the company of `code`: the company, the role, and the viewer as a member of it."""

    def join(session: Session, viewer: Viewer) -> tuple[Company, str, Viewer]:
        # The code is the credential: finding its company (not yet the viewer's) runs as the system.
        enter_context(session, SYSTEM)
        company, role = companies.join_company(session=session, user_id=viewer.user_id, code=code)
        member = dataclasses.replace(
            viewer, company_id=company.id, company_slug=company.slug, company_name=company.name, role=role
        )
        return company, role, member

    return join


class AccountState(AuthState):
    """Forms of the account page; each re-checks the session before it changes anything. The page is open
    before onboarding is finished, and so are its forms."""

    profile_error: str = ""
    time_zone: str = DEFAULT_TIME_ZONE  # the zone on record
    device_zone: str = ""  # this browser's zone, when it differs from the one on record
    time_zone_error: str = ""
    password_error: str = ""
    company_error: str = ""
    busy: bool = False
    # The privacy section: the consent on record, "Download my data", "Delete my account".
    consent_notice: str = ""
    consent_recording: str = ""
    consent_outdated: bool = False
    recording_allowed: bool = False
    consent_current: bool = False  # the newest consent is of today's notice
    consent_form_key: int = 0
    privacy_needs_password: bool = True
    delete_error: str = ""
    deleting: bool = False
    downloading: bool = False

    @rx.event
    @accepts()
    async def load(self):
        viewer, overview = await self._signed_in(_privacy, onboarded=False)
        self.profile_error = self.password_error = self.company_error = self.time_zone_error = ""
        self.time_zone, self.device_zone = viewer.time_zone, ""
        self.busy = False
        self.delete_error, self.deleting, self.downloading = "", False, False
        self.privacy_needs_password = overview.confirm_with_password
        self._show_consent(overview.consent)
        return rx.call_script(DEVICE_TIME_ZONE, callback=AccountState.device_time_zone)

    @rx.event
    @accepts(value=Maybe(Text()))
    async def device_time_zone(self, value: str | None):
        """The browser's own zone, offered when it is not the one on record."""
        self.device_zone = value if value in time_zones() and value != self.time_zone else ""

    @rx.event
    @accepts(form=Form(time_zone=Text()))
    async def save_time_zone(self, form: dict):
        """Store the learner's time zone: their day streak and daily quests follow their own midnight."""

        def save(session: Session, viewer: Viewer) -> str:
            return save_time_zone(session=session, user_id=viewer.user_id, time_zone=form.get("time_zone"))

        try:
            _, saved = await self._signed_in(save, onboarded=False)
        except ValidationError as error:
            self.time_zone_error = error.message
            return None
        self.time_zone_error = ""
        self.time_zone = saved
        if self.device_zone == saved:
            self.device_zone = ""
        return rx.toast.success(f"Your time zone is {saved.replace('_', ' ')}.")

    def _show_consent(self, consent: ConsentView | None) -> None:
        self.consent_notice = (
            f"Privacy notice of {consent.notice_version}, accepted on {_day(consent.accepted_at)}." if consent else ""
        )
        self.consent_recording = (
            ""
            if consent is None
            else (f"{'Allowed' if consent.recording else 'Not allowed'} since {_day(consent.recording_since)}.")
        )
        self.consent_outdated = consent is not None and not consent.current
        self.recording_allowed = consent is not None and consent.recording
        self.consent_current = consent is not None and consent.current
        self.consent_form_key += 1  # the form's checkboxes start again from what is on record

    @rx.event
    @accepts(form=Form(privacy_notice=Flag(), recording_consent=Flag()))
    async def save_consent(self, form: dict):
        """Record the current privacy notice as read and recordings allowed or not, as ticked (a new consent row;
        the history stays)."""
        notice, recording = ticked(form, "privacy_notice"), ticked(form, "recording_consent")
        if notice is None or recording is None:
            return rx.toast.error(FORM_UNREADABLE)
        if not notice:
            return rx.toast.error("Please confirm that you have read the privacy notice.")

        def save(session: Session, viewer: Viewer) -> ConsentView | None:
            record_consent(session=session, user_id=viewer.user_id, recording=recording)
            return current_consent(session=session, user_id=viewer.user_id)

        _, consent = await self._signed_in(save, onboarded=False)
        self._show_consent(consent)
        return rx.toast.success(
            "Recordings are allowed." if recording else "Recordings are off: nothing new is recorded."
        )

    @rx.event
    @accepts()
    async def download_data(self):
        """Start the download of the zip (a plain link: the backend reads the session cookie itself)."""
        if self.downloading:
            return
        self.downloading = True
        yield
        try:
            await self._signed_in(no_work, onboarded=False)
        finally:
            self.downloading = False
        url = f"{get_config().api_url.rstrip('/')}{EXPORT_PATH}"
        yield rx.call_script(
            "(() => { const a = document.createElement('a'); a.href = " + json.dumps(url) + ";"
            " a.download = ''; document.body.appendChild(a); a.click(); a.remove(); })()"
        )
        yield rx.toast.info("Your download starts in a moment: a zip of your data and your recordings.")

    @rx.event
    @accepts(form=Form(confirmation=Text()))
    async def delete_account(self, form: dict):
        """Erase the account once confirmed with the password (or the email, for an account without one),
        then sign out."""
        if self.deleting:
            return
        confirmation = form.get("confirmation", "")
        self.deleting, self.delete_error = True, ""
        yield

        def erase(session: Session, viewer: Viewer) -> str:
            # A wrong confirmation is answered, not raised: the throttle's count of it is kept.
            problem = check_erasure_confirmation(session=session, user_id=viewer.user_id, confirmation=confirmation)
            if problem:
                return problem
            erase_user(session=session, user_id=viewer.user_id, via="self")
            return ""

        try:
            _, problem = await self._signed_in(erase, onboarded=False)
        except Exception:  # the answer of a signed-out viewer (`Answered`) too
            self.deleting = False
            raise
        if problem:
            self.delete_error, self.deleting = problem, False
            yield rx.toast.error(problem)
            return
        self.deleting = False
        self._set_viewer(None)
        self.navigate_to = signed_out_path(routes.LANDING)
        yield rx.toast.success("Your account and everything in it were deleted.")

    @rx.event
    @accepts(form=Form(display_name=Text()))
    async def save_name(self, form: dict):
        name = form.get("display_name", "")

        def save(session: Session, viewer: Viewer) -> str:
            return accounts.update_display_name(session=session, user_id=viewer.user_id, display_name=name)

        try:
            _, saved = await self._signed_in(save, onboarded=False)
        except ValidationError as error:
            self.profile_error = error.message
            return
        self.profile_error = ""
        self.viewer_name = saved
        return rx.toast.success("Your name is saved.")

    @rx.event
    @accepts(form=Form(current_password=Text(), new_password=Text(), confirm_password=Text()))
    async def change_password(self, form: dict):
        """Change the password; every other session of this user ends, this one stays."""
        current, new = form.get("current_password", ""), form.get("new_password", "")
        if new != form.get("confirm_password", ""):
            self.password_error = "The new passwords don't match."
            return
        token = self._token()

        def change(session: Session, viewer: Viewer) -> int:
            accounts.change_password(session=session, user_id=viewer.user_id, current=current, new=new)
            return revoke_user_sessions(session=session, user_id=viewer.user_id, keep_token=token)

        self.busy = True
        yield
        try:
            _, ended = await self._signed_in(change, onboarded=False)
        except ValidationError as error:
            self.password_error = error.message
            return
        finally:
            self.busy = False
        self.password_error = ""
        others = f" {ended} other session{'s' if ended != 1 else ''} ended." if ended else ""
        yield rx.toast.success("Password changed." + others)

    @rx.event
    @accepts()
    async def logout_everywhere(self):
        """End every session of this user, this one included."""

        def revoke(session: Session, viewer: Viewer) -> int:
            return revoke_user_sessions(session=session, user_id=viewer.user_id)

        await self._signed_in(revoke, onboarded=False)
        self._set_viewer(None)
        self.navigate_to = signed_out_path(routes.LOGIN)

    @rx.event
    @accepts(form=Form(join_code=Text()))
    async def join_company(self, form: dict):
        code = form.get("join_code", "")
        try:
            _, (company, role, member) = await self._signed_in(_joining(code), onboarded=False)
        except ValidationError as error:
            self.company_error = error.message
            return
        self.company_error = ""
        self._show_member(member)
        return rx.toast.success(f"You joined {company.name} as {role}.")


class JoinState(AuthState):
    """`/join/<code>`: say which company the link is for and join only when the learner presses "Join";
    a visitor who is not signed in signs up with the code filled in.

    Opening the link changes nothing (a link can be opened by a preview, a prefetch or someone else's
    page); the code is read from the address again when the button is pressed. Like the account page, it
    does not wait for onboarding.
    """

    error: str = ""
    company_name: str = ""
    role: str = ""  # the role the code grants: learner, or manager for an invite code
    already_member: bool = False
    joining: bool = False
    checked: bool = False

    def _code(self) -> str:
        return self._route_arg("code", 48)

    @rx.event
    @accepts()
    async def load(self):
        """Look the code up and show its company; no membership changes here."""
        self.error, self.company_name, self.role = "", "", ""
        self.already_member, self.joining, self.checked = False, False, False
        code = self._code()

        def find(session: Session, viewer: Viewer) -> tuple[Company, str]:
            enter_context(session, SYSTEM)  # the code is the credential
            return companies.find_by_code(session=session, code=code)

        try:
            viewer, (company, role) = await self._signed_in(find, onboarded=False)
        except Answered:
            if self.db_unavailable:
                raise
            # Not signed in (the guard's other answer here): sign up, with the code filled in.
            return rx.redirect(f"{routes.SIGNUP}?{urlencode({'code': code})}")
        except ValidationError as error:
            self.error, self.checked = error.message, True
            return None
        if viewer.company_id is not None and viewer.company_id != company.id:
            self.error, self.checked = "You already belong to another company.", True
            return None
        self.company_name, self.role = company.name, role
        self.already_member = viewer.company_id == company.id and viewer.role in (role, "manager")
        self.checked = True
        return None

    @rx.event
    @accepts()
    async def join(self):
        """The learner pressed "Join <company>": join with the code of this page's address."""
        if self.joining:
            return
        code = self._code()
        self.joining = True
        yield
        try:
            _, (company, role, member) = await self._signed_in(_joining(code), onboarded=False)
        except ValidationError as error:
            self.error, self.joining = error.message, False
            return
        except Answered:
            self.joining = False
            raise
        self._show_member(member)
        target = routes.company(company.slug) if role == "manager" else routes.HOME
        yield rx.toast.success(f"You joined {company.name} as {role}.")
        yield rx.redirect(target)
