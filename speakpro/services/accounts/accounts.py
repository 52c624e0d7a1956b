"""Accounts: sign-up, password login, password change, profile, and OpenID identities."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from speakpro.db import rowcount
from speakpro.models import Company, EmailOutbox, OAuthIdentity, User, UserProfile, utcnow
from speakpro.services.accounts import companies, throttle
from speakpro.services.accounts.consent import PRIVACY_NOTICE_VERSION, record_consent
from speakpro.services.accounts.passwords import hash_password, needs_rehash, verify_password
from speakpro.services.telemetry import audit, record_event
from speakpro.services.validation import ValidationError, check_password, clean_email, clean_text

# Verified against when the email is unknown, so a login takes as long whether the account exists or not.
_DUMMY_HASH = hash_password("speakpro-timing-equaliser")
LOGIN_FAILED = "That email and password don't match an account."


def get_user_by_email(*, session: Session, email: str) -> User | None:
    return session.execute(select(User).where(col(User.email) == email.strip().lower())).scalar_one_or_none()


class EmailTaken(ValidationError):
    """The email belongs to an account already. Never shown to a visitor: `register` answers as for a new one."""

    def __init__(self) -> None:
        super().__init__("email", "An account with this email already exists.")


# The notice a mail sender delivers to an account's owner when someone signs up with their email.
EXISTING_ACCOUNT_NOTICE = "signup_existing_account"


@dataclass(frozen=True)
class Registration:
    """What a sign-up did. The visitor sees the same answer either way; only the server knows which."""

    user_id: uuid.UUID | None  # the new account; None when the email had one (its owner gets a notice)


def _create_learner(
    *,
    session: Session,
    email: str,
    password_hash: str,
    name: str,
    company: Company | None,
    role: str,
    user_agent: str,
) -> User:
    user = User(email=email, display_name=name, password_hash=password_hash, password_changed_at=utcnow())
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        session.expunge(user)
        raise EmailTaken() from None
    session.add(UserProfile(user_id=user.id, company_id=company.id if company else None, role=role))
    session.flush()
    record_event(
        session=session,
        event_type="user_signup",
        user_id=user.id,
        company_id=company.id if company else None,
        data={"method": "password", "joined_company": bool(company), "user_agent": user_agent[:200]},
    )
    if company:
        audit(
            session=session,
            action="company.joined",
            target_type="company",
            actor_user_id=user.id,
            subject_user_id=user.id,
            company_id=company.id,
            details={"role": role},
        )
    return user


def _signup_fields(
    *,
    session: Session,
    email: str,
    password: str,
    display_name: str,
    join_code: str,
) -> tuple[str, str, str, Company | None, str]:
    email = clean_email(email)
    password = check_password(password, email)
    name = clean_text("display_name", display_name, label="Your name", max_length=80, required=False)
    company, role = (None, "learner")
    if join_code.strip():
        company, role = companies.find_by_code(session=session, code=join_code)
    return email, password, name, company, role


def signup(
    *,
    session: Session,
    email: str,
    password: str,
    display_name: str = "",
    join_code: str = "",
    user_agent: str = "",
) -> User:
    """Create a learner account (optionally joining a company by code), for scripts, commands and tests.

    The sign-up form goes through `register`, which never says whether an email is taken.

    Raises:
        EmailTaken: When the email has an account already.
        ValidationError: For bad input or a company code that matches no company.
    """
    email, password, name, company, role = _signup_fields(
        session=session, email=email, password=password, display_name=display_name, join_code=join_code
    )
    if get_user_by_email(session=session, email=email) is not None:
        raise EmailTaken()
    return _create_learner(
        session=session,
        email=email,
        password_hash=hash_password(password),
        name=name,
        company=company,
        role=role,
        user_agent=user_agent,
    )


def queue_existing_account_notice(*, session: Session, user: User) -> bool:
    """Queue the "someone tried to sign up with your email" notice for an account's owner.

    Stored in `email_outbox` for a mail sender to deliver (SpeakPro has no mail server of its own). At most
    one unsent notice per owner: repeated attempts add nothing until it has been sent.

    Returns:
        Whether a new notice was queued.
    """
    if user.disabled or user.deleted_at is not None:
        return False
    statement = (
        insert(EmailOutbox)
        .values(
            id=uuid.uuid4(),
            user_id=user.id,
            template=EXISTING_ACCOUNT_NOTICE,
            attempts=0,
            details={"has_password": bool(user.password_hash)},
        )
        .on_conflict_do_nothing(index_elements=["user_id", "template"], index_where=text("sent_at IS NULL"))
    )
    return bool(rowcount(session.execute(statement)))


def register(
    *,
    session: Session,
    email: str,
    password: str,
    accepted_privacy_notice: bool,
    recording_consent: bool,
    display_name: str = "",
    join_code: str = "",
    user_agent: str = "",
) -> Registration:
    """The sign-up form: create a learner account, answering the same whether or not the email is taken.

    A new account records the consent given on the form (`privacy.record_consent`, the current notice
    version) in the same transaction. A taken email changes nothing of its account: its owner gets a notice
    (`email_outbox`) and the visitor the same answer as for a new account. Both ways do the same password
    hashing, so the time taken does not tell them apart either.

    Args:
        session: An open database session.
        email: The email as typed.
        password: The chosen password.
        accepted_privacy_notice: The "I have read the privacy notice" box; required.
        recording_consent: The "my practice sessions are recorded" box (needed before practising).
        display_name: The name as typed (optional).
        join_code: A company join or invite code (optional).
        user_agent: The browser's user agent, for the sign-up event.

    Returns:
        The registration (the new user's id, or None when the email was taken).

    Raises:
        ValidationError: For bad input, an unchecked privacy notice or a company code that matches nothing;
            never for a taken email.
    """
    email, password, name, company, role = _signup_fields(
        session=session, email=email, password=password, display_name=display_name, join_code=join_code
    )
    if not accepted_privacy_notice:
        raise ValidationError("privacy_notice", "Please confirm that you have read the privacy notice.")
    # Hashed before looking the email up: the same argon2 work whether the account is new or not.
    password_hash = hash_password(password)
    existing = get_user_by_email(session=session, email=email)
    if existing is None:
        try:
            user = _create_learner(
                session=session,
                email=email,
                password_hash=password_hash,
                name=name,
                company=company,
                role=role,
                user_agent=user_agent,
            )
        except EmailTaken:  # created by a concurrent sign-up since the lookup
            existing = get_user_by_email(session=session, email=email)
        else:
            record_consent(
                session=session,
                user_id=user.id,
                notice_version=PRIVACY_NOTICE_VERSION,
                recording=recording_consent,
            )
            return Registration(user_id=user.id)
    if existing is not None:
        queue_existing_account_notice(session=session, user=existing)
    return Registration(user_id=None)


def create_admin(*, session: Session, email: str, password: str, display_name: str = "") -> User:
    """Create an instance admin (`python -m speakpro create-admin`), with the same password rules as anyone.

    Raises:
        EmailTaken: When the email has an account already (`promote_to_admin` makes it an admin).
        ValidationError: For a bad email, password or name.
    """
    user = signup(session=session, email=email, password=password, display_name=display_name)
    user.is_admin = True
    user.email_verified = True  # typed by the operator who runs the instance
    session.flush()
    audit(
        session=session,
        action="admin.created",
        target_type="user",
        subject_user_id=user.id,
        target_id=user.id,
        details={"via": "command_line"},
    )
    return user


def promote_to_admin(*, session: Session, email: str) -> User:
    """Make an existing, active account an instance admin (its password and sessions are kept).

    Raises:
        ValidationError: When no active account has this email.
    """
    user = get_user_by_email(session=session, email=clean_email(email))
    if user is None or user.disabled or user.deleted_at is not None:
        raise ValidationError("email", "No active account has this email.")
    if not user.is_admin:
        user.is_admin = True
        session.flush()
        audit(
            session=session,
            action="admin.promoted",
            target_type="user",
            subject_user_id=user.id,
            target_id=user.id,
            details={"via": "command_line"},
        )
    return user


def authenticate(*, session: Session, email: str, password: str) -> User | None:
    """The user whose email and password these are, or None (same work either way)."""
    try:
        email = clean_email(email)
    except ValidationError:
        verify_password(_DUMMY_HASH, password or "")
        return None
    user = get_user_by_email(session=session, email=email)
    if user is None or not user.password_hash:
        verify_password(_DUMMY_HASH, password or "")
        return None
    if not verify_password(user.password_hash, password or ""):
        return None
    if user.disabled or user.deleted_at is not None:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def change_password(*, session: Session, user_id: uuid.UUID, current: str, new: str) -> None:
    """Change a password after checking the current one; the caller ends the user's other sessions."""
    user = session.get(User, user_id)
    if user is None:
        raise ValidationError("current_password", "Your account was not found.")
    if user.password_hash and not verify_password(user.password_hash, current or ""):
        raise ValidationError("current_password", "Your current password is not right.")
    new = check_password(new, user.email)
    if user.password_hash and verify_password(user.password_hash, new):
        raise ValidationError("new_password", "Choose a password different from your current one.")
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    audit(
        session=session,
        action="password.changed",
        target_type="user",
        actor_user_id=user_id,
        subject_user_id=user_id,
        target_id=user_id,
    )


def update_display_name(*, session: Session, user_id: uuid.UUID, display_name: str) -> str:
    name = clean_text("display_name", display_name, label="Your name", max_length=80)
    session.execute(update(User).where(col(User.id) == user_id).values(display_name=name))
    return name


def set_disabled(*, session: Session, actor_id: uuid.UUID, user_id: uuid.UUID, disabled: bool) -> None:
    """Disable (or re-enable) an account; a disabled user's sessions stop working at once."""
    session.execute(update(User).where(col(User.id) == user_id).values(disabled=disabled))
    audit(
        session=session,
        action="user.disabled" if disabled else "user.enabled",
        target_type="user",
        actor_user_id=actor_id,
        subject_user_id=user_id,
        target_id=user_id,
    )


def login_with_identity(
    *,
    session: Session,
    provider: str,
    subject: str,
    email: str | None,
    email_verified: bool,
    name: str = "",
    client: str | None = None,
) -> User:
    """The user behind an OpenID identity: known (provider, subject), else an existing account with the same
    verified email (linked now), else a new learner account, counted against the sign-up throttle of the
    `client` address like a password sign-up. A new account has no consent on record yet: onboarding asks.

    Raises:
        ValidationError: When the provider gives no usable subject, an existing account's email matches but
            the provider does not vouch for it (linking would let anyone take over that account), or the
            address has made too many new accounts.
    """
    if not subject or len(subject) > 255:
        raise ValidationError("provider", "The sign-in provider did not identify the account.")
    identity = session.execute(
        select(OAuthIdentity).where(col(OAuthIdentity.provider) == provider, col(OAuthIdentity.subject) == subject)
    ).scalar_one_or_none()
    if identity is not None:
        user = session.get(User, identity.user_id)
        if user is None or user.disabled or user.deleted_at is not None:
            raise ValidationError("provider", "This account is disabled.")
        return user
    clean = None
    if email:
        try:
            clean = clean_email(email)
        except ValidationError:
            clean = None
    user = get_user_by_email(session=session, email=clean) if clean else None
    if user is not None:
        if not email_verified:
            raise ValidationError(
                "provider",
                "An account with this email exists. Log in with your password, or use a provider that has "
                "verified your email.",
            )
        if user.disabled or user.deleted_at is not None:
            raise ValidationError("provider", "This account is disabled.")
    else:
        if client is not None and not throttle.check_signup(session=session, client=client).allowed:
            raise ValidationError("provider", "Too many sign-ups from your network. Try again in 15 minutes.")
        if not clean:
            clean = f"{provider}-{uuid.uuid5(uuid.NAMESPACE_URL, provider + ':' + subject).hex[:16]}@users.invalid"
        user = User(email=clean, display_name=(name or "")[:80], email_verified=email_verified)
        session.add(user)
        session.flush()
        session.add(UserProfile(user_id=user.id))
        record_event(session=session, event_type="user_signup", user_id=user.id, data={"method": provider})
    session.add(OAuthIdentity(user_id=user.id, provider=provider, subject=subject, email=clean))
    session.flush()
    audit(
        session=session,
        action="identity.linked",
        target_type="user",
        actor_user_id=user.id,
        subject_user_id=user.id,
        details={"provider": provider},
    )
    return user


def count_users(*, session: Session) -> int:
    return session.execute(select(func.count()).select_from(User)).scalar_one()


def company_of(*, session: Session, user_id: uuid.UUID) -> Company | None:
    return session.execute(
        select(Company)
        .join(UserProfile, col(UserProfile.company_id) == col(Company.id))
        .where(col(UserProfile.user_id) == user_id)
    ).scalar_one_or_none()
