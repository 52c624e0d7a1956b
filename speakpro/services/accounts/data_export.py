"""A learner's "download my data".

**Export** (`export_user_data`): a zip with `data/<table>.json` for every table that has a `user_id` column
(found in the database catalogue at export time, so a table added later is exported without a change here)
holding only the user's rows, plus the rows about them that hang off those (`users`, their practice sessions'
transcripts, segments, analysis results and client-secret expiries, the audit rows naming them, their
company's name) and `recordings/...` with every stored recording of theirs (`recordings.json` lists them).
Secrets never leave: password hashes, token and code hashes, secret fingerprints and company join codes are
dropped (`REDACTED_COLUMNS`, and any column ending in `_hash` or containing `secret`); `users.json` says
`has_password` instead.
"""

from __future__ import annotations

import json
import logging
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import select, text
from sqlmodel import Session, col

from speakpro.integrations.storage import NotFound, StorageError, get_storage
from speakpro.models import (
    StorageDeletion,
    Upload,
    User,
    UserProfile,
    utcnow,
)
from speakpro.services.accounts.recording_refs import recording_refs
from speakpro.services.telemetry import audit
from speakpro.services.validation import ValidationError
from speakpro.uploads import check_audio_ref

log = logging.getLogger(__name__)

REDACTED_COLUMNS = frozenset(
    {"password_hash", "token_hash", "code_hash", "fingerprint", "join_code", "manager_invite_code"}
)


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


def quote_name(session: Session, name: str) -> str:
    """A table or column name quoted for SQL (the catalogue gives names; this makes them safe to splice)."""
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
        # Managers' comments on their sessions, and the comments they wrote as a manager.
        "session_comments": f"SELECT * FROM session_comments WHERE session_id IN ({mine}) OR author_user_id = :uid "
        "ORDER BY session_id, at_ms",
        "session_reviews": f"SELECT * FROM session_reviews WHERE session_id IN ({mine}) OR reviewer_user_id = :uid "
        "ORDER BY created_at",
        "companies": "SELECT id, name, slug, created_at FROM companies WHERE id IN "
        "(SELECT company_id FROM user_profiles WHERE user_id = :uid)",
    }


def user_rows(*, session: Session, user_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
    """Every row about the user, per table, secrets dropped (tables without rows are left out)."""
    queries = {name: f"SELECT * FROM {quote_name(session, name)} WHERE user_id = :uid" for name in user_tables(session)}
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
    company_id = session.execute(
        select(col(UserProfile.company_id)).where(col(UserProfile.user_id) == user_id)
    ).scalar()
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
    refs = recording_refs(session=session, user_id=user_id)
    gone = {ref.key for ref in refs if ref.deleted}
    gone.update(
        session.execute(
            select(col(StorageDeletion.key)).where(col(StorageDeletion.key).startswith(f"audio/{user_id}/"))
        ).scalars()
    )
    files: dict[str, tuple[str, datetime | None]] = {}
    for ref in refs:
        if ref.key not in gone:
            files.setdefault(ref.key, (ref.kind, ref.created_at))
    for key, created_at in session.execute(
        select(col(Upload.key), col(Upload.created_at)).where(col(Upload.user_id) == user_id)
    ):
        if key not in gone and check_audio_ref(user_id, key):
            files.setdefault(key, ("upload", created_at))
    return files
