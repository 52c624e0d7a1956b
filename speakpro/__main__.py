"""SpeakPro's command line: `python -m speakpro --help`."""

from __future__ import annotations

import argparse
import sys

from speakpro.services.accounts.data_export import export_user_data
from speakpro.services.accounts.erasure import erase_user


def _cmd_db_up(_args) -> int:
    from speakpro.db import database_url, redacted
    from speakpro.settings import settings

    url = database_url()
    where = "DATABASE_URL"
    if settings.uses_embedded_database:
        where = f"embedded PostgreSQL under {settings.embedded_pgdata}"
    print(f"database ready ({where}): {redacted(url)}")
    return 0


def _cmd_db_stop(_args) -> int:
    import subprocess

    from speakpro.settings import settings

    pgdata = settings.embedded_pgdata
    if not (pgdata / "postmaster.pid").exists():
        print("the embedded PostgreSQL is not running")
        return 0
    from pgserver._commands import POSTGRES_BIN_PATH

    # As root, pgserver runs the server as its own "pgserver" user: pg_ctl must run as that user too (no sudo
    # needed, and none is installed on every machine).
    subprocess.run(
        [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "stop", "-m", "fast"],
        check=False,
        user="pgserver" if _is_root() else None,
    )
    return 0


def _is_root() -> bool:
    import os

    return hasattr(os, "geteuid") and os.geteuid() == 0


def _cmd_migrate(_args) -> int:
    from alembic.config import Config

    from alembic import command
    from speakpro.db import database_url
    from speakpro.settings import PROJECT_ROOT

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", database_url().replace("%", "%%"))
    command.upgrade(config, "head")
    print("migrations applied (alembic upgrade head)")
    return 0


def _demo_refused() -> bool:
    """Whether the demo seed must not run here (production); says so in one line."""
    from speakpro.seed import SeedRefused, check_demo_allowed
    from speakpro.settings import settings

    try:
        check_demo_allowed(settings.environment)
    except SeedRefused as refused:
        print(refused, file=sys.stderr)
        return True
    return False


def _cmd_seed(args) -> int:
    from speakpro.db import session_scope
    from speakpro.seed import run_catalog, run_seed

    if getattr(args, "catalog_only", False):
        with session_scope() as session:
            report = run_catalog(session)
        print("catalogue loaded (lessons, knowledge blocks, districts, topics); no accounts created")
        if args.verbose:
            for table, count in report.counts.items():
                print(f"  {table:<22} {count}")
        return 0
    if _demo_refused():
        return 2
    with session_scope() as session:
        report = run_seed(session)
    if report.created_users:
        print(f"seeded {len(report.created_users)} demo users with their history")
    else:
        print("demo data already present; nothing changed")
    if args.verbose:
        for table, count in report.counts.items():
            print(f"  {table:<22} {count}")
    return 0


def _cmd_logins(_args) -> int:
    from speakpro.seed.demo import DEMO_PASSWORD
    from speakpro.settings import settings

    print(f"""
SpeakPro is starting on {settings.app_url}  (first start builds the frontend: about a minute)
Demo logins (password for all: {DEMO_PASSWORD})
  learner   learner@example.com              Northwind Outfitters, 60 days of practice
  manager   manager@example.com              manager of Northwind Outfitters
  manager   manager@blueharbor.example.com   manager of Blue Harbor Logistics
  admin     admin@example.com                instance admin
""")
    return 0


def _cmd_prepare(args) -> int:
    if _demo_refused():  # before anything starts: `prepare` is the development set-up
        return 2
    for step in (_cmd_db_up, _cmd_migrate, _cmd_seed, _cmd_logins):
        code = step(args)
        if code:
            return code
    return 0


def _cmd_analyse(_args) -> int:
    from speakpro.services.analysis.analysis import run_pending_analysis

    done = run_pending_analysis()
    print(f"analysed {done} session(s)")
    return 0


