"""Demo accounts and 60 days of plausible practice history, so every dashboard has something to show.

Each demo user is created whole (profile, progress, rewards, sessions, transcripts, analytics) in the
seed's transaction, and only when that user does not exist yet: a second run changes nothing.
Each seeded session is analysed by the product's own engine: `compute_speech_metrics` over its timed segments
and the local coaching rubric (`local_coach`, labelled as such), written in the same shape
`services/analysis/analysis.py` writes. The history improves the way practice does: early sessions draw the
dialogues the rubric scores lower and carry more filler words ("um", "you know") and a slower pace; later ones draw the
stronger dialogues, cleaner and at a steady pace.
"""

from __future__ import annotations

import random
import re
import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import func, insert, select
from sqlmodel import Session, col

from speakpro.models import (
    AnalysisResult,
    AnalyticsEvent,
    Company,
    District,
    PracticeSession,
    PrivacyConsent,
    SessionAnalytics,
    Transcript,
    TranscriptSegment,
    User,
    UserProfile,
    UserProgress,
    UserVenueUnlock,
    Venue,
    table_of,
)
from speakpro.seed import content
from speakpro.seed.catalog import stable_id
from speakpro.seed.coaching import seed_coaching, seed_review
from speakpro.services.accounts.consent import PRIVACY_NOTICE_VERSION
from speakpro.services.accounts.passwords import hash_password
from speakpro.services.analysis.analysis import analytics_values, result_rows, session_summary
from speakpro.services.analysis.coach import local_coach
from speakpro.services.analysis.speech_metrics import Utterance, compute_speech_metrics
from speakpro.services.learning.economy import apply_reward

DEMO_PASSWORD = "speakpro-demo"  # a documented demo login, printed by `make run`; not a secret
HISTORY_DAYS = 60

FILLER_OPENERS = ("Um, ", "Uh, ", "So, um, ", "You know, ", "Basically, ", "Er, ")
WORD_PATTERN = re.compile(r"[\w']+")


@dataclass(frozen=True)
class DemoCompany:
    slug: str
    name: str
    join_code: str
    manager_invite_code: str


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    company: str | None
    role: str = "learner"
    is_admin: bool = False
    skill: float = 0.5  # 0..1: where this learner starts
    activity: float = 0.5  # 0..1: how often they practise
    modules_done: int = 1


COMPANIES = (
    DemoCompany("northwind", "Northwind Outfitters", "NORTHWIND-DEMO", "NORTHWIND-MANAGER-DEMO"),
    DemoCompany("blue-harbor", "Blue Harbor Logistics", "BLUEHARBOR-DEMO", "BLUEHARBOR-MANAGER-DEMO"),
)

_LEARNER_NAMES = (
    "Avery Chen",
    "Jordan Patel",
    "Riley Okafor",
    "Morgan Silva",
    "Casey Novak",
    "Taylor Brooks",
    "Quinn Adeyemi",
    "Jamie Larsen",
    "Devon Moreau",
    "Skyler Haddad",
    "Reese Tanaka",
    "Hayden Costa",
    "Parker Ivanova",
    "Rowan Mensah",
    "Emerson Kaur",
    "Finley Duarte",
    "Sage Lindqvist",
    "Kai Romero",
    "Blake Nakamura",
    "Drew Osei",
    "Elliot Varga",
    "Harper Quist",
)


def demo_users() -> list[DemoUser]:
    """The admin, two managers, the main demo learner and 22 more learners across two companies."""
    users = [
        DemoUser("admin@example.com", "Ada Admin", None, is_admin=True, activity=0.0, modules_done=0),
        DemoUser("manager@example.com", "Maya Manager", "northwind", role="manager", activity=0.0, modules_done=0),
        DemoUser(
            "manager@blueharbor.example.com", "Ben Harbor", "blue-harbor", role="manager", activity=0.0, modules_done=0
        ),
        DemoUser("learner@example.com", "Lee Learner", "northwind", skill=0.35, activity=0.75, modules_done=2),
    ]
    for index, name in enumerate(_LEARNER_NAMES):
        rng = random.Random(index)
        company = "northwind" if index < 18 else "blue-harbor"
        slug = name.lower().replace(" ", ".")
        domain = "example.com" if company == "northwind" else "blueharbor.example.com"
        users.append(
            DemoUser(
                f"{slug}@{domain}",
                name,
                company,
                skill=round(rng.uniform(0.2, 0.8), 2),
                activity=round(rng.uniform(0.15, 0.85), 2),
                modules_done=rng.randint(0, 4),
            )
        )
    return users


