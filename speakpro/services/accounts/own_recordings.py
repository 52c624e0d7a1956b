"""A learner's own recordings (lesson, venue, milestone, amphitheatre and practice): listed, and deleted by
the learner."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from speakpro.integrations.storage import StorageError, get_storage
from speakpro.services.accounts.companies import member_company_id
from speakpro.services.accounts.recording_refs import RecordingRef, clear_references, recording_refs
from speakpro.services.accounts.storage_deletions import delete_objects_now
from speakpro.services.telemetry import audit
from speakpro.services.validation import ValidationError, id_or_none
from speakpro.uploads import check_audio_ref

log = logging.getLogger(__name__)

DELETABLE_KINDS = ("lesson", "venue", "milestone", "amphitheatre")
KIND_LABELS = {
    "lesson": "Lesson",
    "venue": "Venue",
    "milestone": "Milestone",
    "amphitheatre": "Amphitheatre",
    "practice": "Practice",
}
RECORDING_NOT_FOUND = "We could not find that recording."


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

    refs = recording_refs(session=session, user_id=user_id, kinds=[k for k in kinds if k in DELETABLE_KINDS])
    first: dict[str, RecordingRef] = {}
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
        dict(session.execute(select(col(Lesson.id), col(Lesson.title)).where(col(Lesson.id).in_(ids("lesson")))).all())
        if ids("lesson")
        else {}
    )
    levels = (
        dict(session.execute(select(col(Level.id), col(Level.title)).where(col(Level.id).in_(ids("milestone")))).all())
        if ids("milestone")
        else {}
    )
    visits = (
        {
            r.id: r
            for r in session.execute(
                select(
                    col(AmphitheatreSession.id), col(AmphitheatreSession.visit_number), col(AmphitheatreSession.plan)
                ).where(col(AmphitheatreSession.id).in_(ids("amphitheatre")))
            ).all()
        }
        if ids("amphitheatre")
        else {}
    )
    slugs = {ref.ref_a for ref in items if ref.kind == "venue" and ref.ref_a}
    venues = (
        dict(session.execute(select(col(Venue.slug), col(Venue.name)).where(col(Venue.slug).in_(slugs))).all())
        if slugs
        else {}
    )
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


def _is_submission(ref: RecordingRef) -> bool:
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
    refs = [ref for ref in recording_refs(session=session, user_id=user_id) if ref.key == key]
    if any(ref.kind == "practice" for ref in refs):
        raise ValidationError(
            "recording", "This recording belongs to a practice session: delete the session from your history."
        )
    changed = clear_references(session=session, user_id=user_id, keys=[key], kinds=DELETABLE_KINDS)
    company_id = member_company_id(session=session, user_id=user_id)
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
    delete_objects_now(session=session, keys=[key], reason="learner")
    session.commit()
    return sum(changed.values())
