"""A learner's privacy controls: consent records, "download my data", "delete my account", own recordings.

**Export** (`export_user_data`): a zip with `data/<table>.json` for every table that has a `user_id` column
(found in the database catalogue at export time, so a table added later is exported without a change here)
holding only the user's rows, plus the rows about them that hang off those (`users`, their practice sessions'
transcripts, segments, analysis results and client-secret expiries, the audit rows naming them, their
company's name) and `recordings/...` with every stored recording of theirs (`recordings.json` lists them).
Secrets never leave: password hashes, token and code hashes, secret fingerprints and company join codes are
dropped (`REDACTED_COLUMNS`, and any column ending in `_hash` or containing `secret`); `users.json` says
`has_password` instead.

**Erasure** (`erase_user`). What goes and what stays:
- Deleted: the user row and, through it (ON DELETE CASCADE) or explicitly, every row that belongs to them:
  profile and balances, login sessions, OpenID identities and hand-off codes, consent records, progress,
  lesson runs and answers, submissions, milestone attempts, quests, venue visits and unlocks, amphitheatre
  visits, stakes, the reward ledger (its trigger forbids UPDATE only; rows go with their user, as designed),
  uploads, mail waiting for them, product analytics events (they carry user agents and persona text), the
  login-throttle counter keyed on their email; every stored recording (deleted from storage after the commit,
  retried by a job if storage fails); their practice sessions' transcripts, segments, analysis results and
  client-secret fingerprints.
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
for `retention.retry_storage_deletions`.
"""

from __future__ import annotations

import json
import logging
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import case, delete, func, select, text, update
from sqlmodel import Session

from speakpro.integrations.storage import NotFound, StorageError, get_storage
from speakpro.models import (
    AnalysisResult,
    AnalyticsEvent,
    AudioRecording,
    ClientSecret,
    LoginThrottle,
    PracticeSession,
    PrivacyConsent,
    SessionAnalytics,
    StorageDeletion,
    TelemetryEvent,
    Transcript,
    TranscriptSegment,
    Upload,
    User,
    UserProfile,
    utcnow,
)
from speakpro.services.accounts import retention, throttle
from speakpro.services.accounts.passwords import verify_password
from speakpro.services.practice.session_deletion import DELETED_TITLE
from speakpro.services.telemetry import audit
from speakpro.services.validation import ValidationError, id_or_none
from speakpro.uploads import check_audio_ref

log = logging.getLogger(__name__)

PRIVACY_NOTICE_VERSION = "2026-12-01"
MAX_NOTICE_VERSION = 32
ERASED_NAME = "Erased learner"
ERASED_DOMAIN = "erased.invalid"
REDACTED_COLUMNS = frozenset(
    {"password_hash", "token_hash", "code_hash", "fingerprint", "join_code", "manager_invite_code"}
)
DELETABLE_KINDS = ("lesson", "venue", "milestone", "amphitheatre")
KIND_LABELS = {
    "lesson": "Lesson",
    "venue": "Venue",
    "milestone": "Milestone",
    "amphitheatre": "Amphitheatre",
    "practice": "Practice",
}
RECORDING_NOT_FOUND = "We could not find that recording."


# --------------------------------------------------------------------------------------------------- consent
@dataclass(frozen=True)
class ConsentView:
    """What the account page shows: the notice accepted and whether recordings are allowed, with when."""

    notice_version: str
    accepted_at: datetime
    recording: bool
    recording_since: datetime
    current: bool  # the accepted notice is today's `PRIVACY_NOTICE_VERSION`


def record_consent(
    *, session: Session, user_id: uuid.UUID, notice_version: str = PRIVACY_NOTICE_VERSION, recording: bool = True
) -> PrivacyConsent:
    """Record that the user accepted `notice_version` and allows (or not) recordings, now.

    Raises:
        ValidationError: For an empty or over-long notice version.
    """
    version = (notice_version or "").strip()
    if not version or len(version) > MAX_NOTICE_VERSION:
        raise ValidationError("notice_version", "The privacy notice version is missing.")
    consent = PrivacyConsent(user_id=user_id, notice_version=version, recording=bool(recording), created_at=utcnow())
    session.add(consent)
    session.flush()
    return consent


RECORDING_OFF = (
    "Recording is off for your account: allow recordings on your account page to practise out loud. "
    "Lessons can still be answered in writing."
)