def _rng_for(key: str) -> random.Random:
    return random.Random(zlib.crc32(key.encode()))


def _words(text: str) -> int:
    return len(WORD_PATTERN.findall(text))


def seed_demo(session: Session, module_ids: dict[str, uuid.UUID], today: date | None = None) -> list[DemoUser]:
    """Create the demo companies, accounts and history that do not exist yet.

    Returns:
        The users created by this run (empty on a second run).

    Raises:
        SeedRefused: When `SPEAKPRO_ENV=production`, before anything is written.
    """
    from speakpro.seed import check_demo_allowed
    from speakpro.settings import settings

    check_demo_allowed(settings.environment)
    today = today or datetime.now(UTC).date()
    company_ids = _seed_companies(session)
    existing = set(session.execute(select(col(User.email))).scalars())
    venues = session.execute(select(col(Venue.id), col(Venue.unlock_module_id), col(Venue.district_id))).all()
    district_slugs = dict(session.execute(select(col(District.id), col(District.slug))).all())
    topics = {t["slug"]: stable_id("topic", t["slug"]) for t in content.TOPICS}
    codes = [m["code"] for m in sorted(content.MODULES, key=lambda m: m["order"])]
    password_hash = None
    created: list[DemoUser] = []
    for demo in demo_users():
        if demo.email in existing:
            continue
        password_hash = password_hash or hash_password(DEMO_PASSWORD)
        user_id = stable_id("user", demo.email)
        company_id = company_ids[demo.company] if demo.company else None
        joined = datetime.combine(today - timedelta(days=HISTORY_DAYS + 2), time(9), tzinfo=UTC)
        session.execute(
            insert(User).values(
                id=user_id,
                email=demo.email,
                display_name=demo.name,
                password_hash=password_hash,
                email_verified=True,
                is_admin=demo.is_admin,
                created_at=joined,
            )
        )
        session.execute(
            insert(UserProfile).values(
                user_id=user_id,
                company_id=company_id,
                role=demo.role,
                job_role="Account executive" if demo.role == "learner" else "Sales manager",
                audience="Prospective customers",
                main_goal="Run confident discovery calls",
                practice_for="Sales conversations",
                comfort_speaking=3,
                comfort_selling=3,
                onboarding_completed=True,
                ab_variant="A" if zlib.crc32(demo.email.encode()) % 2 == 0 else "B",
                district_full_access={},
                created_at=joined,
            )
        )
        session.execute(
            insert(AnalyticsEvent).values(
                id=uuid.uuid4(),
                user_id=user_id,
                company_id=company_id,
                event_type="user_signup",
                event_data={"source": "seed"},
                created_at=joined,
            )
        )
        # As at sign-up: the privacy notice read and recordings allowed (every demo learner has practised).
        session.execute(
            insert(PrivacyConsent).values(
                id=uuid.uuid4(),
                user_id=user_id,
                notice_version=PRIVACY_NOTICE_VERSION,
                recording=True,
                created_at=joined,
            )
        )
        if demo.role == "learner" and not demo.is_admin:
            _seed_progress(session, user_id, demo, codes, module_ids, venues, district_slugs)
            _seed_history(session, user_id, company_id, demo, topics, today)
        created.append(demo)
    if created:
        session.flush()
        seed_coaching(
            session,
            company_id=company_ids["northwind"],
            manager_id=stable_id("user", "manager@example.com"),
            learner_id=stable_id("user", "learner@example.com"),
            today=today,
        )
        seed_review(
            session,
            company_id=company_ids["northwind"],
            manager_id=stable_id("user", "manager@example.com"),
            learner_id=stable_id("user", "learner@example.com"),
        )
    return created


def _seed_companies(session: Session) -> dict[str, uuid.UUID]:
    ids = {}
    for company in COMPANIES:
        company_id = stable_id("company", company.slug)
        ids[company.slug] = company_id
        exists = session.execute(select(col(Company.id)).where(col(Company.id) == company_id)).first()
        if not exists:
            session.execute(
                insert(Company).values(
                    id=company_id,
                    name=company.name,
                    slug=company.slug,
                    join_code=company.join_code,
                    manager_invite_code=company.manager_invite_code,
                )
            )
    return ids


