"""Consented review: a learner shares a session with their company's managers, who replay it and comment.

- **Sharing** (`set_sharing`) is the learner's choice per session (`PracticeSession.privacy`: `private`, the
  default, or `managers`), revocable at any time, and audited. Only a learner in a company can share;
  deleting the session or the account makes it private again and removes its comments.
- **Reading** (`shared_sessions`, `review_session`): a manager (or an admin) of the session's company sees
  only shared sessions, the same page the learner sees (transcript, recording, analysis); every opening
  writes an audit row (`session.reviewed`). Row-Level Security enforces the same (migration 0018).
- **Scores** (`score_session`): a manager scores a shared session on the rubric the automatic scores use
  (each skill 0-100); the dashboard's calibration compares them (`dashboards/calibration.py`).
- **Comments** (`add_comment`, `comments_for`): a manager pins a note to a moment of a shared session; the
  learner reads them on their session page. A comment on a session that is no longer shared is refused.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from speakpro.models import PracticeSession, SessionAnalytics, SessionComment, SessionReview, User, utcnow
from speakpro.models.analysis import SKILLS
from speakpro.models.coaching import ScenarioVersion
from speakpro.models.practice import PRIVATE, SHARED_WITH_MANAGERS
from speakpro.services.analysis.criteria import RubricCriterion, criteria_of
from speakpro.services.dashboards.dashboards import SKILL_LABELS
from speakpro.services.practice.history import SessionDetail, get_session_detail
from speakpro.services.practice.practice_access import owned_session, parse_session_id
from speakpro.services.telemetry import audit
from speakpro.services.validation import ValidationError

MAX_COMMENT_CHARS = 1000
MAX_AT_MS = 4 * 60 * 60 * 1000  # longer than any session (15 min cap), shorter than an int overflow
SHARED_LIST_LIMIT = 50
NOT_SHARED = "This session is not shared with you (or no longer)."
NO_COMPANY = "You are not in a company, so there are no managers to share this session with."


@dataclass(frozen=True)
class SharedSession:
    """A session a learner shared with their company's managers, for the dashboard's list."""

    id: str
    learner: str
    title: str
    started_at: datetime
    duration_seconds: int | None
    overall_score: int | None
    comments: int


@dataclass(frozen=True)
class CommentView:
    """A manager's note at a moment of a session."""

    id: str
    at_ms: int
    body: str
    author: str  # their name where the reader may see it, else "Your manager"
    created_at: datetime
    mine: bool


def set_sharing(*, session: Session, user_id: uuid.UUID, practice_session_id: object, shared: bool) -> str:
    """Share one of the learner's sessions with their company's managers, or make it private again.

    Returns:
        The session's privacy now (`managers` or `private`); asking for what already holds changes nothing.

    Raises:
        ValidationError: "not found" for a session that is not the learner's (or is deleted); `NO_COMPANY`
            for sharing without a company.
    """
    practice = owned_session(session, user_id, practice_session_id, lock=True)
    wanted = SHARED_WITH_MANAGERS if shared else PRIVATE
    if wanted == practice.privacy:
        return wanted
    if shared and practice.company_id is None:
        raise ValidationError("privacy", NO_COMPANY)
    session.execute(
        update(PracticeSession)
        .where(col(PracticeSession.id) == practice.id)
        .values(privacy=wanted)
        .execution_options(synchronize_session=False)
    )
    audit(
        session=session,
        action="session.shared" if shared else "session.unshared",
        target_type="practice_session",
        target_id=practice.id,
        actor_user_id=user_id,
        subject_user_id=user_id,
        company_id=practice.company_id,
    )
    return wanted