def recording_allowed(*, session: Session, user_id: uuid.UUID) -> bool:
    """True when the user's newest consent allows recordings; never without a consent on record (1 query)."""
    allowed = session.execute(
        select(PrivacyConsent.recording)
        .where(PrivacyConsent.user_id == user_id)
        .order_by(PrivacyConsent.created_at.desc(), PrivacyConsent.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return bool(allowed)


def current_consent(*, session: Session, user_id: uuid.UUID) -> ConsentView | None:
    """The user's consent now (the newest record), None when they never gave one (1 query)."""
    rows = session.execute(
        select(PrivacyConsent.notice_version, PrivacyConsent.recording, PrivacyConsent.created_at)
        .where(PrivacyConsent.user_id == user_id)
        .order_by(PrivacyConsent.created_at.desc(), PrivacyConsent.id.desc())
    ).all()
    if not rows:
        return None
    latest = rows[0]
    since = latest.created_at
    for row in rows[1:]:
        if row.recording != latest.recording:
            break
        since = row.created_at
    return ConsentView(
        notice_version=latest.notice_version,
        accepted_at=latest.created_at,
        recording=latest.recording,
        recording_since=since,
        current=latest.notice_version == PRIVACY_NOTICE_VERSION,
    )


@dataclass(frozen=True)
class PrivacyOverview:
    """The account page's privacy section: the consent on record, and how deleting the account is confirmed."""

    consent: ConsentView | None
    confirm_with_password: bool  # else the email address is typed


def privacy_overview(*, session: Session, user_id: uuid.UUID) -> PrivacyOverview:
    """What the account page shows about the user's privacy (2 queries)."""
    has_password = session.execute(select(User.password_hash.is_not(None)).where(User.id == user_id)).scalar()
    return PrivacyOverview(
        consent=current_consent(session=session, user_id=user_id), confirm_with_password=bool(has_password)
    )


# ---------------------------------------------------------------------------------------------------- export
@dataclass
class ExportSummary:
    """What went into an export."""

    tables: dict[str, int] = field(default_factory=dict)
    recordings: int = 0
    missing_recordings: int = 0


def _json_default(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return None
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _redacted(column: str) -> bool:
    return column in REDACTED_COLUMNS or column.endswith("_hash") or "secret" in column


def user_tables(session: Session) -> list[str]:
    """Every table of the app's schema with a `user_id` column, from the database catalogue."""
    return list(
        session.execute(
            text(
                "SELECT c.table_name FROM information_schema.columns AS c "
                "JOIN information_schema.tables AS t "
                "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
                "WHERE c.column_name = 'user_id' AND c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' "
                "ORDER BY c.table_name"
            )
        ).scalars()
    )


def _quote(session: Session, name: str) -> str:
    return session.get_bind().dialect.identifier_preparer.quote(name)


def _related_queries(session: Session) -> dict[str, str]:
    """Rows about the user in tables without a `user_id` column (`:uid` is the user)."""
    mine = "SELECT id FROM practice_sessions WHERE user_id = :uid"
    return {
        "users": "SELECT * FROM users WHERE id = :uid",
        # What was done to their data, and what they did that concerns no one else (a manager's action on
        # another learner is that learner's row).
        "audit_log": "SELECT * FROM audit_log WHERE subject_user_id = :uid "
        "OR (actor_user_id = :uid AND subject_user_id IS NULL) ORDER BY created_at",
        "transcripts": f"SELECT * FROM transcripts WHERE session_id IN ({mine})",
        "transcript_segments": "SELECT * FROM transcript_segments WHERE transcript_id IN "
        f"(SELECT id FROM transcripts WHERE session_id IN ({mine})) "
        "ORDER BY transcript_id, sequence",
        "analysis_results": f"SELECT * FROM analysis_results WHERE session_id IN ({mine})",
        "client_secrets": f"SELECT * FROM client_secrets WHERE session_id IN ({mine})",
        "companies": "SELECT id, name, slug, created_at FROM companies WHERE id IN "
        "(SELECT company_id FROM user_profiles WHERE user_id = :uid)",
    }


def user_rows(*, session: Session, user_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
    """Every row about the user, per table, secrets dropped (tables without rows are left out)."""
    queries = {name: f"SELECT * FROM {_quote(session, name)} WHERE user_id = :uid" for name in user_tables(session)}
    queries.update(_related_queries(session))
    out: dict[str, list[dict[str, Any]]] = {}
    for name in sorted(queries):
        rows = []
        for mapping in session.execute(text(queries[name]), {"uid": user_id}).mappings():
            row = {column: value for column, value in mapping.items() if not _redacted(column)}
            if name == "users":
                row["has_password"] = bool(mapping.get("password_hash"))
            rows.append(row)
        if rows:
            out[name] = rows
    return out


README = """Your SpeakPro data
==================

Exported {when} for {email}.

data/<table>.json   every row about you, one file per table (only yours). Password, token and code hashes,
                    secret fingerprints and company join codes are left out.
recordings/         every recording of yours still stored; recordings.json says where each one was used.

Times are UTC. Ask your administrator, or use "Delete my account" on your account page, to erase all of it.
"""


def export_user_data(
    *, session: Session, user_id: uuid.UUID, out: IO[bytes], actor_user_id: uuid.UUID | None = None, storage=None
) -> ExportSummary:
    """Write the zip of everything about one user (see the module docstring) to `out`; audits the export.

    Raises:
        ValidationError: When there is no such user.
    """
    user = session.get(User, user_id)
    if user is None:
        raise ValidationError("user", "We could not find that account.")
    storage = storage or get_storage()
    tables = user_rows(session=session, user_id=user_id)
    summary = ExportSummary(tables={name: len(rows) for name, rows in tables.items()})
    files = _recording_files(session, user_id)
    manifest = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README.format(when=utcnow().strftime("%Y-%m-%d %H:%M UTC"), email=user.email))
        for name, rows in tables.items():
            archive.writestr(f"data/{name}.json", json.dumps(rows, default=_json_default, indent=2, ensure_ascii=False))
        for key, (kind, created_at) in sorted(files.items()):
            entry = {"kind": kind, "key": key, "created_at": created_at}
            try:
                data = storage.get(key)
            except NotFound:
                entry["missing"] = True
                summary.missing_recordings += 1
            except (StorageError, OSError) as error:
                log.warning("recording not exported: %s", type(error).__name__)
                entry["missing"] = True
                summary.missing_recordings += 1
            else:
                entry["file"] = f"recordings/{kind}/{key.rsplit('/', 1)[-1]}"
                entry["size_bytes"] = len(data)
                archive.writestr(
                    zipfile.ZipInfo(entry["file"], date_time=utcnow().timetuple()[:6]),
                    data,
                    compress_type=zipfile.ZIP_STORED,
                )
                summary.recordings += 1
            manifest.append(entry)
        archive.writestr("recordings.json", json.dumps(manifest, default=_json_default, indent=2))
    company_id = session.execute(select(UserProfile.company_id).where(UserProfile.user_id == user_id)).scalar()
    audit(
        session=session,
        action="data.exported",
        target_type="user",
        actor_user_id=actor_user_id,
        subject_user_id=user_id,
        company_id=company_id,
        details={"tables": len(tables), "recordings": summary.recordings},
    )
    session.flush()
    return summary


def _recording_files(session: Session, user_id: uuid.UUID) -> dict[str, tuple[str, datetime | None]]:
    """key -> (kind, when) of the user's recordings to export: referenced ones, then uploads not referenced yet;
    none that is tombstoned or waiting to be deleted from storage."""
    refs = retention.recording_refs(session=session, user_id=user_id)
    gone = {ref.key for ref in refs if ref.deleted}
    gone.update(
        session.execute(
            select(StorageDeletion.key).where(StorageDeletion.key.startswith(f"audio/{user_id}/"))
        ).scalars()
    )
    files: dict[str, tuple[str, datetime | None]] = {}
    for ref in refs:
        if ref.key not in gone:
            files.setdefault(ref.key, (ref.kind, ref.created_at))
    for key, created_at in session.execute(select(Upload.key, Upload.created_at).where(Upload.user_id == user_id)):
        if key not in gone and check_audio_ref(user_id, key):
            files.setdefault(key, ("upload", created_at))
    return files


# --------------------------------------------------------------------------------------------------- erasure
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
            text(f"SELECT count(*) FROM {_quote(session, name)} WHERE user_id = :uid"), {"uid": user_id}
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
    user = session.execute(select(User).where(User.id == user_id).with_for_update()).scalar_one_or_none()
    if user is None:
        return ErasureReport(erased=False)
    now = utcnow()
    company_id = session.execute(select(UserProfile.company_id).where(UserProfile.user_id == user_id)).scalar()
    # Lock the sessions: an analysis writing results right now finishes first (and is then seen below).
    practice_ids = list(
        session.execute(
            select(PracticeSession.id).where(PracticeSession.user_id == user_id).with_for_update()
        ).scalars()
    )
    rows = _row_counts(session, user_id)
    keys = retention.recording_keys(session=session, user_id=user_id)
    listed = retention.forget_objects(session=session, keys=keys, reason="erasure")

    quiet = {"synchronize_session": False}
    kept: list[uuid.UUID] = []
    if practice_ids:
        transcripts = select(Transcript.id).where(Transcript.session_id.in_(practice_ids))
        session.execute(
            delete(TranscriptSegment).where(TranscriptSegment.transcript_id.in_(transcripts)).execution_options(**quiet)
        )
        for model in (Transcript, AnalysisResult, ClientSecret, AudioRecording):
            session.execute(delete(model).where(model.session_id.in_(practice_ids)).execution_options(**quiet))
        kept = list(
            session.execute(
                select(SessionAnalytics.session_id).where(SessionAnalytics.session_id.in_(practice_ids))
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
            .where(PracticeSession.id.in_(kept))
            .values(
                user_id=stand_in.id,
                title=DELETED_TITLE,
                failure_reason=None,
                analytics_summary={},
                status="archived",
                processing_status=case(
                    (PracticeSession.processing_status == "processing", "failed"),
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
            .where(SessionAnalytics.session_id.in_(kept))
            .values(user_id=stand_in.id)
            .execution_options(**quiet)
        )
    session.execute(delete(AnalyticsEvent).where(AnalyticsEvent.user_id == user_id).execution_options(**quiet))
    session.execute(
        update(TelemetryEvent).where(TelemetryEvent.user_id == user_id).values(user_id=None).execution_options(**quiet)
    )
    session.execute(
        delete(LoginThrottle).where(LoginThrottle.key == throttle.account_key(user.email)).execution_options(**quiet)
    )
    session.execute(delete(User).where(User.id == user_id).execution_options(**quiet))
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

    purged = retention.purge_objects(session=session, keys=listed, limit=max(1, len(listed)), storage=storage)
    session.commit()
    return ErasureReport(
        erased=True,
        rows=rows,
        sessions_kept_anonymised=len(kept),
        objects_deleted=purged.deleted,
        objects_pending=len(listed) - purged.deleted,
    )


# ------------------------------------------------------------------------------------------- own recordings
@dataclass(frozen=True)
class RecordingItem:
    """One of the learner's lesson, venue, milestone or amphitheatre recordings, for a list with delete."""

    key: str
    kind: str
    kind_label: str
    title: str
    created_at: datetime
    url: str


def list_recordings(
    *,
    session: Session,
    user_id: uuid.UUID,
    kinds: Iterable[str] = DELETABLE_KINDS,
    lesson_id: uuid.UUID | None = None,
    limit: int = 100,
) -> list[RecordingItem]:
    """The learner's own recordings of `kinds`, newest first, with playback URLs (at most 5 queries).

    Args:
        lesson_id: Only this lesson's recordings (kind "lesson").
    """
    from speakpro.models import AmphitheatreSession, Lesson, Level, Venue

    refs = retention.recording_refs(session=session, user_id=user_id, kinds=[k for k in kinds if k in DELETABLE_KINDS])
    first: dict[str, retention.RecordingRef] = {}
    for ref in sorted(refs, key=lambda r: (r.kind != "lesson" or not _is_submission(r), r.created_at)):
        first.setdefault(ref.key, ref)
    items = [
        ref for ref in first.values() if lesson_id is None or (ref.kind == "lesson" and ref.ref_a == str(lesson_id))
    ]
    items.sort(key=lambda r: r.created_at, reverse=True)
    items = items[: max(1, min(500, limit))]

    def ids(kind: str) -> set[uuid.UUID]:
        found = set()
        for ref in items:
            if ref.kind == kind and (parsed := id_or_none(ref.ref_a)) is not None:
                found.add(parsed)
        return found

    lessons = (
        dict(session.execute(select(Lesson.id, Lesson.title).where(Lesson.id.in_(ids("lesson")))).all())
        if ids("lesson")
        else {}
    )
    levels = (
        dict(session.execute(select(Level.id, Level.title).where(Level.id.in_(ids("milestone")))).all())
        if ids("milestone")
        else {}
    )
    visits = (
        {
            r.id: r
            for r in session.execute(
                select(AmphitheatreSession.id, AmphitheatreSession.visit_number, AmphitheatreSession.plan).where(
                    AmphitheatreSession.id.in_(ids("amphitheatre"))
                )
            ).all()
        }
        if ids("amphitheatre")
        else {}
    )
    slugs = {ref.ref_a for ref in items if ref.kind == "venue" and ref.ref_a}
    venues = dict(session.execute(select(Venue.slug, Venue.name).where(Venue.slug.in_(slugs))).all()) if slugs else {}
    storage = get_storage()
    out = []
    for ref in items:
        try:
            url = storage.open_url(ref.key)
        except StorageError:
            url = ""
        out.append(
            RecordingItem(
                key=ref.key,
                kind=ref.kind,
                kind_label=KIND_LABELS[ref.kind],
                title=_title(ref, lessons, levels, visits, venues),
                created_at=ref.created_at,
                url=url,
            )
        )
    return out


def _is_submission(ref: retention.RecordingRef) -> bool:
    # A lesson recording is referenced by its attempt (lesson id, step title) and, once passed, its step response
    # (run id, step index); the attempt names the lesson.
    return ref.ref_b is None or not ref.ref_b.isdigit()


def _title(ref, lessons, levels, visits, venues) -> str:
    if ref.kind == "lesson":
        lesson = lessons.get(id_or_none(ref.ref_a), "A lesson")
        return f"{lesson}: {ref.ref_b}" if ref.ref_b and not ref.ref_b.isdigit() else lesson
    if ref.kind == "milestone":
        return f"Milestone of {levels.get(id_or_none(ref.ref_a), 'a level')}"
    if ref.kind == "venue":
        return f"{venues.get(ref.ref_a, 'A venue')}, exercise {ref.ref_b or ''}".rstrip(", ")
    visit = visits.get(id_or_none(ref.ref_a))
    if visit is None:
        return "An amphitheatre exercise"
    titles = {e.get("key"): e.get("title") for e in (visit.plan or {}).get("exercises", []) if isinstance(e, dict)}
    return f"Visit {visit.visit_number}: {titles.get(ref.ref_b) or ref.ref_b}"


def delete_recording(*, session: Session, user_id: uuid.UUID, key: object) -> int:
    """Delete one of the learner's lesson, venue, milestone or amphitheatre recordings: the stored object and
    every reference to it (the attempt, answer or exercise stays, without audio). Safe to call again.

    Commits the caller's session before storage is touched (see `retention.delete_objects_now`).

    Returns:
        How many references were removed (0 when it was already deleted).

    Raises:
        ValidationError: For a key that is not the learner's, or a practice session's recording (those go
            with their session, from the history).
    """
    if not isinstance(key, str) or not check_audio_ref(user_id, key):
        raise ValidationError("recording", RECORDING_NOT_FOUND)
    refs = [ref for ref in retention.recording_refs(session=session, user_id=user_id) if ref.key == key]
    if any(ref.kind == "practice" for ref in refs):
        raise ValidationError(
            "recording", "This recording belongs to a practice session: delete the session from your history."
        )
    changed = retention.clear_references(session=session, user_id=user_id, keys=[key], kinds=DELETABLE_KINDS)
    company_id = session.execute(select(UserProfile.company_id).where(UserProfile.user_id == user_id)).scalar()
    if changed:
        audit(
            session=session,
            action="recording.deleted",
            target_type=refs[0].kind,
            target_id=refs[0].row_id,
            actor_user_id=user_id,
            subject_user_id=user_id,
            company_id=company_id,
            details={"references": sum(changed.values()), "kinds": sorted(changed)},
        )
    retention.delete_objects_now(session=session, keys=[key], reason="learner")
    session.commit()
    return sum(changed.values())


__all__ = [
    "ConsentView",
    "ErasureReport",
    "ExportSummary",
    "PRIVACY_NOTICE_VERSION",
    "PrivacyOverview",
    "RECORDING_OFF",
    "RecordingItem",
    "check_erasure_confirmation",
    "current_consent",
    "delete_recording",
    "erase_user",
    "export_user_data",
    "list_recordings",
    "privacy_overview",
    "record_consent",
    "recording_allowed",
    "user_rows",
    "user_tables",
]
