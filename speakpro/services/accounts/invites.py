"""Invitations to a company by email: a manager pastes a list or uploads a CSV; the invited person accepts.

- **Inviting** (`invite_emails`): the addresses are read from pasted text (`parse_email_list`) or a CSV file
  (`parse_email_csv`), de-duplicated and checked; the valid ones get a pending invitation (optionally into
  a team), those already in the company are skipped, and the rest come back as not valid, each named. The
  answer is the same whether or not an address has an account, so it tells a manager nothing about
  people outside the company. An address with an account also gets a notice queued in `email_outbox`.
- **Answering** (`my_invites`, `accept_invite`, `decline_invite`): once signed in with that address, the
  person sees the invitation on their home page and accepts (joins as a learner, into its team) or
  declines. Either way the invitation is deleted; the audit log keeps what happened.

Managers' functions are called after the caller has checked, in the database, that the actor manages the
company, and run as the system. `my_invites` runs as the invited person; accepting and declining run as the
system (the invitation is the credential, as a join code is) and match the invitation to the user's own
address.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from speakpro.db import rowcount
from speakpro.models import Company, CompanyInvite, EmailOutbox, Team, User, UserProfile
from speakpro.services.accounts.teams import company_team
from speakpro.services.telemetry import audit
from speakpro.services.validation import ValidationError, clean_email, id_or_none

MAX_PER_BATCH = 200
MAX_CSV_BYTES = 256 * 1024
MAX_PENDING = 2000
INVITE_NOTICE = "company_invite"
_ENTRIES = re.compile(r"[,;\n]+")
_ANGLED = re.compile(r"<([^<>]*)>")
_EMAIL_HEADERS = {"email", "e-mail", "email address", "e-mail address", "mail"}


@dataclass(frozen=True)
class InviteResult:
    """What one batch did: addresses invited (new or renewed), already members, and not valid ones."""

    invited: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{len(self.invited)} invited"]
        if self.members:
            parts.append(f"{len(self.members)} already in the company")
        if self.invalid:
            shown = ", ".join(self.invalid[:5]) + (" …" if len(self.invalid) > 5 else "")
            parts.append(f"{len(self.invalid)} not valid ({shown})")
        return "; ".join(parts) + "."


@dataclass(frozen=True)
class PendingInvite:
    id: str
    email: str
    team: str
    invited_on: str


@dataclass(frozen=True)
class MyInvite:
    id: str
    company_name: str
    team: str


def parse_email_list(pasted: object) -> list[str]:
    """The candidate addresses of pasted text: entries separated by commas, semicolons or lines, each an
    address (or several separated by spaces) or `Name <address>`, whose name is not an address. Not checked
    yet (`invite_emails` does that)."""
    found: list[str] = []
    for entry in _ENTRIES.split(str(pasted or "")):
        angled = _ANGLED.findall(entry)
        words = angled if angled else entry.split()
        found += [w.strip().strip("\"'") for w in words if w.strip().strip("\"'")]
    return found


def parse_email_csv(data: bytes) -> list[str]:
    """The candidate addresses of a CSV file: its email column when a header names one, else every cell
    that holds an "@". UTF-8 (with or without a byte-order mark) or Latin-1.

    Raises:
        ValidationError: For a file over `MAX_CSV_BYTES` or one that is not text.
    """
    if len(data) > MAX_CSV_BYTES:
        raise ValidationError("csv", f"The file is over {MAX_CSV_BYTES // 1024} KB. Split it into smaller files.")
    if b"\x00" in data:
        raise ValidationError("csv", "That file is not a CSV text file.")
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        content = data.decode("latin-1")
    try:
        dialect = csv.Sniffer().sniff(content[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [row for row in csv.reader(io.StringIO(content), dialect) if any(cell.strip() for cell in row)]
    if not rows:
        return []
    header = [cell.strip().lower() for cell in rows[0]]
    column = next((i for i, name in enumerate(header) if name in _EMAIL_HEADERS), None)
    if column is not None:
        return [row[column].strip() for row in rows[1:] if len(row) > column and row[column].strip()]
    return [found for row in rows for cell in row for found in parse_email_list(cell) if "@" in found]


def _checked(candidates: list[str]) -> tuple[list[str], list[str]]:
    """Valid addresses (lower-cased, first occurrence kept) and the not valid ones, as written."""
    valid: list[str] = []
    invalid: list[str] = []
    for candidate in candidates:
        try:
            email = clean_email(candidate)
        except ValidationError:
            invalid.append(candidate if len(candidate) <= 80 else candidate[:77] + "…")
            continue
        if email not in valid:
            valid.append(email)
    return valid, invalid


def invite_emails(
    *,
    session: Session,
    company_id: uuid.UUID,
    actor_id: uuid.UUID,
    candidates: list[str],
    team_id: object = None,
) -> InviteResult:
    """Invite addresses to the company as learners (into a team when given); audited once per batch.

    Inviting an address again renews its invitation (and moves it to the new team). Returns what was done.

    Raises:
        ValidationError: When no address is given, over `MAX_PER_BATCH` are, the company would hold more
            than `MAX_PENDING` pending invitations, or the team is not the company's.
    """
    if not candidates:
        raise ValidationError("emails", "Paste at least one email address, or choose a CSV file.")
    if len(candidates) > MAX_PER_BATCH:
        raise ValidationError("emails", f"Invite up to {MAX_PER_BATCH} addresses at a time.")
    team = None if team_id in (None, "") else company_team(session=session, company_id=company_id, team_id=team_id)
    valid, invalid = _checked(candidates)
    if not valid:
        return InviteResult(invalid=invalid)
    members = set(
        session.execute(
            select(col(User.email))
            .join(UserProfile, col(UserProfile.user_id) == col(User.id))
            .where(col(UserProfile.company_id) == company_id, col(User.email).in_(valid))
        ).scalars()
    )
    invited = [email for email in valid if email not in members]
    pending = session.execute(
        select(func.count()).select_from(CompanyInvite).where(col(CompanyInvite.company_id) == company_id)
    ).scalar_one()
    if pending + len(invited) > MAX_PENDING:
        raise ValidationError("emails", f"Your company can have up to {MAX_PENDING} invitations waiting.")
    if invited:
        statement = insert(CompanyInvite).values(
            [
                {
                    "id": uuid.uuid4(),
                    "company_id": company_id,
                    "email": email,
                    "team_id": None if team is None else team.id,
                    "invited_by": actor_id,
                }
                for email in invited
            ]
        )
        session.execute(
            statement.on_conflict_do_update(
                constraint="uq_company_invites_company_id",
                set_={"team_id": statement.excluded.team_id, "invited_by": actor_id, "created_at": func.now()},
            )
        )
        company_name = session.execute(select(col(Company.name)).where(col(Company.id) == company_id)).scalar_one()
        holders = session.execute(
            select(col(User.id)).where(
                col(User.email).in_(invited), col(User.disabled).is_(False), col(User.deleted_at).is_(None)
            )
        ).scalars()
        notices = [
            {
                "id": uuid.uuid4(),
                "user_id": holder,
                "template": INVITE_NOTICE,
                "attempts": 0,
                "details": {"company": company_name},
            }
            for holder in holders
        ]
        if notices:  # at most one unsent notice per person (the outbox's unique index)
            session.execute(
                insert(EmailOutbox)
                .values(notices)
                .on_conflict_do_nothing(
                    index_elements=["user_id", "template"], index_where=col(EmailOutbox.sent_at).is_(None)
                )
            )
    audit(
        session=session,
        action="company.invited",
        target_type="company",
        actor_user_id=actor_id,
        company_id=company_id,
        target_id=company_id,
        details={
            "invited": len(invited),
            "already_members": len(members),
            "invalid": len(invalid),
            "team_id": None if team is None else str(team.id),
        },
    )
    return InviteResult(invited=invited, members=sorted(members), invalid=invalid)


def pending_invites(*, session: Session, company_id: uuid.UUID) -> list[PendingInvite]:
    """The company's invitations still waiting, newest first (one query)."""
    rows = session.execute(
        select(col(CompanyInvite.id), col(CompanyInvite.email), col(Team.name), col(CompanyInvite.created_at))
        .outerjoin(Team, col(Team.id) == col(CompanyInvite.team_id))
        .where(col(CompanyInvite.company_id) == company_id)
        .order_by(col(CompanyInvite.created_at).desc(), col(CompanyInvite.email))
        .limit(MAX_PENDING)
    ).all()
    return [PendingInvite(str(r[0]), r[1], r[2] or "", r[3].date().isoformat()) for r in rows]


