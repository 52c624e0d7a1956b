"""The amphitheatre: numbered rehearsal visits, each a fixed plan of three exercises in front of a crowd.

Seed 000: the hub creates or continues an `AmphitheatreSession` (a visit), each submission appends an
`AmphitheatreExerciseRecord` (audio reference, self-observation markers, reflection, rubric scores), the
last one finishes the visit and pays its points once, and the history reads visits back as a timeline.

Concurrency and retries:
- `open_visit` continues the learner's active visit. A new one is numbered previous + 1 by one
  INSERT ... SELECT that also re-checks "no active visit", with ON CONFLICT DO NOTHING on
  UNIQUE(user_id, visit_number): when two requests race, the loser's insert either sees the winner's
  committed visit or waits on its uncommitted one and does nothing; either way it returns the winner's.
- `submit_exercise` locks the visit row first, so the order check, the insert (UNIQUE(session_id,
  exercise_key) as the last line of defence) and finishing cannot interleave. A retried identical
  submission returns the visit unchanged; the rewards are keyed on the visit id, so they are paid once.
- Lock order: visit row, then profile row (`apply_reward`), like the venues.

The plan is copied into the visit when it opens (`plan` JSONB), so a later change of `PLAN` never
changes a visit already under way.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from speakpro.models import AmphitheatreExerciseRecord, AmphitheatreSession, table_of, utcnow
from speakpro.services.analysis.audio_metrics import describe_delivery
from speakpro.services.learning.economy import apply_reward
from speakpro.services.telemetry import record_event
from speakpro.services.validation import ValidationError, clean_answer_text, parse_id
from speakpro.uploads import check_audio_ref

PLAN_VERSION = 1


@dataclass(frozen=True)
class PlannedExercise:
    """One exercise of the visit plan."""

    key: str
    title: str
    prompt: str
    target_seconds: int
    max_points: int


PLAN: tuple[PlannedExercise, ...] = (
    PlannedExercise(
        key="warm_up_tongue_twister",
        title="Warm-up: tongue twister",
        prompt='Say "Red lorry, yellow lorry" five times, slowly first, then faster, every consonant crisp.',
        target_seconds=30,
        max_points=20,
    ),
    PlannedExercise(
        key="one_minute_story",
        title="One-minute story to the crowd",
        prompt="Tell the crowd a true one-minute story about a small mistake that taught you something. "
        "Open with the moment, end with the lesson.",
        target_seconds=60,
        max_points=40,
    ),
    PlannedExercise(
        key="handle_a_heckler",
        title="Handle a heckler",
        prompt='Mid-talk, someone shouts "This is a waste of time!" Acknowledge them, answer in one '
        "sentence, and bring the room back to your point.",
        target_seconds=45,
        max_points=40,
    ),
)

# What learners may tick after an exercise: things they noticed about their own delivery.
MARKERS: tuple[str, ...] = ("eye_contact", "pauses", "filler_words", "pace", "volume", "gestures", "nerves")
MARKER_LABELS = {
    "eye_contact": "Eye contact",
    "pauses": "Pauses",
    "filler_words": "Filler words",
    "pace": "Pace",
    "volume": "Volume",
    "gestures": "Gestures",
    "nerves": "Nerves",
}
REFLECTION_MAX = 2_000
COINS_PER_XP = 0.25  # a finished visit pays a quarter of its XP as coins (at least 1)
TIMELINE_LIMIT = 100

_NO_VISIT = "We could not find this amphitheatre visit."


@dataclass(frozen=True)
class ExerciseView:
    """One exercise of a visit as the learner sees it."""

    key: str
    order: int
    title: str
    prompt: str
    target_seconds: int
    max_points: int
    done: bool
    current: bool
    score: int
    points: int
    has_audio: bool
    reflection: str
    markers: list[str]
    audio_ref: str = ""  # the recording's key, for its delete button
    # What the recording measured (`audio_metrics.answer_delivery`); "" where it was not measured.
    delivery: str = ""


@dataclass(frozen=True)
class VisitView:
    """A visit: its plan with progress; `xp_paid`/`coins_paid` are non-zero only on the call that finished it."""

    id: str
    visit_number: int
    status: str
    points: int
    started_at: datetime
    finished_at: datetime | None
    exercises: list[ExerciseView]
    next_key: str
    xp_paid: int = 0
    coins_paid: int = 0


@dataclass(frozen=True)
class TimelineItem:
    """One visit in the amphitheatre history."""

    id: str
    visit_number: int
    status: str
    points: int
    started_at: datetime
    finished_at: datetime | None
    exercises_done: int
    exercises_total: int
    recordings: int


def plan_snapshot() -> dict[str, Any]:
    """The plan as stored in a new visit."""
    return {
        "version": PLAN_VERSION,
        "exercises": [
            {
                "key": e.key,
                "title": e.title,
                "prompt": e.prompt,
                "target_seconds": e.target_seconds,
                "max_points": e.max_points,
            }
            for e in PLAN
        ],
    }


def _planned(plan: dict[str, Any] | None) -> list[dict[str, Any]]:
    exercises = (plan or {}).get("exercises") or []
    return [e for e in exercises if isinstance(e, dict) and isinstance(e.get("key"), str)]


def coins_for(xp: int) -> int:
    """Coins paid with a finished visit's XP."""
    return max(1, int(xp * COINS_PER_XP)) if xp > 0 else 0