def shared_sessions(*, session: Session, company_id: uuid.UUID, limit: int = SHARED_LIST_LIMIT) -> list[SharedSession]:
    """The company's shared sessions, newest first, with their score and comment count (1 query)."""
    comments = (
        select(func.count())
        .where(col(SessionComment.session_id) == col(PracticeSession.id))
        .correlate(PracticeSession)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            col(PracticeSession.id),
            col(PracticeSession.title),
            col(PracticeSession.started_at),
            col(PracticeSession.duration_seconds),
            col(User.display_name),
            col(User.email),
            col(SessionAnalytics.overall_score),
            comments.label("comments"),
        )
        .join(User, col(User.id) == col(PracticeSession.user_id))
        .outerjoin(SessionAnalytics, col(SessionAnalytics.session_id) == col(PracticeSession.id))
        .where(
            col(PracticeSession.company_id) == company_id,
            col(PracticeSession.privacy) == SHARED_WITH_MANAGERS,
            col(PracticeSession.deleted_at).is_(None),
        )
        .order_by(col(PracticeSession.started_at).desc(), col(PracticeSession.id))
        .limit(limit)
    ).all()
    return [
        SharedSession(
            id=str(r.id),
            learner=r.display_name or r.email.split("@")[0],
            title=r.title,
            started_at=r.started_at,
            duration_seconds=r.duration_seconds,
            overall_score=r.overall_score,
            comments=r.comments,
        )
        for r in rows
    ]


def review_session(
    *, session: Session, viewer_id: uuid.UUID, company_id: uuid.UUID, practice_session_id: object
) -> tuple[SessionDetail, str]:
    """A shared session of the company as its learner sees it, and the learner's name; audited.

    The caller has checked that the viewer manages the company (or is an admin).

    Raises:
        ValidationError: `NOT_SHARED` for an unknown id, another company's session, a private or deleted one.
    """
    session_id = parse_session_id(practice_session_id)
    try:
        detail = get_session_detail(
            session=session, user_id=viewer_id, practice_session_id=session_id, shared_with_company=company_id
        )
    except ValidationError:
        raise ValidationError("session", NOT_SHARED) from None
    owner = session.execute(
        select(col(User.display_name), col(User.email), col(PracticeSession.user_id))
        .join(User, col(User.id) == col(PracticeSession.user_id))
        .where(col(PracticeSession.id) == session_id)
    ).one()
    audit(
        session=session,
        action="session.reviewed",
        target_type="practice_session",
        target_id=session_id,
        actor_user_id=viewer_id,
        subject_user_id=owner.user_id,
        company_id=company_id,
    )
    return detail, owner.display_name or owner.email.split("@")[0]


def _shared(session: Session, session_id: uuid.UUID, company_id: uuid.UUID):
    """The length (s) and scenario rubric of a session of the company that is shared with its managers, else
    `NOT_SHARED`."""
    shared = session.execute(
        select(col(PracticeSession.duration_seconds), col(ScenarioVersion.rubric))
        .outerjoin(ScenarioVersion, col(ScenarioVersion.id) == col(PracticeSession.scenario_version_id))
        .where(
            col(PracticeSession.id) == session_id,
            col(PracticeSession.company_id) == company_id,
            col(PracticeSession.privacy) == SHARED_WITH_MANAGERS,
            col(PracticeSession.deleted_at).is_(None),
        )
    ).one_or_none()
    if shared is None:
        raise ValidationError("session", NOT_SHARED)
    return shared


