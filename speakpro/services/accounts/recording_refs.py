"""Where a learner's recordings are referenced.

**References.** A recording's storage key is kept in one of these places (`KINDS`):

| kind | where |
| --- | --- |
| practice | `audio_recordings.storage_key` (one row per recording of a practice session) |
| lesson | `exercise_submissions.payload.answer.audio_ref` (attempts), `lesson_step_responses.value.answer.audio_ref` |
| venue | `exercise_submissions.payload.audio_ref` (stage "venue") |
| milestone | `milestone_attempts.audio_ref` |
| amphitheatre | `amphitheatre_exercise_records.audio_refs` (a list) |

Only keys under the owner's own prefix (`audio/<user id>/...`, see `uploads.check_audio_ref`) are read, exported
or deleted for that owner: not every service that stores a reference checks who minted the key, so a key under
someone else's prefix is treated as text, never as this user's object.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, Text, cast, delete, false, func, literal, literal_column, select, union_all, update
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, array
from sqlmodel import Session, col

from speakpro.db import rowcount
from speakpro.models import (
    AmphitheatreExerciseRecord,
    AudioRecording,
    ExerciseSubmission,
    LessonStepResponse,
    MilestoneAttempt,
    Upload,
    table_of,
)
from speakpro.uploads import check_audio_ref

log = logging.getLogger(__name__)

KINDS = ("practice", "lesson", "venue", "milestone", "amphitheatre")


@dataclass(frozen=True)
class RecordingRef:
    """One place a recording's key is kept.

    `row_id` is the row holding it; `ref_a` / `ref_b` say what it belongs to: practice (session id), lesson
    (lesson id, step title; or lesson run id, step index for a step response), venue (venue slug, exercise
    order), milestone (level id), amphitheatre (visit id, exercise key). `deleted` marks a practice recording
    already tombstoned (its object is waiting to be purged).
    """

    kind: str
    user_id: uuid.UUID
    key: str
    created_at: datetime
    row_id: str
    ref_a: str | None
    ref_b: str | None
    deleted: bool


def _ref_union(owner: Callable, kinds: Iterable[str], created_before: datetime | None):
    """One UNION ALL over every place in `kinds`; `owner(user_id_column)` filters whose rows they are."""
    kinds = set(kinds)
    parts = []

    def row(kind, table, key, row_id, ref_a, ref_b, deleted=None, *where):
        conditions = [owner(table.user_id), *where]
        if created_before is not None:
            conditions.append(table.created_at < created_before)
        return select(
            literal(kind, String).label("kind"),
            table.user_id.label("user_id"),
            key.label("key"),
            table.created_at.label("created_at"),
            cast(row_id, String).label("row_id"),
            cast(ref_a, String).label("ref_a"),
            cast(ref_b, String).label("ref_b"),
            (deleted if deleted is not None else false()).label("deleted"),
        ).where(*conditions)

    ar, es, sr = AudioRecording, ExerciseSubmission, LessonStepResponse
    ma, am = MilestoneAttempt, AmphitheatreExerciseRecord
    if "practice" in kinds:
        parts.append(
            row(
                "practice",
                ar,
                col(ar.storage_key),
                col(ar.id),
                col(ar.session_id),
                literal(None, String),
                col(ar.deleted_at).is_not(None),
            )
        )
    if "lesson" in kinds:
        answer = es.payload[("answer", "audio_ref")].astext
        parts.append(
            row(
                "lesson",
                es,
                answer,
                es.id,
                es.payload["lesson_id"].astext,
                es.payload["step_title"].astext,
                None,
                es.stage != "venue",
                answer.is_not(None),
            )
        )
        step = sr.value[("answer", "audio_ref")].astext
        parts.append(row("lesson", sr, step, sr.id, sr.lesson_session_id, sr.step_index, None, step.is_not(None)))
    if "venue" in kinds:
        venue = es.payload["audio_ref"].astext
        parts.append(
            row(
                "venue",
                es,
                venue,
                es.id,
                es.payload["venue"].astext,
                es.payload["exercise_order"].astext,
                None,
                es.stage == "venue",
                venue.is_not(None),
            )
        )
    if "milestone" in kinds:
        parts.append(
            row(
                "milestone",
                ma,
                ma.audio_ref,
                ma.id,
                ma.level_id,
                literal(None, String),
                None,
                col(ma.audio_ref).is_not(None),
            )
        )
    if "amphitheatre" in kinds:
        parts.append(
            row(
                "amphitheatre", am, func.jsonb_array_elements_text(am.audio_refs), am.id, am.session_id, am.exercise_key
            )
        )
    return union_all(*parts).subquery("refs") if parts else None


def _refs(
    session: Session, owner: Callable, kinds: Iterable[str] = KINDS, created_before: datetime | None = None
) -> list[RecordingRef]:
    union = _ref_union(owner, kinds, created_before)
    if union is None:
        return []
    rows = session.execute(select(union).order_by(union.c.created_at, union.c.kind, union.c.row_id)).all()
    return [
        RecordingRef(
            kind=r.kind,
            user_id=r.user_id,
            key=r.key,
            created_at=r.created_at,
            row_id=r.row_id,
            ref_a=r.ref_a,
            ref_b=r.ref_b,
            deleted=bool(r.deleted),
        )
        for r in rows
        if r.key and check_audio_ref(r.user_id, r.key)
    ]


def recording_refs(*, session: Session, user_id: uuid.UUID, kinds: Iterable[str] = KINDS) -> list[RecordingRef]:
    """Every reference to one of the user's own recordings, oldest first (1 query)."""
    return _refs(session, lambda column: column == user_id, kinds)