def score_exercise(*, reflection: str, has_audio: bool, markers: list[str], max_points: int) -> dict[str, int]:
    """The deterministic rubric: recording 40 + reflection depth 40 + self-observation 20 = 100.

    Reflection depth is one point per word up to 40 words; each distinct marker ticked is worth 5, up
    to 4. The exercise earns `max_points` scaled by the total.
    """
    recording = 40 if has_audio else 0
    depth = min(40, len(reflection.split()))
    observation = min(20, 5 * len(set(markers)))
    total = recording + depth + observation
    return {
        "recording": recording,
        "reflection_depth": depth,
        "self_observation": observation,
        "total": total,
        "points": round(max_points * total / 100),
    }


def _visit_uuid(value: object) -> uuid.UUID:
    return parse_id(value, field="visit", message=_NO_VISIT)


def clean_markers(raw: object) -> list[str]:
    """Distinct known markers in `MARKERS` order, else ValidationError."""
    if raw is None:
        return []
    if not isinstance(raw, list | tuple) or len(raw) > len(MARKERS) * 2:
        raise ValidationError("markers", "Tick what you noticed from the list.")
    chosen = set()
    for item in raw:
        if not isinstance(item, str) or item not in MARKERS:
            raise ValidationError("markers", "Tick what you noticed from the list.")
        chosen.add(item)
    return [m for m in MARKERS if m in chosen]


def _view(visit: Any, records: list[Any], *, xp_paid: int = 0, coins_paid: int = 0) -> VisitView:
    by_key = {r.exercise_key: r for r in records}
    exercises, next_key = [], ""
    for order, planned in enumerate(_planned(visit.plan), start=1):
        record = by_key.get(planned["key"])
        current = record is None and not next_key and visit.status == "active"
        if current:
            next_key = planned["key"]
        scores = (record.scores if record else None) or {}
        exercises.append(
            ExerciseView(
                key=planned["key"],
                order=order,
                title=str(planned.get("title", "")),
                prompt=str(planned.get("prompt", "")),
                target_seconds=int(planned.get("target_seconds", 0)),
                max_points=int(planned.get("max_points", 0)),
                done=record is not None,
                current=current,
                score=int(scores.get("total", 0)),
                points=int(scores.get("points", 0)),
                has_audio=bool(record and record.audio_refs),
                audio_ref=str(record.audio_refs[0]) if record and record.audio_refs else "",
                reflection=str(((record.reflections or {}) if record else {}).get("text", "")),
                markers=[str(m) for m in (record.markers if record else [])],
                delivery=describe_delivery(scores.get("delivery")),
            )
        )
    return VisitView(
        id=str(visit.id),
        visit_number=visit.visit_number,
        status=visit.status,
        points=visit.points,
        started_at=visit.started_at,
        finished_at=visit.finished_at,
        exercises=exercises,
        next_key=next_key,
        xp_paid=xp_paid,
        coins_paid=coins_paid,
    )


def _records(session: Session, visit_id: uuid.UUID) -> list[Any]:
    return list(
        session.execute(
            select(AmphitheatreExerciseRecord).where(col(AmphitheatreExerciseRecord.session_id) == visit_id)
        )
        .scalars()
        .all()
    )


def _active_visit(session: Session, user_id: uuid.UUID) -> AmphitheatreSession | None:
    return session.execute(
        select(AmphitheatreSession)
        .where(col(AmphitheatreSession.user_id) == user_id, col(AmphitheatreSession.status) == "active")
        .order_by(col(AmphitheatreSession.visit_number).desc())
        .limit(1)
    ).scalar_one_or_none()