def _seed_progress(session, user_id, demo, codes, module_ids, venues, district_slugs) -> None:
    """Module progress, the rewards completion paid (through the ledger) and the venues it unlocked."""
    modules = {m["code"]: m for m in content.MODULES}
    rows = []
    for position, code in enumerate(codes):
        if position < demo.modules_done:
            status = "completed"
        elif position == demo.modules_done:
            status = "in_progress"
        else:
            status = "locked"
        rows.append(
            {
                "id": stable_id("progress", user_id, code),
                "user_id": user_id,
                "module_id": module_ids[code],
                "status": status,
                "completed_at": datetime.now(UTC) if status == "completed" else None,
            }
        )
    session.execute(insert(UserProgress), rows)
    completed = {module_ids[c] for c in codes[: demo.modules_done]}
    for code in codes[: demo.modules_done]:
        module = modules[code]
        source = str(module_ids[code])
        for currency, amount in (
            ("xp", module["xp_reward"]),
            ("coins", module["coin_reward"]),
            ("tickets", module["ticket_reward"]),
        ):
            if amount:
                apply_reward(
                    session=session,
                    user_id=user_id,
                    currency=currency,
                    amount=amount,
                    reason="module_completed",
                    source_key=source,
                )
    unlocked = [v for v in venues if v.unlock_module_id in completed]
    if unlocked:
        session.execute(
            insert(UserVenueUnlock),
            [{"id": stable_id("unlock", user_id, v.id), "user_id": user_id, "venue_id": v.id} for v in unlocked],
        )
    full = {}
    for district_id, slug in district_slugs.items():
        in_district = [v for v in venues if v.district_id == district_id]
        if in_district and all(v.unlock_module_id in completed for v in in_district):
            full[slug] = True
    if full:
        session.execute(
            table_of(UserProfile).update().where(col(UserProfile.user_id) == user_id).values(district_full_access=full)
        )


@lru_cache(maxsize=1)
def _dialogues_by_rubric() -> tuple[dict, ...]:
    """The demo dialogues, weakest first by the local rubric's score (at a neutral pace, no added fillers);
    computed once per process, not once per demo learner."""

    def score(dialogue: dict) -> int:
        rows, _ = _segments(dialogue["turns"], uuid.UUID(int=0), random.Random(0), 0.5)
        utterances = _utterances(rows)
        return local_coach(utterances, compute_speech_metrics(utterances, language="en")).overall

    return tuple(sorted(content.DEMO_DIALOGUES, key=score))


def _utterances(rows: list[dict]) -> list[Utterance]:
    return [Utterance(r["speaker"], r["text"], r["start_ms"], r["end_ms"]) for r in rows]


def _with_fillers(turns, rng: random.Random, level: float):
    """The learner's lines, each opened with a filler with probability 0.7 x (1 - level)."""
    out = []
    for speaker, text in turns:
        if speaker == "user" and rng.random() < 0.7 * (1 - level):
            text = rng.choice(FILLER_OPENERS) + (text if text.startswith("I ") else text[:1].lower() + text[1:])
        out.append((speaker, text))
    return out


