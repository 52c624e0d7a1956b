"""`python -m speakpro create-admin` and the demo seed's refusal in production."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from speakpro import settings as settings_module
from speakpro.__main__ import main
from speakpro.models import AuditLog, User
from speakpro.seed import PRODUCTION_REFUSAL, SeedRefused, run_seed
from speakpro.services.accounts import accounts

GOOD = "a sturdy admin passphrase"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _admin(session, email):
    return accounts.get_user_by_email(session=session, email=email)


def test_create_admin_with_the_password_on_stdin(session, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(GOOD + "\n"))
    assert main(["create-admin", "Root@Example.com", "--password-stdin", "--name", "Root"]) == 0
    assert "root@example.com created as an admin" in capsys.readouterr().out
    user = _admin(session, "root@example.com")
    assert user.is_admin and user.display_name == "Root"
    assert accounts.authenticate(session=session, email="root@example.com", password=GOOD).id == user.id
    audit = session.execute(
        select(AuditLog).where(AuditLog.action == "admin.created", AuditLog.subject_user_id == user.id)
    ).scalar_one()
    assert GOOD not in str(audit.details)


def test_create_admin_asks_twice_and_refuses_a_mismatch(session, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", _Terminal())
    answers = iter([GOOD, GOOD + " typo"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["create-admin", "typo@example.com"]) == 1
    assert "don't match" in capsys.readouterr().err and _admin(session, "typo@example.com") is None

    answers = iter([GOOD, GOOD])
    assert main(["create-admin", "asked@example.com"]) == 0
    assert _admin(session, "asked@example.com").is_admin


def test_create_admin_without_a_terminal_needs_password_stdin(session, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(GOOD + "\n"))
    assert main(["create-admin", "piped@example.com"]) == 1
    assert "--password-stdin" in capsys.readouterr().err and _admin(session, "piped@example.com") is None


@pytest.mark.parametrize(("password", "message"), [("short", "at least 8"), ("password123", "too common")])
def test_create_admin_keeps_the_password_rules(session, monkeypatch, capsys, password, message):
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    assert main(["create-admin", "weak@example.com", "--password-stdin"]) == 1
    assert message in capsys.readouterr().err and _admin(session, "weak@example.com") is None


def test_an_existing_account_is_promoted_only_when_asked(session, monkeypatch, capsys):
    user = accounts.signup(session=session, email="staff@example.com", password=GOOD)
    monkeypatch.setattr("sys.stdin", io.StringIO("another sturdy phrase\n"))
    assert main(["create-admin", "staff@example.com", "--password-stdin"]) == 1
    assert "--promote" in capsys.readouterr().err
    session.refresh(user)
    assert not user.is_admin
    assert main(["create-admin", "staff@example.com", "--promote"]) == 0
    session.refresh(user)
    assert user.is_admin and accounts.authenticate(session=session, email="staff@example.com", password=GOOD)
    assert main(["create-admin", "nobody@example.com", "--promote"]) == 1


@pytest.fixture
def production(monkeypatch):
    monkeypatch.setattr(settings_module, "settings", replace(settings_module.settings, environment="production"))


@pytest.mark.parametrize("command", ["seed", "prepare"])
def test_the_demo_seed_refuses_production_with_one_line(session, production, monkeypatch, capsys, command):
    def no_database(*args, **kwargs):
        raise AssertionError("the refusal comes before any database work")

    monkeypatch.setattr("speakpro.db.session_scope", no_database)
    monkeypatch.setattr("speakpro.db.database_url", no_database)
    assert main([command]) == 2
    err = capsys.readouterr().err
    assert err == PRODUCTION_REFUSAL + "\n" and "SPEAKPRO_ENV=production" in err


def test_run_seed_itself_refuses_production_and_writes_nothing(session, production):
    users = session.execute(select(func.count()).select_from(User)).scalar_one()
    with pytest.raises(SeedRefused):
        run_seed(session)
    assert session.execute(select(func.count()).select_from(User)).scalar_one() == users


def test_the_catalogue_loads_in_production_without_accounts(session, production, capsys):
    users = session.execute(select(func.count()).select_from(User)).scalar_one()
    assert main(["seed", "--catalog-only"]) == 0
    assert "no accounts created" in capsys.readouterr().out
    assert session.execute(select(func.count()).select_from(User)).scalar_one() == users


def test_demo_accounts_have_the_consent_a_sign_up_records(session):
    from speakpro.models import PrivacyConsent
    from speakpro.seed.demo import demo_users
    from speakpro.services.accounts.consent import PRIVACY_NOTICE_VERSION

    run_seed(session)
    run_seed(session)  # a second run adds nothing
    emails = [demo.email for demo in demo_users()]
    rows = session.execute(
        select(User.email, PrivacyConsent.notice_version, PrivacyConsent.recording)
        .join(PrivacyConsent, PrivacyConsent.user_id == User.id)
        .where(User.email.in_(emails))
    ).all()
    assert sorted(email for email, _, _ in rows) == sorted(emails)
    assert {(version, recording) for _, version, recording in rows} == {(PRIVACY_NOTICE_VERSION, True)}