def open_visit(*, session: Session, user_id: uuid.UUID) -> VisitView:
    """The learner's active visit, or a new one numbered after their last.

    Raises:
        ValidationError: Only if three racing attempts in a row all lost (not expected in practice).
    """
    for _ in range(3):
        visit = _active_visit(session, user_id)
        if visit is not None:
            return _view(visit, _records(session, visit.id))
        visit_id = uuid.uuid4()
        previous = (
            select(func.coalesce(func.max(AmphitheatreSession.visit_number), 0) + 1)
            .where(col(AmphitheatreSession.user_id) == user_id)
            .scalar_subquery()
        )
        inserted = session.execute(
            insert(AmphitheatreSession)
            .from_select(
                ["id", "user_id", "visit_number", "status", "plan", "points"],
                select(
                    literal(visit_id),
                    literal(user_id),
                    previous,
                    literal("active"),
                    literal(plan_snapshot(), table_of(AmphitheatreSession).c.plan.type),
                    literal(0),
                )
                # Re-checked inside the insert: a visit a concurrent request committed meanwhile wins.
                .where(
                    ~exists().where(
                        col(AmphitheatreSession.user_id) == user_id, col(AmphitheatreSession.status) == "active"
                    )
                ),
            )
            .on_conflict_do_nothing(index_elements=["user_id", "visit_number"])
            .returning(col(AmphitheatreSession.id))
        ).first()
        visit = session.get(AmphitheatreSession, visit_id) if inserted is not None else None
        if visit is not None:
            record_event(
                session=session,
                event_type="amphitheatre_visit_opened",
                user_id=user_id,
                data={"visit_number": visit.visit_number},
            )
            return _view(visit, [])
        # Another request of this learner numbered a visit at the same moment: use theirs.
    raise ValidationError("visit", "The amphitheatre is busy. Please reload the page.")


def visit_view(*, session: Session, user_id: uuid.UUID, visit_id: uuid.UUID | str) -> VisitView:
    """One of the learner's visits as the hub shows it (e.g. again after one of its recordings was deleted).

    Raises:
        ValidationError: For an unknown visit or someone else's.
    """
    visit = session.execute(
        select(AmphitheatreSession).where(col(AmphitheatreSession.id) == _visit_uuid(visit_id))
    ).scalar_one_or_none()
    if visit is None or visit.user_id != user_id:
        raise ValidationError("visit", _NO_VISIT)
    return _view(visit, _records(session, visit.id))


def submit_exercise(
    *,
    session: Session,
    user_id: uuid.UUID,
    visit_id: uuid.UUID | str,
    exercise_key: str,
    audio_ref: str | None,
    reflection: str,
    markers: list,
    delivery: dict[str, Any] | None = None,
) -> VisitView:
    """Record the next exercise of the learner's active visit; the last one finishes the visit and pays.

    Args:
        session: The caller's session; everything commits with the caller's transaction.
        user_id: The learner (must own the visit).
        visit_id: The visit.
        exercise_key: The plan's next exercise (exercises are done in plan order).
        audio_ref: A key returned by the upload route for this learner, or None without a recording.
        reflection: 1 to 2,000 characters.
        markers: Self-observation markers from `MARKERS`.
        delivery: What the recording measured (`audio_metrics.answer_delivery`, measured by the caller before
            the transaction: decoding takes a moment), stored with the exercise's scores.

    Returns:
        The visit after the submission (unchanged for a retried identical submission); on the call that
        finished it, `xp_paid` and `coins_paid` say what was paid.

    Raises:
        ValidationError: For someone else's or an unknown visit, an exercise not in the plan, out of order
            or already done differently, a finished visit, a recording that is not the learner's or is
            missing, or a bad reflection or marker. Nothing is written then.
    """
    visit_uuid = _visit_uuid(visit_id)
    text = clean_answer_text("reflection", reflection, label="Your reflection", max_chars=REFLECTION_MAX)
    chosen = clean_markers(markers)
    ref = audio_ref or None
    if ref is not None and (not isinstance(ref, str) or not check_audio_ref(user_id, ref)):
        raise ValidationError("audio_ref", "That recording could not be found. Please record again.")

    visit = session.execute(
        select(AmphitheatreSession).where(col(AmphitheatreSession.id) == visit_uuid).with_for_update()
    ).scalar_one_or_none()
    if visit is None or visit.user_id != user_id:
        raise ValidationError("visit", _NO_VISIT)
    planned = {e["key"]: e for e in _planned(visit.plan)}
    if not isinstance(exercise_key, str) or exercise_key not in planned:
        raise ValidationError("exercise", "This exercise is not part of this visit.")
    records = _records(session, visit.id)
    done = {r.exercise_key: r for r in records}
    audio_refs = [ref] if ref else []
    if exercise_key in done:
        previous = done[exercise_key]
        if (
            previous.audio_refs == audio_refs
            and (previous.reflections or {}).get("text") == text
            and previous.markers == chosen
        ):
            return _view(visit, records)  # a retry of what was stored: nothing more to do
        raise ValidationError("exercise", "You have already done this exercise in this visit.")
    if visit.status != "active":
        raise ValidationError("visit", "This visit is over. Open a new one to rehearse again.")
    next_key = next(key for key in planned if key not in done)
    if exercise_key != next_key:
        raise ValidationError("exercise", f'Do "{planned[next_key].get("title", next_key)}" first.')
    if ref and not check_audio_ref(user_id, ref, must_exist=True):
        raise ValidationError("audio_ref", "That recording could not be found. Please record again.")

    scores = score_exercise(
        reflection=text, has_audio=bool(ref), markers=chosen, max_points=int(planned[exercise_key].get("max_points", 0))
    )
    session.execute(
        insert(AmphitheatreExerciseRecord)
        .values(
            id=uuid.uuid4(),
            session_id=visit.id,
            user_id=user_id,
            exercise_key=exercise_key,
            audio_refs=audio_refs,
            markers=chosen,
            reflections={"text": text},
            scores={**scores, "delivery": delivery} if ref and delivery else scores,
        )
        .on_conflict_do_nothing(index_elements=["session_id", "exercise_key"])
    )
    records = _records(session, visit.id)
    if len({r.exercise_key for r in records} & set(planned)) < len(planned):
        return _view(visit, records)
    return _finish(session, visit, records)


