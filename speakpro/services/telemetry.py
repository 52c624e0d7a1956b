"""Product analytics, telemetry and audit records: small append-only writes in the caller's transaction."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Uuid, bindparam, text
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlmodel import Session

from speakpro.models import AnalyticsEvent, AuditLog, TelemetryEvent, table_of


def record_event(
    *,
    session: Session,
    event_type: str,
    user_id: uuid.UUID | None = None,
    company_id: uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Write one `AnalyticsEvent` (e.g. user_signup, login, onboarding_completed, chatbot_message)."""
    session.add(AnalyticsEvent(user_id=user_id, company_id=company_id, event_type=event_type, event_data=data or {}))


# Written on every home load (and skipped by the database after the first): built once (see `db.py`).
_EXPOSURE = (
    insert(table_of(AnalyticsEvent))
    .values(
        id=bindparam("id", type_=Uuid),
        user_id=bindparam("user_id", type_=Uuid),
        company_id=bindparam("company_id", type_=Uuid),
        event_type="ab_exposure",
        event_data=bindparam("event_data", type_=JSONB),
    )
    .on_conflict_do_nothing(index_elements=["user_id"], index_where=text("event_type = 'ab_exposure'"))
)


def record_exposure(
    *, session: Session, user_id: uuid.UUID, company_id: uuid.UUID | None, variant: str | None, surface: str
) -> None:
    """Log that a learner was shown their A/B variant, once per learner: the first exposure counts, later
    page loads write nothing (a partial unique index, migration 0012)."""
    session.execute(
        _EXPOSURE,
        {
            "id": uuid.uuid4(),
            "user_id": user_id,
            "company_id": company_id,
            "event_data": {"variant": variant, "surface": surface},
        },
    )


def record_telemetry(
    *,
    session: Session,
    name: str,
    user_id: uuid.UUID | None = None,
    module_code: str | None = None,
    properties: dict[str, Any] | None = None,
) -> None:
    """Write one `TelemetryEvent` from the learning loop."""
    session.add(TelemetryEvent(name=name, user_id=user_id, module_code=module_code, properties=properties or {}))


def audit(
    *,
    session: Session,
    action: str,
    target_type: str,
    actor_user_id: uuid.UUID | None = None,
    subject_user_id: uuid.UUID | None = None,
    company_id: uuid.UUID | None = None,
    target_id: str | uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append to the audit log: who did what to whose data (ids only, no personal content)."""
    session.add(
        AuditLog(
            action=action,
            target_type=target_type,
            actor_user_id=actor_user_id,
            subject_user_id=subject_user_id,
            company_id=company_id,
            target_id=str(target_id) if target_id is not None else None,
            details=details or {},
        )
    )