def _seed_history(session, user_id, company_id, demo: DemoUser, topics, today: date) -> None:
    """Sessions over the last 60 days whose scores improve with practice, with transcripts and analytics
    computed by the analysis engine."""
    rng = _rng_for(demo.email)
    now = datetime.now(UTC)
    ranked = _dialogues_by_rubric()
    sessions, transcripts, segments, analytics, results = [], [], [], [], []
    practice_days: set[date] = set()
    count = 0
    for day_offset in range(HISTORY_DAYS, -1, -1):
        day = today - timedelta(days=day_offset)
        if rng.random() > demo.activity:
            continue
        for _ in range(1 if rng.random() < 0.8 else 2):
            count += 1
            practice_days.add(day)
            progress = 1 - day_offset / HISTORY_DAYS  # 0 at the start of the history, 1 today
            level = max(0.0, min(1.0, demo.skill + 0.35 * progress + rng.uniform(-0.08, 0.08)))
            # Weaker learners (and earlier days) mostly draw the dialogues the rubric scores lower.
            pick = min(len(ranked) - 1, int(rng.triangular(0, len(ranked), level * len(ranked))))
            dialogue = ranked[pick]
            started = datetime.combine(day, time(rng.randint(8, 19), rng.randint(0, 59)), tzinfo=UTC)
            # Today's sessions lie in the past even when the seed runs early in the day.
            started = min(started, now - timedelta(minutes=30 + 7 * count % 180))
            session_id = stable_id("session", demo.email, count)
            transcript_id = stable_id("transcript", demo.email, count)
            turn_rows, stats = _segments(_with_fillers(dialogue["turns"], rng, level), transcript_id, rng, level)
            duration = max(60, min(900, stats["end_ms"] // 1000 + rng.randint(5, 30)))
            ended = started + timedelta(seconds=duration)
            title = next(t["title"] for t in content.TOPICS if t["slug"] == dialogue["topic"])
            utterances = _utterances(turn_rows)
            metrics = compute_speech_metrics(utterances, language="en")
            coach = local_coach(utterances, metrics)
            sessions.append(
                {
                    "id": session_id,
                    "user_id": user_id,
                    "company_id": company_id,
                    "topic_id": topics[dialogue["topic"]],
                    "title": title,
                    "mode": "realtime",
                    "status": "analyzed",
                    "privacy": "private",
                    "started_at": started,
                    "ended_at": ended,
                    "duration_seconds": duration,
                    "processing_status": "complete",
                    "minute_cost": Decimal(duration) / Decimal(60),
                    "analytics_summary": session_summary(metrics, coach, attempts=1),
                    "created_at": started,
                    "updated_at": ended,
                }
            )
            transcripts.append(
                {
                    "id": transcript_id,
                    "session_id": session_id,
                    "finalized": True,
                    "content": stats["content"],
                    "language": "en",
                    "confidence": Decimal("0.9200"),
                    "word_count": stats["words"],
                    "created_at": started,
                    "updated_at": ended,
                }
            )
            segments.extend(turn_rows)
            analytics.append(
                {
                    "id": stable_id("analytics", demo.email, count),
                    "session_id": session_id,
                    "created_at": ended,
                    **analytics_values(
                        user_id=user_id,
                        company_id=company_id,
                        started_at=started,
                        duration_seconds=duration,
                        metrics=metrics,
                        coach=coach,
                    ),
                }
            )
            for index, row in enumerate(
                result_rows(
                    session_id,
                    metrics,
                    coach,
                    metrics_ms=rng.randint(2, 12),
                    coach_ms=rng.randint(1, 6),
                    created_at=ended,
                )
            ):
                results.append({**row, "id": stable_id("analysis", demo.email, count, index)})
    if not sessions:
        return
    for model, rows in (
        (PracticeSession, sessions),
        (Transcript, transcripts),
        (TranscriptSegment, segments),
        (SessionAnalytics, analytics),
        (AnalysisResult, results),
    ):
        session.execute(insert(model), rows)
    for index in range(1, count + 1):
        apply_reward(
            session=session,
            user_id=user_id,
            currency="xp",
            amount=10,
            reason="practice_session",
            source_key=str(stable_id("session", demo.email, index)),
        )


def _segments(turns, transcript_id, rng: random.Random, level: float):
    """Timed segments for a dialogue (the learner speeds up to a steady pace as they improve), with the
    transcript's text and word count."""
    rows, cursor = [], 0
    pace = 115 + 35 * level
    lines = []
    for sequence, (speaker, text) in enumerate(turns):
        words = _words(text)
        wpm = pace if speaker == "user" else 150
        length = max(600, int(words / wpm * 60_000))
        start = cursor + rng.randint(250, 900)
        end = start + length
        rows.append(
            {
                "id": stable_id("segment", transcript_id, sequence),
                "transcript_id": transcript_id,
                "sequence": sequence,
                "speaker": speaker,
                "text": text,
                "start_ms": start,
                "end_ms": end,
                "is_final": True,
            }
        )
        lines.append(f"{'Learner' if speaker == 'user' else 'Partner'}: {text}")
        cursor = end
    return rows, {"content": "\n".join(lines), "words": sum(_words(t) for _, t in turns), "end_ms": cursor}


def count_rows(session: Session) -> dict[str, int]:
    """Row counts of the tables the seed writes (for the idempotence check and the CLI's report)."""
    models = (
        Company,
        User,
        UserProfile,
        UserProgress,
        UserVenueUnlock,
        PracticeSession,
        Transcript,
        TranscriptSegment,
        SessionAnalytics,
        AnalysisResult,
        AnalyticsEvent,
    )
    return {m.__tablename__: session.execute(select(func.count()).select_from(m)).scalar_one() for m in models}