def _finish(session: Session, visit: AmphitheatreSession, records: list[Any]) -> VisitView:
    points = sum(int((r.scores or {}).get("points", 0)) for r in records)
    now = utcnow()
    session.execute(
        update(AmphitheatreSession)
        .where(col(AmphitheatreSession.id) == visit.id)
        .values(status="finished", finished_at=now, points=points)
    )
    session.refresh(visit)
    source = str(visit.id)
    xp_paid = coins_paid = 0
    if points > 0:
        if apply_reward(
            session=session,
            user_id=visit.user_id,
            currency="xp",
            amount=points,
            reason="amphitheatre_visit",
            source_key=source,
        ).applied:
            xp_paid = points
        coins = coins_for(points)
        if apply_reward(
            session=session,
            user_id=visit.user_id,
            currency="coins",
            amount=coins,
            reason="amphitheatre_visit",
            source_key=source,
        ).applied:
            coins_paid = coins
    record_event(
        session=session,
        event_type="amphitheatre_visit_finished",
        user_id=visit.user_id,
        data={"visit_number": visit.visit_number, "points": points},
    )
    return _view(visit, records, xp_paid=xp_paid, coins_paid=coins_paid)


def visit_timeline(*, session: Session, user_id: uuid.UUID, limit: int = TIMELINE_LIMIT) -> list[TimelineItem]:
    """The learner's visits, newest first, with counts per visit: one query."""
    record = AmphitheatreExerciseRecord
    rows = session.execute(
        select(
            col(AmphitheatreSession.id),
            col(AmphitheatreSession.visit_number),
            col(AmphitheatreSession.status),
            col(AmphitheatreSession.points),
            col(AmphitheatreSession.started_at),
            col(AmphitheatreSession.finished_at),
            func.coalesce(func.jsonb_array_length(col(AmphitheatreSession.plan)["exercises"]), 0).label("total"),
            func.count(col(record.id)).label("done"),
            func.count(col(record.id)).filter(func.jsonb_array_length(col(record.audio_refs)) > 0).label("recordings"),
        )
        .outerjoin(record, col(record.session_id) == col(AmphitheatreSession.id))
        .where(col(AmphitheatreSession.user_id) == user_id)
        .group_by(col(AmphitheatreSession.id))
        .order_by(col(AmphitheatreSession.visit_number).desc())
        .limit(max(1, min(TIMELINE_LIMIT, int(limit))))
    ).all()
    return [
        TimelineItem(
            id=str(r.id),
            visit_number=r.visit_number,
            status=r.status,
            points=r.points,
            started_at=r.started_at,
            finished_at=r.finished_at,
            exercises_done=r.done,
            exercises_total=r.total,
            recordings=r.recordings,
        )
        for r in rows
    ]
