"""The end-of-level milestone: a recorded talk, scored against the milestone rubric.

It opens when every module of the level is completed. An attempt passes at the level's
`milestone_threshold`; the first pass pays once (ledger reason "milestone_passed", keyed on the level).
After a failed attempt the learner waits `RETRY_COOLDOWN` before trying again. A retried request with the
same idempotency key returns the attempt already stored: the key has its own column, UNIQUE per learner.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import openai
from sqlalchemy import func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from speakpro.models import Level, MilestoneAttempt, Module, utcnow
from speakpro.services.accounts.companies import member_company_id
from speakpro.services.learning import progress
from speakpro.services.learning.economy import apply_reward
from speakpro.services.learning.feedback import ExerciseFeedback, FeedbackRequest, coach_answer, prepare_feedback
from speakpro.services.telemetry import record_event, record_telemetry
from speakpro.services.validation import ValidationError, clean_answer_text

MILESTONE_REASON = "milestone_passed"
MILESTONE_XP, MILESTONE_COINS, MILESTONE_TICKETS = 200, 100, 3
RETRY_COOLDOWN = timedelta(minutes=10)
MILESTONE_TARGET_SECONDS = 120
MAX_TRANSCRIPT_CHARS = 10_000
MILESTONE_RUBRIC = (
    "Open with a hook in the first 15 seconds",
    "State one clear message in a single sentence",
    "Signpost no more than three supporting points",
    "Use deliberate pauses instead of filler words",
    "Ask your listener a question",
    "Answer an objection you expect",
    "Finish by asking for a specific next step with a date",
)
_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")  # fits milestone_attempts.idempotency_key
_AUDIO_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,499}$")


@dataclass(frozen=True)
class MilestoneResult:
    """One milestone attempt (or the stored one, for a retried request: `replayed=True`)."""

    attempt_id: uuid.UUID
    score: int
    passed: bool
    threshold: int
    feedback: dict[str, Any]
    rewards: dict[str, int]
    retry_after: datetime | None
    replayed: bool = False


def _result(attempt: MilestoneAttempt, *, replayed: bool) -> MilestoneResult:
    scores = attempt.rubric_scores
    return MilestoneResult(
        attempt_id=attempt.id,
        score=attempt.score,
        passed=attempt.passed,
        threshold=scores.get("threshold", 0),
        feedback=scores.get("summary", {}),
        rewards=scores.get("rewards", {}),
        retry_after=None if attempt.passed else attempt.created_at + RETRY_COOLDOWN,
        replayed=replayed,
    )


class _KeyTaken(Exception):
    """Another request stored an attempt under this key first; what this one wrote is rolled back."""


def _attempt_by_key(session: Session, user_id: uuid.UUID, key: str) -> MilestoneAttempt | None:
    return session.execute(
        select(MilestoneAttempt)
        .where(col(MilestoneAttempt.user_id) == user_id, col(MilestoneAttempt.idempotency_key) == key)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def _replay(attempt: MilestoneAttempt, level_id: uuid.UUID) -> MilestoneResult:
    if attempt.level_id != level_id:
        # Keys are unique per learner, not per level: a key sent for another level is a client error.
        raise ValidationError(
            "idempotency_key", "This request key was already used for another attempt. Reload the page."
        )
    return _result(attempt, replayed=True)


def _check_cooldown(session: Session, user_id: uuid.UUID, level_id: uuid.UUID) -> None:
    last = session.execute(
        select(col(MilestoneAttempt.passed), col(MilestoneAttempt.created_at))
        .where(col(MilestoneAttempt.user_id) == user_id, col(MilestoneAttempt.level_id) == level_id)
        .order_by(col(MilestoneAttempt.created_at).desc())
        .limit(1)
    ).first()
    if last is None or last.passed:
        return
    ready = last.created_at + RETRY_COOLDOWN
    now = utcnow()
    if ready > now:
        minutes = max(1, int((ready - now).total_seconds() // 60 + 1))
        raise ValidationError(
            "milestone",
            f"You can try the milestone again at {ready:%H:%M} UTC (in about {minutes} minute"
            f"{'s' if minutes != 1 else ''}). Use the time to rehearse your talk once more.",
        )


@dataclass(frozen=True)
class PendingMilestone:
    """A checked attempt waiting for the AI coach (`prepare_milestone` -> `coach_answer` ->
    `record_milestone`); nothing of it is stored yet."""

    user_id: uuid.UUID
    level_id: uuid.UUID
    transcript: str
    idempotency_key: str
    audio_ref: str | None
    feedback: FeedbackRequest


def _checked(session: Session, user_id: uuid.UUID, level_id: uuid.UUID, transcript, idempotency_key, audio_ref):
    """Check an attempt under the learner's milestone lock; a MilestoneResult when its key was used already."""
    if not isinstance(idempotency_key, str) or not _KEY.match(idempotency_key):
        raise ValidationError("idempotency_key", "This attempt has no valid request key. Reload the page.")
    text = clean_answer_text("transcript", transcript, label="Your transcript", max_chars=MAX_TRANSCRIPT_CHARS)
    if audio_ref is not None and (
        not isinstance(audio_ref, str) or not _AUDIO_REF.match(audio_ref) or ".." in audio_ref
    ):
        raise ValidationError("audio_ref", "That recording reference is not valid. Record again.")
    level = session.execute(select(Level).where(col(Level.id) == level_id)).scalar_one_or_none()
    if level is None:
        raise ValidationError("level", "This level does not exist.")
    # One check-and-store at a time per learner and level (until the transaction ends), so two requests
    # cannot both slip past the cooldown, and a doubled request replays the first. (The key's UNIQUE
    # constraint is the backstop for the key alone.) An advisory lock rather than the profile row, so that
    # other rewards never wait for it; it is not held while the AI coach answers (between the two halves).
    session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(literal(f"milestone:{user_id}:{level_id}"), 0)))
    )
    existing = _attempt_by_key(session, user_id, idempotency_key)
    if existing is not None:
        return _replay(existing, level_id)
    statuses = progress.module_statuses(session=session, user_id=user_id, level_id=level_id)
    if not statuses or any(s.status != "completed" for s in statuses):
        raise ValidationError("milestone", "Complete every module of this level to unlock its milestone.")
    _check_cooldown(session, user_id, level_id)
    return level, text