def revoke_invite(*, session: Session, company_id: uuid.UUID, actor_id: uuid.UUID, invite_id: object) -> str:
    """Withdraw a pending invitation of the company. Returns its address."""
    invite_uuid = id_or_none(invite_id)
    email = None
    if invite_uuid is not None:
        email = session.execute(
            delete(CompanyInvite)
            .where(col(CompanyInvite.id) == invite_uuid, col(CompanyInvite.company_id) == company_id)
            .returning(col(CompanyInvite.email))
        ).scalar_one_or_none()
    if email is None:
        raise ValidationError("invite", "That invitation was not found. It may have been answered already.")
    audit(
        session=session,
        action="company.invite_revoked",
        target_type="company",
        actor_user_id=actor_id,
        company_id=company_id,
        target_id=company_id,
        details={"invite_id": str(invite_uuid)},
    )
    return email


def my_invites(*, session: Session) -> list[MyInvite]:
    """The invitations waiting for the signed-in person's address, oldest first (one query, through the
    database function that may name companies the person is not in: migration 0021)."""
    rows = session.execute(text("SELECT id, company_name, team_name FROM speakpro_my_invites()")).all()
    return [MyInvite(str(r.id), r.company_name, r.team_name or "") for r in rows]


def _my_invite(session: Session, user_id: uuid.UUID, invite_id: object) -> tuple[CompanyInvite, str]:
    invite_uuid = id_or_none(invite_id)
    email = session.execute(select(col(User.email)).where(col(User.id) == user_id)).scalar_one()
    invite = None
    if invite_uuid is not None:
        invite = session.execute(
            select(CompanyInvite)
            .where(col(CompanyInvite.id) == invite_uuid, col(CompanyInvite.email) == email)
            .with_for_update()
        ).scalar_one_or_none()
    if invite is None:
        raise ValidationError("invite", "That invitation was not found. It may have been withdrawn.")
    return invite, email


