"""Demo and catalogue data: `python -m speakpro seed`.

The catalogue (lessons, knowledge blocks, districts, topics) is SpeakPro's content and loads anywhere. The
demo data (companies and accounts that share a published password, with their history) never loads when
`SPEAKPRO_ENV=production`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session


@dataclass
class SeedReport:
    """What a seed run created, and the row counts after it."""

    created_users: list[str]
    counts: dict[str, int]


PRODUCTION_REFUSAL = (
    "SpeakPro: the demo seed does not run when SPEAKPRO_ENV=production (its accounts share a published "
    "password); use `python -m speakpro seed --catalog-only` for the teaching content"
)


class SeedRefused(RuntimeError):
    """The demo data was asked for where it must not be loaded."""


def check_demo_allowed(environment: str) -> None:
    """Refuse the demo data in production.

    Raises:
        SeedRefused: When `environment` is production; its message is one line for the command line.
    """
    if environment == "production":
        raise SeedRefused(PRODUCTION_REFUSAL)


def run_catalog(session: Session) -> SeedReport:
    """Load the catalogue only (no accounts); safe to run again, in any environment."""
    from speakpro.seed.catalog import seed_catalog
    from speakpro.seed.demo import count_rows

    seed_catalog(session)
    session.flush()
    return SeedReport(created_users=[], counts=count_rows(session))


def run_seed(session: Session, today: date | None = None) -> SeedReport:
    """Load the catalogue and the demo accounts with their history; safe to run again.

    Raises:
        SeedRefused: When `SPEAKPRO_ENV=production`, before anything is written.
    """
    from speakpro.seed.catalog import seed_catalog
    from speakpro.seed.demo import count_rows, seed_demo
    from speakpro.settings import settings

    check_demo_allowed(settings.environment)
    module_ids = seed_catalog(session)
    created = seed_demo(session, module_ids, today=today)
    session.flush()
    return SeedReport(created_users=[u.email for u in created], counts=count_rows(session))
