"""Retakes: after a session, its three weakest moments are offered as drills, and each try is scored side by
side with the original.

The moments come from the stored transcript (`services.analysis.moments`); a learner's try at one is kept in
`retakes` (one row per moment, the latest try's answer and the number of tries). The original and the try are
scored by one function (`moments.score_try`), and the original's score is stored with the first try, so the
comparison a learner saw stays the one they see. The first try that beats the original pays `RETAKE_XP` once
(the ledger's key is the moment). A retry of the same answer (a double click, a resend) changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from speakpro.models import PracticeSession, Retake, Transcript, TranscriptSegment, table_of, utcnow
from speakpro.services.analysis.moments import Moment, TryScore, score_try, weakest_moments
from speakpro.services.analysis.speech_metrics import Utterance
from speakpro.services.learning.economy import apply_reward
from speakpro.services.practice.practice_access import owned_session
from speakpro.services.practice.scenarios import scene_of
from speakpro.services.validation import ValidationError, clean_answer_text

__all__ = ["RETAKE_XP", "MomentView", "RetakeOutcome", "session_moments", "submit_retake"]

RETAKE_XP = 10
RETAKE_REASON = "retake_improved"
MAX_ANSWER_CHARS = 3000
MIN_ANSWER_CHARS = 10
NOT_OFFERED = "This moment is not offered for a retake any more."
NOT_ENDED = "Retakes open once the session has ended."


@dataclass(frozen=True)
class MomentView:
    """One moment as the session page shows it: the original, and the latest try when there is one."""

    moment: Moment
    original: TryScore
    answer_text: str
    answer: TryScore | None
    attempts: int

    @property
    def improved(self) -> bool:
        return self.answer is not None and self.answer.score > self.original.score


@dataclass(frozen=True)
class RetakeOutcome:
    """What `submit_retake` did."""

    view: MomentView
    xp_paid: int  # 0 unless this try was the first to beat the original


def _session_for_retakes(session: Session, user_id: uuid.UUID, practice_session_id: object) -> PracticeSession:
    row = owned_session(session, user_id, practice_session_id, lock=False)
    if row.status not in ("ended", "analyzed", "archived"):
        raise ValidationError("session", NOT_ENDED)
    return row


def _moments(session: Session, practice: PracticeSession) -> tuple[list[Moment], str]:
    """The session's moments and its topic's text (2 queries)."""
    c = table_of(TranscriptSegment).c
    rows = session.execute(
        select(c.speaker, c.text, c.start_ms, c.end_ms)
        .join(Transcript, col(Transcript.id) == c.transcript_id)
        .where(col(Transcript.session_id) == practice.id, col(Transcript.is_anonymized).is_(False))
        .order_by(c.sequence)
    ).all()
    scene = scene_of(session, practice)
    topic_text = ". ".join(filter(None, (scene.title, scene.situation, scene.learner_goal)))
    segments = [Utterance(r.speaker, r.text, r.start_ms, r.end_ms) for r in rows]
    return weakest_moments(segments), topic_text


def _view(moment: Moment, topic: str, row: Retake | None) -> MomentView:
    stored = TryScore.read(row.original_score) if row is not None else None
    original = stored or score_try(moment.original_text, prompt=moment.prompt, topic=topic)
    answer = TryScore.read(row.answer_score) if row is not None else None
    return MomentView(
        moment=moment,
        original=original,
        answer_text=row.answer_text if row is not None else "",
        answer=answer,
        attempts=row.attempts if row is not None else 0,
    )


def session_moments(*, session: Session, user_id: uuid.UUID, practice_session_id: object) -> list[MomentView]:
    """The learner's own ended session's moments, with their latest tries (3 queries after the session's).

    Raises:
        ValidationError: Not found (unknown, someone else's or deleted session), or not ended yet.
    """
    practice = _session_for_retakes(session, user_id, practice_session_id)
    moments, topic = _moments(session, practice)
    if not moments:
        return []
    rows = {
        r.moment_key: r
        for r in session.execute(select(Retake).where(col(Retake.session_id) == practice.id)).scalars().all()
    }
    return [_view(m, topic, rows.get(m.key)) for m in moments]


def submit_retake(
    *, session: Session, user_id: uuid.UUID, practice_session_id: object, moment_key: object, text: object
) -> RetakeOutcome:
    """Score and keep a try at one moment; pay `RETAKE_XP` the first time a try beats the original.

    Raises:
        ValidationError: Not found, not ended, a moment the session does not offer, or an unusable answer.
    """
    answer_text = clean_answer_text(
        "retake", text, label="Your retake", max_chars=MAX_ANSWER_CHARS, min_chars=MIN_ANSWER_CHARS
    )
    practice = _session_for_retakes(session, user_id, practice_session_id)
    moments, topic = _moments(session, practice)
    moment = next((m for m in moments if m.key == moment_key), None)
    if moment is None:
        raise ValidationError("moment", NOT_OFFERED)
    original = score_try(moment.original_text, prompt=moment.prompt, topic=topic)
    answer = score_try(answer_text, prompt=moment.prompt, topic=topic)
    now = utcnow()
    statement = insert(Retake).values(
        id=uuid.uuid4(),
        session_id=practice.id,
        user_id=user_id,
        moment_key=moment.key,
        kind=moment.kind,
        at_ms=moment.at_ms,
        prompt=moment.prompt,
        original_text=moment.original_text,
        original_score=original.to_json(),
        answer_text=answer_text,
        answer_score=answer.to_json(),
        attempts=1,
        created_at=now,
        updated_at=now,
    )
    table = table_of(Retake)
    statement = statement.on_conflict_do_update(
        constraint="uq_retakes_session_moment",
        set_={
            "answer_text": statement.excluded.answer_text,
            "answer_score": statement.excluded.answer_score,
            "attempts": table.c.attempts + 1,
            "updated_at": now,
        },
        # The same answer again (a double click, a resend) is not another try.
        where=table.c.answer_text.is_distinct_from(statement.excluded.answer_text),
    )
    session.execute(statement)
    row = session.execute(
        select(Retake)
        .where(col(Retake.session_id) == practice.id, col(Retake.moment_key) == moment.key)
        .execution_options(populate_existing=True)
    ).scalar_one()
    view = _view(moment, topic, row)
    paid = 0
    if view.improved:
        reward = apply_reward(
            session=session,
            user_id=user_id,
            currency="xp",
            amount=RETAKE_XP,
            reason=RETAKE_REASON,
            source_key=f"{practice.id}:{moment.key}",
        )
        paid = RETAKE_XP if reward.applied else 0
    return RetakeOutcome(view=view, xp_paid=paid)