def accept_invite(*, session: Session, user_id: uuid.UUID, invite_id: object) -> Company:
    """Join the inviting company as a learner (into the invitation's team); returns the company.

    Raises:
        ValidationError: For an invitation that is not the user's (or gone), and for someone who already
            belongs to another company (the invitation stays, to accept once they have left it).
    """
    invite, _ = _my_invite(session, user_id, invite_id)
    company = session.get(Company, invite.company_id)
    if company is None or not company.is_active:
        raise ValidationError("invite", "That invitation was not found. It may have been withdrawn.")
    profile = session.execute(
        select(UserProfile).where(col(UserProfile.user_id) == user_id).with_for_update()
    ).scalar_one()
    if profile.company_id is not None and profile.company_id != company.id:
        raise ValidationError("invite", "You already belong to another company. Leave it first to join this one.")
    if profile.company_id == company.id and profile.company_disabled_at is not None:
        raise ValidationError("invite", f"Your membership of {company.name} is disabled. Ask your manager.")
    if profile.company_id is None:
        session.execute(
            update(UserProfile)
            .where(col(UserProfile.user_id) == user_id)
            .values(company_id=company.id, role="learner", team_id=invite.team_id)
        )
    session.execute(delete(CompanyInvite).where(col(CompanyInvite.id) == invite.id))
    audit(
        session=session,
        action="company.invite_accepted",
        target_type="company",
        actor_user_id=user_id,
        subject_user_id=user_id,
        company_id=company.id,
        target_id=company.id,
        details={"team_id": None if invite.team_id is None else str(invite.team_id)},
    )
    return company


def decline_invite(*, session: Session, user_id: uuid.UUID, invite_id: object) -> None:
    """Turn an invitation down: it is deleted, and the company's managers see it gone from their list."""
    invite, _ = _my_invite(session, user_id, invite_id)
    removed = session.execute(delete(CompanyInvite).where(col(CompanyInvite.id) == invite.id))
    if rowcount(removed):
        audit(
            session=session,
            action="company.invite_declined",
            target_type="company",
            actor_user_id=user_id,
            subject_user_id=user_id,
            company_id=invite.company_id,
            target_id=invite.company_id,
        )
