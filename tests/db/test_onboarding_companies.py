"""Onboarding (persona, A/B variant recorded once) and companies (codes, roles, who sees what)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from speakpro.models import AnalyticsEvent, UserProfile
from speakpro.services.accounts import companies, onboarding
from speakpro.services.validation import ValidationError
from tests.factories import make_company, make_user

FORM = {
    "job_role": "Account executive",
    "audience": "Prospective customers",
    "main_goal": "Handle objections calmly",
    "practice_for": "Sales conversations",
    "comfort_speaking": "2",
    "comfort_selling": "4",
}


def test_onboarding_saves_the_persona_and_logs_events(session):
    user = make_user(session)
    variant = onboarding.complete_onboarding(
        session=session, user_id=user.id, persona=onboarding.validate_persona(FORM)
    )
    profile = session.get(UserProfile, user.id)
    session.refresh(profile)
    assert profile.onboarding_completed and profile.comfort_selling == 4 and profile.ab_variant == variant
    events = session.execute(select(AnalyticsEvent.event_type).where(AnalyticsEvent.user_id == user.id)).scalars()
    assert {"onboarding_completed", "ab_assigned"} <= set(events)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("job_role", ""),
        ("job_role", "x" * 1_000_000),
        ("audience", "Martians"),
        ("main_goal", "<script>"),
        ("practice_for", ""),
        ("comfort_speaking", "6"),
        ("comfort_selling", "lots"),
    ],
)
def test_bad_persona_input_is_refused(field, value):
    with pytest.raises(ValidationError) as caught:
        onboarding.validate_persona({**FORM, field: value})
    assert caught.value.field == field


def test_ab_variant_is_deterministic_and_recorded_once(session):
    ids = [uuid.uuid4() for _ in range(200)]
    assert [onboarding.ab_variant_for(i) for i in ids] == [onboarding.ab_variant_for(i) for i in ids]
    assert {onboarding.ab_variant_for(i) for i in ids} == {"A", "B"}
    user = make_user(session)
    first = onboarding.assign_variant(session=session, user_id=user.id)
    session.execute(
        UserProfile.__table__.update()
        .where(UserProfile.user_id == user.id)
        .values(ab_variant="B" if first == "A" else "A")
    )
    # A later assignment keeps what was recorded (the experiment never reshuffles a learner).
    assert onboarding.assign_variant(session=session, user_id=user.id) != first


def test_company_codes_grant_their_roles(session):
    admin = make_user(session)
    company = companies.create_company(session=session, actor_id=admin.id, name="Acme Speaking Co")
    assert company.slug == "acme-speaking-co" and company.join_code != company.manager_invite_code
    learner, manager = make_user(session), make_user(session)
    assert companies.join_company(session=session, user_id=learner.id, code=company.join_code.lower())[1] == "learner"
    assert companies.join_company(session=session, user_id=manager.id, code=company.manager_invite_code)[1] == "manager"
    with pytest.raises(ValidationError, match="already exists"):
        companies.create_company(session=session, actor_id=admin.id, name="acme speaking co")


def test_nobody_joins_a_second_company(session):
    first, second = make_company(session), make_company(session)
    user = make_user(session, company=first)
    with pytest.raises(ValidationError, match="another company"):
        companies.join_company(session=session, user_id=user.id, code=second.join_code)


def test_members_list_only_that_company(session):
    first, second = make_company(session), make_company(session)
    ours = make_user(session, company=first)
    make_user(session, company=second)
    members = companies.list_members(session=session, company_id=first.id)
    assert [m.user_id for m in members] == [str(ours.id)]
