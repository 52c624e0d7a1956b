"""A learner's "delete my account".

**Erasure** (`erase_user`). What goes and what stays:
- Deleted: the user row and, through it (ON DELETE CASCADE) or explicitly, every row that belongs to them:
  profile and balances, login sessions, OpenID identities and hand-off codes, consent records, progress,
  lesson runs and answers, submissions, milestone attempts, quests, venue visits and unlocks, amphitheatre
  visits, stakes, the reward ledger (its trigger forbids UPDATE only; rows go with their user, as designed),
  uploads, mail waiting for them, product analytics events (they carry user agents and persona text), the
  login-throttle counter keyed on their email; every stored recording (deleted from storage after the commit,
  retried by a job if storage fails); their practice sessions' transcripts, segments, analysis results and
  client-secret fingerprints, their retakes and the managers' comments and scores of them.
- Kept, anonymised: the analysed sessions' `session_analytics` rows (numbers, company, day and hour only)
  and their `practice_sessions` parent rows (tombstoned: title replaced, summary and failure reason cleared,
  `deleted_at` set). They are moved to a fresh stand-in user ("Erased learner", random id and
  `erased-<random>@erased.invalid` address, disabled, no profile, no password, no identity): company
  dashboards keep exactly the same sessions, scores, minutes and active-learner counts (one stand-in per
  erased person, so distinct counts stay right), every foreign key stays valid, and because the stand-in's
  id is new, nothing kept can be joined back to the person's old id (which their own export, logs or the
  audit log may hold). Setting `user_id` NULL instead would undercount active learners.
- Kept, detached: telemetry events (their foreign key is ON DELETE SET NULL): curriculum ids, scores and
  durations with no person attached.
- Kept as is: `audit_log` (append-only by trigger). It never holds personal content, only ids; the erased
  person's id there now resolves to nobody. It is the accountability record (GDPR art. 17(3)(b) and (e)),
  and the erasure adds one more row with no personal data: counts, company, whether the person or an
  administrator asked. `storage_deletions` keeps an object's key (which contains the old id) only until
  that object is deleted.

Erasure is idempotent: erasing a user who is gone does nothing; a storage failure leaves the to-delete list
for `storage_deletions.retry_storage_deletions`.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

from sqlalchemy import case, delete, func, select, text, update
from sqlmodel import Session, col

from speakpro.models import (
    AnalysisResult,
    AnalyticsEvent,
    AudioRecording,
    ClientSecret,
    LoginThrottle,
    PracticeSession,
    Retake,
    SessionAnalytics,
    SessionComment,
    SessionReview,
    TelemetryEvent,
    Transcript,
    TranscriptSegment,
    User,
    UserProfile,
    utcnow,
)
from speakpro.services.accounts import throttle
from speakpro.services.accounts.data_export import quote_name, user_tables
from speakpro.services.accounts.passwords import verify_password
from speakpro.services.accounts.recording_refs import recording_keys
from speakpro.services.accounts.storage_deletions import forget_objects, purge_objects
from speakpro.services.practice.session_deletion import DELETED_TITLE
from speakpro.services.telemetry import audit

log = logging.getLogger(__name__)

ERASED_NAME = "Erased learner"
ERASED_DOMAIN = "erased.invalid"


@dataclass(frozen=True)
class ErasureReport:
    """What an erasure did. `erased` is False when there was no such user (already erased)."""

    erased: bool
    rows: dict[str, int] = field(default_factory=dict)
    sessions_kept_anonymised: int = 0
    objects_deleted: int = 0
    objects_pending: int = 0


def check_erasure_confirmation(*, session: Session, user_id: uuid.UUID, confirmation: object) -> str:
    """ "" when `confirmation` confirms erasing the account, else the message to show.

    A password account confirms with its password (failures count against the account's login throttle,
    so the confirmation cannot be used to guess it); an account without one types its email address.
    """
    user = session.get(User, user_id)
    if user is None:
        return "Your account was not found."
    given = confirmation if isinstance(confirmation, str) else ""
    given = given[:1000]
    if not user.password_hash:
        if given.strip().lower() != user.email:
            return "Type your email address exactly as shown to confirm. Nothing was deleted."
        return ""
    keys = [throttle.account_key(user.email)]
    decision = throttle.check(session=session, keys=keys)
    if not decision.allowed:
        minutes = max(1, round(decision.retry_after_seconds / 60))
        return f"Too many wrong passwords. Try again in about {minutes} minute{'s' if minutes > 1 else ''}."
    if not verify_password(user.password_hash, given):
        throttle.record_failure(session=session, keys=keys)
        return "That is not your password. Nothing was deleted."
    return ""


def _row_counts(session: Session, user_id: uuid.UUID) -> dict[str, int]:
    counts = {}
    for name in user_tables(session):
        n = session.execute(
            text(f"SELECT count(*) FROM {quote_name(session, name)} WHERE user_id = :uid"), {"uid": user_id}
        ).scalar_one()
        if n:
            counts[name] = n
    return counts


def erase_user(
    *, session: Session, user_id: uuid.UUID, via: str = "self", actor_user_id: uuid.UUID | None = None, storage=None
) -> ErasureReport:
    """Erase one user as the module docstring describes; safe to call again.

    Commits the caller's session once the database part is done (so the to-delete list is durable), then
    deletes the recordings from storage and commits again.

    Args:
        session: The caller's session.
        user_id: Who to erase.
        via: "self" (the person asked) or "admin" (the command line); goes into the audit row.
        actor_user_id: An administrator's id when one asked (never the erased person's).
        storage: The store; `get_storage()` when omitted.
    """
    user = session.execute(select(User).where(col(User.id) == user_id).with_for_update()).scalar_one_or_none()
    if user is None:
        return ErasureReport(erased=False)
    now = utcnow()
    company_id = session.execute(
        select(col(UserProfile.company_id)).where(col(UserProfile.user_id) == user_id)
    ).scalar()
    # Lock the sessions: an analysis writing results right now finishes first (and is then seen below).
    practice_ids = list(
        session.execute(
            select(col(PracticeSession.id)).where(col(PracticeSession.user_id) == user_id).with_for_update()
        ).scalars()
    )
    rows = _row_counts(session, user_id)
    keys = recording_keys(session=session, user_id=user_id)
    listed = forget_objects(session=session, keys=keys, reason="erasure")

    quiet = {"synchronize_session": False}
    kept: list[uuid.UUID] = []
    if practice_ids:
        transcripts = select(col(Transcript.id)).where(col(Transcript.session_id).in_(practice_ids))
        session.execute(
            delete(TranscriptSegment)
            .where(col(TranscriptSegment.transcript_id).in_(transcripts))
            .execution_options(**quiet)
        )
        for model in (Transcript, AnalysisResult, ClientSecret, AudioRecording, Retake, SessionComment, SessionReview):
            session.execute(delete(model).where(col(model.session_id).in_(practice_ids)).execution_options(**quiet))
        kept = list(
            session.execute(
                select(col(SessionAnalytics.session_id)).where(col(SessionAnalytics.session_id).in_(practice_ids))
            ).scalars()
        )
    if kept:
        stand_in = User(
            email=f"erased-{uuid.uuid4().hex}@{ERASED_DOMAIN}",
            display_name=ERASED_NAME,
            disabled=True,
            deleted_at=now,
            created_at=now,
        )
        session.add(stand_in)
        session.flush()
        session.execute(
            update(PracticeSession)
            .where(col(PracticeSession.id).in_(kept))
            .values(
                user_id=stand_in.id,
                title=DELETED_TITLE,
                privacy="private",
                failure_reason=None,
                analytics_summary={},
                status="archived",
                processing_status=case(
                    (col(PracticeSession.processing_status) == "processing", "failed"),
                    else_=PracticeSession.processing_status,
                ),
                ended_at=func.coalesce(PracticeSession.ended_at, func.greatest(PracticeSession.started_at, now)),
                deleted_at=func.coalesce(PracticeSession.deleted_at, now),
                updated_at=now,
            )
            .execution_options(**quiet)
        )
        session.execute(
            update(SessionAnalytics)
            .where(col(SessionAnalytics.session_id).in_(kept))
            .values(user_id=stand_in.id)
            .execution_options(**quiet)
        )
    session.execute(delete(AnalyticsEvent).where(col(AnalyticsEvent.user_id) == user_id).execution_options(**quiet))
    session.execute(
        update(TelemetryEvent)
        .where(col(TelemetryEvent.user_id) == user_id)
        .values(user_id=None)
        .execution_options(**quiet)
    )
    session.execute(
        delete(LoginThrottle)
        .where(col(LoginThrottle.key) == throttle.account_key(user.email))
        .execution_options(**quiet)
    )
    session.execute(delete(User).where(col(User.id) == user_id).execution_options(**quiet))
    session.expunge(user)
    audit(
        session=session,
        action="account.erased",
        target_type="user",
        actor_user_id=actor_user_id,
        company_id=company_id,
        details={"via": via, "rows": rows, "recordings": len(listed), "sessions_kept_anonymised": len(kept)},
    )
    session.flush()
    session.commit()

    purged = purge_objects(session=session, keys=listed, limit=max(1, len(listed)), storage=storage)
    session.commit()
    return ErasureReport(
        erased=True,
        rows=rows,
        sessions_kept_anonymised=len(kept),
        objects_deleted=purged.deleted,
        objects_pending=len(listed) - purged.deleted,
    )
