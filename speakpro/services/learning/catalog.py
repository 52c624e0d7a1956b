"""Read-only views of the published catalogue: curriculum, world and practice topics."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session, col

from speakpro.models import District, Level, Module, Topic, Venue


@dataclass
class ModuleSummary:
    """What a visitor sees of one module."""

    code: str
    title: str
    description: str


@dataclass
class CatalogOverview:
    """The headline numbers and Level 1's modules, for the landing page."""

    level_title: str
    modules: list[ModuleSummary]
    topic_count: int
    district_count: int
    venue_count: int


def get_catalog_overview(*, session: Session) -> CatalogOverview:
    """The first level's modules and the catalogue's size, in two queries.

    Args:
        session: An open database session.

    Returns:
        The overview; empty lists and zeros on a database without seed data.
    """
    counts = session.execute(
        select(
            select(func.count()).select_from(Topic).where(col(Topic.is_active)).scalar_subquery(),
            select(func.count()).select_from(District).scalar_subquery(),
            select(func.count()).select_from(Venue).scalar_subquery(),
            select(col(Level.title)).order_by(col(Level.number)).limit(1).scalar_subquery(),
        )
    ).one()
    rows = session.execute(
        select(col(Module.code), col(Module.title), col(Module.description))
        .join(Level, col(Level.id) == col(Module.level_id))
        .where(col(Level.number) == select(func.min(col(Level.number))).scalar_subquery())
        .order_by(col(Module.order))
    ).all()
    return CatalogOverview(
        level_title=counts[3] or "",
        modules=[ModuleSummary(code=r.code, title=r.title, description=r.description) for r in rows],
        topic_count=counts[0],
        district_count=counts[1],
        venue_count=counts[2],
    )


def get_milestone_prompt(*, session: Session, level_id) -> str:
    """The speaking task of a level's milestone ("" for an unknown level)."""
    return (
        session.execute(select(col(Level.milestone_prompt)).where(col(Level.id) == level_id)).scalar_one_or_none() or ""
    )
