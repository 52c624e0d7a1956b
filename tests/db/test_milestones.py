"""The end-of-level milestone: eligibility, scoring, one reward on the first pass, cooldown, idempotency."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from speakpro.models import AnalyticsEvent, MilestoneAttempt, RewardLedger, UserProfile
from speakpro.services.analysis.rubric import score_locally
from speakpro.services.learning import milestones
from speakpro.services.learning.economy import ledger_totals
from speakpro.services.learning.milestones import (
    MILESTONE_COINS,
    MILESTONE_RUBRIC,
    MILESTONE_TARGET_SECONDS,
    MILESTONE_TICKETS,
    MILESTONE_XP,
    submit_milestone,
)
from speakpro.services.learning.progress import level_progress
from speakpro.services.validation import ValidationError
from tests.factories import make_user
from tests.factories_learning import finish_lesson, make_path

TALK = (
    "Picture this: every Friday our team loses two hours to status meetings. My one message: replace the "
    "meeting with a five-minute written update. First, the problem. Second, the fix. Third, the cost. "
    "You might object that we lose the personal touch; we keep a monthly call for that. "
    "What would you do with two extra hours? Let's decide at next Tuesday's review, on the 14th."
)


def _local_score(text: str = TALK) -> int:
    return score_locally(text, kind="speaking", rubric=MILESTONE_RUBRIC, target_seconds=MILESTONE_TARGET_SECONDS).score


@pytest.fixture
def ready(session):
    """A learner who completed every module of a two-module level."""
    user = make_user(session)
    level, modules, lessons = make_path(session, modules=2, lessons=1)
    for module in modules:
        for lesson in lessons[module.id]:
            finish_lesson(session, user.id, lesson)
    return user, level


def _attempts(session, user_id) -> int:
    return session.execute(select(func.count()).where(MilestoneAttempt.user_id == user_id)).scalar_one()


def _submit(session, user, level, key, text=TALK, **extra):
    return submit_milestone(
        session=session, user_id=user.id, level_id=level.id, transcript=text, idempotency_key=key, **extra
    )


def test_a_first_pass_pays_once(session, ready):
    user, level = ready
    level.milestone_threshold = _local_score()
    session.add(level)
    session.flush()

    first = _submit(session, user, level, "attempt-0001", audio_ref="milestones/u1/talk.webm")
    assert first.passed and first.score == level.milestone_threshold and not first.replayed
    assert first.rewards == {"xp": MILESTONE_XP, "coins": MILESTONE_COINS, "tickets": MILESTONE_TICKETS}
    assert first.feedback["provider"] == "local" and first.feedback["tips"]
    assert first.retry_after is None

    again = _submit(session, user, level, "attempt-0002")
    assert again.passed and again.rewards == {}
    assert ledger_totals(session=session, user_id=user.id) == {"xp": 200, "coins": 100, "tickets": 3}
    rows = session.execute(
        select(func.count()).where(RewardLedger.user_id == user.id, RewardLedger.reason == "milestone_passed")
    ).scalar_one()
    assert rows == 3
    stored = session.get(MilestoneAttempt, first.attempt_id)
    assert stored.audio_ref == "milestones/u1/talk.webm" and stored.transcript == TALK
    assert stored.rubric_scores["feedback"]["local"]["words"] > 0
    assert level_progress(session=session, user_id=user.id, level_id=level.id).milestone_passed


def test_a_retried_request_returns_the_stored_attempt(session, ready):
    user, level = ready
    first = _submit(session, user, level, "same-key-123")
    second = _submit(session, user, level, "same-key-123")
    assert second.replayed and second.attempt_id == first.attempt_id and second.score == first.score
    assert _attempts(session, user.id) == 1
    stored = session.get(MilestoneAttempt, first.attempt_id)
    assert stored.idempotency_key == "same-key-123" and "idempotency_key" not in stored.rubric_scores
    profile = session.get(UserProfile, user.id)
    assert (profile.xp, profile.coins) == (
        ledger_totals(session=session, user_id=user.id)["xp"],
        ledger_totals(session=session, user_id=user.id)["coins"],
    )


def test_a_retry_that_misses_the_stored_key_is_stopped_by_the_constraint(session, ready, monkeypatch):
    # As a concurrent request would: the first lookup finds nothing, so the insert meets the UNIQUE key.
    user, level = ready
    level.milestone_threshold = _local_score()
    session.add(level)
    session.flush()
    first = _submit(session, user, level, "racing-key-1")
    lookups = []
    real = milestones._attempt_by_key

    def first_lookup_misses(*args):
        lookups.append(args)
        return None if len(lookups) == 1 else real(*args)

    monkeypatch.setattr(milestones, "_attempt_by_key", first_lookup_misses)
    second = _submit(session, user, level, "racing-key-1")
    assert len(lookups) == 2
    assert second.replayed and second.attempt_id == first.attempt_id and second.rewards == first.rewards
    assert _attempts(session, user.id) == 1
    assert ledger_totals(session=session, user_id=user.id) == {"xp": 200, "coins": 100, "tickets": 3}
    events = session.execute(
        select(func.count()).where(
            AnalyticsEvent.user_id == user.id, AnalyticsEvent.event_type == "milestone_submitted"
        )
    )
    assert events.scalar_one() == 1


def test_a_key_used_for_another_level_is_refused(session, ready):
    user, level = ready
    _submit(session, user, level, "reused-key-1")
    other_level, modules, lessons = make_path(session, modules=1, lessons=1)
    finish_lesson(session, user.id, lessons[modules[0].id][0])
    with pytest.raises(ValidationError, match="already used for another attempt"):
        _submit(session, user, other_level, "reused-key-1")
    assert _attempts(session, user.id) == 1


def test_a_failed_attempt_cools_down_before_a_retry(session, ready):
    user, level = ready
    level.milestone_threshold = min(100, _local_score() + 1)
    session.add(level)
    session.flush()

    failed = _submit(session, user, level, "failed-0001")
    assert not failed.passed and failed.rewards == {}
    assert failed.retry_after is not None
    assert ledger_totals(session=session, user_id=user.id) == {"xp": 0, "coins": 0, "tickets": 0}
    with pytest.raises(ValidationError, match=r"try the milestone again at \d\d:\d\d UTC \(in about 10 minutes\)"):
        _submit(session, user, level, "failed-0002")
    assert _attempts(session, user.id) == 1

    session.execute(
        update(MilestoneAttempt)
        .where(MilestoneAttempt.id == failed.attempt_id)
        .values(created_at=MilestoneAttempt.created_at - timedelta(minutes=11))
    )
    level.milestone_threshold = _local_score()
    session.add(level)
    session.flush()
    passed = _submit(session, user, level, "failed-0002")
    assert passed.passed and passed.rewards["xp"] == MILESTONE_XP
    assert _attempts(session, user.id) == 2


def test_the_milestone_needs_every_module_completed(session):
    user = make_user(session)
    level, modules, lessons = make_path(session, modules=2, lessons=1)
    finish_lesson(session, user.id, lessons[modules[0].id][0])
    with pytest.raises(ValidationError, match="Complete every module"):
        _submit(session, user, level, "early-0001")
    assert _attempts(session, user.id) == 0


@pytest.mark.parametrize(
    "field, values, message",
    [
        ("transcript", {"text": ""}, "is empty"),
        ("transcript", {"text": 42}, "must be text"),
        ("transcript", {"text": "x" * 10_001}, "limit is 10,000"),
        ("key", {"key": "short"}, "request key"),
        ("key", {"key": "has spaces in it"}, "request key"),
        ("key", {"key": "k" * 65}, "request key"),
        ("audio", {"audio_ref": "../secret"}, "recording reference"),
    ],
)
def test_bad_input_is_refused_and_stores_nothing(session, ready, field, values, message):
    user, level = ready
    key = values.pop("key", "valid-key-001")
    text = values.pop("text", TALK)
    with pytest.raises(ValidationError, match=message):
        _submit(session, user, level, key, text=text, **values)
    assert _attempts(session, user.id) == 0


def test_a_64_character_key_is_accepted(session, ready):
    user, level = ready
    result = _submit(session, user, level, "k" * 64)
    assert session.get(MilestoneAttempt, result.attempt_id).idempotency_key == "k" * 64


def test_an_unknown_level_is_refused(session, ready):
    user, _ = ready
    with pytest.raises(ValidationError, match="level does not exist"):
        submit_milestone(
            session=session, user_id=user.id, level_id=user.id, transcript=TALK, idempotency_key="unknown-level-1"
        )