def recording_keys(*, session: Session, user_id: uuid.UUID) -> list[str]:
    """Every storage key of the user's own recordings: referenced anywhere, or uploaded and not swept yet."""
    keys = {ref.key for ref in recording_refs(session=session, user_id=user_id)}
    uploaded = session.execute(select(col(Upload.key)).where(col(Upload.user_id) == user_id)).scalars()
    keys.update(key for key in uploaded if check_audio_ref(user_id, key))
    return sorted(keys)


def clear_references(
    *, session: Session, user_id: uuid.UUID, keys: Iterable[str], kinds: Iterable[str] = KINDS
) -> dict[str, int]:
    """Remove these keys from the user's rows of `kinds` (the rows stay; a practice recording row goes).

    Returns:
        Rows changed per kind (kinds with none are left out).
    """
    keys = sorted(set(keys))
    kinds = set(kinds)
    if not keys:
        return {}
    counts: dict[str, int] = defaultdict(int)
    quiet = {"synchronize_session": False}
    es, sr, am, ma = ExerciseSubmission, LessonStepResponse, AmphitheatreExerciseRecord, MilestoneAttempt
    if "practice" in kinds:
        counts["practice"] += (
            rowcount(
                session.execute(
                    delete(AudioRecording)
                    .where(col(AudioRecording.user_id) == user_id, col(AudioRecording.storage_key).in_(keys))
                    .execution_options(**quiet)
                )
            )
            or 0
        )
    if "lesson" in kinds:
        without = literal_column("payload #- '{answer,audio_ref}'", JSONB)
        counts["lesson"] += (
            rowcount(
                session.execute(
                    update(es)
                    .where(
                        col(es.user_id) == user_id,
                        col(es.stage) != "venue",
                        col(es.payload)[("answer", "audio_ref")].astext.in_(keys),
                    )
                    .values(payload=without)
                    .execution_options(**quiet)
                )
            )
            or 0
        )
        counts["lesson"] += (
            rowcount(
                session.execute(
                    update(sr)
                    .where(col(sr.user_id) == user_id, col(sr.value)[("answer", "audio_ref")].astext.in_(keys))
                    .values(value=literal_column("value #- '{answer,audio_ref}'", JSONB))
                    .execution_options(**quiet)
                )
            )
            or 0
        )
    if "venue" in kinds:
        counts["venue"] += (
            rowcount(
                session.execute(
                    update(es)
                    .where(
                        col(es.user_id) == user_id,
                        col(es.stage) == "venue",
                        col(es.payload)["audio_ref"].astext.in_(keys),
                    )
                    .values(payload=col(es.payload).op("-", return_type=JSONB)(cast(literal("audio_ref"), Text)))
                    .execution_options(**quiet)
                )
            )
            or 0
        )
    if "milestone" in kinds:
        counts["milestone"] += (
            rowcount(
                session.execute(
                    update(ma)
                    .where(col(ma.user_id) == user_id, col(ma.audio_ref).in_(keys))
                    .values(audio_ref=None)
                    .execution_options(**quiet)
                )
            )
            or 0
        )
    if "amphitheatre" in kinds:
        wanted = array(keys, type_=Text)
        counts["amphitheatre"] += (
            rowcount(
                session.execute(
                    update(am)
                    .where(col(am.user_id) == user_id, table_of(am).c.audio_refs.has_any(wanted))
                    .values(audio_refs=col(am.audio_refs).op("-", return_type=JSONB)(cast(wanted, ARRAY(Text))))
                    .execution_options(**quiet)
                )
            )
            or 0
        )
    session.flush()
    return {kind: n for kind, n in counts.items() if n}