def prepare_milestone(
    *,
    session: Session,
    user_id: uuid.UUID,
    level_id: uuid.UUID,
    transcript: str,
    idempotency_key: str,
    audio_ref: str | None = None,
    with_ai: bool = False,
) -> MilestoneResult | PendingMilestone:
    """The first half of an attempt: check it (a used key replays its attempt) and read what the coach needs.
    Commit, score it with `feedback.coach_answer` outside any transaction, then `record_milestone`. Same
    arguments and errors as `submit_milestone`."""
    checked = _checked(session, user_id, level_id, transcript, idempotency_key, audio_ref)
    if isinstance(checked, MilestoneResult):
        return checked
    level, text = checked
    module_ids = session.execute(select(col(Module.id)).where(col(Module.level_id) == level_id)).scalars().all()
    request = prepare_feedback(
        session=session,
        module_ids=module_ids,
        kind="speaking",
        prompt=level.milestone_prompt or level.title,
        text=text,
        rubric=MILESTONE_RUBRIC,
        target_seconds=MILESTONE_TARGET_SECONDS,
        with_ai=with_ai,
        user_id=user_id,
        audio_ref=audio_ref,
    )
    return PendingMilestone(
        user_id=user_id,
        level_id=level_id,
        transcript=transcript,
        idempotency_key=idempotency_key,
        audio_ref=audio_ref,
        feedback=request,
    )


def record_milestone(*, session: Session, pending: PendingMilestone, feedback: ExerciseFeedback) -> MilestoneResult:
    """The second half: check again under the lock (a concurrent attempt with the same key is replayed, one
    that started a cooldown meanwhile refuses this one), then store the attempt and pay a first pass once."""
    checked = _checked(
        session, pending.user_id, pending.level_id, pending.transcript, pending.idempotency_key, pending.audio_ref
    )
    if isinstance(checked, MilestoneResult):
        return checked
    level, text = checked
    passed = feedback.score >= level.milestone_threshold
    try:
        with session.begin_nested():
            attempt = _store_attempt(
                session,
                user_id=pending.user_id,
                level=level,
                key=pending.idempotency_key,
                text=text,
                audio_ref=pending.audio_ref,
                feedback=feedback,
                passed=passed,
            )
    except _KeyTaken:
        taken = _attempt_by_key(session, pending.user_id, pending.idempotency_key)
        if taken is None:  # the attempt that holds the key was erased meanwhile
            raise ValidationError("idempotency_key", "This request key was already used. Reload the page.") from None
        return _replay(taken, pending.level_id)
    return _result(attempt, replayed=False)


