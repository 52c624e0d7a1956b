"""Demo and catalogue data: `python -m speakpro seed`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session


@dataclass
class SeedReport:
    """What a seed run created, and the row counts after it."""

    created_users: list[str]
    counts: dict[str, int]


def run_seed(session: Session, today: date | None = None) -> SeedReport:
    """Load the catalogue and the demo accounts with their history; safe to run again."""
    from speakpro.seed.catalog import seed_catalog
    from speakpro.seed.demo import count_rows, seed_demo

    module_ids = seed_catalog(session)
    created = seed_demo(session, module_ids, today=today)
    session.flush()
    return SeedReport(created_users=[u.email for u in created], counts=count_rows(session))
