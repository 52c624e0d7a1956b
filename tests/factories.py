"""Small factories for test data: each call makes fresh rows with unique keys."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session

from speakpro.models import (
    Company,
    District,
    Level,
    Module,
    PracticeSession,
    PrivacyConsent,
    Topic,
    Transcript,
    TranscriptSegment,
    User,
    UserProfile,
    Venue,
)
from speakpro.models.analysis import SessionAnalytics
from speakpro.services.accounts.consent import PRIVACY_NOTICE_VERSION


def _token() -> str:
    return secrets.token_hex(4)


def make_company(session: Session, **values) -> Company:
    token = _token()
    company = Company(name=f"Company {token}", slug=f"co-{token}", join_code=f"JOIN-{token}".upper(), **values)
    session.add(company)
    session.flush()
    return company


def make_user(
    session: Session,
    company: Company | None = None,
    role: str = "learner",
    *,
    recording_consent: bool | None = True,
    **profile,
) -> User:
    """A user with a profile and, as after sign-up, a consent on record (recordings allowed unless
    `recording_consent` is False; None records no consent at all)."""
    user = User(email=f"user-{_token()}@example.com", display_name="Test User")
    session.add(user)
    session.flush()
    session.add(UserProfile(user_id=user.id, company_id=company.id if company else None, role=role, **profile))
    if recording_consent is not None:
        session.add(PrivacyConsent(user_id=user.id, notice_version=PRIVACY_NOTICE_VERSION, recording=recording_consent))
    session.flush()
    return user


def make_level(session: Session, number: int | None = None) -> Level:
    level = Level(number=number or 1000 + secrets.randbelow(100000), title="Test level", milestone_threshold=70)
    session.add(level)
    session.flush()
    return level


def make_module(session: Session, level: Level | None = None, code: str = "A", order: int = 1) -> Module:
    level = level or make_level(session)
    module = Module(
        level_id=level.id,
        code=code,
        order=order,
        title=f"Module {code}",
        xp_reward=100,
        coin_reward=50,
        ticket_reward=2,
    )
    session.add(module)
    session.flush()
    return module


def make_venue(session: Session, **values) -> Venue:
    district = District(slug=f"district-{_token()}", name="Test district")
    session.add(district)
    session.flush()
    venue = Venue(district_id=district.id, slug=f"venue-{_token()}", name="Test venue", **values)
    session.add(venue)
    session.flush()
    return venue


def make_topic(session: Session, difficulty: str = "beginner") -> Topic:
    topic = Topic(slug=f"topic-{_token()}", title="Test topic", difficulty=difficulty, prompt_hint="Say hello.")
    session.add(topic)
    session.flush()
    return topic


def make_practice_session(session: Session, user: User, topic: Topic | None = None, **values) -> PracticeSession:
    topic = topic or make_topic(session)
    practice = PracticeSession(user_id=user.id, topic_id=topic.id, title=topic.title, **values)
    session.add(practice)
    session.flush()
    return practice


def make_transcript(session: Session, practice: PracticeSession) -> Transcript:
    transcript = Transcript(session_id=practice.id)
    session.add(transcript)
    session.flush()
    return transcript


# A short call with two weak moments (fillers in one answer; a price objection answered without a question),
# and a retake of the objection that beats the original.
RETAKE_SCRIPT = (
    ("ai", "Which routes matter most to you?", 0, 3000),
    ("user", "Um, so, uh, we ship, um, a lot to Lyon I guess, uh, every week.", 3500, 9000),
    ("ai", "Honestly, it sounds too expensive for us right now.", 10000, 13000),
    ("user", "Our price is the best on the market and the service is very reliable.", 13500, 18000),
)
RETAKE_BETTER = (
    "I hear you: the price matters. Compared with what you pay today for the Lyon runs, which part of the "
    "cost worries you most, the weekly runs or the holiday peaks?"
)


def make_ended_session(
    session: Session, user: User, script: tuple[tuple[str, str, int, int], ...], *, status: str = "ended"
) -> PracticeSession:
    """A practice session five minutes ago (ended unless `status` says otherwise) whose transcript holds `script`:
    (speaker, text, start_ms, end_ms) lines, each a final segment."""
    started = datetime.now(UTC) - timedelta(minutes=5)
    ended = {"ended_at": started + timedelta(seconds=20), "duration_seconds": 20} if status != "active" else {}
    practice = make_practice_session(session, user, status=status, started_at=started, **ended)
    transcript = make_transcript(session, practice)
    for i, (speaker, words, start, end) in enumerate(script):
        session.add(
            TranscriptSegment(
                transcript_id=transcript.id,
                sequence=i,
                speaker=speaker,
                text=words,
                start_ms=start,
                end_ms=end,
                is_final=True,
            )
        )
    session.flush()
    return practice


def days_ago(days: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


def today() -> date:
    return datetime.now(UTC).date()


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def make_analysed_session(
    session,
    user,
    company,
    day,
    score,
    *,
    seconds=300,
    skills=(60, 70, 80, 90),
    pace=140,
    fillers=3,
    ratio="0.5500",
    hour=10,
) -> PracticeSession:
    """An analysed practice session on `day` with its analytics row (the figures dashboards aggregate)."""
    practice = make_practice_session(
        session,
        user,
        company_id=company.id if company else None,
        status="analyzed",
        ended_at=_at_hour(day, hour),
        started_at=_at_hour(day, hour),
        duration_seconds=seconds,
    )
    session.add(
        SessionAnalytics(
            session_id=practice.id,
            user_id=user.id,
            company_id=company.id if company else None,
            overall_score=score,
            talk_time_ratio=ratio,
            filler_words_count=fillers,
            speaking_pace_wpm=pace,
            opening_score=skills[0],
            questioning_score=skills[1],
            objection_handling_score=skills[2],
            closing_score=skills[3],
            duration_seconds=seconds,
            session_date=day,
            session_hour=hour,
        )
    )
    session.flush()
    return practice


def _at_hour(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


LEARNER_PERSONA = {
    "job_role": "Account executive",
    "audience": "Prospective customers",
    "main_goal": "Run confident discovery calls",
    "practice_for": "Sales conversations",
    "comfort_speaking": "3",
    "comfort_selling": "3",
}


def make_onboarded_learner(session: Session, *, email: str, password: str, display_name: str, comfort: int = 3) -> User:
    """A learner as the sign-up form and onboarding leave one: the account, the privacy consent (recordings
    allowed) and a sales persona."""
    from speakpro.services.accounts import accounts, onboarding
    from speakpro.services.accounts.consent import record_consent

    user = accounts.signup(session=session, email=email, password=password, display_name=display_name)
    record_consent(session=session, user_id=user.id)
    persona = {**LEARNER_PERSONA, "comfort_speaking": str(comfort), "comfort_selling": str(comfort)}
    onboarding.complete_onboarding(session=session, user_id=user.id, persona=onboarding.validate_persona(persona))
    return user