def clean_comment(body: object) -> str:
    """The comment's text, trimmed, 1 to `MAX_COMMENT_CHARS` characters, else ValidationError."""
    if not isinstance(body, str):
        raise ValidationError("body", "Write a comment first.")
    text = unicodedata.normalize("NFC", body).strip()
    if not text:
        raise ValidationError("body", "Write a comment first.")
    if len(text) > MAX_COMMENT_CHARS:
        raise ValidationError(
            "body", f"Keep a comment to {MAX_COMMENT_CHARS:,} characters; this one has {len(text):,}."
        )
    if any(unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t" for c in text):
        raise ValidationError("body", "Your comment contains characters that are not allowed.")
    return text


def add_comment(
    *,
    session: Session,
    author_id: uuid.UUID,
    company_id: uuid.UUID,
    practice_session_id: object,
    at_ms: object,
    body: object,
) -> CommentView:
    """Pin a manager's comment to a moment of a shared session of their company.

    The caller has checked that the author manages the company (or is an admin). The row is not locked (a
    manager may not lock a learner's row under Row-Level Security): the insert's policy checks again that the
    session is still shared, in the statement that writes.

    Raises:
        ValidationError: `NOT_SHARED`, an empty or over-long comment, or a moment outside the session.
    """
    text = clean_comment(body)
    if isinstance(at_ms, bool) or not isinstance(at_ms, int) or not 0 <= at_ms <= MAX_AT_MS:
        raise ValidationError("at_ms", "Choose a moment of the recording for this comment.")
    session_id = parse_session_id(practice_session_id)
    duration = _shared(session, session_id, company_id).duration_seconds
    if duration is not None and at_ms > (duration + 1) * 1000:
        raise ValidationError("at_ms", "That moment is after the end of the session.")
    comment = SessionComment(
        session_id=session_id, author_user_id=author_id, company_id=company_id, at_ms=at_ms, body=text
    )
    session.add(comment)
    session.flush()
    return CommentView(
        id=str(comment.id), at_ms=at_ms, body=text, author="You", created_at=comment.created_at, mine=True
    )


def comments_for(*, session: Session, reader_id: uuid.UUID, practice_session_id: object) -> list[CommentView]:
    """The comments of a session the reader may see (its owner, or a manager while it is shared), in the
    order of the recording (1 query; Row-Level Security decides which rows the reader gets)."""
    session_id = parse_session_id(practice_session_id)
    rows = session.execute(
        select(SessionComment, col(User.display_name), col(User.email))
        .outerjoin(User, col(User.id) == col(SessionComment.author_user_id))
        .where(col(SessionComment.session_id) == session_id)
        .order_by(col(SessionComment.at_ms), col(SessionComment.created_at))
    ).all()
    views = []
    for comment, name, email in rows:
        mine = comment.author_user_id == reader_id
        author = "You" if mine else name or (email.split("@")[0] if email else "Your manager")
        views.append(
            CommentView(
                id=str(comment.id),
                at_ms=comment.at_ms,
                body=comment.body,
                author=author,
                created_at=comment.created_at,
                mine=mine,
            )
        )
    return views


def _score(value: object, label: str) -> int:
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise ValidationError("scores", f"{label}: enter a whole number from 0 to 100.")
    return value


def clean_scores(scores: object, rubric: Sequence[RubricCriterion] = ()) -> dict[str, Any]:
    """A manager's scores: every skill of `SKILLS`, and with a scenario's `rubric` each of its criteria under
    "criteria" (by key), each a whole number from 0 to 100."""
    if not isinstance(scores, dict) or set(scores) - {"criteria"} != set(SKILLS):
        raise ValidationError("scores", "Score every skill of the rubric, from 0 to 100.")
    cleaned: dict[str, Any] = {skill: _score(scores[skill], SKILL_LABELS[skill]) for skill in SKILLS}
    given = scores.get("criteria") or {}
    if not isinstance(given, dict) or set(given) != {c.key for c in rubric}:
        raise ValidationError("scores", "Score every criterion of the scenario's rubric, from 0 to 100.")
    if rubric:
        cleaned["criteria"] = {c.key: _score(given[c.key], c.name) for c in rubric}
    return cleaned


def score_session(
    *, session: Session, reviewer_id: uuid.UUID, company_id: uuid.UUID, practice_session_id: object, scores: object
) -> dict[str, Any]:
    """Store (or replace) a manager's scores of a shared session of their company, on the rubric's skills and,
    for a company scenario, on the criteria of the version it was practised with.

    The caller has checked that the reviewer manages the company (or is an admin).

    Raises:
        ValidationError: `NOT_SHARED`, or a missing or out-of-range score (nothing written).
    """
    session_id = parse_session_id(practice_session_id)
    cleaned = clean_scores(scores, criteria_of(_shared(session, session_id, company_id).rubric))
    now = utcnow()
    session.execute(
        insert(SessionReview)
        .values(
            id=uuid.uuid4(),
            session_id=session_id,
            reviewer_user_id=reviewer_id,
            company_id=company_id,
            scores=cleaned,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_update(
            index_elements=["session_id", "reviewer_user_id"], set_={"scores": cleaned, "updated_at": now}
        )
    )
    return cleaned


def my_scores(*, session: Session, reviewer_id: uuid.UUID, practice_session_id: object) -> dict[str, Any] | None:
    """The reviewer's own scores of a session, if they gave any (1 query)."""
    return session.execute(
        select(col(SessionReview.scores)).where(
            col(SessionReview.session_id) == parse_session_id(practice_session_id),
            col(SessionReview.reviewer_user_id) == reviewer_id,
        )
    ).scalar_one_or_none()
