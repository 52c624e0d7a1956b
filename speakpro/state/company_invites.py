"""Inviting learners to a company by email, on the company page: a pasted list or a CSV file."""

from __future__ import annotations

import uuid

import reflex as rx
from sqlmodel import Session

from speakpro.services.accounts import invites
from speakpro.services.accounts.sessions import Viewer
from speakpro.services.validation import ValidationError
from speakpro.state.company import NO_TEAM, CompanyState
from speakpro.state.edge import Files, Form, Text, accepts

CSV_UPLOAD_ID = "invite-csv"


class InviteState(CompanyState):
    """The invitation form, its result and the invitations waiting."""

    invite_team: str = NO_TEAM
    invite_result: str = ""
    inviting: bool = False
    invite_form_key: int = 0

    @rx.event
    @accepts(team_id=Text(64))
    def set_invite_team(self, team_id: str):
        """The team the next invitations are for ("none": no team)."""
        self.invite_team = team_id if any(t.id == team_id for t in self.team_list) else NO_TEAM

    @rx.event
    @accepts(form=Form(emails=Text(100_000)))
    async def invite_pasted(self, form: dict):
        """Invite the addresses of the pasted list."""
        async for update in self._invite(lambda: invites.parse_email_list(form.get("emails", ""))):
            yield update

    @rx.event
    @accepts(files=Files(max_files=1))
    async def invite_csv(self, files: list[rx.UploadFile]):
        """Invite the addresses of a chosen CSV file (its email column, or every address in it)."""
        data = await files[0].read(invites.MAX_CSV_BYTES + 1) if files else b""
        async for update in self._invite(lambda: invites.parse_email_csv(data)):
            yield update

    async def _invite(self, read_candidates):
        if self.inviting:
            return
        team = "" if self.invite_team == NO_TEAM else self.invite_team
        self.inviting, self.invite_result = True, ""
        yield

        def invite(session: Session, viewer: Viewer, company_id: uuid.UUID):
            result = invites.invite_emails(
                session=session,
                company_id=company_id,
                actor_id=viewer.user_id,
                candidates=read_candidates(),
                team_id=team,
            )
            return result, invites.pending_invites(session=session, company_id=company_id)

        try:
            _, (result, pending) = await self._signed_in(self._as_manager(invite))
        except ValidationError as error:
            self.invite_result = error.message
            yield rx.toast.error(error.message)
            return
        finally:
            self.inviting = False
        self.pending_invites = pending
        self.invite_result = result.summary()
        self.invite_form_key += 1
        if result.invited:
            yield rx.toast.success(
                f"{len(result.invited)} invited. They see the invitation on their home page once they sign in "
                "or sign up with that address."
            )
        else:
            yield rx.toast.error("Nobody was invited: " + result.summary())

    @rx.event
    @accepts(invite_id=Text(64))
    async def revoke(self, invite_id: str):
        """Withdraw a pending invitation."""

        def revoke(session: Session, viewer: Viewer, company_id: uuid.UUID):
            email = invites.revoke_invite(
                session=session, company_id=company_id, actor_id=viewer.user_id, invite_id=invite_id
            )
            return email, invites.pending_invites(session=session, company_id=company_id)

        try:
            _, (email, pending) = await self._signed_in(self._as_manager(revoke))
        except ValidationError as error:
            return rx.toast.error(error.message)
        self.pending_invites = pending
        return rx.toast.success(f"The invitation of {email} is withdrawn.")