def submit_milestone(
    *,
    session: Session,
    user_id: uuid.UUID,
    level_id: uuid.UUID,
    transcript: str,
    idempotency_key: str,
    audio_ref: str | None = None,
    feedback_client: openai.OpenAI | None = None,
) -> MilestoneResult:
    """Score and store one milestone attempt; the first pass pays the milestone rewards once.

    Both halves in the caller's transaction (scripts and tests); the page commits `prepare_milestone`,
    asks the coach with no transaction open, then runs `record_milestone` in a new one.

    Args:
        session: The caller's session; everything commits with the caller's transaction.
        user_id: The learner.
        level_id: The level whose milestone this is.
        transcript: What the learner said (1-10,000 characters).
        idempotency_key: Chosen by the client per attempt (8-64 letters, digits, - or _); a retry with the
            same key returns the stored attempt.
        audio_ref: The recording's storage reference, when there is one.
        feedback_client: An `openai.OpenAI` client for AI scoring, or None for the local rubric only.

    Returns:
        The attempt: score, pass, feedback and the rewards this attempt paid.

    Raises:
        ValidationError: For bad input, an unknown level, modules still to complete, a retry during the
            cooldown, or a key already used for another level's attempt; nothing is stored.
    """
    prepared = prepare_milestone(
        session=session,
        user_id=user_id,
        level_id=level_id,
        transcript=transcript,
        idempotency_key=idempotency_key,
        audio_ref=audio_ref,
        with_ai=feedback_client is not None,
    )
    if isinstance(prepared, MilestoneResult):
        return prepared
    return record_milestone(
        session=session, pending=prepared, feedback=coach_answer(prepared.feedback, feedback_client)
    )


def _store_attempt(
    session: Session,
    *,
    user_id: uuid.UUID,
    level: Level,
    key: str,
    text: str,
    audio_ref: str | None,
    feedback: ExerciseFeedback,
    passed: bool,
) -> MilestoneAttempt:
    rewards: dict[str, int] = {}
    if passed:
        for currency, amount in (("xp", MILESTONE_XP), ("coins", MILESTONE_COINS), ("tickets", MILESTONE_TICKETS)):
            if apply_reward(
                session=session,
                user_id=user_id,
                currency=currency,
                amount=amount,
                reason=MILESTONE_REASON,
                source_key=str(level.id),
            ).applied:
                rewards[currency] = amount
    attempt_id = session.execute(
        insert(MilestoneAttempt)
        .values(
            id=uuid.uuid4(),
            user_id=user_id,
            level_id=level.id,
            idempotency_key=key,
            audio_ref=audio_ref,
            transcript=text,
            score=feedback.score,
            passed=passed,
            created_at=utcnow(),
            rubric_scores={
                "threshold": level.milestone_threshold,
                "summary": feedback.summary(),
                "feedback": feedback.to_json(),
                "rewards": rewards,
            },
        )
        .on_conflict_do_nothing(index_elements=["user_id", "idempotency_key"])
        .returning(col(MilestoneAttempt.id))
    ).scalar_one_or_none()
    if attempt_id is None:
        raise _KeyTaken
    data = {
        "level_id": str(level.id),
        "score": feedback.score,
        "passed": passed,
        "provider": feedback.provider,
        "first_pass": bool(rewards),
    }
    company_id = member_company_id(session=session, user_id=user_id)
    record_event(session=session, event_type="milestone_submitted", user_id=user_id, company_id=company_id, data=data)
    record_telemetry(
        session=session, name="milestone_passed" if passed else "milestone_failed", user_id=user_id, properties=data
    )
    session.flush()
    return session.execute(
        select(MilestoneAttempt).where(MilestoneAttempt.id == attempt_id).execution_options(populate_existing=True)
    ).scalar_one()
