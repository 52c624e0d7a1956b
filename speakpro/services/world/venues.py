"""Venue runs: enter a venue with tickets, answer its task sheet in order, finish it for XP and coins.

Concurrency and retries:
- `enter_venue` locks the learner's profile row first, so the entries of one learner are decided one at
  a time: the ticket check, the one-active-visit rule and the spend cannot interleave. The entry id is
  derived from (learner, venue, request key) with uuid5 and inserted with ON CONFLICT DO NOTHING, and the
  ticket spend is keyed on that id, so a doubled or retried request returns the same visit and pays once.
- `submit_venue_exercise` and `finish_venue` lock the entry row; a submission's id is derived from
  (entry, exercise), and the rewards are keyed on the entry id, so retries write and pay nothing more.
- Lock order everywhere: entry row, then quest row, then profile row (`apply_reward`).

One active visit per learner and venue: entering a venue the learner is already inside returns that
visit (nothing spent). Different venues can be visited side by side, each paid for.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from speakpro.models import (
    ExerciseSubmission,
    Module,
    UserProfile,
    UserVenueUnlock,
    Venue,
    VenueEntry,
    VenueTaskSheet,
    table_of,
)
from speakpro.services.accounts.companies import MEMBER_COMPANY
from speakpro.services.accounts.time_zones import learner_day
from speakpro.services.analysis.rubric import score_locally
from speakpro.services.learning.economy import InsufficientBalance, apply_reward
from speakpro.services.learning.quests import QuestView, record_quest_progress
from speakpro.services.telemetry import record_event, record_telemetry
from speakpro.services.validation import ValidationError, parse_id
from speakpro.services.world.world import VenueEntryView, entry_view, lock_reason, sorted_exercises, tickets_phrase
from speakpro.uploads import check_audio_ref

# Fixed namespace: the same (learner, venue, request key) gives the same entry id on every server.
ENTRY_NAMESPACE = uuid.UUID("b76449ad-e986-401a-8b9c-ebbaa5e520fd")

MAX_RESPONSE_BYTES = 1_000_000
MAX_TEXT_CHARS = 10_000
MAX_AUDIO_REF_CHARS = 500
MAX_REQUEST_KEY_CHARS = 128
MAX_DURATION_MS = 3 * 60 * 60 * 1000
_RESPONSE_KEYS = frozenset({"text", "audio_ref"})
_RECORDING_MISSING = "The recording of this answer could not be found. Record it again."
_AUDIO_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:=+-]*$")
_ALLOWED_CONTROLS = frozenset("\n\r\t")

_NO_VENUE = "This venue does not exist."
_NO_ENTRY = "We could not find this venue visit."
_UNREADABLE = "Your answer could not be read. Please try again."


@dataclass(frozen=True)
class VenueStepResult:
    """An answered exercise: the submission, and the visit after it. `repeated` marks a retry that wrote nothing."""

    submission_id: str
    exercise_order: int
    entry: VenueEntryView
    repeated: bool


@dataclass(frozen=True)
class VenueFinishResult:
    """A finished visit and what this call paid (0 when the visit had been finished already)."""

    entry: VenueEntryView
    finished_now: bool
    xp_paid: int
    coins_paid: int
    quest: QuestView | None = None


def entry_id_for(user_id: uuid.UUID, venue_id: uuid.UUID, request_key: str) -> uuid.UUID:
    """The id of the visit a request opens: the same request key always names the same visit."""
    return uuid.uuid5(ENTRY_NAMESPACE, f"{user_id}:{venue_id}:{request_key}")


def _submission_id(entry_id: uuid.UUID, exercise_order: int) -> uuid.UUID:
    return uuid.uuid5(ENTRY_NAMESPACE, f"venue-submission:{entry_id}:{exercise_order}")


def _clean_request_key(raw: object) -> str:
    key = raw.strip() if isinstance(raw, str) else ""
    if not key or len(key) > MAX_REQUEST_KEY_CHARS or any(unicodedata.category(c) == "Cc" for c in key):
        raise ValidationError("request_key", "This request could not be read. Please reload the page and try again.")
    return key


def clean_response(response: object) -> dict[str, str]:
    """The answer to store, from what the page sent: {"text": 1..10,000 characters, "audio_ref"?: str}.

    Raises:
        ValidationError: For anything else (not an object, over 1 MB, unknown keys, missing or empty
            text, control characters, a malformed recording reference).
    """
    if not isinstance(response, dict):
        raise ValidationError("response", _UNREADABLE)
    try:
        size = len(json.dumps(response, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError):
        raise ValidationError("response", _UNREADABLE) from None
    if size > MAX_RESPONSE_BYTES:
        raise ValidationError("response", "Your answer is too large; the limit is 1 MB.")
    if not set(response) <= _RESPONSE_KEYS:
        raise ValidationError("response", _UNREADABLE)
    raw_text = response.get("text")
    if raw_text is not None and not isinstance(raw_text, str):
        raise ValidationError("text", _UNREADABLE)
    text = unicodedata.normalize("NFC", raw_text or "").strip()
    if not text:
        raise ValidationError("text", "Write or record your answer before you submit it.")
    if len(text) > MAX_TEXT_CHARS:
        raise ValidationError(
            "text", f"Your answer is {len(text):,} characters long; keep it to {MAX_TEXT_CHARS:,} or fewer."
        )
    if any(unicodedata.category(c) in ("Cc", "Cs") and c not in _ALLOWED_CONTROLS for c in text):
        raise ValidationError("text", "Your answer contains characters that are not allowed.")
    cleaned = {"text": text}
    audio_ref = response.get("audio_ref")
    if audio_ref is not None:
        if (
            not isinstance(audio_ref, str)
            or not 1 <= len(audio_ref) <= MAX_AUDIO_REF_CHARS
            or not _AUDIO_REF.match(audio_ref)
            or ".." in audio_ref
        ):
            raise ValidationError("audio_ref", _RECORDING_MISSING)
        cleaned["audio_ref"] = audio_ref
    return cleaned


def _check_int(field: str, value: object, low: int, high: int, message: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(field, message)
    return value


def _venue_facts(session: Session, venue_id: uuid.UUID, user_id: uuid.UUID) -> Any:
    """The venue, its unlock module, the learner's unlock, company and the task sheet: one query."""
    return session.execute(
        select(
            col(Venue.id),
            col(Venue.slug),
            col(Venue.name),
            col(Venue.ticket_cost),
            col(Venue.xp_reward),
            col(Venue.coin_reward),
            col(Venue.unlock_module_id),
            col(Module.code).label("module_code"),
            col(Module.title).label("module_title"),
            col(UserVenueUnlock.id).is_not(None).label("unlocked"),
            col(VenueTaskSheet.exercises),
            select(MEMBER_COMPANY).where(col(UserProfile.user_id) == user_id).scalar_subquery().label("company_id"),
        )
        .outerjoin(Module, col(Module.id) == col(Venue.unlock_module_id))
        .outerjoin(
            UserVenueUnlock,
            and_(col(UserVenueUnlock.venue_id) == col(Venue.id), col(UserVenueUnlock.user_id) == user_id),
        )
        .outerjoin(VenueTaskSheet, col(VenueTaskSheet.venue_id) == col(Venue.id))
        .where(col(Venue.id) == venue_id)
    ).first()


