"""Onboarding: the learner's persona, a stable A/B variant, and the events that mark the journey."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col

from speakpro.models import UserProfile
from speakpro.services.telemetry import record_event
from speakpro.services.validation import ValidationError, clean_choice, clean_int, clean_text

AUDIENCES = (
    "Prospective customers",
    "Existing clients",
    "My team",
    "Executives",
    "Conference audiences",
    "Interview panels",
    "Students",
    "Other",
)
GOALS = (
    "Run confident discovery calls",
    "Handle objections calmly",
    "Close with a clear next step",
    "Present without notes",
    "Cut filler words",
    "Speak up in meetings",
    "Prepare for an interview",
)
PRACTICE_FOR = ("Sales conversations", "Presentations", "Job interviews", "Leadership moments", "Everyday confidence")


@dataclass(frozen=True)
class Persona:
    job_role: str
    audience: str
    main_goal: str
    practice_for: str
    comfort_speaking: int
    comfort_selling: int


def validate_persona(form: dict) -> Persona:
    """Check the onboarding form; raises ValidationError naming the first bad field."""
    return Persona(
        job_role=clean_text("job_role", form.get("job_role"), label="Your role", max_length=120, min_length=2),
        audience=clean_choice("audience", form.get("audience"), label="Your audience", choices=AUDIENCES),
        main_goal=clean_choice("main_goal", form.get("main_goal"), label="Your main goal", choices=GOALS),
        practice_for=clean_choice(
            "practice_for", form.get("practice_for"), label="What you practise for", choices=PRACTICE_FOR
        ),
        comfort_speaking=clean_int(
            "comfort_speaking", form.get("comfort_speaking"), label="Comfort speaking in public", low=1, high=5
        ),
        comfort_selling=clean_int(
            "comfort_selling", form.get("comfort_selling"), label="Comfort in sales conversations", low=1, high=5
        ),
    )


def ab_variant_for(user_id: uuid.UUID) -> str:
    """The A/B variant of a user: the same on every call and every machine."""
    return "A" if hashlib.sha256(user_id.bytes).digest()[0] % 2 == 0 else "B"


def assign_variant(*, session: Session, user_id: uuid.UUID) -> str:
    """Record the user's variant once (later calls keep the first) and return it."""
    variant = ab_variant_for(user_id)
    assigned = session.execute(
        update(UserProfile)
        .where(col(UserProfile.user_id) == user_id, col(UserProfile.ab_variant).is_(None))
        .values(ab_variant=variant)
        .returning(col(UserProfile.ab_variant))
    ).scalar_one_or_none()
    if assigned is not None:
        record_event(session=session, event_type="ab_assigned", user_id=user_id, data={"variant": variant})
        return assigned
    profile = session.get(UserProfile, user_id)
    if profile is None:
        raise ValidationError("profile", "Your profile was not found.")
    return profile.ab_variant or variant


def complete_onboarding(*, session: Session, user_id: uuid.UUID, persona: Persona) -> str:
    """Save the persona, mark onboarding done, assign the A/B variant; returns the variant."""
    completed = session.execute(
        update(UserProfile)
        .where(col(UserProfile.user_id) == user_id)
        .values(
            job_role=persona.job_role,
            audience=persona.audience,
            main_goal=persona.main_goal,
            practice_for=persona.practice_for,
            comfort_speaking=persona.comfort_speaking,
            comfort_selling=persona.comfort_selling,
            onboarding_completed=True,
        )
        .returning(col(UserProfile.company_id))
    ).first()
    if completed is None:
        raise ValidationError("profile", "Your profile was not found.")
    variant = assign_variant(session=session, user_id=user_id)
    record_event(
        session=session,
        event_type="onboarding_completed",
        user_id=user_id,
        company_id=completed[0],
        data={"practice_for": persona.practice_for, "variant": variant},
    )
    return variant
