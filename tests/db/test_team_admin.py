"""Team administration: a company's join code rotated (the old one stops working) and a learner removed
(their shared sessions become private), both audited; nobody else's learners, not oneself."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from speakpro.models import AuditLog, UserProfile
from speakpro.services.accounts import companies, teams
from speakpro.services.practice import review
from speakpro.services.validation import ValidationError
from tests.factories import RETAKE_SCRIPT, make_company, make_ended_session, make_user


def test_rotating_the_join_code_retires_the_old_one(session):
    company = make_company(session)
    boss = make_user(session, company, role="manager")
    old = company.join_code
    new = companies.rotate_join_code(session=session, company_id=company.id, actor_id=boss.id)
    assert new != old and len(new) == 10
    assert companies.find_by_code(session=session, code=new)[0].id == company.id
    with pytest.raises(ValidationError, match="not valid"):
        companies.find_by_code(session=session, code=old)
    actions = session.execute(select(AuditLog.action).where(AuditLog.company_id == company.id)).scalars().all()
    assert "company.join_code_rotated" in actions


def test_removing_a_learner_takes_them_out_and_makes_their_shared_sessions_private(session):
    company = make_company(session)
    boss, learner = make_user(session, company, role="manager"), make_user(session, company)
    practice = make_ended_session(session, learner, RETAKE_SCRIPT)
    practice.company_id = company.id
    session.flush()
    review.set_sharing(session=session, user_id=learner.id, practice_session_id=practice.id, shared=True)
    name = teams.remove_member(session=session, company_id=company.id, actor_id=boss.id, member_id=str(learner.id))
    assert name == learner.display_name
    profile = session.get(UserProfile, learner.id)
    session.refresh(profile)
    assert profile.company_id is None and profile.role == "learner"
    assert review.shared_sessions(session=session, company_id=company.id) == []
    assert str(learner.id) not in {m.user_id for m in companies.list_members(session=session, company_id=company.id)}
    removed = session.execute(
        select(AuditLog.actor_user_id, AuditLog.details).where(AuditLog.action == "company.member_removed")
    ).one()
    assert removed.actor_user_id == boss.id and removed.details == {"sessions_made_private": 1}


@pytest.mark.parametrize("who", ["self", "manager", "elsewhere", "unknown", "malformed"])
def test_only_this_companys_learners_can_be_removed(session, who):
    company, other = make_company(session), make_company(session)
    boss = make_user(session, company, role="manager")
    target = {
        "self": lambda: str(boss.id),
        "manager": lambda: str(make_user(session, company, role="manager").id),
        "elsewhere": lambda: str(make_user(session, other).id),
        "unknown": lambda: "00000000-0000-4000-8000-000000000000",
        "malformed": lambda: "'; drop table users; --",
    }[who]()
    with pytest.raises(ValidationError):
        teams.remove_member(session=session, company_id=company.id, actor_id=boss.id, member_id=target)
    assert session.execute(select(AuditLog).where(AuditLog.action == "company.member_removed")).first() is None