def _view(entry: Any, venue: Any, exercises: list[dict[str, Any]], opened_now: bool = False) -> VenueEntryView:
    return entry_view(entry, venue_slug=venue.slug, venue_name=venue.name, exercises=exercises, opened_now=opened_now)


def enter_venue(*, session: Session, user_id: uuid.UUID, venue_id: uuid.UUID | str, request_key: str) -> VenueEntryView:
    """Open a visit of an unlocked venue, paying its ticket cost once.

    A retried request (same `request_key`) returns the visit it opened, unchanged. When the learner is
    already inside this venue, that active visit is returned and nothing is spent.

    Args:
        session: The caller's session; the entry and the spend commit with the caller's transaction.
        user_id: The learner.
        venue_id: The venue.
        request_key: A key the page makes once per click on "Enter" (e.g. a uuid4), reused on retries.

    Returns:
        The visit; `opened_now` is True when this call opened it (and spent the tickets).

    Raises:
        ValidationError: Unknown venue, a venue the learner has not unlocked or without exercises, or an
            unreadable request key.
        InsufficientBalance: When the learner has fewer tickets than the venue costs; nothing is written.
    """
    venue_uuid = parse_id(venue_id, field="venue", message=_NO_VENUE)
    key = _clean_request_key(request_key)
    venue = _venue_facts(session, venue_uuid, user_id)
    if venue is None:
        raise ValidationError("venue", _NO_VENUE)
    exercises = sorted_exercises(venue.exercises)
    entry_id = entry_id_for(user_id, venue_uuid, key)

    # Decide this learner's entries one at a time (see the module docstring).
    profile = session.execute(
        select(col(UserProfile.tickets)).where(col(UserProfile.user_id) == user_id).with_for_update()
    ).first()
    if profile is None:
        raise ValidationError("user", "Your profile was not found. Sign out and in again.")
    existing = session.execute(
        select(*table_of(VenueEntry).c)
        .where(
            col(VenueEntry.user_id) == user_id,
            or_(
                col(VenueEntry.id) == entry_id,
                and_(col(VenueEntry.venue_id) == venue_uuid, col(VenueEntry.status) == "active"),
            ),
        )
        .order_by(case((col(VenueEntry.id) == entry_id, 0), else_=1), col(VenueEntry.started_at).desc())
        .limit(1)
    ).first()
    if existing is not None:
        return _view(existing, venue, exercises)
    if not venue.unlocked:
        raise ValidationError(
            "venue", lock_reason(venue_name=venue.name, module_code=venue.module_code, module_title=venue.module_title)
        )
    if not exercises:
        raise ValidationError("venue", f"{venue.name} has no exercises yet. Try another venue.")
    cost = venue.ticket_cost
    if profile.tickets < cost:
        raise InsufficientBalance(f"You need {tickets_phrase(cost)} to enter {venue.name}; you have {profile.tickets}.")

    entry = session.execute(
        insert(VenueEntry)
        .values(
            id=entry_id,
            user_id=user_id,
            venue_id=venue_uuid,
            status="active",
            step_index=0,
            tickets_spent=cost,
            started_at=func.now(),
        )
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(*table_of(VenueEntry).c)
    ).first()
    if entry is None:  # unreachable while the profile lock is held; kept as the last line of defence
        entry = session.execute(select(*table_of(VenueEntry).c).where(col(VenueEntry.id) == entry_id)).one()
        return _view(entry, venue, exercises)
    if cost:
        apply_reward(
            session=session,
            user_id=user_id,
            currency="tickets",
            amount=-cost,
            reason="venue_entry",
            source_key=str(entry_id),
        )
    record_event(
        session=session,
        event_type="venue_entered",
        user_id=user_id,
        company_id=venue.company_id,
        data={"venue": venue.slug, "entry_id": str(entry_id), "tickets_spent": cost},
    )
    record_telemetry(
        session=session,
        name="venue_entered",
        user_id=user_id,
        module_code=venue.module_code,
        properties={"venue": venue.slug, "tickets_spent": cost},
    )
    return _view(entry, venue, exercises, opened_now=True)