def _cmd_worker(args) -> int:
    import logging

    from speakpro.jobs import run_worker_process
    from speakpro.settings import settings

    if args.concurrency < 1:
        print("--concurrency must be at least 1", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_worker_process(concurrency=args.concurrency)
    return 0


def _cmd_health(_args) -> int:
    from speakpro.db import check_database

    reachable, detail = check_database()
    print(f"database: {detail}")
    return 0 if reachable else 1


def _read_new_password(args) -> str | None:
    """The new admin's password: one line of standard input with --password-stdin, else asked twice."""
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        print("create-admin: no terminal to ask for the password; pipe it in with --password-stdin", file=sys.stderr)
        return None
    first = getpass.getpass("Password for the new admin: ")
    if first != getpass.getpass("Repeat the password: "):
        print("create-admin: the passwords don't match; nothing was created", file=sys.stderr)
        return None
    return first


def _cmd_create_admin(args) -> int:
    from speakpro.db import session_scope
    from speakpro.services.accounts import accounts
    from speakpro.services.validation import ValidationError

    password = None
    if not args.promote:
        password = _read_new_password(args)
        if password is None:
            return 1
    try:
        with session_scope() as session:
            if args.promote:
                user = accounts.promote_to_admin(session=session, email=args.email)
            else:
                assert password is not None  # read above unless --promote
                user = accounts.create_admin(
                    session=session, email=args.email, password=password, display_name=args.name or ""
                )
    except accounts.EmailTaken:
        print(
            "create-admin: an account with this email already exists; add --promote to make it an admin",
            file=sys.stderr,
        )
        return 1
    except ValidationError as error:
        print(f"create-admin: {error.message}", file=sys.stderr)
        return 1
    verb = "is now an admin" if args.promote else "created as an admin"
    print(f"{user.email} {verb}; log in at /login")
    return 0


def _cmd_export_user(args) -> int:
    from pathlib import Path

    from speakpro.db import session_scope
    from speakpro.services.accounts import accounts

    out = Path(args.out)
    partial = out.with_name(out.name + ".part")
    with session_scope() as session:
        user = accounts.get_user_by_email(session=session, email=args.email)
        if user is None:
            print(f"no account with the email {args.email.strip().lower()}", file=sys.stderr)
            return 1
        try:
            with partial.open("wb") as handle:
                summary = export_user_data(session=session, user_id=user.id, out=handle)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    partial.replace(out)
    print(
        f"wrote {out}: {len(summary.tables)} tables, {summary.recordings} recordings"
        + (f" ({summary.missing_recordings} missing from storage)" if summary.missing_recordings else "")
    )
    return 0


def _cmd_erase_user(args) -> int:
    from speakpro.db import session_scope
    from speakpro.services.accounts import accounts

    email = args.email.strip().lower()
    if not args.yes:
        print(
            f"erasing {email} deletes the account and everything in it for good: add --yes to go ahead", file=sys.stderr
        )
        return 2
    with session_scope() as session:
        user = accounts.get_user_by_email(session=session, email=email)
        if user is None:
            print(f"no account with the email {email}: nothing to erase")
            return 0
        report = erase_user(session=session, user_id=user.id, via="admin")
    print(
        f"erased {email}: {sum(report.rows.values())} rows in {len(report.rows)} tables, "
        f"{report.objects_deleted} recordings deleted, {report.sessions_kept_anonymised} analysed sessions kept "
        "anonymised for company totals"
        + (
            f"; {report.objects_pending} recordings will be deleted when storage answers"
            if report.objects_pending
            else ""
        )
    )
    return 0


def _cmd_security_headers(args) -> int:
    from pathlib import Path

    from speakpro.security_headers import exported_page_headers, nginx_lines

    frontend = Path(args.frontend)
    if not frontend.is_dir() or not any(frontend.rglob("*.html")):
        print(f"{frontend}: no exported pages (*.html) found", file=sys.stderr)
        return 1
    print(nginx_lines(exported_page_headers(frontend)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with one sub-command per task."""
    parser = argparse.ArgumentParser(prog="python -m speakpro", description="SpeakPro administration commands.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, handler, text in (
        ("db-up", _cmd_db_up, "start the embedded PostgreSQL (unless DATABASE_URL is set) and create the database"),
        ("db-stop", _cmd_db_stop, "stop the embedded PostgreSQL"),
        ("migrate", _cmd_migrate, "apply the Alembic migrations (alembic upgrade head)"),
        (
            "seed",
            _cmd_seed,
            "load the catalogue and demo data (idempotent; refused in production, except --catalog-only)",
        ),
        ("logins", _cmd_logins, "print the demo logins"),
        ("prepare", _cmd_prepare, "db-up, migrate, seed and print the demo logins (what `make run` does)"),
        ("analyse", _cmd_analyse, "analyse the ended practice sessions waiting in the queue"),
        ("health", _cmd_health, "check that the database answers"),
        ("worker", _cmd_worker, "run a background job worker (session analysis, periodic sweeps) until stopped"),
        ("create-admin", _cmd_create_admin, "create an instance admin (password asked twice, or --password-stdin)"),
        ("export-user", _cmd_export_user, "write a zip of everything about one user (rows and recordings)"),
        ("erase-user", _cmd_erase_user, "erase one user for good: rows, recordings, identities (needs --yes)"),
        (
            "security-headers",
            _cmd_security_headers,
            "print nginx add_header lines for a static frontend export (its inline scripts hashed)",
        ),
    ):
        sub = commands.add_parser(name, help=text, description=text)
        sub.set_defaults(handler=handler)
        sub.add_argument("-v", "--verbose", action="store_true", help="print row counts")
        if name == "worker":
            sub.add_argument(
                "-c",
                "--concurrency",
                type=int,
                default=4,
                metavar="N",
                help="jobs run at once by this worker (default 4)",
            )
        if name == "seed":
            sub.add_argument(
                "--catalog-only",
                action="store_true",
                help="load the teaching content only, no demo accounts (allowed in production)",
            )
        if name == "create-admin":
            sub.add_argument("email", help="the admin's email address")
            sub.add_argument(
                "--password-stdin", action="store_true", help="read the password from the first line of standard input"
            )
            sub.add_argument("--name", default="", help="the admin's display name")
            sub.add_argument(
                "--promote",
                action="store_true",
                help="make an existing account an admin instead (its password is kept)",
            )
        if name in ("export-user", "erase-user"):
            sub.add_argument("email", help="the account's email address")
        if name == "export-user":
            sub.add_argument("--out", required=True, metavar="FILE.zip", help="where to write the zip")
        if name == "security-headers":
            sub.add_argument("--frontend", required=True, metavar="DIR", help="the unzipped `reflex export`")
        if name == "erase-user":
            sub.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; settings errors stop with a one-line message (exit 2)."""
    args = build_parser().parse_args(argv)
    from speakpro.db import SYSTEM, use_context

    # Commands are run by the operator: they work on every row (Row-Level Security, migration 0009).
    with use_context(SYSTEM):
        return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
