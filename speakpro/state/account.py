"""The account page: profile, password, company membership and sessions."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import reflex as rx
from reflex.config import get_config

from speakpro import routes
from speakpro.db import SYSTEM
from speakpro.privacy_routes import EXPORT_PATH
from speakpro.services.accounts import accounts, companies
from speakpro.services.accounts.consent import ConsentView, current_consent, privacy_overview, record_consent
from speakpro.services.accounts.erasure import check_erasure_confirmation, erase_user
from speakpro.services.accounts.sessions import revoke_user_sessions
from speakpro.services.validation import ValidationError
from speakpro.session_cookie import signed_out_path
from speakpro.state.auth import AuthState, run_db
from speakpro.state.edge import FORM_UNREADABLE, Flag, Form, Text, accepts, ticked


def _day(value) -> str:
    return value.strftime("%d %b %Y")


class AccountState(AuthState):
    """Forms of the account page; each re-checks the session before it changes anything."""

    profile_error: str = ""
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
        viewer, redirect = await self._guard(onboarded=False)
        if redirect is not None:
            return redirect
        self.profile_error = self.password_error = self.company_error = ""
        self.busy = False
        self.delete_error, self.deleting, self.downloading = "", False, False
        overview = await run_db(lambda s: privacy_overview(session=s, user_id=viewer.user_id))
        self.privacy_needs_password = overview.confirm_with_password
        self._show_consent(overview.consent)

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
        viewer = await self._viewer()
        if viewer is None:
            return self._login_redirect()
        notice, recording = ticked(form, "privacy_notice"), ticked(form, "recording_consent")
        if notice is None or recording is None:
            return rx.toast.error(FORM_UNREADABLE)
        if not notice:
            return rx.toast.error("Please confirm that you have read the privacy notice.")

        def save(session):
            record_consent(session=session, user_id=viewer.user_id, recording=recording)
            return current_consent(session=session, user_id=viewer.user_id)

        self._show_consent(await run_db(save))
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
        viewer = await self._viewer()
        self.downloading = False
        if viewer is None:
            yield self._login_redirect()
            return
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
        viewer = await self._viewer()
        if viewer is None:
            yield self._login_redirect()
            return
        confirmation = form.get("confirmation", "")
        self.deleting, self.delete_error = True, ""
        yield

        def erase(session):
            problem = check_erasure_confirmation(session=session, user_id=viewer.user_id, confirmation=confirmation)
            if problem:
                return problem
            erase_user(session=session, user_id=viewer.user_id, via="self")
            return ""

        try:
            problem = await run_db(erase)
        except Exception:
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
        viewer = await self._viewer()
        if viewer is None:
            return self._login_redirect()
        name = form.get("display_name", "")
        try:
            saved = await run_db(
                lambda s: accounts.update_display_name(session=s, user_id=viewer.user_id, display_name=name)
            )
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
        viewer = await self._viewer()
        if viewer is None:
            yield self._login_redirect()
            return
        current, new = form.get("current_password", ""), form.get("new_password", "")
        if new != form.get("confirm_password", ""):
            self.password_error = "The new passwords don't match."
            return
        token = self._token()

        def change(session):
            accounts.change_password(session=session, user_id=viewer.user_id, current=current, new=new)
            return revoke_user_sessions(session=session, user_id=viewer.user_id, keep_token=token)

        self.busy = True
        yield
        try:
            ended = await run_db(change)
        except ValidationError as error:
            self.password_error, self.busy = error.message, False
            return
        self.password_error, self.busy = "", False
        others = f" {ended} other session{'s' if ended != 1 else ''} ended." if ended else ""
        yield rx.toast.success("Password changed." + others)

    @rx.event
    @accepts()
    async def logout_everywhere(self):
        """End every session of this user, this one included."""
        viewer = await self._viewer()
        if viewer is None:
            return self._login_redirect()
        await run_db(lambda s: revoke_user_sessions(session=s, user_id=viewer.user_id))
        self._set_viewer(None)
        self.navigate_to = signed_out_path(routes.LOGIN)

    @rx.event
    @accepts(form=Form(join_code=Text()))
    async def join_company(self, form: dict):
        viewer = await self._viewer()
        if viewer is None:
            return self._login_redirect()
        code = form.get("join_code", "")
        try:
            # The code is the credential: finding its company (not yet the viewer's) runs as the system.
            company, role = await run_db(
                lambda s: companies.join_company(session=s, user_id=viewer.user_id, code=code), context=SYSTEM
            )
        except ValidationError as error:
            self.company_error = error.message
            return
        self.company_error = ""
        await self._viewer()
        return rx.toast.success(f"You joined {company.name} as {role}.")


class JoinState(AuthState):
    """`/join/<code>`: say which company the link is for and join only when the learner presses "Join";
    a visitor who is not signed in signs up with the code filled in.

    Opening the link changes nothing (a link can be opened by a preview, a prefetch or someone else's
    page); the code is read from the address again when the button is pressed.
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
        viewer = await self._viewer()
        if viewer is None:
            return rx.redirect(f"{routes.SIGNUP}?{urlencode({'code': code})}")
        try:
            company, role = await run_db(
                lambda s: companies.find_by_code(session=s, code=code), context=SYSTEM
            )  # the code is the credential
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
        viewer = await self._viewer()
        if viewer is None:
            yield self._login_redirect()
            return
        code = self._code()
        self.joining = True
        yield
        try:
            # The code is the credential: finding its company (not yet the viewer's) runs as the system.
            company, role = await run_db(
                lambda s: companies.join_company(session=s, user_id=viewer.user_id, code=code), context=SYSTEM
            )
        except ValidationError as error:
            self.error, self.joining = error.message, False
            return
        await self._viewer()
        target = routes.company(company.slug) if role == "manager" else routes.HOME
        yield rx.toast.success(f"You joined {company.name} as {role}.")
        yield rx.redirect(target)