def _lock_entry(session: Session, entry_id: object, user_id: uuid.UUID) -> Any:
    entry_uuid = parse_id(entry_id, field="entry", message=_NO_ENTRY)
    entry = session.execute(
        select(*table_of(VenueEntry).c).where(col(VenueEntry.id) == entry_uuid).with_for_update()
    ).first()
    # Someone else's visit is reported as missing: its existence is none of this learner's business.
    if entry is None or entry.user_id != user_id:
        raise ValidationError("entry", _NO_ENTRY)
    return entry


def submit_venue_exercise(
    *,
    session: Session,
    user_id: uuid.UUID,
    entry_id: uuid.UUID | str,
    exercise_order: int,
    response: dict,
    duration_ms: int,
    delivery: dict[str, Any] | None = None,
) -> VenueStepResult:
    """Record the learner's answer to the next exercise of their visit.

    Exercises are answered strictly in the task sheet's order. The submission is stored as an
    `ExerciseSubmission` (stage "venue", module = the venue's unlock module) and the visit moves one step on.
    Sending the same answer again for an exercise already answered writes nothing and returns the visit.

    Args:
        session: The caller's session.
        user_id: The learner; only the visit's owner may answer.
        entry_id: The visit.
        exercise_order: The `order` of the exercise answered (1, 2, 3, ...).
        response: {"text": the answer, 1 to 10,000 characters; "audio_ref": optional recording key}.
        duration_ms: How long the learner took, in milliseconds.
        delivery: What the answer's recording measured (`audio_metrics.answer_delivery`, measured by the
            caller outside any transaction: decoding takes a moment); stored with the scores when the answer
            has a recording, ignored otherwise.

    Returns:
        The submission id and the visit after it.

    Raises:
        ValidationError: Bad input (nothing written), a visit that is not the learner's or not active, an
            exercise out of order, or a different answer to an exercise already answered.
    """
    order = _check_int("exercise_order", exercise_order, 1, 10_000, "Choose an exercise of this venue.")
    answer = clean_response(response)
    duration = _check_int(
        "duration_ms", duration_ms, 0, MAX_DURATION_MS, "The time taken for this answer is not valid."
    )
    ref = answer.get("audio_ref")
    if ref is not None and not check_audio_ref(user_id, ref):
        raise ValidationError("audio_ref", _RECORDING_MISSING)  # a key under someone else's prefix
    entry = _lock_entry(session, entry_id, user_id)
    venue = _venue_facts(session, entry.venue_id, user_id)
    exercises = sorted_exercises(venue.exercises)
    orders = [int(e.get("order", i + 1)) for i, e in enumerate(exercises)]
    if order not in orders:
        raise ValidationError("exercise_order", f"{venue.name} has no exercise {order}.")
    position = orders.index(order)
    submission_id = _submission_id(entry.id, order)
    if position < entry.step_index:
        previous = session.execute(
            select(col(ExerciseSubmission.payload)).where(col(ExerciseSubmission.id) == submission_id)
        ).scalar_one_or_none()
        if previous is not None and all(previous.get(k) == answer.get(k) for k in _RESPONSE_KEYS):
            return VenueStepResult(str(submission_id), order, _view(entry, venue, exercises), repeated=True)
    if entry.status != "active":
        raise ValidationError("entry", "This visit is over. Enter the venue again to practise more.")
    if position < entry.step_index:
        raise ValidationError("exercise_order", f"You have already answered exercise {order}.")
    if position > entry.step_index:
        raise ValidationError("exercise_order", f"Answer exercise {orders[entry.step_index]} first.")
    if ref is not None and not check_audio_ref(user_id, ref, must_exist=True):
        raise ValidationError("audio_ref", _RECORDING_MISSING)
    exercise = exercises[position]
    kind = str(exercise.get("kind", "speaking"))
    # Scored by the local rubric against this exercise (its prompt, length target and relevance), as lessons are.
    local = score_locally(
        answer["text"],
        kind="writing" if kind == "writing" else "speaking",
        target_seconds=exercise.get("target_seconds"),
        min_words=exercise.get("min_words"),
        prompt=str(exercise.get("prompt", "")),
    )
    session.execute(
        insert(ExerciseSubmission)
        .values(
            id=submission_id,
            user_id=user_id,
            module_id=venue.unlock_module_id,
            venue_entry_id=entry.id,
            stage="venue",
            payload={"venue": venue.slug, "exercise_order": order, "kind": kind, **answer},
            scores={
                "score": local.score,
                "on_topic": local.on_topic,
                "local": local.to_json(),
                **({"delivery": delivery} if delivery and answer.get("audio_ref") else {}),
            },
            duration_ms=duration,
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )
    updated = session.execute(
        update(VenueEntry)
        .where(VenueEntry.id == entry.id)
        .values(step_index=VenueEntry.step_index + 1)
        .returning(*table_of(VenueEntry).c)
        .execution_options(synchronize_session=False)
    ).one()
    record_telemetry(
        session=session,
        name="venue_exercise_submitted",
        user_id=user_id,
        module_code=venue.module_code,
        properties={"venue": venue.slug, "exercise_order": order, "kind": kind, "duration_ms": duration},
    )
    return VenueStepResult(str(submission_id), order, _view(updated, venue, exercises), repeated=False)


def finish_venue(*, session: Session, user_id: uuid.UUID, entry_id: uuid.UUID | str) -> VenueFinishResult:
    """Close a visit whose exercises are all answered, paying the venue's XP and coins once.

    Also counts one step of the day's "venue_visit" quest (once, when the visit becomes finished).

    Args:
        session: The caller's session; the rewards commit with the caller's transaction.
        user_id: The learner; only the visit's owner may finish it.
        entry_id: The visit.

    Returns:
        The finished visit and what this call paid; a second call returns it with nothing paid.

    Raises:
        ValidationError: A visit that is not the learner's, was abandoned, or still has exercises to answer.
    """
    entry = _lock_entry(session, entry_id, user_id)
    venue = _venue_facts(session, entry.venue_id, user_id)
    exercises = sorted_exercises(venue.exercises)
    if entry.status == "finished":
        return VenueFinishResult(entry=_view(entry, venue, exercises), finished_now=False, xp_paid=0, coins_paid=0)
    if entry.status != "active":
        raise ValidationError("entry", "This visit is over. Enter the venue again to practise more.")
    left = len(exercises) - entry.step_index
    if left > 0:
        raise ValidationError("entry", f"Answer all {len(exercises)} exercises before finishing; {left} still to go.")
    finished = session.execute(
        update(VenueEntry)
        .where(VenueEntry.id == entry.id)
        # The database clock on both ends (and never before the start, whoever wrote it).
        .values(
            status="finished",
            finished_at=func.greatest(VenueEntry.started_at, func.now()),
            xp_awarded=venue.xp_reward,
            coins_awarded=venue.coin_reward,
        )
        .returning(*table_of(VenueEntry).c)
        .execution_options(synchronize_session=False)
    ).one()
    # The quest row is locked before the profile row (see the module docstring).
    day = learner_day(session=session, user_id=user_id, at=finished.finished_at)
    quest = record_quest_progress(session=session, user_id=user_id, quest_type="venue_visit", day=day)
    paid = {"xp": 0, "coins": 0}
    for currency, amount in (("xp", venue.xp_reward), ("coins", venue.coin_reward)):
        if amount:
            result = apply_reward(
                session=session,
                user_id=user_id,
                currency=currency,
                amount=amount,
                reason="venue_finished",
                source_key=str(entry.id),
            )
            paid[currency] = amount if result.applied else 0
    record_event(
        session=session,
        event_type="venue_finished",
        user_id=user_id,
        company_id=venue.company_id,
        data={"venue": venue.slug, "entry_id": str(entry.id), "xp": paid["xp"], "coins": paid["coins"]},
    )
    record_telemetry(
        session=session,
        name="venue_finished",
        user_id=user_id,
        module_code=venue.module_code,
        properties={"venue": venue.slug, "xp": paid["xp"], "coins": paid["coins"]},
    )
    return VenueFinishResult(
        entry=_view(finished, venue, exercises),
        finished_now=True,
        xp_paid=paid["xp"],
        coins_paid=paid["coins"],
        quest=quest,
    )
