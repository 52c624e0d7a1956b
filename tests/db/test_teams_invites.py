"""Team administration beyond codes and removal: teams inside a company, assignments to a team, a learner's
membership disabled (the database then gives them no company), and invitations by pasted list or CSV that
the invited person accepts or declines; what each person may see, under Row-Level Security."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from speakpro.models import (
    AssignmentLearner,
    AuditLog,
    CompanyInvite,
    EmailOutbox,
    PracticeSession,
    Team,
    UserProfile,
)
from speakpro.models.practice import PRIVATE
from speakpro.services.accounts import companies, invites, teams
from speakpro.services.accounts.sessions import create_session, resolve_session
from speakpro.services.learning import assignments
from speakpro.services.practice import review, scenarios
from speakpro.services.practice.practice import start_practice
from speakpro.services.validation import ValidationError
from tests.factories import RETAKE_SCRIPT, make_company, make_ended_session, make_module, make_topic, make_user, today
from tests.queries import as_viewer


@pytest.fixture
def company_world(session):
    company, other = make_company(session), make_company(session)
    people = {
        "manager": make_user(session, company, role="manager", onboarding_completed=True),
        "ana": make_user(session, company, onboarding_completed=True),
        "ben": make_user(session, company, onboarding_completed=True),
        "outsider": make_user(session, other, onboarding_completed=True),
        "other_manager": make_user(session, other, role="manager", onboarding_completed=True),
    }
    return company, other, people


def _actions(session, company_id) -> list[str]:
    return list(
        session.execute(
            select(AuditLog.action).where(AuditLog.company_id == company_id).order_by(AuditLog.created_at)
        ).scalars()
    )


def _profile(session, user) -> UserProfile:
    profile = session.get(UserProfile, user.id)
    session.refresh(profile)
    return profile


def test_teams_are_named_once_per_company_and_hold_the_learners_put_in_them(session, company_world):
    company, other, people = company_world
    boss = people["manager"].id
    sales = teams.create_team(session=session, company_id=company.id, actor_id=boss, name="  Sales West ")
    assert sales.name == "Sales West"
    with pytest.raises(ValidationError, match="already has a team"):
        teams.create_team(session=session, company_id=company.id, actor_id=boss, name="sales west")
    # Another company may use the same name.
    teams.create_team(session=session, company_id=other.id, actor_id=people["other_manager"].id, name="Sales West")
    with pytest.raises(ValidationError):
        teams.create_team(session=session, company_id=company.id, actor_id=boss, name="x")

    teams.set_member_team(
        session=session, company_id=company.id, actor_id=boss, member_id=str(people["ana"].id), team_id=str(sales.id)
    )
    assert [(t.name, t.learners) for t in teams.list_teams(session=session, company_id=company.id)] == [
        ("Sales West", 1)
    ]
    members = {m.email: m for m in companies.list_members(session=session, company_id=company.id)}
    assert members[people["ana"].email].team == "Sales West"
    assert members[people["ben"].email].team == ""

    foreign = teams.list_teams(session=session, company_id=other.id)[0]
    for member, team_id in ((people["ana"], foreign.id), (people["outsider"], str(sales.id))):
        with pytest.raises(ValidationError):
            teams.set_member_team(
                session=session, company_id=company.id, actor_id=boss, member_id=str(member.id), team_id=team_id
            )
    assert _profile(session, people["outsider"]).team_id is None

    assert teams.delete_team(session=session, company_id=company.id, actor_id=boss, team_id=str(sales.id)) == (
        "Sales West"
    )
    ana = _profile(session, people["ana"])
    assert ana.team_id is None and ana.company_id == company.id
    assert _actions(session, company.id) == [
        "company.team_created",
        "company.member_team_set",
        "company.team_deleted",
    ]


def test_an_assignment_to_a_team_reaches_its_active_learners_only(session, company_world):
    company, other, people = company_world
    boss = people["manager"].id
    module = make_module(session)
    pod = teams.create_team(session=session, company_id=company.id, actor_id=boss, name="Pod A")
    for name in ("ana", "ben"):
        teams.set_member_team(
            session=session, company_id=company.id, actor_id=boss, member_id=str(people[name].id), team_id=pod.id
        )
    teams.set_member_disabled(
        session=session, company_id=company.id, actor_id=boss, member_id=str(people["ben"].id), disabled=True
    )
    values = {
        "session": session,
        "company_id": company.id,
        "actor_id": boss,
        "time_zone": "UTC",
        "kind": "module",
        "target_id": str(module.id),
        "due_on": today().isoformat(),
        "today": today(),
    }
    assignment_id = assignments.create_assignment(**values, team_id=str(pod.id))
    holders = session.execute(
        select(AssignmentLearner.user_id).where(AssignmentLearner.assignment_id == uuid.UUID(assignment_id))
    ).scalars()
    assert set(holders) == {people["ana"].id}
    # Everyone of the company, still without the disabled learner.
    everyone = assignments.create_assignment(**values)
    holders = session.execute(
        select(AssignmentLearner.user_id).where(AssignmentLearner.assignment_id == uuid.UUID(everyone))
    ).scalars()
    assert set(holders) == {people["ana"].id}
    foreign = teams.create_team(session=session, company_id=other.id, actor_id=people["other_manager"].id, name="Pod")
    with pytest.raises(ValidationError, match="not found"):
        assignments.create_assignment(**values, team_id=str(foreign.id))
    empty = teams.create_team(session=session, company_id=company.id, actor_id=boss, name="Nobody yet")
    with pytest.raises(ValidationError, match="no active learners"):
        assignments.create_assignment(**values, team_id=str(empty.id))


def test_a_disabled_member_keeps_the_account_but_gets_no_company_until_enabled(session, company_world):
    company, _, people = company_world
    boss, ana = people["manager"], people["ana"]
    practice = make_ended_session(session, ana, RETAKE_SCRIPT)
    practice.company_id = company.id
    session.flush()
    review.set_sharing(session=session, user_id=ana.id, practice_session_id=practice.id, shared=True)
    scenario = scenarios.save_scenario(
        session=session,
        company_id=company.id,
        actor_id=boss.id,
        title="Renewal call",
        situation="The contract renews next month.",
        partner_persona="Dana, busy and sceptical.",
        difficulty="beginner",
        learner_goal="Agree a dated demo.",
        rubric="Discovery | 1 | Asks open questions",
    )
    assignments.create_assignment(
        session=session,
        company_id=company.id,
        actor_id=boss.id,
        time_zone="UTC",
        kind="scenario",
        target_id=scenario.id,
        due_on=today().isoformat(),
        today=today(),
    )

    name = teams.set_member_disabled(
        session=session, company_id=company.id, actor_id=boss.id, member_id=str(ana.id), disabled=True
    )
    assert name == ana.display_name
    # Doing it again changes nothing and writes nothing.
    teams.set_member_disabled(
        session=session, company_id=company.id, actor_id=boss.id, member_id=str(ana.id), disabled=True
    )
    assert _actions(session, company.id).count("company.member_disabled") == 1
    session.refresh(practice)
    assert practice.privacy == PRIVATE
    assert session.execute(select(func.count()).where(AssignmentLearner.user_id == ana.id)).scalar_one() == 0
    member = next(m for m in companies.list_members(session=session, company_id=company.id) if m.email == ana.email)
    assert member.disabled and member.role == "learner"

    viewer = resolve_session(session=session, token=create_session(session=session, user_id=ana.id))
    assert viewer is not None and viewer.company_id is None and viewer.company_name == ""
    with pytest.raises(ValidationError, match="disabled"):
        companies.join_company(session=session, user_id=ana.id, code=company.join_code)
    # New practice is nobody's company's, and a company scenario is out of reach.
    solo = start_practice(session=session, user_id=ana.id, topic_id=make_topic(session).id, mode="solo")
    assert session.get(PracticeSession, solo.id).company_id is None
    with pytest.raises(ValidationError):
        start_practice(session=session, user_id=ana.id, scenario_id=scenario.id, mode="solo")

    teams.set_member_disabled(
        session=session, company_id=company.id, actor_id=boss.id, member_id=str(ana.id), disabled=False
    )
    viewer = resolve_session(session=session, token=create_session(session=session, user_id=ana.id))
    assert viewer is not None and viewer.company_id == company.id
    assert _actions(session, company.id)[-1] == "company.member_enabled"


def test_row_level_security_hides_the_company_from_a_disabled_member(session, company_world):
    company, _, people = company_world
    boss = people["manager"]
    scenarios.save_scenario(
        session=session,
        company_id=company.id,
        actor_id=boss.id,
        title="Renewal call",
        situation="The contract renews next month.",
        partner_persona="Dana, busy and sceptical.",
        difficulty="beginner",
        learner_goal="Agree a dated demo.",
        rubric="Discovery | 1 | Asks open questions",
    )
    pod = teams.create_team(session=session, company_id=company.id, actor_id=boss.id, name="Pod A")
    teams.set_member_disabled(
        session=session, company_id=company.id, actor_id=boss.id, member_id=str(people["ana"].id), disabled=True
    )
    session.flush()
    as_viewer(session, people["ana"])
    # No WHERE clause: the database alone decides.
    assert session.execute(text("SELECT count(*) FROM scenarios")).scalar_one() == 0
    assert session.execute(text("SELECT count(*) FROM teams")).scalar_one() == 0
    assert session.execute(text("SELECT count(*) FROM companies")).scalar_one() == 0
    assert pod.id  # (built before the switch)


@pytest.mark.parametrize("who", ["self", "manager", "elsewhere", "unknown", "malformed"])
def test_only_this_companys_learners_can_be_disabled_or_moved(session, company_world, who):
    company, _, people = company_world
    boss = people["manager"]
    target = {
        "self": lambda: str(boss.id),
        "manager": lambda: str(make_user(session, company, role="manager").id),
        "elsewhere": lambda: str(people["outsider"].id),
        "unknown": lambda: "00000000-0000-4000-8000-000000000000",
        "malformed": lambda: "'; drop table users; --",
    }[who]()
    with pytest.raises(ValidationError):
        teams.set_member_disabled(
            session=session, company_id=company.id, actor_id=boss.id, member_id=target, disabled=True
        )
    with pytest.raises(ValidationError):
        teams.set_member_team(session=session, company_id=company.id, actor_id=boss.id, member_id=target, team_id="")
    assert _actions(session, company.id) == []


def test_the_database_refuses_a_disabled_manager_and_a_team_without_a_company(session, company_world):
    company, _, people = company_world
    team = Team(company_id=company.id, name="Pod")
    session.add(team)
    session.flush()
    for user, values in (
        (people["manager"], {"company_disabled_at": func.now()}),
        (people["ana"], {"company_id": None, "team_id": team.id}),
    ):
        with pytest.raises(IntegrityError), session.begin_nested():
            session.execute(UserProfile.__table__.update().where(UserProfile.user_id == user.id).values(**values))


@pytest.mark.parametrize(
    ("pasted", "expected"),
    [
        ("ana@example.com, ben@example.com", ["ana@example.com", "ben@example.com"]),
        ("ana@example.com\nben@example.com;cy@example.com", ["ana@example.com", "ben@example.com", "cy@example.com"]),
        ("Ana Ruiz <ana@example.com>, Ben Okafor <ben@example.com>", ["ana@example.com", "ben@example.com"]),
        ('"ana@example.com"\t ben@example.com ', ["ana@example.com", "ben@example.com"]),
        ("", []),
        ("not-an-address", ["not-an-address"]),
    ],
)
def test_pasted_lists_are_read_in_every_common_shape(pasted, expected):
    assert invites.parse_email_list(pasted) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"name,email\nAna,ana@example.com\nBen,ben@example.com\n", ["ana@example.com", "ben@example.com"]),
        (b"\xef\xbb\xbfEmail;Team\r\nana@example.com;West\r\n;\r\n", ["ana@example.com"]),
        (b"ana@example.com\nben@example.com\n", ["ana@example.com", "ben@example.com"]),
        (b"first,last,contact\nAna,Ruiz,ana@example.com\n", ["ana@example.com"]),
        ("name,email\nJos\xe9,jose@example.com\n".encode("latin-1"), ["jose@example.com"]),
        (b"", []),
    ],
)
def test_csv_files_are_read_by_their_email_column_or_their_addresses(data, expected):
    assert invites.parse_email_csv(data) == expected


def test_a_file_that_is_not_a_small_csv_is_refused():
    with pytest.raises(ValidationError, match="not a CSV"):
        invites.parse_email_csv(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(ValidationError, match="KB"):
        invites.parse_email_csv(b"a@example.com\n" * 30000)


def test_inviting_sorts_addresses_and_renews_an_invitation_without_doubling_it(session, company_world):
    company, _, people = company_world
    boss = people["manager"].id
    pod = teams.create_team(session=session, company_id=company.id, actor_id=boss, name="Pod A")
    holder = make_user(session)
    result = invites.invite_emails(
        session=session,
        company_id=company.id,
        actor_id=boss,
        candidates=["New@Example.com", "new@example.com", people["ana"].email, "nobody", holder.email],
    )
    assert result.invited == ["new@example.com", holder.email]
    assert result.members == [people["ana"].email]
    assert result.invalid == ["nobody"]
    assert result.summary() == "2 invited; 1 already in the company; 1 not valid (nobody)."
    again = invites.invite_emails(
        session=session, company_id=company.id, actor_id=boss, candidates=["new@example.com"], team_id=str(pod.id)
    )
    assert again.invited == ["new@example.com"]
    pending = invites.pending_invites(session=session, company_id=company.id)
    assert sorted((p.email, p.team) for p in pending) == sorted([(holder.email, ""), ("new@example.com", "Pod A")])
    # Only the address with an account gets a notice, once.
    notices = session.execute(
        select(EmailOutbox.user_id, EmailOutbox.details).where(EmailOutbox.template == "company_invite")
    )
    assert [tuple(n) for n in notices] == [(holder.id, {"company": company.name})]
    with pytest.raises(ValidationError, match="at least one"):
        invites.invite_emails(session=session, company_id=company.id, actor_id=boss, candidates=[])
    with pytest.raises(ValidationError, match="up to"):
        invites.invite_emails(
            session=session,
            company_id=company.id,
            actor_id=boss,
            candidates=[f"p{i}@example.com" for i in range(invites.MAX_PER_BATCH + 1)],
        )
    assert _actions(session, company.id).count("company.invited") == 2


def test_the_invited_person_sees_accepts_or_declines_and_nobody_else_sees_it(session, company_world):
    company, other, people = company_world
    boss = people["manager"].id
    pod = teams.create_team(session=session, company_id=company.id, actor_id=boss, name="Pod A")
    invited, bystander, declining = make_user(session), make_user(session), make_user(session)
    invites.invite_emails(
        session=session,
        company_id=company.id,
        actor_id=boss,
        candidates=[invited.email, declining.email, people["outsider"].email],
        team_id=str(pod.id),
    )
    session.flush()

    with session.begin_nested():
        as_viewer(session, invited)
        mine = invites.my_invites(session=session)
        assert [(i.company_name, i.team) for i in mine] == [(company.name, "Pod A")]
        session.execute(text("RESET ROLE"))
    for person in (bystander, people["other_manager"]):
        with session.begin_nested():
            as_viewer(session, person)
            assert invites.my_invites(session=session) == []
            assert session.execute(text("SELECT count(*) FROM company_invites")).scalar_one() == 0
            session.execute(text("RESET ROLE"))

    with pytest.raises(ValidationError, match="not found"):
        invites.accept_invite(session=session, user_id=bystander.id, invite_id=mine[0].id)
    assert invites.accept_invite(session=session, user_id=invited.id, invite_id=mine[0].id).id == company.id
    joined = _profile(session, invited)
    assert (joined.company_id, joined.team_id, joined.role) == (company.id, pod.id, "learner")
    with pytest.raises(ValidationError, match="not found"):
        invites.accept_invite(session=session, user_id=invited.id, invite_id=mine[0].id)

    outsider_invite = session.execute(
        select(CompanyInvite.id).where(CompanyInvite.email == people["outsider"].email)
    ).scalar_one()
    with pytest.raises(ValidationError, match="another company"):
        invites.accept_invite(session=session, user_id=people["outsider"].id, invite_id=outsider_invite)
    assert _profile(session, people["outsider"]).company_id == other.id

    declined = session.execute(select(CompanyInvite.id).where(CompanyInvite.email == declining.email)).scalar_one()
    invites.decline_invite(session=session, user_id=declining.id, invite_id=str(declined))
    assert _profile(session, declining).company_id is None
    assert [p.email for p in invites.pending_invites(session=session, company_id=company.id)] == [
        people["outsider"].email
    ]
    assert invites.revoke_invite(
        session=session, company_id=company.id, actor_id=boss, invite_id=str(outsider_invite)
    ) == (people["outsider"].email)
    with pytest.raises(ValidationError, match="not found"):
        invites.revoke_invite(session=session, company_id=other.id, actor_id=boss, invite_id=str(outsider_invite))
    actions = _actions(session, company.id)
    for action in ("company.invite_accepted", "company.invite_declined", "company.invite_revoked"):
        assert actions.count(action) == 1
